"""Boundary values of facts, from the constants the rules mention.

Used to find rules that can never be true, and (by the revision diff) to build
cases systematically around every limit an agreement states.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from ivrules.lang import nodes as n
from ivrules.lang.vocabulary import Fact, Vocabulary

MAX_COMBINATIONS = 20_000


def constants_by_fact(exprs: Iterable[n.Expr], vocab: Vocabulary) -> dict[str, set[Any]]:
    """For each fact, the constants rules compare it with (as normalised values)."""
    out: dict[str, set[Any]] = {}
    for expr in exprs:
        for node in n.walk(expr):
            for fact, value in _pairs(node, vocab):
                out.setdefault(fact.name, set()).add(value)
    return out


def _pairs(node: object, vocab: Vocabulary) -> Iterator[tuple[Fact, Any]]:
    if isinstance(node, n.Compare):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            fact = vocab.by_term.get(a.term) if isinstance(a, n.Name) else None
            if fact is not None and isinstance(b, (n.Quantity, n.DateLit)):
                yield fact, b.value
            elif fact is not None and isinstance(b, n.Name) and b.term not in vocab.by_term:
                yield fact, b.term
    elif isinstance(node, n.Member) and isinstance(node.operand, n.Name):
        fact = vocab.by_term.get(node.operand.term)
        for item in node.items:
            if fact is not None:
                yield fact, item.term if isinstance(item, n.Name) else item.value
    elif isinstance(node, n.Window) and isinstance(node.operand, n.Name):
        fact = vocab.by_term.get(node.operand.term)
        if fact is not None:
            yield fact, (node.start, node.end)


def facts_of(exprs: Iterable[n.Expr], vocab: Vocabulary) -> list[Fact]:
    """The facts the expressions read, in vocabulary order."""
    terms = {t.term for expr in exprs for t in n.walk(expr) if isinstance(t, n.Name)}
    return [f for f in vocab.facts.values() if f.term in terms]


def raw_value(fact: Fact, value: Any) -> Any:
    """A normalised value back in the form a question gives it (JSON): the inverse of normalising."""
    if fact.type == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if fact.type == "times" and isinstance(value, tuple):
        return [f"{m // 60:02d}:{m % 60:02d}" for m in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def candidates(fact: Fact, constants: set[Any], vocab: Vocabulary) -> list[Any]:
    """Values of one fact that reach every side of every limit in ``constants``."""
    if fact.type == "bool":
        return [True, False]
    if fact.type == "enum":
        return [v.name for v in fact.values]
    if fact.type == "municipality":
        named = sorted(c for c in constants if c in vocab.municipalities)
        other = next((m for m in sorted(vocab.municipalities) if m not in named), None)
        return named + ([other] if other else [])
    if fact.type == "number":
        numbers = {Decimal(c) for c in constants if isinstance(c, (int, Decimal))} | {Decimal(0)}
        low, high = fact.limits or (0, None)
        return sorted({_plain(x + d) for x in numbers for d in (-1, 0, 1)
                       if x + d >= low and (high is None or x + d <= high) and not (fact.whole and x % 1)})
    if fact.type == "date":
        dates = {c for c in constants if isinstance(c, dt.date)}
        return sorted({day for d in dates for k in (-1, 0, 1) if (day := _shift(d, k)) is not None}) or [
            dt.date(2020, 1, 1)]
    if fact.type == "times":
        return _time_candidates(constants)
    return []


def _shift(day: dt.date, days: int) -> dt.date | None:
    """The day ``days`` away, or None beyond the calendar (year 1 to 9999)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return None


def _time_candidates(constants: set[Any]) -> list[tuple[int, ...]]:
    bounds = sorted({b for c in constants if isinstance(c, tuple) for b in c}) or [0, 24 * 60]
    points = sorted({(b + d) % (24 * 60) for b in bounds for d in (-1, 0)})
    return [()] + [(p,) for p in points]


def _plain(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def grid(facts: list[Fact], constants: dict[str, set[Any]], vocab: Vocabulary,
         limit: int = MAX_COMBINATIONS) -> Iterator[dict[str, Any]] | None:
    """Every combination of candidate values for ``facts``; None when there are too many."""
    pools = [candidates(f, constants.get(f.name, set()), vocab) for f in facts]
    size = 1
    for pool in pools:
        size *= max(len(pool), 1)
    if size > limit:
        return None
    names = [f.name for f in facts]
    return (dict(zip(names, combo, strict=True)) for combo in itertools.product(*pools))
