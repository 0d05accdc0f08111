"""Every example case written in an agreement file, run as a test.

A failing example is reported as the lines that differ, not a traceback.
"""

from __future__ import annotations

import pytest

import ivrules
from ivrules.engine.scenarios import all_examples, run_example
from tests.conftest import AGREEMENTS

BOOK = ivrules.load(AGREEMENTS)
CASES = all_examples(BOOK)


@pytest.mark.parametrize(("agreement", "example"), CASES,
                         ids=[f"{a.region}@{a.revision}: {e.name}" for a, e in CASES])
def test_example(agreement: ivrules.engine.book.Agreement, example: ivrules.model.agreement.Example) -> None:
    problems = run_example(BOOK, agreement, example)
    if problems:
        pytest.fail(f"{agreement.path}: eksemplet '{example.name}'\n  " + "\n  ".join(problems), pytrace=False)


def test_every_agreement_has_examples() -> None:
    for region in BOOK.regions:
        for agreement in BOOK.agreements(region):
            assert agreement.examples, f"{agreement.path} has no examples"


def test_a_wrong_expectation_is_reported_readably() -> None:
    agreement, example = CASES[0]
    wrong = ivrules.model.agreement.Example(example.name, example.facts, {"eligible": not example.expect["eligible"]})
    problems = run_example(BOOK, agreement, wrong)
    assert problems and problems[0].startswith("eligible: forventet")
