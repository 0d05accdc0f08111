"""Properties of the parser, the compiler and the evaluator (hypothesis)."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import ivrules
from ivrules.errors import AgreementError, FactsError
from ivrules.lang import nodes as n
from ivrules.lang.compiler import compile_rule
from ivrules.lang.parser import grammar_parser, parse_rule
from ivrules.lang.printer import to_source
from tests.conftest import AGREEMENTS, ANTIBIOTICS_COURSE

BOOK = ivrules.load(AGREEMENTS)
VOCAB = BOOK.vocabulary
KEYWORDS = {"hvis", "så", "og", "eller", "ikke", "i", "inden", "for"}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- parser


@FAST
@given(from_lark(grammar_parser(), start="start"))
def test_generated_rule_text_never_crashes_the_parser(text: str) -> None:
    try:
        parse_rule(text)
    except AgreementError as exc:
        assert exc.diagnostics and exc.diagnostics[0].span is not None


@FAST
@given(st.text(alphabet=st.sampled_from(list("alderogikkeså >=<{},()\"'-:.0123456789kr%æøå\n")), max_size=40))
def test_arbitrary_text_gives_only_our_error(text: str) -> None:
    with contextlib.suppress(AgreementError):
        parse_rule(text)


names = st.from_regex(r"[a-zæøå_][a-z0-9æøå_]{0,8}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
units = st.sampled_from([None, "år", "dage", "doser", "doser pr. døgn", "kr.", "%", "minutter"])
quantities = st.builds(n.Quantity, st.decimals(min_value=0, max_value=10_000, places=2).map(Decimal.normalize)
                       .map(lambda d: d if d == d.to_integral_value() or d.as_tuple().exponent < 0 else d.quantize(1)),
                       units)
dates = st.builds(n.DateLit, st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)))
operands = st.one_of(st.builds(n.Name, names), quantities, dates)
atoms = st.one_of(
    st.builds(n.Name, names),
    st.builds(n.Compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), operands, operands),
    st.builds(n.Member, st.builds(n.Name, names),
              st.lists(st.one_of(st.builds(n.Name, names), st.builds(n.Text, st.from_regex(r'[A-Za-zæøå -]{1,10}',
                                                                                           fullmatch=True))),
                       min_size=1, max_size=3).map(tuple), st.booleans()),
    st.builds(n.Window, st.builds(n.Name, names), st.integers(0, 23).map(lambda h: h * 60),
              st.integers(1, 24).map(lambda h: h * 60)),
)
exprs = st.recursive(atoms, lambda inner: st.one_of(
    st.builds(n.Not, inner),
    st.builds(n.All, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    st.builds(n.Any_, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    st.builds(n.Implies, inner, inner),
), max_leaves=8)


@FAST
@given(exprs)
def test_print_then_parse_round_trips(expr: n.Expr) -> None:
    assert parse_rule(to_source(expr)) == expr


@FAST
@given(from_lark(grammar_parser(), start="start"))
def test_parse_print_parse_is_stable(text: str) -> None:
    try:
        first = parse_rule(text)
    except AgreementError:
        return
    assert parse_rule(to_source(first)) == first


# ---------------------------------------------------------------- compiler vs. a plain reference evaluator


def reference(expr: object, facts: dict[str, Any]) -> bool | None:
    """A deliberately naive three-valued interpreter of the AST."""
    if isinstance(expr, n.All):
        values = [reference(e, facts) for e in expr.items]
        return False if False in values else (None if None in values else True)
    if isinstance(expr, n.Any_):
        values = [reference(e, facts) for e in expr.items]
        return True if True in values else (None if None in values else False)
    if isinstance(expr, n.Not):
        value = reference(expr.item, facts)
        return None if value is None else not value
    if isinstance(expr, n.Implies):
        return reference(n.Any_((n.Not(expr.condition), expr.then)), facts)
    return compile_rule(expr, VOCAB).fn(facts)  # atoms: one comparison each


RULE_TEXTS = [r.source_text for a in BOOK.agreements("midtjylland") for r in a.rules if r.expr is not None]
facts_strategy = st.fixed_dictionaries({}, optional={
    "age_years": st.integers(0, 110), "treatment": st.sampled_from([v.name for v in VOCAB.facts["treatment"].values]),
    "doses_per_day": st.integers(0, 6), "system": st.sampled_from([v.name for v in VOCAB.facts["system"].values]),
    "access": st.sampled_from([v.name for v in VOCAB.facts["access"].values]), "started_in_hospital": st.booleans(),
    "doses_given_in_hospital": st.integers(0, 4), "medically_stable": st.booleans(), "home_suitable": st.booleans(),
    "on_island": st.booleans(), "dose_times": st.lists(st.integers(0, 1439), max_size=4).map(tuple),
})
combined = st.lists(st.sampled_from(RULE_TEXTS), min_size=1, max_size=4).flatmap(
    lambda texts: st.sampled_from([" og ", " eller "]).map(lambda op: op.join(f"({t})" for t in texts)))


@FAST
@given(combined, facts_strategy)
def test_compiled_rule_agrees_with_reference(text: str, facts: dict[str, Any]) -> None:
    expr = parse_rule(text)
    assert compile_rule(expr, VOCAB).fn(facts) == reference(expr, facts)


# ---------------------------------------------------------------- evaluation

raw_values = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.text(max_size=12),
                       st.sampled_from(["2020-09-01", "07:00", "antibiotics", "PVK", "Aarhus", "Samsø"]),
                       st.lists(st.sampled_from(["07:00", "15:00", "25:00", "x"]), max_size=3))
raw_facts = st.dictionaries(st.sampled_from([*VOCAB.facts, "cpr", "name"]), raw_values, max_size=10)


@FAST
@given(raw_facts)
def test_random_facts_never_crash_evaluation(raw: dict[str, Any]) -> None:
    try:
        answer = BOOK.eligibility("midtjylland", {"date": "2020-09-01", **raw})
    except (FactsError, ivrules.NoRevisionError) as exc:
        assert str(exc)
    else:
        assert answer.eligible in (True, False, None)
        assert answer.to_dict()["eligible"] is answer.eligible


@FAST
@given(st.sets(st.sampled_from(sorted(set(ANTIBIOTICS_COURSE) - {"date"}))), st.data())
def test_adding_a_fact_never_undecides_an_answer(dropped: set[str], data: st.DataObject) -> None:
    partial = {k: v for k, v in ANTIBIOTICS_COURSE.items() if k not in dropped}
    before = BOOK.eligibility("midtjylland", partial)
    typed = BOOK.normalise(partial)
    addable = sorted(k for k in dropped if k not in typed)
    if not addable:
        return
    key = data.draw(st.sampled_from(addable))
    after = BOOK.eligibility("midtjylland", {**partial, key: ANTIBIOTICS_COURSE[key]})
    if before.eligible is not None:
        assert after.eligible is before.eligible
    assert set(after.missing) <= set(before.missing) | set(dropped)
