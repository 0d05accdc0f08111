"""Rows of a register of courses → settled courses by municipality and quarter, and rejected rows.

The register has one course a row: a ``course_id`` column and columns named
like the facts (``municipality``, ``start_date``, ``end_date``, ``treatment``,
``tyngdekategori`` …; an empty cell is a missing fact). Each row is priced
like ``Book.tariff`` prices a course, under the revision in force on its start
date, and invoiced in the quarter of the date the revision's tariff names.
Rows read = rows settled + rows rejected; a rejected row has a Danish reason.

Speed: a price depends on the revision, the number of days and the other
facts, never on the course id, and on the municipality only through its
region and the facts derived from it. So the dates of a (start, end) pair
are memoised, the other columns are normalised once per distinct combination
and interned to what a price depends on, and the price is memoised per
(revision, days, that). Settled courses are counted per (price,
municipality, quarter) and multiplied out at the end; each row costs a few
dictionary lookups and one precomputed output line. ``ivrules.money.register``
reads and writes the files.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ivrules.engine.book import Book
from ivrules.engine.course import quote
from ivrules.engine.quote import Quote, money
from ivrules.engine.runtime import RuleSet
from ivrules.errors import FactsError, IvrulesError, LookupError_, did_you_mean
from ivrules.lang.compiler import Compiled
from ivrules.model.accession import JOINED_FACT
from ivrules.model.agreement import Agreement
from ivrules.model.tariff import Tariff

REQUIRED = ("course_id", "municipality", "start_date", "end_date")


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


@dataclass(frozen=True)
class Priced:
    """One distinct computed price: amounts, and the output cells after municipality and quarter."""

    id: int
    total: Decimal
    region_share: Decimal
    municipality_share: Decimal
    revision: str
    label: str  # kind (and category) for the activity summary
    cells: str  # ",kind,total,region_share,municipality_share,revision,flags"
    bilateral: bool = False
    key: int = field(init=False, repr=False)  # the high bits of a slot's key; municipality and quarter the low 24

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.id << 24)


class Slot:
    """The settled courses that share a price, a municipality and a quarter (one output line suffix)."""

    __slots__ = ("count", "line", "municipality", "price", "quarter")

    def __init__(self, price: Priced, municipality: str, quarter: str, count: int = 0, line: str = "") -> None:
        self.price, self.municipality, self.quarter, self.count = price, municipality, quarter, count
        self.line = line or f",{_cell(municipality)},{quarter}{price.cells}\n"

    def take(self) -> Slot:
        """A copy with this run's count; the memoised slot starts again from zero."""
        taken = Slot(self.price, self.municipality, self.quarter, self.count, self.line)
        self.count = 0
        return taken


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
    slots: list[Slot] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    _invoices: list[Invoice] | None = field(default=None, repr=False, compare=False)

    @property
    def settled(self) -> int:
        return sum(slot.count for slot in self.slots)

    def invoices(self) -> list[Invoice]:
        """One invoice per municipality and quarter, sorted by quarter then municipality."""
        if self._invoices is None:
            self._invoices = self._sum_invoices()
        return self._invoices

    def _sum_invoices(self) -> list[Invoice]:
        sums: dict[tuple[str, str], list[Any]] = {}
        for slot in self.slots:
            acc = sums.setdefault((slot.quarter, slot.municipality), [0, Decimal(0), Decimal(0), Decimal(0)])
            price, count = slot.price, slot.count
            acc[0] += count
            acc[1] += price.total * count
            acc[2] += price.region_share * count
            acc[3] += price.municipality_share * count
        return [Invoice(m, q, *acc) for (q, m), acc in sorted(sums.items())]

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        """(total, region share, municipality share) over every settled course."""
        total = region = kommune = Decimal(0)
        for slot in self.slots:
            total += slot.price.total * slot.count
            region += slot.price.region_share * slot.count
            kommune += slot.price.municipality_share * slot.count
        return total, region, kommune

    def activity(self) -> dict[tuple[str, str], tuple[int, Decimal]]:
        """Courses and expense per (quarter, kind/category), for the activity summary."""
        out: dict[tuple[str, str], tuple[int, Decimal]] = {}
        for slot in self.slots:
            courses, total = out.get((slot.quarter, slot.price.label), (0, Decimal(0)))
            out[(slot.quarter, slot.price.label)] = (courses + slot.count, total + slot.price.total * slot.count)
        return out

    def bilateral(self) -> int:
        """Settled courses flagged for a bilateral agreement (days beyond the tariff)."""
        return sum(slot.count for slot in self.slots if slot.price.bilateral)

    def revisions(self) -> Counter[str]:
        """Settled courses per revision of the agreement."""
        out: Counter[str] = Counter()
        for slot in self.slots:
            out[slot.price.revision] += slot.count
        return out


class _Dates:
    """A (start, end) pair of a register and, once the revision is chosen, its quarter and price table."""

    __slots__ = ("end", "prices", "qid", "quarter", "ruleset", "start", "uid")

    def __init__(self, start: dt.date, end: dt.date, uid: int) -> None:
        self.start, self.end, self.uid = start, end, uid
        self.ruleset: RuleSet | None = None
        self.quarter, self.qid = "", 0
        self.prices: dict[int, Priced] = {}  # shared by every pair with the same revision and days


class _Base:
    """One combination of a register's other columns, normalised once."""

    __slots__ = ("mid", "municipality", "raw", "rid", "sel", "typed")

    def __init__(self, raw: dict[str, str], typed: dict[str, Any], rid: int, mid: int, sel: int) -> None:
        self.raw, self.typed, self.rid, self.mid, self.sel = raw, typed, rid, mid << 12, sel
        self.municipality = typed.get("municipality", "")


class Settler:
    """Settles rows of one register (its header decides the columns) for one region.

    Three memo tables keep the per-row work to dictionary lookups: the dates of
    a (start, end) pair; the normalised other columns (a ``_Base``, interned to
    the facts a price can depend on); and the price of each (revision, days,
    those facts). Rejections are memoised too, as their Danish reason.
    """

    def __init__(self, book: Book, region: str, header: list[str], period: str | None = None,
                 path: str = "<register>") -> None:
        book.agreements(region)  # UnknownRegionError before any row is read
        self.book, self.region, self.period, self.path = book, region, period, path
        self.columns = check_header(header, book, path)
        self.width = len(header)
        self.others = [(name, i) for i, name in enumerate(self.columns)
                       if name not in ("course_id", "start_date", "end_date")]
        indexes = [i for _, i in self.others]
        self.key_of: Callable[[list[str]], Any] = (
            operator.itemgetter(*indexes) if len(indexes) > 1 else (lambda row: tuple(row[i] for i in indexes)))
        self.needs_start = _reads_start_date(book, region, set(self.columns))
        # Where an accession register says who joined when, the revision depends on the municipality.
        self.selecting = any(book.accession.line_for(region, a.effective) for a in book.agreements(region))
        self._selections: dict[tuple[int, int], _Dates | str] = {}
        self.by_municipality = "municipality" in _all_reads(book, region)
        # The memo tables hold good entries only; what was refused, and why, is kept apart.
        self._dates: dict[tuple[str, str], _Dates] = {}
        self._bases: dict[Any, _Base] = {}
        self._classes: dict[tuple[Any, ...], dict[int, Priced]] = {}
        self._refused: dict[tuple[Any, ...], str] = {}
        self._refused_prices: dict[int, dict[int, str]] = {}  # by id of a price table
        self._interned: dict[Any, int] = {}  # what a price depends on → a small id
        self._municipalities: dict[Any, int] = {}  # < 4096, so (price, municipality, quarter) packs into an int
        self._quarters: dict[str, int] = {}
        self._prices: list[Priced] = []
        self._same_price: dict[tuple[str, str], Priced] = {}
        self._slots: dict[int, Slot] = {}

    def run(self, rows: Iterable[list[str]], write: Callable[[str], Any],
            line_of: Callable[[int], int] | None = None) -> Settlement:
        """Settle ``rows`` (without the header); ``write`` receives courses.csv lines in chunks."""
        out = Settlement(self.region, self.period)
        line_of = line_of or (lambda n: n + 1)
        i_id, i_start, i_end = (self.columns.index(c) for c in ("course_id", "start_date", "end_date"))
        dates, bases, slots, key_of = self._dates, self._bases, self._slots, self.key_of
        period, width, rejected, selecting = self.period, self.width, out.rejected, self.selecting
        seen: set[str] = set()
        lines: list[str] = []
        span: _Dates | str | None
        base: _Base | str | None
        price: Priced | str | None
        n = 0
        for row in rows:
            if not row:
                continue  # a blank line is not a row
            n += 1
            if len(row) != width:
                rejected.append((line_of(n), row[i_id] if len(row) > i_id else "", self._width_problem(row)))
                continue
            course = row[i_id]
            plain = course.isalnum()  # the common case: no quoting, not blank
            if course in seen or (not plain and not course.strip()):
                rejected.append((line_of(n), course, _id_problem(course)))
                continue
            # Each memo holds only good entries, so a hit costs one lookup and one `is None`.
            span = dates.get(pair := (row[i_start], row[i_end]))
            if span is None:
                span = self._date_entry(*pair)
                if isinstance(span, str):
                    rejected.append((line_of(n), course, span))
                    continue
            base = bases.get(key := key_of(row))
            if base is None:
                base = self._base(row, key)
                if isinstance(base, str):
                    rejected.append((line_of(n), course, base))
                    continue
            if selecting:
                span = self._selected(span, base)
                if isinstance(span, str):
                    rejected.append((line_of(n), course, span))
                    continue
            if period is not None and span.quarter != period:
                rejected.append((line_of(n), course, f"forløbet afregnes i {span.quarter}, ikke i perioden {period}"))
                continue
            price = span.prices.get(base.rid)
            if price is None:
                price = self._price(span, base)
                if isinstance(price, str):
                    rejected.append((line_of(n), course, price))
                    continue
            slot = slots.get(price.key | base.mid | span.qid) or self._slot(price, base, span)
            slot.count += 1
            seen.add(course)
            lines.append((course if plain else _cell(course)) + slot.line)
            if len(lines) >= 8192:
                write("".join(lines))
                lines.clear()
        write("".join(lines))
        out.rows, out.slots = n, [slot.take() for slot in self._slots.values() if slot.count]
        return out

    def _width_problem(self, row: list[str]) -> str:
        return f"rækken har {len(row)} felter; overskriften har {self.width}"

    def _slot(self, price: Priced, base: _Base, span: _Dates) -> Slot:
        slot = Slot(price, base.municipality, span.quarter)
        self._slots[price.key | base.mid | span.qid] = slot
        return slot

    def _date_entry(self, start_text: str, end_text: str) -> _Dates | str:
        bad = self._refused.get(("dates", start_text, end_text))
        if bad is not None:
            return bad
        try:
            self._dates[(start_text, end_text)] = entry = self._dates_of(start_text, end_text)
            return entry
        except FactsError as exc:
            reason = exc.message
        except LookupError_ as exc:
            reason = str(exc)
        self._refused[("dates", start_text, end_text)] = reason
        return reason

    def _dates_of(self, start_text: str, end_text: str) -> _Dates:
        start, end = _date("start_date", start_text), _date("end_date", end_text)
        if end < start:
            raise FactsError("end_date", f"slutdatoen {end.isoformat()} ligger før startdatoen {start.isoformat()}")
        span = _Dates(start, end, len(self._dates))
        return span if self.selecting else self._choose(span, self.book.ruleset(self.region, start))

    def _choose(self, span: _Dates, ruleset: RuleSet) -> _Dates:
        """Fill in what follows from the revision: the invoice quarter and the table of prices."""
        tariff = ruleset.agreement.tariff
        span.ruleset = ruleset
        invoiced = span.start if tariff is not None and tariff.invoice_date == "start_date" else span.end
        span.quarter = quarter_of(invoiced)
        span.qid = self._quarters.setdefault(span.quarter, len(self._quarters))
        days = (span.end - span.start).days + 1
        revision = ruleset.agreement.revision
        group = (revision, days, span.start) if self.needs_start else (revision, days)
        span.prices = self._classes.setdefault(group, {})
        return span

    def _selected(self, span: _Dates, base: _Base) -> _Dates | str:
        """Where municipalities join one by one, the revision depends on the municipality too (Book.select)."""
        key = (span.uid, base.sel)
        found = self._selections.get(key)
        if found is None:
            try:
                ruleset, _ = self.book.select(self.region, {**base.typed, "date": span.start})
                found = self._choose(_Dates(span.start, span.end, span.uid), ruleset)
            except FactsError as exc:
                found = self._facts_reason(exc)
            except LookupError_ as exc:
                found = str(exc)
            self._selections[key] = found
        return found

    def _base(self, row: list[str], key: Any) -> _Base | str:
        bad = self._refused.get(("base", key))
        if bad is not None:
            return bad
        raw = {name: row[i] for name, i in self.others if row[i].strip()}
        try:
            typed = self.book.vocabulary.normalise(raw)
        except FactsError as exc:
            self._refused[("base", key)] = reason = self._facts_reason(exc)
            return reason
        municipality = self._municipalities.setdefault(typed.get("municipality"), len(self._municipalities))
        selection = (typed.get("municipality"), typed.get(JOINED_FACT))
        self._bases[key] = entry = _Base(
            raw, typed, self._interned.setdefault(self._depends_on(typed), len(self._interned)), municipality,
            self._interned.setdefault(selection, len(self._interned)))
        return entry

    def _depends_on(self, typed: dict[str, Any]) -> tuple[Any, ...]:
        """What a price can depend on besides the dates: every fact, with the municipality as its region."""
        municipality = self.book.vocabulary.municipalities.get(typed.get("municipality", ""))
        facts = tuple(sorted((k, v) for k, v in typed.items() if k != "municipality" or self.by_municipality))
        return ("facts", facts, municipality.region if municipality else None)

    def _price(self, span: _Dates, base: _Base) -> Priced | str:
        refused = self._refused_prices.setdefault(id(span.prices), {})
        if base.rid in refused:
            return refused[base.rid]
        vocab = self.book.vocabulary
        entry: Priced | str
        try:
            if self.needs_start:  # facts derived from the date (an age) must be derived again
                facts = vocab.normalise({**base.raw, "start_date": span.start, "end_date": span.end})
            else:
                facts = {"date": span.start, **base.typed, "start_date": span.start, "end_date": span.end}
            assert span.ruleset is not None
            entry = self._priced(quote(span.ruleset, vocab, facts), span.ruleset.agreement)
        except FactsError as exc:
            entry = self._facts_reason(exc)
        if isinstance(entry, str):
            refused[base.rid] = entry
        else:
            span.prices[base.rid] = entry
        return entry

    def _facts_reason(self, exc: FactsError) -> str:
        fact = self.book.vocabulary.facts.get(exc.field)
        return f"{fact.label if fact else exc.field}: {exc.message}"

    def _priced(self, answer: Quote, agreement: Agreement) -> Priced | str:
        if answer.status != "computed":
            return rejection(answer)
        assert answer.total is not None and answer.region_share is not None and answer.municipality_share is not None
        cells = ",".join(("", _cell(answer.kind), money(answer.total) or "", money(answer.region_share) or "",
                          money(answer.municipality_share) or "", answer.revision, ";".join(answer.flags)))
        label = _label(agreement.tariff, answer)
        same = self._same_price.get((cells, label))  # courses of 1-6 days, say, share one price
        if same is not None:
            return same
        priced = Priced(len(self._prices), answer.total, answer.region_share, answer.municipality_share,
                        answer.revision, label, cells, "bilateral_agreement_required" in answer.flags)
        self._prices.append(priced)
        self._same_price[(cells, label)] = priced
        return priced


def _id_problem(course: str) -> str:
    return f"course_id '{course}' står allerede i en tidligere række" if course.strip() else "course_id mangler"


def _needs_quoting(text: str) -> bool:
    return "," in text or '"' in text or "\n" in text or "\r" in text


def _cell(text: str) -> str:
    """One CSV cell as csv.writer writes it (quoted only when it must be)."""
    return '"' + text.replace('"', '""') + '"' if _needs_quoting(text) else text


def rejection(answer: Quote) -> str:
    """The Danish reason a quote cannot be settled."""
    if answer.status == "not_covered":
        return "ikke omfattet af aftalen: " + " ".join(r for r in answer.reasons if not r.startswith("Forløbet er"))
    return "kan ikke beregnes: " + " ".join(r for r in answer.reasons if not r.startswith("Takst:"))


def _label(tariff: Tariff | None, answer: Quote) -> str:
    titles = {s.id: s.title for s in tariff.schedules} if tariff is not None else {}
    title = titles.get(answer.kind, answer.kind)
    return f"{title}, kategori {answer.category}" if answer.category is not None else title


def _date(name: str, text: str) -> dt.date:
    word = "startdato" if name == "start_date" else "slutdato"
    if not text.strip():
        raise FactsError(name, f"mangler {word}")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise FactsError(name, f"{word} '{text}' er ikke en dato (ÅÅÅÅ-MM-DD)") from None


def _reads_start_date(book: Book, region: str, columns: set[str]) -> bool:
    """Whether a price or an eligibility answer can depend on the exact dates, not only on the days."""
    derived_from_date = {name for name, fact in book.vocabulary.facts.items()
                         if fact.derive and "date" in fact.derive[1]
                         and all(a in columns or a == "date" for a in fact.derive[1])}
    return bool(_expression_reads(book, region) & ({"date", "start_date", "end_date"} | derived_from_date))


def _expression_reads(book: Book, region: str) -> set[str]:
    """The facts every rule expression of the region reads: eligibility, schedules, billing rules."""
    compiled: list[Compiled] = []
    for agreement in book.agreements(region):
        compiled.extend(rule.compiled for rule in agreement.rules if rule.compiled is not None)
        if agreement.tariff is not None:
            compiled.extend(s.applies for s in agreement.tariff.schedules if s.applies is not None)
            compiled.extend(r.when for r in agreement.tariff.rules)
    return set().union(*(c.all_reads() for c in compiled))


def _all_reads(book: Book, region: str) -> set[str]:
    tariffs = [a.tariff for a in book.agreements(region) if a.tariff is not None]
    return _expression_reads(book, region).union(*(t.reads for t in tariffs))


def check_header(header: list[str], book: Book, path: str) -> list[str]:
    """The header's column names, stripped; ``RegisterError`` for a missing, unknown or repeated column."""
    names = [h.strip() for h in header]
    allowed = ["course_id", *book.vocabulary.facts]
    if len(names) == 1 and names[0] not in allowed:
        raise RegisterError(path, 1, 1, "filen ligner ikke et CSV-register: første linje har ét felt og ingen kendte "
                            "kolonnenavne", hint="første linje skal være kolonnernes navne adskilt af komma eller "
                            "semikolon, fx course_id,municipality,start_date,end_date")
    for i, name in enumerate(names):
        if name not in allowed:
            raise RegisterError(path, 1, _column(header, i), f"ukendt kolonne '{name}'",
                                hint=did_you_mean(name, allowed) or "kolonnerne hedder som fakta, fx start_date")
        if name in names[:i]:
            raise RegisterError(path, 1, _column(header, i), f"kolonnen '{name}' står to gange")
    for name in REQUIRED:
        if name not in names:
            hint = "er filen en CSV-fil med komma eller semikolon mellem kolonnerne?" if len(names) == 1 else None
            raise RegisterError(path, 1, 1, f"kolonnen '{name}' mangler", hint=hint)
    return names


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
