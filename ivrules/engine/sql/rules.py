"""Rule AST (``ivrules.lang.nodes``) → a sqlglot expression in three values (NULL: unknown).

SQL's ``AND``/``OR``/``NOT`` with NULL are Kleene's logic, the logic of the
scalar compiler (``ivrules.lang.compiler``): ``hvis A så B`` is ``NOT A OR B``.
Facts are read through ``Facts``: a fact the table does not hold is NULL.
``needed`` gives, for a rule, the missing facts that keep it unknown, each
with the SQL condition under which it is named (the scalar ``Compiled.needed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from sqlglot import exp

from ivrules.errors import IvrulesError
from ivrules.lang import nodes as n
from ivrules.lang.vocabulary import Vocabulary

Facts = Callable[[str], exp.Expression]  # a fact's name → its typed column (or NULL)


class SqlCompileError(IvrulesError):
    """A rule the SQL compiler cannot express; names the rule, so no answer silently differs."""

    def __init__(self, rule: str, what: str) -> None:
        self.rule = rule
        super().__init__(f"reglen '{rule}' kan ikke oversættes til SQL: {what}")


def literal(value: Any) -> exp.Expression:
    """A Python constant as a quoted SQL literal (text, number, date, boolean)."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, Decimal)):
        text = str(value)
        return exp.Literal.number(text) if "E" not in text.upper() else exp.Literal.number(format(value, "f"))
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"no SQL literal for {value!r}")


def and_(*parts: exp.Expression) -> exp.Expression:
    """Kleene conjunction (SQL ``AND``)."""
    return cast(exp.Expression, exp.and_(*parts))


def or_(*parts: exp.Expression) -> exp.Expression:
    """Kleene disjunction (SQL ``OR``)."""
    return cast(exp.Expression, exp.or_(*parts))


def one_of(e: exp.Expression, numbers: list[int]) -> exp.Expression:
    """``e`` is one of the integers: a comparison for each run of consecutive ones (``BETWEEN``), not an IN list,
    which DuckDB makes a join against a constant table where it is long."""
    runs: list[list[int]] = []
    for k in sorted(set(numbers)):
        if runs and runs[-1][1] + 1 == k:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    return or_(*(exp.EQ(this=e.copy(), expression=literal(a)) if a == b else
                 exp.Between(this=e.copy(), low=literal(a), high=literal(b)) for a, b in runs))


def is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=exp.paren(e, copy=True), expression=exp.Null())


def kleene_not(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.paren(e, copy=True))


OPS: dict[n.Op, type[exp.Binary]] = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
                                     ">=": exp.GTE}
FLIPPED: dict[n.Op, n.Op] = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}


class RuleCompiler:
    """Compiles the rules of one vocabulary; ``times`` builds the dialect's 'every time lies in [start, end)'."""

    def __init__(self, vocab: Vocabulary, facts: Facts,
                 times: Callable[[exp.Expression, int, int], exp.Expression]) -> None:
        self.vocab, self.facts, self.times = vocab, facts, times

    def rule(self, rule_id: str, expr: n.Expr) -> exp.Expression:
        try:
            return self.node(expr)
        except (KeyError, AssertionError, TypeError) as exc:
            raise SqlCompileError(rule_id, f"{type(expr).__name__}: {exc}") from None

    def node(self, expr: n.Expr) -> exp.Expression:
        if isinstance(expr, n.All):
            return exp.paren(and_(*(self.node(i) for i in expr.items)), copy=False)
        if isinstance(expr, n.Any_):
            return exp.paren(or_(*(self.node(i) for i in expr.items)), copy=False)
        if isinstance(expr, n.Not):
            return kleene_not(self.node(expr.item))
        if isinstance(expr, n.Implies):
            return exp.paren(or_(kleene_not(self.node(expr.condition)), self.node(expr.then)), copy=False)
        if isinstance(expr, n.Name):
            return self.facts(self.vocab.by_term[expr.term].name)
        if isinstance(expr, n.Member):
            return self._member(expr)
        if isinstance(expr, n.Window):
            assert isinstance(expr.operand, n.Name)
            return self.times(self.facts(self.vocab.by_term[expr.operand.term].name), expr.start, expr.end)
        if isinstance(expr, n.Compare):
            return self._compare(expr)
        raise TypeError(f"ukendt knude {type(expr).__name__}")

    def _member(self, expr: n.Member) -> exp.Expression:
        assert isinstance(expr.operand, n.Name)
        fact = self.vocab.by_term[expr.operand.term]
        values = sorted({self._value(fact.term, item) for item in expr.items})
        found = exp.In(this=self.facts(fact.name), expressions=[literal(v) for v in values])
        return exp.paren(kleene_not(found) if expr.negated else found, copy=False)

    def _compare(self, expr: n.Compare) -> exp.Expression:
        left, right = self._operand(expr.left, expr.right), self._operand(expr.right, expr.left)
        return exp.paren(OPS[expr.op](this=left, expression=right), copy=False)

    def _operand(self, op: n.Operand, other: n.Operand) -> exp.Expression:
        if isinstance(op, n.Quantity):
            value = op.value
            return literal(int(value) if value == value.to_integral_value() else value)
        if isinstance(op, n.DateLit):
            return literal(op.value)
        fact = self.vocab.by_term.get(op.term)
        if fact is not None:
            return self.facts(fact.name)
        assert isinstance(other, n.Name), "en værdi skal sammenlignes med et faktum"
        return literal(self._value(other.term, op))

    def _value(self, fact_term: str, item: n.Name | n.Text) -> str:
        word = item.term if isinstance(item, n.Name) else item.value
        found = self.vocab.by_term[fact_term].value_by_term(word)
        return found.name if found else word

    def reads(self, expr: n.Expr) -> tuple[str, ...]:
        """The facts a node reads directly (the scalar ``Compiled.reads``)."""
        if isinstance(expr, n.Name):
            return (self.vocab.by_term[expr.term].name,)
        if isinstance(expr, (n.Member, n.Window)):
            assert isinstance(expr.operand, n.Name)
            return (self.vocab.by_term[expr.operand.term].name,)
        if isinstance(expr, n.Compare):
            return tuple(self.vocab.by_term[o.term].name for o in (expr.left, expr.right)
                         if isinstance(o, n.Name) and o.term in self.vocab.by_term)
        return ()

    def needed(self, expr: n.Expr, above: exp.Expression | None = None) -> list[tuple[str, exp.Expression]]:
        """(fact, condition) in the scalar ``needed`` order: the fact is named where its condition holds."""
        unknown = is_null(self.node(expr))
        here = unknown if above is None else and_(above, unknown)
        out = [(name, and_(here, is_null(self.facts(name)))) for name in self.reads(expr)]
        kids: tuple[Any, ...] = n.children(expr) if not isinstance(expr, (n.Member, n.Compare, n.Window)) else ()
        for kid in kids:
            out.extend(self.needed(kid, here))
        return out
