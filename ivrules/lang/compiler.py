"""Checked AST → executable rule: a tree of closures, evaluated in three values.

Each compiled node is a function ``facts -> True | False | None`` (None:
unknown, a fact is missing). Logic is Kleene's: ``og`` is false as soon as
one part is false, ``eller`` true as soon as one part is true, and ``hvis A
så B`` is true whenever A is false — so a missing fact that cannot matter
never makes an answer unknown. Nothing is parsed or interpreted at
evaluation time, and no ``eval``/``exec`` is used.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ivrules.lang import nodes as n
from ivrules.lang.vocabulary import Vocabulary

Facts = dict[str, Any]
Fn = Callable[[Facts], "bool | None"]


@dataclass(frozen=True)
class Compiled:
    """One compiled node: its function, its compiled children, the facts it reads directly."""

    fn: Fn
    kids: tuple[Compiled, ...] = ()
    reads: tuple[str, ...] = ()

    def all_reads(self) -> set[str]:
        """Every fact this node or any part of it reads."""
        out = set(self.reads)
        for kid in self.kids:
            out |= kid.all_reads()
        return out

    def needed(self, facts: Facts) -> list[str]:
        """The missing facts that keep this node unknown (empty when it is decided)."""
        if self.fn(facts) is not None:
            return []
        out = [name for name in self.reads if name not in facts]
        for kid in self.kids:
            out.extend(x for x in kid.needed(facts) if x not in out)
        return out


def compile_rule(expr: n.Expr, vocab: Vocabulary) -> Compiled:
    """Compile one checked rule against the vocabulary it was checked with."""
    return _Compiler(vocab).node(expr)


class _Compiler:
    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab

    def node(self, expr: n.Expr) -> Compiled:
        method = getattr(self, "_" + type(expr).__name__.lower().rstrip("_"))
        result: Compiled = method(expr)
        return result

    def _all(self, expr: n.All) -> Compiled:
        kids = tuple(self.node(item) for item in expr.items)
        return Compiled(_all_of(tuple(k.fn for k in kids)), kids)

    def _any(self, expr: n.Any_) -> Compiled:
        kids = tuple(self.node(item) for item in expr.items)
        return Compiled(_any_of(tuple(k.fn for k in kids)), kids)

    def _not(self, expr: n.Not) -> Compiled:
        kid = self.node(expr.item)
        if isinstance(expr.item, n.Name):  # "ikke <fact>": one function, not two (the hot path)
            key = kid.reads[0]

            def fact_not(f: Facts) -> bool | None:
                v = f.get(key)
                return None if v is None else not v

            return Compiled(fact_not, (kid,))
        inner = kid.fn

        def fn(f: Facts) -> bool | None:
            v = inner(f)
            return None if v is None else not v

        return Compiled(fn, (kid,))

    def _implies(self, expr: n.Implies) -> Compiled:
        cond, then = self.node(expr.condition), self.node(expr.then)
        c, t = cond.fn, then.fn
        equal = self._fact_equals(expr.condition)
        if equal is not None:  # "hvis <fact> = <value> så …": the condition read here, one function fewer (hot path)
            key, value = equal

            def fact_implies(f: Facts) -> bool | None:
                v = f.get(key)
                if v is not None and v != value:
                    return True
                b = t(f)
                return True if b is True else None if v is None or b is None else False

            return Compiled(fact_implies, (cond, then))

        def fn(f: Facts) -> bool | None:
            a = c(f)
            if a is False:
                return True
            b = t(f)
            if b is True:
                return True
            return None if a is None or b is None else False

        return Compiled(fn, (cond, then))

    def _name(self, expr: n.Name) -> Compiled:
        key = self.vocab.by_term[expr.term].name
        return Compiled(lambda f: f.get(key), reads=(key,))

    def _member(self, expr: n.Member) -> Compiled:
        assert isinstance(expr.operand, n.Name)
        fact = self.vocab.by_term[expr.operand.term]
        values = frozenset(self._value(fact.term, item) for item in expr.items)
        key, negated = fact.name, expr.negated

        def fn(f: Facts) -> bool | None:
            v = f.get(key)
            return None if v is None else (v in values) is not negated

        return Compiled(fn, reads=(key,))

    def _window(self, expr: n.Window) -> Compiled:
        assert isinstance(expr.operand, n.Name)
        key, start, end = self.vocab.by_term[expr.operand.term].name, expr.start, expr.end

        def fn(f: Facts) -> bool | None:
            times = f.get(key)  # minutes since midnight: every time lies in the window when the first and last do
            return None if times is None else not times or (start <= min(times) and max(times) < end)

        return Compiled(fn, reads=(key,))

    def _compare(self, expr: n.Compare) -> Compiled:
        left, right = self._operand(expr.left, expr.right), self._operand(expr.right, expr.left)
        reads = tuple(k for k, _ in (left, right) if k is not None)
        if left[0] is not None and right[0] is None:
            return Compiled(_fact_vs_constant(expr.op, left[0], right[1]), reads=reads)
        if left[0] is None and right[0] is not None:
            return Compiled(_fact_vs_constant(FLIPPED[expr.op], right[0], left[1]), reads=reads)
        return Compiled(_fact_vs_fact(expr.op, left[0], right[0]), reads=reads)

    def _fact_equals(self, expr: n.Expr) -> tuple[str, Any] | None:
        """(fact name, constant) where ``expr`` is "<fact> = <constant>" either way round; None otherwise."""
        if not isinstance(expr, n.Compare) or expr.op != "=":
            return None
        (key, constant), (other_key, other) = self._operand(expr.left, expr.right), self._operand(expr.right, expr.left)
        if key is not None and other_key is None:
            return key, other
        if key is None and other_key is not None:
            return other_key, constant
        return None

    def _operand(self, op: n.Operand, other: n.Operand) -> tuple[str | None, Any]:
        """(fact name, None) for a fact; (None, constant) for a literal or named value."""
        if isinstance(op, n.Quantity):
            value = op.value
            return None, int(value) if value == value.to_integral_value() else value
        if isinstance(op, n.DateLit):
            return None, op.value
        fact = self.vocab.by_term.get(op.term)
        if fact is not None:
            return fact.name, None
        assert isinstance(other, n.Name)
        return None, self._value(other.term, op)

    def _value(self, fact_term: str, item: n.Name | n.Text) -> str:
        word = item.term if isinstance(item, n.Name) else item.value
        found = self.vocab.by_term[fact_term].value_by_term(word)
        return found.name if found else word


FLIPPED: dict[n.Op, n.Op] = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
OPERATORS: dict[n.Op, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _fact_vs_constant(op: n.Op, key: str, c: Any) -> Fn:
    return _VS_CONSTANT[op](key, c)


# Each comparison of a fact with a constant written out, without a call to ``operator`` (the hot path).
_VS_CONSTANT: dict[n.Op, Callable[[str, Any], Fn]] = {
    "=": lambda key, c: lambda f: None if (v := f.get(key)) is None else v == c,
    "!=": lambda key, c: lambda f: None if (v := f.get(key)) is None else v != c,
    "<": lambda key, c: lambda f: None if (v := f.get(key)) is None else v < c,
    "<=": lambda key, c: lambda f: None if (v := f.get(key)) is None else v <= c,
    ">": lambda key, c: lambda f: None if (v := f.get(key)) is None else v > c,
    ">=": lambda key, c: lambda f: None if (v := f.get(key)) is None else v >= c,
}


def _fact_vs_fact(op: n.Op, a: str | None, b: str | None) -> Fn:
    compare = OPERATORS[op]

    def fn(f: Facts) -> bool | None:
        x, y = f.get(a or ""), f.get(b or "")
        return None if x is None or y is None else compare(x, y)

    return fn


def _all_of(fns: tuple[Fn, ...]) -> Fn:
    def fn(f: Facts) -> bool | None:
        result: bool | None = True
        for part in fns:
            v = part(f)
            if v is False:
                return False
            if v is None:
                result = None
        return result

    return fn


def _any_of(fns: tuple[Fn, ...]) -> Fn:
    def fn(f: Facts) -> bool | None:
        result: bool | None = False
        for part in fns:
            v = part(f)
            if v is True:
                return True
            if v is None:
                result = None
        return result

    return fn
