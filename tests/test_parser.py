"""The rule language: what parses to what, and the friendly syntax errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import lark
import pytest

from ivrules.errors import AgreementError
from ivrules.lang import nodes as n
from ivrules.lang.parser import SYNTAX_ERRORS, parse_rule
from ivrules.lang.printer import to_source


def test_comparison_with_unit() -> None:
    assert parse_rule("alder > 3 år") == n.Compare(">", n.Name("alder"), n.Quantity(Decimal(3), "år"))


def test_unit_with_spaces_and_alias() -> None:
    assert parse_rule("doser_pr_døgn <= 3 doser pr. døgn").right == n.Quantity(Decimal(3), "doser pr. døgn")
    assert parse_rule("dage_uden_dosis < 2 dag").right == n.Quantity(Decimal(2), "dage")


def test_if_then_is_an_implication() -> None:
    rule = parse_rule("hvis behandling = antibiotika så system i {codan_mix_add, elastomerisk_pumpe}")
    assert isinstance(rule, n.Implies)
    assert rule.then == n.Member(n.Name("system"), (n.Name("codan_mix_add"), n.Name("elastomerisk_pumpe")))


def test_og_binds_tighter_than_eller() -> None:
    rule = parse_rule("a eller b og c")
    assert rule == n.Any_((n.Name("a"), n.All((n.Name("b"), n.Name("c")))))


def test_time_window_midnight_is_end_of_day() -> None:
    assert parse_rule("doseringstidspunkter inden for kl. 07-00") == n.Window(n.Name("doseringstidspunkter"), 420, 1440)


def test_dates_and_quoted_names() -> None:
    assert parse_rule("dato >= 2021-05-01").right == n.DateLit(dt.date(2021, 5, 1))
    assert parse_rule('kommune ikke i {"Lyngby-Taarbæk"}').items == (n.Text("Lyngby-Taarbæk"),)


def test_spans_point_into_the_text() -> None:
    rule = parse_rule("stabilt_forløb og alder > 3 år")
    assert isinstance(rule, n.All)
    span = rule.items[1].span
    assert span is not None and (span.start, span.end) == (18, 30)


def test_no_lark_tree_leaves_the_parser() -> None:
    rule = parse_rule("hvis a og ikke b så (c eller d i {x, \"y\"}) og e inden for kl. 07-22 og f >= 2020-01-01")
    for node in n.walk(rule):
        assert not isinstance(node, (lark.Tree, lark.Token)), node
        assert isinstance(node, n.NODE_TYPES)


@pytest.mark.parametrize("label", list(SYNTAX_ERRORS))
def test_each_friendly_syntax_error_matches_its_examples(label: str) -> None:
    for example in SYNTAX_ERRORS[label][1]:
        with pytest.raises(AgreementError) as caught:
            parse_rule(example)
        assert caught.value.diagnostics[0].message == label, example


def test_invalid_date_is_a_located_error() -> None:
    with pytest.raises(AgreementError) as caught:
        parse_rule("dato >= 2021-02-30")
    assert "ikke en gyldig dato" in caught.value.diagnostics[0].message


def test_an_installed_package_carries_the_grammar() -> None:
    from ivrules.lang.parser import _grammar_path

    path = _grammar_path()
    assert path.parents[2].name == "ivrules" and path.read_text(encoding="utf-8").startswith("// The ivrules")


@pytest.mark.parametrize(("words", "signs"), [
    ("alder er over 3 år", "alder > 3 år"),
    ("alder over 3 år", "alder > 3 år"),
    ("alder er mindst 4 år", "alder >= 4 år"),
    ("alder mindst 4 år", "alder >= 4 år"),
    ("alder under 18 år", "alder < 18 år"),
    ("doser_pr_døgn er højst 3 doser pr. døgn", "doser_pr_døgn <= 3 doser pr. døgn"),
    ("højst 3 doser pr. døgn er doser_pr_døgn", "højst 3 doser pr. døgn er doser_pr_døgn"),
    ("behandling er antibiotika", "behandling = antibiotika"),
    ("behandling er ikke kemoterapi", "behandling != kemoterapi"),
    ("dato fra og med 2021-05-01", "dato >= 2021-05-01"),
    ("dato er fra og med 2021-05-01", "dato >= 2021-05-01"),
    ("dato til og med 2021-12-31", "dato <= 2021-12-31"),
    ("dato efter 2021-04-30", "dato > 2021-04-30"),
    ("dato før 2021-05-01", "dato < 2021-05-01"),
    ("dato fra  og\tmed 2021-05-01", "dato >= 2021-05-01"),
    ("hvis behandling er antibiotika så doser_pr_døgn højst 3 doser pr. døgn",
     "hvis behandling = antibiotika så doser_pr_døgn <= 3 doser pr. døgn"),
])
def test_a_comparison_in_danish_words_is_the_rule_with_the_sign(words: str, signs: str) -> None:
    if words.startswith("højst"):  # a comparison starts with what is compared, not with the word
        with pytest.raises(AgreementError):
            parse_rule(words)
        return
    assert parse_rule(words) == parse_rule(signs)


def test_the_printer_writes_words_that_read_back() -> None:
    rule = parse_rule("alder > 3 år og dato >= 2021-05-01 og behandling != kemoterapi og "
                      "doser_pr_døgn <= 3 doser pr. døgn")
    words = to_source(rule, words=True)
    assert words == ("alder er over 3 år og dato fra og med 2021-05-01 og behandling er ikke kemoterapi og "
                     "doser_pr_døgn er højst 3 doser pr. døgn")
    assert parse_rule(words) == rule
