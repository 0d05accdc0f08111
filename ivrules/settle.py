"""A register of courses (CSV) → settled courses, quarterly invoices per municipality, rejections, a summary.

The register has one course a row: a ``course_id`` column and columns named
like the facts (``municipality``, ``start_date``, ``end_date``, ``treatment``,
``tyngdekategori`` …; an empty cell is a missing fact). Each row is priced
with ``Book.tariff`` under the revision in force on its start date and
invoiced in the quarter of the date the revision's tariff names.

Invariants: rows read = rows settled + rows rejected, and the invoices add up
to the settled courses to the øre. A problem in one row rejects that row with
a Danish reason; a problem with the whole file (not UTF-8, not CSV, a missing
or unknown column) raises ``RegisterError`` naming the line and column, and
nothing is written: outputs go to a temporary folder and are moved in place
only when every file is complete.

Speed: a quote depends on the revision, the number of days and the other fact
columns, not on the exact dates or the course id, so it is memoised on that
tuple; dates are memoised on the (start, end) pair. The invoices keep a count
per (quarter, distinct price) and multiply out at the end, so the hot loop is
a few dict lookups and one ``csv.writer`` call per row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ivrules.book import Book
from ivrules.errors import FactsError, IvrulesError, NoRevisionError
from ivrules.loader import did_you_mean
from ivrules.quote import Quote, money

REQUIRED = ("course_id", "municipality", "start_date", "end_date")
COURSES_HEADER = ("course_id", "municipality", "quarter", "kind", "total", "region_share", "municipality_share",
                  "revision", "flags")
INVOICES_HEADER = ("municipality", "quarter", "courses", "total", "region_share", "municipality_share")
REJECTED_HEADER = ("row", "course_id", "reason")
PROGRESS_EVERY = 1 << 14


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
    """One distinct computed price, as settlement needs it: amounts and the output cells."""

    id: int
    municipality: str
    total: Decimal
    region_share: Decimal
    municipality_share: Decimal
    label: str  # kind (and category) for the activity summary
    cells: tuple[str, ...]  # kind, total, region_share, municipality_share, revision, flags
    bilateral: bool = False


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
    """What settling some rows gave: counts per (quarter, price), rejections, rows read."""

    region: str
    period: str | None = None
    rows: int = 0
    counts: Counter[tuple[str, int]] = field(default_factory=Counter)
    prices: list[Priced] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    revisions: Counter[str] = field(default_factory=Counter)

    @property
    def settled(self) -> int:
        return sum(self.counts.values())

    def invoices(self) -> list[Invoice]:
        """One invoice per municipality and quarter, sorted by quarter then municipality."""
        sums: dict[tuple[str, str], list[Any]] = {}
        for (quarter, pid), count in self.counts.items():
            price = self.prices[pid]
            acc = sums.setdefault((price.municipality, quarter), [0, Decimal(0), Decimal(0), Decimal(0)])
            acc[0] += count
            acc[1] += price.total * count
            acc[2] += price.region_share * count
            acc[3] += price.municipality_share * count
        return [Invoice(m, q, *acc) for (m, q), acc in sorted(sums.items(), key=lambda kv: (kv[0][1], kv[0][0]))]

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        """(total, region share, municipality share) over every settled course."""
        out = [Decimal(0)] * 3
        for (_, pid), count in self.counts.items():
            price = self.prices[pid]
            out = [out[0] + price.total * count, out[1] + price.region_share * count,
                   out[2] + price.municipality_share * count]
        return out[0], out[1], out[2]

    def activity(self) -> dict[tuple[str, str], tuple[int, Decimal]]:
        """Courses and expense per (quarter, kind/category), for the activity summary."""
        out: dict[tuple[str, str], tuple[int, Decimal]] = {}
        for (quarter, pid), count in self.counts.items():
            price = self.prices[pid]
            courses, total = out.get((quarter, price.label), (0, Decimal(0)))
            out[(quarter, price.label)] = (courses + count, total + price.total * count)
        return out

    def bilateral(self) -> int:
        """Settled courses flagged for a bilateral agreement (days beyond the tariff)."""
        return sum(count for (_, pid), count in self.counts.items() if self.prices[pid].bilateral)


class Settler:
    """Settles rows of one register (its header decides the columns) for one region."""

    def __init__(self, book: Book, region: str, header: list[str], period: str | None = None,
                 path: str = "<register>") -> None:
        book.agreements(region)  # UnknownRegionError before any row is read
        self.book, self.region, self.period, self.path = book, region, period, path
        self.columns = check_header(header, book, path)
        self.width = len(header)
        self.facts = [(name, i) for i, name in enumerate(self.columns) if name != "course_id"]
        keyed = [i for name, i in self.facts if name not in ("start_date", "end_date")]
        self.key_of: Callable[[list[str]], Any] = operator.itemgetter(*keyed) if keyed else (lambda row: ())
        self.needs_start = _reads_start_date(book, region, set(self.columns))
        self._dates: dict[tuple[str, str], tuple[str, int, str, str] | str] = {}
        self._quotes: dict[tuple[Any, ...], Priced | str] = {}
        self._prices: list[Priced] = []  # by id

    def run(self, rows: Iterable[list[str]], write: Callable[[Iterable[str]], Any],
            line_of: Callable[[int], int] | None = None) -> Settlement:
        """Settle ``rows`` (without the header); ``write`` receives each settled course's output row."""
        out = Settlement(self.region, self.period)
        line_of = line_of or (lambda n: n + 1)
        i_id, i_start, i_end = (self.columns.index(c) for c in ("course_id", "start_date", "end_date"))
        dates, quotes, key_of, period, width = self._dates, self._quotes, self.key_of, self.period, self.width
        seen: set[str] = set()
        counts, rejected, n = out.counts, out.rejected, 0
        for row in rows:
            if not row:
                continue  # a blank line is not a row
            n += 1
            course = row[i_id] if len(row) > i_id else ""
            if len(row) != width or course in seen or not course.strip():
                rejected.append((line_of(n), course, self._row_problem(row, course, seen)))
                continue
            span = dates.get((row[i_start], row[i_end])) or self._date_entry(row[i_start], row[i_end])
            if isinstance(span, str):
                rejected.append((line_of(n), course, span))
                continue
            revision, days, quarter, start = span
            if period is not None and quarter != period:
                rejected.append((line_of(n), course, f"forløbet afregnes i {quarter}, ikke i perioden {period}"))
                continue
            key = (revision, days, start, key_of(row)) if self.needs_start else (revision, days, key_of(row))
            price = quotes.get(key) or self._price(row, key)
            if isinstance(price, str):
                rejected.append((line_of(n), course, price))
                continue
            seen.add(course)
            counts[(quarter, price.id)] += 1
            write((course, price.municipality, quarter, *price.cells))
        out.rows, out.prices = n, list(self._prices)
        for (_, pid), count in counts.items():
            out.revisions[out.prices[pid].cells[4]] += count
        return out

    def _row_problem(self, row: list[str], course: str, seen: set[str]) -> str:
        if len(row) != self.width:
            return f"rækken har {len(row)} felter; overskriften har {self.width}"
        if not course.strip():
            return "course_id mangler"
        return f"course_id '{course}' står allerede i en tidligere række"

    def _date_entry(self, start_text: str, end_text: str) -> tuple[str, int, str, str] | str:
        entry: tuple[str, int, str, str] | str
        try:
            entry = self._dates_of(start_text, end_text)
        except FactsError as exc:
            entry = exc.message
        except NoRevisionError as exc:
            entry = str(exc)
        self._dates[(start_text, end_text)] = entry
        return entry

    def _dates_of(self, start_text: str, end_text: str) -> tuple[str, int, str, str]:
        start, end = _date("start_date", start_text), _date("end_date", end_text)
        if end < start:
            raise FactsError("end_date", f"slutdatoen {end.isoformat()} ligger før startdatoen {start.isoformat()}")
        agreement = self.book.ruleset(self.region, start).agreement
        invoiced = start if agreement.tariff is not None and agreement.tariff.invoice_date == "start_date" else end
        return agreement.revision, (end - start).days + 1, quarter_of(invoiced), start_text.strip()

    def _price(self, row: list[str], key: tuple[Any, ...]) -> Priced | str:
        raw = {name: row[i] for name, i in self.facts if row[i].strip()}
        entry: Priced | str
        try:
            entry = self._priced(self.book.tariff(self.region, raw), raw)
        except FactsError as exc:
            fact = self.book.vocabulary.facts.get(exc.field)
            entry = f"{fact.label if fact else exc.field}: {exc.message}"
        self._quotes[key] = entry
        return entry

    def _priced(self, quote: Quote, raw: dict[str, str]) -> Priced | str:
        if quote.status != "computed":
            return rejection(quote)
        assert quote.total is not None and quote.region_share is not None and quote.municipality_share is not None
        agreement = self.book.agreement(self.region, dt.date.fromisoformat(raw["start_date"].strip()))
        label = _label(agreement.tariff, quote)
        cells = (quote.kind, money(quote.total) or "", money(quote.region_share) or "",
                 money(quote.municipality_share) or "", quote.revision, ";".join(quote.flags))
        municipality = self.book.normalise({"municipality": raw["municipality"]})["municipality"]
        priced = Priced(len(self._prices), municipality, quote.total, quote.region_share, quote.municipality_share,
                        label, cells, "bilateral_agreement_required" in quote.flags)
        self._prices.append(priced)
        return priced


def rejection(quote: Quote) -> str:
    """The Danish reason a quote cannot be settled."""
    if quote.status == "not_covered":
        return "ikke omfattet af aftalen: " + " ".join(quote.reasons)
    return "kan ikke beregnes: " + " ".join(r for r in quote.reasons if not r.startswith("Takst:"))


def _label(tariff: Any, quote: Quote) -> str:
    titles = {s.id: s.title for s in tariff.schedules} if tariff is not None else {}
    title = titles.get(quote.kind, quote.kind)
    return f"{title}, kategori {quote.category}" if quote.category is not None else title


def _date(name: str, text: str) -> dt.date:
    word = "startdato" if name == "start_date" else "slutdato"
    if not text.strip():
        raise FactsError(name, f"mangler {word}")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise FactsError(name, f"{word} '{text}' er ikke en dato (ÅÅÅÅ-MM-DD)") from None


def _reads_start_date(book: Book, region: str, columns: set[str]) -> bool:
    """Whether a price or an eligibility answer can depend on the exact start date, given these columns."""
    vocab = book.vocabulary
    derived_from_date = {name for name, fact in vocab.facts.items()
                         if fact.derive and "date" in fact.derive[1]
                         and all(a in columns or a == "date" for a in fact.derive[1])}
    reads: set[str] = set()
    for agreement in book.agreements(region):
        for rule in agreement.rules:
            if rule.compiled is not None:
                reads |= _compiled_reads(rule.compiled)
        if agreement.tariff is not None:
            reads |= {x for x in agreement.tariff.reads if x not in ("start_date", "end_date")}
    return bool(reads & ({"date", "start_date"} | derived_from_date))


def _compiled_reads(compiled: Any) -> set[str]:
    out = set(compiled.reads)
    for kid in compiled.kids:
        out |= _compiled_reads(kid)
    return out


def check_header(header: list[str], book: Book, path: str) -> list[str]:
    """The header's column names, stripped; ``RegisterError`` for a missing, unknown or repeated column."""
    names = [h.strip() for h in header]
    allowed = ["course_id", *book.vocabulary.facts]
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
    first = text.split("\n", 1)[0]
    return text, ";" if first.count(";") > first.count(",") else ","


def _rows(reader: Any, path: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise RegisterError(path, reader.line_num, 1, f"filen kan ikke læses som CSV: {exc}") from None


def _with_progress(rows: Iterator[list[str]], total: int) -> Iterator[list[str]]:
    from tqdm import tqdm

    with tqdm(total=total, unit=" rækker", unit_scale=True, desc="Afregner") as bar:
        for n, row in enumerate(rows, 1):
            if n % PROGRESS_EVERY == 0:
                bar.update(PROGRESS_EVERY)
            yield row
        bar.update(total - bar.n)


def settle_file(book: Book, path: Path, region: str, out: Path, period: str | None = None,
                progress: bool = False) -> Settlement:
    """Settle a register file into ``out``: courses.csv, invoices.csv, rejected.csv, summary.txt, activity.*."""
    text, delimiter = read_register(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(_rows(reader, str(path)), None)
    if not header:
        raise RegisterError(str(path), 1, 1, "registret er tomt", hint="første linje skal være kolonnernes navne")
    settler = Settler(book, region, header, period, str(path))
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".afregning-", dir=out))
    try:
        with open(tmp / "courses.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COURSES_HEADER)
            rows = _rows(reader, str(path))
            if progress:
                rows = _with_progress(rows, max(text.count("\n") - 1, 0))
            result = settler.run(rows, writer.writerow, lambda n: reader.line_num)
        write_reports(result, tmp)
        for item in sorted(tmp.iterdir()):
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def write_reports(result: Settlement, folder: Path) -> None:
    """invoices.csv, rejected.csv, summary.txt and the activity summary, next to courses.csv."""
    from ivrules.activity import write_activity

    _csv(folder / "invoices.csv", INVOICES_HEADER, (i.row() for i in result.invoices()))
    _csv(folder / "rejected.csv", REJECTED_HEADER, ((str(r), c, why) for r, c, why in result.rejected))
    (folder / "summary.txt").write_text(summary(result), encoding="utf-8")
    write_activity(result, folder)


def _csv(path: Path, header: tuple[str, ...], rows: Iterable[Iterable[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def summary(result: Settlement) -> str:
    """A short Danish account of the settlement: rows, totals, revisions and why rows were rejected."""
    from ivrules import danish

    total, region, kommune = result.totals()
    lines = [f"Afregning for {result.region}" + (f", {result.period}" if result.period else ", alle kvartaler"),
             f"Rækker læst: {danish.number(result.rows)}",
             f"Afregnet: {danish.number(result.settled)} forløb",
             f"Afvist: {danish.number(len(result.rejected))} rækker (se rejected.csv)",
             f"Samlet: {danish.kroner(total)}; regionens andel {danish.kroner(region)}, "
             f"kommunernes andel {danish.kroner(kommune)}",
             f"Fakturaer: {danish.number(len(result.invoices()))} (kommune og kvartal, se invoices.csv)"]
    if result.bilateral():
        lines.append(f"Forløb over takstmodellens sidste dag (kræver bilateral aftale): "
                     f"{danish.number(result.bilateral())}")
    lines.extend(f"Udgave {rev}: {danish.number(n)} forløb" for rev, n in sorted(result.revisions.items()))
    reasons = Counter(_reason_group(why) for _, _, why in result.rejected)
    if reasons:
        lines.append("Hyppigste grunde til afvisning:")
        lines.extend(f"  {danish.number(n)} × {why}" for why, n in reasons.most_common(10))
    return "\n".join(lines) + "\n"


def _reason_group(reason: str) -> str:
    # Reasons that name the row's own value are grouped by their general part.
    return re.sub(r"'[^']*'", "'…'", reason)
