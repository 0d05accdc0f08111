"""Rows of a register of courses → settled courses by municipality and quarter, and rejected rows.

The register has one course a row: a ``course_id`` column and columns named
like the facts (``municipality``, ``start_date``, ``end_date``, ``treatment``,
``tyngdekategori`` …; an empty cell is a missing fact). Settlement is a view
of ``Book.tariff``: each row's facts are priced by it, exactly as a single
question is (the book memoises quotes by their facts), and the row is settled
with that quote's amounts, revision and flags, in the quarter of the date the
revision's tariff invoices by. Nothing here counts days, picks bands or runs
rules. Rows read = rows settled + rows rejected; a rejected row has a Danish
reason; a course that settles in another quarter than the period asked is
counted apart, as outside the period. A course id is one course however it is
spelled: ids that differ only in case or surrounding spaces are the same id,
and the row that repeats a settled (or outside) course's id is rejected.
``ivrules.money.register`` reads and writes the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.engine.quote import Quote, money
from ivrules.errors import FactsError, IvrulesError, LookupError_, did_you_mean
from ivrules.lang.vocabulary import safe
from ivrules.model.agreement import Agreement
from ivrules.model.tariff import Tariff
from ivrules.money.cells import cell

COURSE_ID = "course_id"  # the register's own column: the row's id, not a fact
COURSE_ID_TERM = "forløbs_id"  # its Danish name; either may head the column
BILATERAL = "bilateral_agreement_required"  # the flag counted in the summary


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


def quarter_of(day: dt.date) -> str:
    """The quarter a date falls in, as '2022Q1'."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


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

    @classmethod
    def of(cls, answer: Quote, label: str) -> Priced:
        """A computed quote's settled part (``ValueError`` for a quote without amounts)."""
        if answer.total is None or answer.region_share is None or answer.municipality_share is None:
            raise ValueError(f"quote for {answer.region} {answer.revision} has no amounts ({answer.status})")
        return cls(answer.total, answer.region_share, answer.municipality_share, answer.revision, answer.kind,
                   answer.flags, label)

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


Settled = tuple[Priced, str, str]  # a settled row: its price, municipality and quarter


class Outside(NamedTuple):
    """A course that would settle, but in another quarter than the period asked."""

    quarter: str


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
    """What settling some rows gave: the settled courses by slot, the rejections, the rows read."""

    region: str
    period: str | None = None
    rows: int = 0
    region_name: str | None = None  # the region's Danish name, for people
    slots: list[Slot] = field(default_factory=list)
    rejected: list[Row] = field(default_factory=list)  # (line, course_id, the Danish reason)
    outside: list[Row] = field(default_factory=list)  # (line, course_id, the quarter it settles in)

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


class Settler:
    """Settles rows of one register (its header decides the columns) for one region.

    Each row is evaluated once (``Book.evaluate``) and priced by its quote; what the settler keeps between rows is
    only the interned prices (one ``Priced`` per distinct computed price); the
    municipality and the invoice date are read from the evaluation's typed facts.
    """

    def __init__(self, book: Book, region: str, header: list[str], period: str | None = None,
                 path: str = "<register>") -> None:
        region = book.region_id(region)  # "Region Midtjylland" → midtjylland; UnknownRegionError before any row
        self.agreements = {a.revision: a for a in book.agreements(region)}
        self.book, self.region, self.period, self.path = book, region, period, path
        self.columns = check_header(header, book, path)
        self.width = len(header)
        # The course's dates and municipality are the facts with those roles in the vocabulary.
        roles = book.vocabulary.roles
        self.start, self.end, self.municipality = roles.start_date, roles.end_date, roles.municipality
        self.at = {name: self.columns.index(name) for name in (COURSE_ID, self.start, self.end)}
        self.facts = [(name, i) for i, name in enumerate(self.columns) if name not in self.at]
        self.words = {name: book.vocabulary.facts[name].term for name in (self.start, self.end)}  # startdato, …
        self._prices: dict[tuple[Any, ...], Priced] = {}

    def run(self, rows: Iterable[list[str]], out: TextIO, line_of: Callable[[int], int] | None = None) -> Settlement:
        """Settle ``rows`` (without the header); the settled courses are written to ``out`` as courses.csv rows."""
        result = Settlement(self.region, self.period, region_name=self.book.vocabulary.regions.get(self.region))
        line_of = line_of or (lambda n: n + 1)
        writer = csv.writer(out, lineterminator="\n")  # the price's cells are escaped once, in Priced.cells
        counts: Counter[Settled] = Counter()
        seen: dict[str, tuple[int, str]] = {}  # a course's id, as compared → the line and id that claimed it
        for row in rows:
            if not row:
                continue  # a blank line is not a row
            result.rows += 1
            line = line_of(result.rows)
            course = row[self.at[COURSE_ID]] if len(row) > self.at[COURSE_ID] else ""
            key = same_course(course)
            settled = self.settle(row, course, seen.get(key), line)
            if isinstance(settled, str):
                result.rejected.append((line, course, settled))
                continue
            seen[key] = (line, course)
            if isinstance(settled, Outside):
                result.outside.append((line, course, settled.quarter))
                continue
            counts[settled] += 1
            price, municipality, quarter = settled
            writer.writerow((cell(course.strip()), cell(municipality), quarter, *price.cells))
        result.slots = [Slot(*settled, count) for settled, count in counts.items()]
        return result

    def settle(self, row: list[str], course: str, claimed: tuple[int, str] | None,
               line: int) -> Settled | Outside | str:
        """One row → its price, municipality and quarter, ``Outside`` (the quarter it settles in), or the Danish
        reason it is rejected; ``claimed`` is the line and id of an earlier row of the same course."""
        if len(row) != self.width:
            return f"rækken har {len(row)} felter; overskriften har {self.width}"
        if not course.strip():
            return "course_id mangler"
        if claimed is not None:
            return _repeated(course, line, *claimed)
        dates = self._dates(row)
        if isinstance(dates, str):
            return dates
        facts = {name: row[i] for name, i in self.facts if row[i].strip()}  # the row's cells, as raw facts
        try:
            evaluated = self.book.evaluate(self.region, {**facts, **dates})
            answer = evaluated.quote
        except FactsError as exc:
            return self._facts_reason(exc)
        except LookupError_ as exc:
            return str(exc)
        return self._invoiced(answer, evaluated.facts)

    def _dates(self, row: list[str]) -> dict[str, dt.date] | str:
        """The register's start and end date, or the Danish reason they cannot be read."""
        try:
            start, end = (_date(self.words[name], row[self.at[name]]) for name in (self.start, self.end))
        except ValueError as exc:
            return str(exc)
        if end < start:
            return (f"{self.words[self.end]}en {danish.date(end)} ligger før "
                    f"{self.words[self.start]}en {danish.date(start)}")
        return {self.start: start, self.end: end}

    def _invoiced(self, answer: Quote, typed: dict[str, Any]) -> Settled | Outside | str:
        """A quote and the evaluation's typed facts → the settled row, the rejection of a quote that was not
        computed, or ``Outside`` for a course that settles in another quarter than the period asked.

        A row that cannot be settled is rejected in every run, whatever its quarter, so settling each quarter
        alone rejects the same rows and settles the same courses as settling the whole register."""
        if answer.status != "computed":
            return rejection(answer)
        agreement = self.agreements[answer.revision]
        quarter = quarter_of(typed.get(_invoice_date(agreement, self.end), typed[self.end]))
        if self.period is not None and quarter != self.period:
            return Outside(quarter)
        return self._priced(answer, agreement), typed.get(self.municipality, ""), quarter

    def _facts_reason(self, exc: FactsError) -> str:
        return f"{self.book.vocabulary.label(exc.field)}: {exc.message}" + (f"; {exc.hint}" if exc.hint else "")

    def _priced(self, answer: Quote, agreement: Agreement) -> Priced:
        """The quote's settled part, interned: courses of 1-6 days, say, share one ``Priced``."""
        key = (answer.revision, answer.kind, answer.category, answer.total, answer.region_share,
               answer.municipality_share, answer.flags)
        found = self._prices.get(key)
        if found is None:
            found = self._prices[key] = Priced.of(answer, _label(agreement.tariff, answer))
        return found


def _invoice_date(agreement: Agreement, end: str) -> str:
    """The fact whose quarter a course is invoiced in (the end date where the revision has no tariff)."""
    return agreement.tariff.invoice_date if agreement.tariff is not None else end


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


def _label(tariff: Tariff | None, answer: Quote) -> str:
    titles = {s.id: s.title for s in tariff.schedules} if tariff is not None else {}
    title = titles.get(answer.kind, answer.kind)
    return f"{title}, kategori {answer.category}" if answer.category is not None else title


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


def read_register(path: Path) -> tuple[str, str]:
    """The register's text and its delimiter; ``RegisterError`` for a file that is not UTF-8 text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegisterError(str(path), 1, 1, f"kan ikke læse filen: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RegisterError(str(path), line, column, f"filen er ikke UTF-8 (byte 0x{data[exc.start]:02X})",
                            hint="gem registret som CSV i UTF-8 (i Excel: 'CSV UTF-8')") from None
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        raise RegisterError(str(path), line, offset - (text.rfind("\n", 0, offset) + 1) + 1,
                            "filen indeholder NUL-tegn og er ikke en CSV-fil")
    end = text.find("\n")
    first = text if end < 0 else text[:end]  # not split(): that would copy the whole register
    return text, ";" if first.count(";") > first.count(",") else ","
