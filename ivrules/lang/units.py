"""The units of measure of the rule language: the one table the grammar, vocabulary, checker and printer read.

The grammar's ``UNIT`` terminal is built from this table when the parser is
built (``ivrules.lang.parser``); ``vocabulary.yaml`` may only give a fact one
of these units; the printer writes a quantity with the unit's singular form
and its dimension's Danish number format.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

# What a unit measures; the printer writes money as kroner and shares as percent.
Dimension = Literal["time", "count", "rate", "money", "share"]


class Unit(NamedTuple):
    """One unit: its canonical spelling (in rules, vocabulary and the AST) and how it is read and written."""

    name: str  # the canonical spelling: "dage"
    singular: str  # written after the number 1: "1 dag"
    dimension: Dimension
    example: str  # a quantity in this unit, for hints: "3 dage"
    aliases: tuple[str, ...] = ()  # other spellings a rule may use, read as ``name``: "2 dag"


UNITS: tuple[Unit, ...] = (
    Unit("år", "år", "time", "3 år"),
    Unit("dage", "dag", "time", "3 dage", aliases=("dag",)),
    Unit("doser", "dosis", "count", "3 doser"),
    Unit("doser pr. døgn", "dosis pr. døgn", "rate", "3 doser pr. døgn"),
    Unit("kr.", "kr.", "money", "2999 kr."),
    Unit("%", "%", "share", "70 %"),
    Unit("minutter", "minut", "time", "30 minutter"),
)
BY_NAME: dict[str, Unit] = {unit.name: unit for unit in UNITS}
# Every spelling a rule may use → the canonical unit.
BY_SPELLING: dict[str, Unit] = {s: u for u in UNITS for s in (u.name, *u.aliases)}
NAMES: tuple[str, ...] = tuple(BY_NAME)
MONEY = "kr."
PERCENT = "%"


def grammar_terminal() -> str:
    """The grammar's ``UNIT`` terminal: every spelling, longest first so "dage" is not read as "dag" + "e"."""
    spellings = sorted(BY_SPELLING, key=lambda s: (-len(s), s))
    return "UNIT: " + " | ".join(f'"{s}"' for s in spellings)


def spoken_list() -> str:
    """The canonical units as a Danish list: "år, dage, …, % og minutter"."""
    return ", ".join(NAMES[:-1]) + " og " + NAMES[-1]


def canonical(spelling: str) -> str:
    """The canonical name of a spelling the grammar accepted ("dag" → "dage")."""
    return BY_SPELLING[spelling].name


def example(name: str) -> str:
    """A quantity in a unit, for hints ("2999 kr."); "1 <unit>" for a unit outside the table."""
    unit = BY_NAME.get(name)
    return unit.example if unit else f"1 {name}"
