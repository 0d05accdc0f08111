"""Book + date → the regions side by side, topic by topic (``ivrules compare``).

Nothing here is a hand-kept table: the topics are vocabulary.yaml's
``topics:`` (``ivrules.model.topics``) and each cell is derived from the
revision in force on the date. A rule belongs to the first topic whose facts
it reads (so "hvis behandling = antibiotika så doser_pr_døgn <= 3" is about
doses, not treatments); its text is the rule's own Danish sentence
(``to_danish``) and its limits the constants the rules compare the facts with
(``constants_by_fact``). Tariffs and the split come from the tariff model. A
topic no rule speaks to is "ukendt", with the agreement's own unknowns about it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.errors import LookupError_
from ivrules.lang import nodes as n
from ivrules.lang.cases import constants_by_fact
from ivrules.lang.printer import to_danish
from ivrules.lang.vocabulary import Topic, Vocabulary
from ivrules.model.agreement import Agreement, Rule
from ivrules.model.tariff import Amount, Band, Financing, Schedule, Tariff
from ivrules.site.sources import Source, cite

UNKNOWN = "ukendt"


@dataclass
class Cell:
    """What one region's revision says about one topic."""

    status: str  # "stated", "unknown" or "no_agreement"
    texts: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    limits: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "texts": self.texts, "rules": self.rules, "unknowns": self.unknowns,
                "limits": self.limits}


@dataclass(frozen=True)
class Column:
    """One region: the revision in force on the date, or why there is none."""

    region: str
    revision: str | None
    title: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "revision": self.revision, "title": self.title, "note": self.note}


@dataclass(frozen=True)
class Comparison:
    """The regions side by side on one date."""

    date: dt.date
    columns: tuple[Column, ...]
    rows: tuple[tuple[Topic, dict[str, Cell]], ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``ivrules compare --json``."""
        return {
            "date": self.date.isoformat(),
            "regions": [c.to_dict() for c in self.columns],
            "topics": [{"id": t.id, "title": t.title, "cells": {r: c.to_dict() for r, c in cells.items()}}
                       for t, cells in self.rows],
        }

    def to_text(self, names: Mapping[str, str], sources: Mapping[str, Source]) -> str:
        """The comparison for a terminal: one block per topic, one line (or more) per region.

        ``names``: each region's Danish name; ``sources``: what the texts cite by a key, named instead."""
        width = max(len(names[c.region]) for c in self.columns) + 2
        out = [f"Regionernes aftaler den {danish.date(self.date)}", ""]
        for column in self.columns:
            revision = f"aftalen af {danish.iso_date(column.revision)}" if column.revision else ""
            out.append(f"  {names[column.region]:<{width}}{revision or 'ingen aftale'}  {column.title}".rstrip())
            if column.note:
                out.append(f"  {'':<{width}}{cite(column.note, sources)}")
        for topic, cells in self.rows:
            out += ["", topic.title]
            for region, cell in cells.items():
                lines = [cite(line, sources) for line in _cell_lines(cell)]
                out.append(f"  {names[region]:<{width}}{lines[0]}")
                out.extend(f"  {'':<{width}}{line}" for line in lines[1:])
        return "\n".join(out)


def _cell_lines(cell: Cell) -> list[str]:
    if cell.status == "no_agreement":
        return ["ingen aftale"]
    head = cell.texts if cell.status == "stated" else [UNKNOWN]
    return head + [f"  {UNKNOWN}: {u}" if cell.status == "stated" else f"  {u}" for u in cell.unknowns]


def compare(book: Book, on: dt.date) -> Comparison:
    """Every region's revision in force on ``on``, topic by topic."""
    columns: list[Column] = []
    agreements: dict[str, Agreement | None] = {}
    for region in book.regions:
        agreement, column = _column(book, region, on)
        columns.append(column)
        agreements[region] = agreement
    rows = tuple((topic, {region: _cell(topic, agreement, book.vocabulary) if agreement else Cell("no_agreement")
                          for region, agreement in agreements.items()}) for topic in book.vocabulary.topics)
    return Comparison(on, tuple(columns), rows)


def _column(book: Book, region: str, on: dt.date) -> tuple[Agreement | None, Column]:
    uncertain = book.uncertain(region, on)
    window = uncertain.agreement.in_force_unknown if uncertain is not None else None
    doubt = (f"{UNKNOWN.capitalize()}, om udgaven af {danish.date(uncertain.agreement.effective)} gjaldt: "
             f"{window.unknown.text}" if uncertain is not None and window is not None else "")
    try:
        agreement = book.agreement(region, on)
    except LookupError_ as exc:
        return None, Column(region, None, "", doubt or str(exc))
    line = book.accession.line_for(region, agreement.effective)
    note = ""
    if line is not None and not (line.all_from is not None and on >= line.all_from):
        note = "Gælder kommuner, der har tiltrådt aftalen"
        note += f"; de øvrige følger udgaven af {danish.date(line.fallback)}." if line.fallback else "."
    return agreement, Column(region, agreement.revision, agreement.title, " ".join(filter(None, (note, doubt))))


def _cell(topic: Topic, agreement: Agreement, vocab: Vocabulary) -> Cell:
    # An unknown about no fact (the 2023 standards, a trial's length) is shown with the other requirements.
    unknowns = [u.text for u in agreement.unknowns
                if u.about in topic.about or (not u.about and topic.catches == "other")]
    if topic.model == "tariff" and agreement.tariff is not None:
        unknowns = list(dict.fromkeys([*unknown_amounts(agreement.tariff), *unknowns]))
        if all(s.unknown is not None for s in agreement.tariff.schedules):
            return Cell("unknown", unknowns=unknowns)
        return Cell("stated", tariff_texts(agreement.tariff), unknowns=unknowns)
    if topic.model == "financing" and agreement.tariff is not None:
        return Cell("stated", financing_texts(agreement.tariff))
    rules = [r for r in agreement.rules if topic_of(r, vocab) is topic]
    if rules:
        return Cell("stated", [rule_text(r, vocab) for r in rules], [r.id for r in rules],
                    limits=_limits(rules, topic, vocab), unknowns=unknowns)  # what the rules leave open
    return Cell("unknown", unknowns=unknowns)


def topic_of(rule: Rule, vocab: Vocabulary) -> Topic | None:
    """The topic a rule belongs to: the first whose facts it reads; otherwise the one that catches its kind
    (a condition without a rule, a negation, any other rule). None only when the vocabulary has no topics."""
    if rule.expr is None:
        return _catching("without_rule", vocab)
    read = facts_read(rule.expr, vocab)
    found = next((t for t in vocab.topics if read & set(t.facts)), None)
    if found is not None:
        return found
    negated = isinstance(rule.expr, n.Not) or getattr(rule.expr, "negated", False)
    return _catching("negated" if negated else "other", vocab)


def _catching(kind: str, vocab: Vocabulary) -> Topic | None:
    return next((t for t in vocab.topics if t.catches == kind), None)


def facts_read(expr: n.Expr, vocab: Vocabulary) -> set[str]:
    """The JSON names of the facts an expression mentions."""
    return {vocab.by_term[x.term].name for x in n.walk(expr) if isinstance(x, n.Name) and x.term in vocab.by_term}


def rule_text(rule: Rule, vocab: Vocabulary) -> str:
    """A requirement as its Danish sentence; a condition with the situation it applies in."""
    if rule.kind != "condition":
        return to_danish(rule.expr, vocab) if rule.expr is not None else rule.explain
    when = to_danish(rule.expr, vocab).rstrip(".") if rule.expr is not None else ""
    return f"Betingelse{' når ' + when[:1].lower() + when[1:] if when else ''}: {rule.condition}."


def _limits(rules: Iterable[Rule], topic: Topic, vocab: Vocabulary) -> dict[str, list[str]]:
    found = constants_by_fact([r.expr for r in rules if r.expr is not None], vocab)
    return {name: sorted(_plain(v) for v in values) for name, values in found.items() if name in topic.facts}


def _plain(value: object) -> str:
    if isinstance(value, tuple):
        return "-".join(danish.clock(int(x)) for x in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def tariff_texts(tariff: Tariff) -> list[str]:
    """The tariff model in Danish: each schedule with its bands, categories or rate, then the billing rules."""
    out = [f"{s.title}: {'; '.join(_schedule_parts(s))}" for s in tariff.schedules]
    if tariff.beyond is not None:
        out.append(tariff.beyond.text)
    out.extend(rule.text for rule in tariff.rules)
    return out


def _schedule_parts(schedule: Schedule) -> list[str]:
    if schedule.bands:
        return [_band(b) for b in schedule.bands]
    if schedule.categories:
        return [f"kategori {c.value}: {_amount(c.amount)}" for c in schedule.categories]
    if schedule.per_minute is not None:
        return [f"{_amount(schedule.per_minute)} pr. registreret minut"]
    return [UNKNOWN]


def unknown_amounts(tariff: Tariff) -> list[str]:
    """The texts of every amount (or whole schedule) the tariff leaves unknown."""
    amounts = [a for s in tariff.schedules for a in (*(b.amount for b in s.bands), *(c.amount for c in s.categories),
                                                     s.per_minute, s.unknown) if a is not None]
    return list(dict.fromkeys(a.unknown for a in amounts if a.unknown))


def _band(band: Band) -> str:
    days = f"dag {band.from_day}" if band.from_day == band.to_day else f"dag {band.from_day}-{band.to_day}"
    return f"{days}: {_amount(band.amount)}{' pr. dag' if band.per_day else ' for forløbet'}"


def _amount(amount: Amount) -> str:
    return danish.kroner(amount.value) if amount.value is not None else UNKNOWN


def financing_texts(tariff: Tariff) -> list[str]:
    """The financing split, and any category with a split of its own."""
    out = [_split(tariff.financing)] if _known(tariff.financing) else []
    for schedule in tariff.schedules:
        out.extend(f"kategori {c.value}: {_split(c.financing)}" for c in schedule.categories
                   if c.financing is not None and _known(c.financing))
    return out


def _split(financing: Financing) -> str:
    return f"regionen {danish.number(financing.region)} %, kommunen {danish.number(financing.kommune)} %"


def _known(financing: Financing) -> bool:
    return financing.region + financing.kommune == Decimal(100)
