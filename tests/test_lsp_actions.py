"""Where "add the missing facts" inserts them (``ivrules.lsp.actions.add_facts``), in each way facts are written."""

from __future__ import annotations

import pytest

import ivrules
from ivrules.lsp.actions import add_facts

BLOCK = """examples:
  - name: a
    facts:
      dato: 2020-09-01

      alder: 45
    expect:
      eligible: true
  - name: b
    facts:
      <<: *antibiotika
      system: null
    expect: {eligible: null}
"""


def test_facts_are_added_at_the_end_of_the_examples_own_block(book: ivrules.Book) -> None:
    assert add_facts(BLOCK, 1, ["home_suitable", "treatment"], book.vocabulary) == (
        6, "      hjemmet_egnet: true  # udfyld\n      behandling: antibiotika  # udfyld\n")


def test_a_merged_block_gets_them_too_and_the_next_example_is_not_touched(book: ivrules.Book) -> None:
    assert add_facts(BLOCK, 8, ["age_years"], book.vocabulary) == (12, "      alder: 0  # udfyld\n")


@pytest.mark.parametrize("facts", ["facts: *antibiotika", "facts: {date: 2020-09-01}"])
def test_an_alias_or_a_flow_mapping_is_not_edited(facts: str, book: ivrules.Book) -> None:
    text = f"examples:\n  - name: a\n    {facts}\n    expect: {{}}\n"
    assert add_facts(text, 1, ["age_years"], book.vocabulary) is None


def test_an_example_without_facts_is_not_edited() -> None:
    assert add_facts("examples:\n  - name: a\n  - name: b\n    facts:\n      x: 1\n", 1, ["y"], None) is None
