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
from ivrules.lang.printer import WORDS_RESERVED, to_source
from tests.conftest import AGREEMENTS, ANTIBIOTICS_COURSE, examples

BOOK = ivrules.load(AGREEMENTS)
VOCAB = BOOK.vocabulary
KEYWORDS = {"hvis", "så", "og", "eller", "ikke", "i", "inden", "for"}
# 150 examples in the ci profile, fewer locally (see tests/conftest.py).
FAST = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])

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


# Names, now and then one of the words of a comparison ("over", "er", "fra" …): still names where they stand.
names = st.one_of(st.from_regex(r"[a-zæøå_][a-z0-9æøå_]{0,8}", fullmatch=True).filter(lambda s: s not in KEYWORDS),
                  st.sampled_from(sorted(WORDS_RESERVED - KEYWORDS)))
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
@given(exprs, st.booleans())
def test_print_then_parse_round_trips(expr: n.Expr, words: bool) -> None:
    """Signs or Danish words ("alder er over 3 år", "dato fra og med 2021-05-01"): the printed rule reads back the
    same (spans are not compared)."""
    assert parse_rule(to_source(expr, words=words)) == expr


@FAST
@given(from_lark(grammar_parser(), start="start"))
def test_parse_print_parse_is_stable(text: str) -> None:
    try:
        first = parse_rule(text)
    except AgreementError:
        return
    assert parse_rule(to_source(first)) == first
    assert parse_rule(to_source(first, words=True)) == first


# ---------------------------------------------------------------- compiler vs. a plain reference evaluator


# Kleene's three values ordered false < unknown < true: "og" is the least of its parts, "eller" the greatest.
RANK = {False: 0, None: 1, True: 2}


def kleene_and(values: list[bool | None]) -> bool | None:
    return min(values, key=RANK.__getitem__, default=True)


def kleene_or(values: list[bool | None]) -> bool | None:
    return max(values, key=RANK.__getitem__, default=False)


def reference(expr: object, facts: dict[str, Any]) -> bool | None:
    """A deliberately naive three-valued interpreter of the AST; it shares no code with the compiler."""
    if isinstance(expr, n.All):
        return kleene_and([reference(e, facts) for e in expr.items])
    if isinstance(expr, n.Any_):
        return kleene_or([reference(e, facts) for e in expr.items])
    if isinstance(expr, n.Not):
        value = reference(expr.item, facts)
        return None if value is None else not value
    if isinstance(expr, n.Implies):
        return reference(n.Any_((n.Not(expr.condition), expr.then)), facts)
    return reference_atom(expr, facts)


def reference_atom(expr: object, facts: dict[str, Any]) -> bool | None:
    """A fact read as a truth value, a comparison, a membership or a time window; unknown if a fact is missing."""
    if isinstance(expr, n.Name):
        return facts.get(VOCAB.by_term[expr.term].name)
    if isinstance(expr, n.Member):
        assert isinstance(expr.operand, n.Name)
        value = facts.get(VOCAB.by_term[expr.operand.term].name)
        if value is None:
            return None
        inside = any(value == named_value(expr.operand.term, item) for item in expr.items)
        return not inside if expr.negated else inside
    if isinstance(expr, n.Window):
        assert isinstance(expr.operand, n.Name)
        times = facts.get(VOCAB.by_term[expr.operand.term].name)
        return None if times is None else all(expr.start <= t < expr.end for t in times)
    assert isinstance(expr, n.Compare), expr
    left, right = operand(expr.left, expr.right, facts), operand(expr.right, expr.left, facts)
    return None if left is None or right is None else compare(expr.op, left, right)


def operand(op: n.Operand, other: n.Operand, facts: dict[str, Any]) -> Any:
    """The value of one side of a comparison: a number, a date, a fact's value or a named value."""
    if isinstance(op, (n.Quantity, n.DateLit)):
        return op.value  # a Decimal compares with the int facts as it is
    fact = VOCAB.by_term.get(op.term)
    if fact is not None:
        return facts.get(fact.name)
    assert isinstance(other, n.Name)
    return named_value(other.term, op)


def named_value(fact_term: str, item: n.Name | n.Text) -> str:
    word = item.term if isinstance(item, n.Name) else item.value
    for value in VOCAB.by_term[fact_term].values:
        if word in (value.name, value.term):
            return value.name
    return word


def compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    assert op == ">=", op
    return bool(left >= right)


def test_the_reference_evaluator_decides_by_itself() -> None:
    # Guards the property below: a reference that agreed with anything would make it pass vacuously.
    rule = parse_rule("alder >= 18 år og behandling i {antibiotika}")
    assert reference(rule, {"age_years": 17, "treatment": "antibiotics"}) is False
    assert reference(rule, {"age_years": 18, "treatment": "antibiotics"}) is True
    assert reference(rule, {"treatment": "antibiotics"}) is None
    assert reference(rule, {"age_years": 17}) is False
    assert reference(parse_rule("doser_pr_døgn > 2 eller alder < 3 år"), {"doses_per_day": 3}) is True
    window = parse_rule("doseringstidspunkter inden for kl. 07-23")
    assert [reference(window, {"dose_times": t}) for t in [(420, 900), (420, 1380), None]] == [True, False, None]


RULE_TEXTS = [r.source_text for a in BOOK.agreements("midtjylland") for r in a.rules if r.expr is not None]
# The rules' own numbers and their neighbours, so that boundaries (> against >=) are hit often.
BOUNDARIES = sorted({int(q.value) + d for t in RULE_TEXTS for q in n.walk(parse_rule(t)) if isinstance(q, n.Quantity)
                     for d in (-1, 0, 1)})
facts_strategy = st.fixed_dictionaries({}, optional={
    "age_years": st.one_of(st.sampled_from(BOUNDARIES), st.integers(0, 110)),
    "treatment": st.sampled_from([v.name for v in VOCAB.facts["treatment"].values]),
    "doses_per_day": st.integers(0, 6), "system": st.sampled_from([v.name for v in VOCAB.facts["system"].values]),
    "access": st.sampled_from([v.name for v in VOCAB.facts["access"].values]), "started_in_hospital": st.booleans(),
    "doses_given_in_hospital": st.one_of(st.sampled_from(BOUNDARIES), st.integers(0, 4)),
    "medically_stable": st.booleans(), "home_suitable": st.booleans(),
    "on_island": st.booleans(), "dose_times": st.lists(st.integers(0, 1439), max_size=4).map(tuple),
})
combined = st.lists(st.sampled_from(RULE_TEXTS), min_size=1, max_size=4).flatmap(
    lambda texts: st.sampled_from([" og ", " eller "]).map(lambda op: op.join(f"({t})" for t in texts)))


@FAST
@given(combined, facts_strategy)
def test_compiled_rule_agrees_with_reference(text: str, facts: dict[str, Any]) -> None:
    # Every part on its own too: in a whole rule, one part's error is often hidden by another's value.
    for part in n.walk(parse_rule(text)):
        if isinstance(part, (n.Compare, n.Member, n.Window, n.Not, n.All, n.Any_, n.Implies)):
            assert compile_rule(part, VOCAB).fn(facts) is reference(part, facts), part


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
        typed = BOOK.normalise({"date": "2020-09-01", **raw})
        assert answer.outcomes == [reference(rule.expr, typed) for rule in answer.rules]
        assert answer.eligible is kleene_and(answer.outcomes)
        assert (answer.missing == []) is (answer.eligible is not None)
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
