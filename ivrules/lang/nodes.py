"""The rule AST: small frozen dataclasses, each with the span it was read from.

Spans are left out of equality, so two rules compare structurally: the same
rule typed in two files, or in two revisions, is equal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, get_args

from ivrules.source import Span

# The comparison operators of the grammar's COMPARE terminal.
Op = Literal["=", "!=", "<", "<=", ">", ">="]
OPS: tuple[Op, ...] = get_args(Op)


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Name:
    """A fact of the vocabulary, or a named value of an enumerated fact."""

    term: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Text:
    """A quoted name, for values with spaces or hyphens ("Lyngby-Taarbæk")."""

    value: str
    span: Span | None = _span()


@dataclass(frozen=True)
class Quantity:
    """A number with an optional unit: ``3 år``, ``2999 kr.``, ``70 %``."""

    value: Decimal
    unit: str | None
    span: Span | None = _span()


@dataclass(frozen=True)
class DateLit:
    value: dt.date
    span: Span | None = _span()


@dataclass(frozen=True)
class Compare:
    op: Op
    left: Operand
    right: Operand
    span: Span | None = _span()


@dataclass(frozen=True)
class Member:
    """``operand i {a, b}``; ``negated`` for ``ikke i``."""

    operand: Operand
    items: tuple[Name | Text, ...]
    negated: bool = False
    span: Span | None = _span()


@dataclass(frozen=True)
class Window:
    """``operand inden for kl. 07-00``: every time of day lies in [start, end)."""

    operand: Operand
    start: int  # minutes after midnight
    end: int  # minutes after midnight; 00 as an end means 24:00
    span: Span | None = _span()


@dataclass(frozen=True)
class Not:
    item: Expr
    span: Span | None = _span()


@dataclass(frozen=True)
class All:
    items: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class Any_:
    items: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True)
class Implies:
    """``hvis condition så then``: true whenever the condition is false."""

    condition: Expr
    then: Expr
    span: Span | None = _span()


Operand = Name | Quantity | DateLit
Expr = Compare | Member | Window | Not | All | Any_ | Implies | Name
NODE_TYPES = (Name, Text, Quantity, DateLit, Compare, Member, Window, Not, All, Any_, Implies)


def children(node: object) -> tuple[object, ...]:
    """The direct sub-nodes of a node, for generic walks."""
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Member):
        return (node.operand, *node.items)
    if isinstance(node, Window):
        return (node.operand,)
    if isinstance(node, Not):
        return (node.item,)
    if isinstance(node, (All, Any_)):
        return node.items
    if isinstance(node, Implies):
        return (node.condition, node.then)
    return ()


def walk(node: object) -> list[object]:
    """Every node of a tree, parents before children."""
    out = [node]
    for child in children(node):
        out.extend(walk(child))
    return out
