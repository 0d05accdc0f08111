"""Rows of a register of courses → settled courses by municipality and quarter, and rejected rows, on DuckDB.

The register has one course a row: a ``course_id`` column and columns named
like the facts (``municipality``, ``start_date``, ``end_date``, ``treatment``,
``tyngdekategori`` …; an empty cell is a missing fact). Settlement prices the
whole register at once with the region's rules compiled to SQL
(``ivrules.engine.sql``), the same rules ``Book.tariff`` runs for one course
(a property test holds them equal, row by row), and settles each course with
its price, revision and flags in the quarter of the date its revision's
tariff invoices by. Nothing here counts days, picks bands or runs rules.
Rows read = rows settled + rows outside the period + rows rejected; a
rejected row has a Danish reason; a course that settles in another quarter
than the period asked is counted apart, as outside the period. A course id
is one course however it is spelled: ids that differ only in case or
surrounding spaces are the same id, and a row that repeats a settled (or
outside) course's id is rejected. ``ivrules.money.register`` reads and writes
the files; DuckDB and sqlglot are the ``sql`` extra.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from ivrules.engine.book import Book
from ivrules.engine.quote import Quote, money
from ivrules.errors import IvrulesError, did_you_mean
from ivrules.lang.vocabulary import safe
from ivrules.model.tariff import Tariff
from ivrules.money.cells import cell

COURSE_ID = "course_id"  # the register's own column: the row's id, not a fact
COURSE_ID_TERM = "forløbs_id"  # its Danish name; either may head the column
BILATERAL = "bilateral_agreement_required"  # the flag counted in the summary
COURSES_HEADER = ("course_id", "municipality", "quarter", "kind", "total", "region_share", "municipality_share",
                  "revision", "flags")
REJECTED_HEADER = ("row", "course_id", "reason")
OUTSIDE_HEADER = ("row", "course_id", "quarter")


class RegisterError(IvrulesError):
    """The register as a whole cannot be read; names the file, line and column."""

    def __init__(self, path: str, line: int, column: int, message: str, hint: str | None = None) -> None:
        self.path, self.line, self.column, self.message, self.hint = path, line, column, message, hint
        text = f"{path}:{line}:{column}: fejl: {message}"
        super().__init__(text + (f"\n  tip: {hint}" if hint else ""))


_PERIOD = re.compile(r"^\s*(\d{4})\s*[QqKk]\s*([1-4])\s*$")


def parse_period(text: str) -> str:
    """'2022Q1' (or '2022K1', Danish) → '2022Q1'; ``ValueError`` with a Danish message otherwise."""
    match = _PERIOD.match(text)
    if not match:
        raise ValueError(f"'{text}' er ikke et kvartal; skriv fx 2022Q1")
    return f"{match.group(1)}Q{match.group(2)}"


@dataclass(frozen=True, eq=False)  # one per distinct price of a run, compared by identity
class Priced:
    """The part of a computed quote a settled course carries: amounts, revision, kind and flags."""

    total: Decimal
    region_share: Decimal
    municipality_share: Decimal
    revision: str
    kind: str
    flags: tuple[str, ...]
    label: str  # the schedule's Danish title (and category): courses.csv's kind and the activity summary's

    @property
    def bilateral(self) -> bool:
        return BILATERAL in self.flags

    @cached_property
    def cells(self) -> tuple[str, ...]:
        """kind (the Danish label), total, region_share, municipality_share, revision, flags: the end of a
        courses.csv row, each cell as a spreadsheet must read it (``cells.cell``)."""
        amounts = (money(x) or "" for x in (self.total, self.region_share, self.municipality_share))
        return tuple(cell(text) for text in (self.label, *amounts, self.revision, ";".join(self.flags)))


class Slot(NamedTuple):
    """The settled courses that share a price, a municipality and a quarter."""

    price: Priced
    municipality: str
    quarter: str
    courses: int


Row = tuple[int, str, str]  # a row not settled: its line in the register, its course_id, and the reason or quarter


@dataclass(frozen=True)
class Invoice:
    """One municipality's courses in one quarter."""

    municipality: str
    quarter: str
    courses: int
    total: Decimal
    region_share: Decimal
    municipality_share: Decimal

    def row(self) -> tuple[str, ...]:
        return (self.municipality, self.quarter, str(self.courses), *(money(x) or "" for x in (
            self.total, self.region_share, self.municipality_share)))


@dataclass
class Settlement:
    """What settling a register gave: the settled courses by slot, the rows read, rejected and outside the period,
    and the most common reasons for rejection (the rows themselves are in rejected.csv and outside.csv, or
    ``Ran``)."""

    region: str
    period: str | None = None
    rows: int = 0
    region_name: str | None = None  # the region's Danish name, for people
    slots: list[Slot] = field(default_factory=list)  # in the order of each slot's first course
    rejected: int = 0
    outside: int = 0  # courses that settle in another quarter than ``period``
    reasons: list[tuple[str, int]] = field(default_factory=list)  # the ten most common, grouped (``reason_group``)

    @property
    def settled(self) -> int:
        return sum(slot.courses for slot in self.slots)

    def invoices(self) -> list[Invoice]:
        """One invoice per municipality and quarter, sorted by quarter then municipality."""
        sums: dict[tuple[str, str], list[Any]] = {}
        for slot in self.slots:
            acc = sums.setdefault((slot.quarter, slot.municipality), [0, Decimal(0), Decimal(0), Decimal(0)])
            price, count = slot.price, slot.courses
            acc[0] += count
            acc[1] += price.total * count
            acc[2] += price.region_share * count
            acc[3] += price.municipality_share * count
        return [Invoice(m, q, *acc) for (q, m), acc in sorted(sums.items())]

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        """(total, region share, municipality share) over every settled course."""
        total = region = kommune = Decimal(0)
        for slot in self.slots:
            total += slot.price.total * slot.courses
            region += slot.price.region_share * slot.courses
            kommune += slot.price.municipality_share * slot.courses
        return total, region, kommune

    def activity(self) -> dict[tuple[str, str], tuple[int, Decimal]]:
        """Courses and expense per (quarter, kind/category), for the activity summary."""
        out: dict[tuple[str, str], tuple[int, Decimal]] = {}
        for slot in self.slots:
            courses, total = out.get((slot.quarter, slot.price.label), (0, Decimal(0)))
            out[(slot.quarter, slot.price.label)] = (courses + slot.courses, total + slot.price.total * slot.courses)
        return out

    def bilateral(self) -> int:
        """Settled courses flagged for a bilateral agreement (days beyond the tariff)."""
        return sum(slot.courses for slot in self.slots if slot.price.bilateral)

    def kinds(self) -> Counter[str]:
        """Settled courses per kind of course: the tariff schedule's Danish title (and category)."""
        out: Counter[str] = Counter()
        for slot in self.slots:
            out[slot.price.label] += slot.courses
        return out

    def revisions(self) -> Counter[str]:
        """Settled courses per revision of the agreement."""
        out: Counter[str] = Counter()
        for slot in self.slots:
            out[slot.price.revision] += slot.courses
        return out


class Ran(NamedTuple):
    """A settlement run in memory (``Settler.run``): the settlement and the rows of its files."""

    settlement: Settlement
    courses: list[tuple[str, ...]]  # courses.csv's rows
    rejected: list[Row]  # (line, course_id, the Danish reason)
    outside: list[Row]  # (line, course_id, the quarter it settles in)


def same_course(course: str) -> str:
    """A course id as ids are compared: ' A1 ' and 'a1' are one course."""
    return course.strip().casefold()


def _repeated(course: str, line: int, first_line: int, first: str) -> str:
    """Why a row whose course id an earlier row (``first``, at ``first_line``) has claimed is rejected."""
    if course == first:
        return f"forløbets id {safe(course)} i linje {line} står allerede i linje {first_line}"
    return (f"forløbets id {safe(course)} i linje {line} er samme forløb som {safe(first)} i linje {first_line} "
            "(store og små bogstaver og mellemrum før og efter tæller ikke)")


def rejection(answer: Quote) -> str:
    """The Danish reason a quote cannot be settled."""
    if answer.status == "not_covered":
        return "ikke omfattet af aftalen: " + " ".join(r for r in answer.reasons if not r.startswith("Forløbet er"))
    return "kan ikke beregnes: " + " ".join(r for r in answer.reasons if not r.startswith("Takst:"))


def _label(tariff: Tariff | None, kind: str, category: int | None) -> str:
    """A kind of course as people read it: the schedule's Danish title, and the category."""
    titles = {s.id: s.title for s in tariff.schedules} if tariff is not None else {}
    title = titles.get(kind, kind)
    return f"{title}, kategori {category}" if category is not None else title


def _date(word: str, text: str) -> dt.date:
    """A date cell of the register; ``ValueError`` with a Danish message naming the cell."""
    if not text.strip():
        raise ValueError(f"mangler {word}")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{word} '{text}' er ikke en dato (ÅÅÅÅ-MM-DD)") from None


def check_header(header: list[str], book: Book, path: str) -> list[str]:
    """The header's column names as JSON names (a fact's Danish term or its English name; ``course_id`` or
    ``forløbs_id``); ``RegisterError`` for a missing, unknown or repeated column."""
    names = [h.strip() for h in header]
    spellings = {**book.vocabulary.names, COURSE_ID: COURSE_ID, COURSE_ID_TERM: COURSE_ID}
    if len(names) == 1 and names[0] not in spellings:
        raise RegisterError(path, 1, 1, "filen ligner ikke et CSV-register: første linje har ét felt og ingen kendte "
                            "kolonnenavne", hint="første linje skal være kolonnernes navne adskilt af komma eller "
                            "semikolon, fx forløbs_id,kommune,startdato,slutdato")
    columns: list[str] = []
    for i, name in enumerate(names):
        if name not in spellings:
            raise RegisterError(path, 1, _column(header, i), f"ukendt kolonne '{name}'",
                                hint=book.vocabulary.suggest(name) or did_you_mean(name, [COURSE_ID_TERM])
                                or "kolonnerne hedder som fakta, fx startdato")
        if spellings[name] in columns:
            raise RegisterError(path, 1, _column(header, i), f"kolonnen '{name}' står to gange")
        columns.append(spellings[name])
    roles = book.vocabulary.roles
    for name in (COURSE_ID, roles.municipality, roles.start_date, roles.end_date):
        if name not in columns:
            hint = "er filen en CSV-fil med komma eller semikolon mellem kolonnerne?" if len(names) == 1 else None
            word = COURSE_ID_TERM if name == COURSE_ID else book.vocabulary.term(name)
            raise RegisterError(path, 1, 1, f"kolonnen '{word}' mangler", hint=hint)
    return columns


def _column(header: list[str], index: int) -> int:
    """The character column where header field ``index`` starts (fields joined by one separator)."""
    return sum(len(h) + 1 for h in header[:index]) + 1
