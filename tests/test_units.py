"""The one table of units: the grammar, the vocabulary, the printer and tariff amounts read it."""

from __future__ import annotations

from decimal import Decimal

import pytest

import ivrules
from ivrules.errors import AgreementError
from ivrules.lang import nodes as n
from ivrules.lang import units
from ivrules.lang.parser import AMOUNT_ERRORS, grammar_parser, parse_amount, parse_rule
from ivrules.lang.printer import to_danish, to_source


def test_the_grammar_accepts_exactly_the_spellings_of_the_table() -> None:
    terminal = next(t for t in grammar_parser().terminals if t.name == "UNIT")
    pattern = terminal.pattern.to_regexp()
    assert pattern.startswith("(?:") and pattern.endswith(")")
    accepted = {alt.replace("\\", "") for alt in pattern[3:-1].split("|")}
    assert accepted == set(units.BY_SPELLING)


@pytest.mark.parametrize("spelling", sorted(units.BY_SPELLING))
def test_every_spelling_parses_to_its_canonical_unit(spelling: str) -> None:
    rule = parse_rule(f"alder > 2 {spelling}")
    assert isinstance(rule, n.Compare)
    assert rule.right == n.Quantity(Decimal(2), units.canonical(spelling))
    assert parse_rule(to_source(rule)) == rule


@pytest.mark.parametrize("unit", units.UNITS, ids=lambda u: u.name)
def test_the_printer_writes_singular_and_plural_from_the_table(unit: units.Unit, book: ivrules.Book) -> None:
    one, two = (to_danish(parse_rule(f"alder > {k} {unit.name}"), book.vocabulary) for k in (1, 2))
    if unit.dimension == "money":
        assert one.endswith(" 1,00 kr..") and two.endswith(" 2,00 kr..")  # money to the øre; the full stop follows
    else:
        assert one.endswith(f"1 {unit.singular}.") and two.endswith(f"2 {unit.name}.")


def test_an_amount_is_parsed_from_its_own_start_symbol() -> None:
    assert parse_amount("2999 kr.") == n.Quantity(Decimal(2999), "kr.")
    assert parse_amount("70 %") == n.Quantity(Decimal(70), "%")
    assert parse_amount("12.5") == n.Quantity(Decimal("12.5"), None)


@pytest.mark.parametrize("label", list(AMOUNT_ERRORS))
def test_each_friendly_amount_error_matches_its_examples(label: str) -> None:
    for example in AMOUNT_ERRORS[label][1]:
        with pytest.raises(AgreementError) as caught:
            parse_amount(example)
        assert caught.value.diagnostics[0].message == label, example
