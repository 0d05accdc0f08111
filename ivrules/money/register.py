"""A register file (CSV) → ``settler.Settler`` on DuckDB → the settlement's files in an output folder.

The file is checked as a whole before anything is read (``scan``): UTF-8 (a
bad byte is reported with its line and column), no NUL, a header line; ``;``
or ``,`` between columns is taken from the header line (Danish spreadsheets
export ``;``). Where no cell is quoted, each line is a row and DuckDB reads
and splits the lines itself; a file with quotes is read by Python's ``csv``
module (a broken quote stops the whole file, with its line) into a plain file
DuckDB reads. Everything is written to a temporary folder inside the output
folder and moved into place only when every file is complete: a whole-file
error leaves nothing half-written.

    courses.csv   every settled course: id, municipality, quarter, kind (the tariff's Danish label), amounts,
                  revision, flags
    invoices.csv  one row per municipality and quarter (no grand-total row; totals are in the summary)
    rejected.csv  row (the line in the register), course_id, reason (in Danish)
    outside.csv   row, course_id, quarter: courses that settle in another quarter than ``--period``
    summary.txt   a short Danish summary
    activity.csv, activity.svg  courses and expense per quarter by kind and category

Every CSV cell is written through ``ivrules.money.cells.cell`` (or its SQL
twin, ``settler.escaped``), so a spreadsheet shows a cell such as ``=1+2`` as
text.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.money.cells import Writer
from ivrules.money.settle import RegisterError, Settlement

INVOICES_HEADER = ("municipality", "quarter", "courses", "total", "region_share", "municipality_share")
CHUNK = 1 << 24  # bytes of the file checked at a time
LINE_LIMIT = 1 << 20  # characters in one line of the register: longer is not a register
MEMORY = "1GB"  # DuckDB's memory; beyond it, it spills to the output folder


@dataclass(frozen=True)
class Scan:
    """What checking the whole file found: the header's cells, the delimiter, and whether each line is a row."""

    header: list[str]
    delimiter: str
    simple: bool  # no quote character and one kind of line end: DuckDB may split the lines itself


@dataclass
class Timings:
    """Seconds spent checking the file, compiling the region's query, reading, pricing and writing each file
    (``ivrules settle`` and the benchmark report them)."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - started


def settle_file(book: Book, path: Path, region: str, out: Path, period: str | None = None,
                progress: bool = False, timings: Timings | None = None) -> Settlement:
    """Settle a register file into the folder ``out``; ``RegisterError`` when the file cannot be read."""
    from ivrules.money.settler import Settler

    timings = timings or Timings()
    with timings.step("check"):
        scanned = scan(path, utf8=False)
    with timings.step("compile"):
        settler = Settler(book, region, scanned.header, str(path))
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".afregning-", dir=out))  # the files, moved into ``out`` when complete
    scratch = tmp / ".arbejde"  # what Python hands DuckDB, and what DuckDB spills: never moved
    try:
        with connect(scratch) as con, _stages(progress) as stage:
            with timings.step("read"), located(path):
                stage("læser registret")
                load_cells(con, path, scanned, settler.reader, scratch)
            with timings.step("price"), located(path):
                stage("prissætter forløbene")
                result = settler.settle(con, scratch, period)
            stage("skriver filerne")
            write_files(con, settler, result, tmp, timings)
        for item in sorted(tmp.iterdir()):
            if item.is_file():
                os.replace(item, out / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


@contextmanager
def _stages(progress: bool) -> Iterator[Any]:
    """A bar of the settlement's three stages on the terminal where asked (``--progress``); else nothing."""
    if not progress:
        yield lambda name: None
        return
    from tqdm import tqdm

    with tqdm(total=3, desc="Afregner", bar_format="{desc}: {n}/{total} {postfix}") as bar:
        def stage(name: str) -> None:
            if bar.postfix:
                bar.update(1)
            bar.set_postfix_str(name)
        yield stage
        bar.update(1)


def scan(path: Path, utf8: bool = True) -> Scan:
    """Check the whole file (UTF-8, no NUL, a header) and find its delimiter; ``RegisterError`` names the line
    and column of a problem. Reads the file in chunks: a register of millions of rows is never held whole.
    ``utf8=False`` leaves the UTF-8 check of a file without quotes to DuckDB, which reads it whole and refuses the
    same bytes (``located`` then runs the whole check here, to name the line and column)."""
    checked = _Checked(str(path), utf8)
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                checked.feed(chunk)
            checked.finish()
        first = checked.first.decode("utf-8-sig").rstrip("\r\n")
    except OSError as exc:
        raise RegisterError(str(path), 1, 1, f"kan ikke læse filen: {exc.strerror}") from None
    except (RegisterError, UnicodeDecodeError):
        if utf8:
            raise
        return scan(path)  # the first problem in the file is the one named: a bad byte may come before a NUL
    if not first:
        raise RegisterError(str(path), 1, 1, "registret er tomt", hint="første linje skal være kolonnernes navne")
    if not utf8 and not checked.simple:
        return scan(path)  # Python's csv module reads it: checked here
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter))
    return Scan(header, delimiter, checked.simple)


class _Checked:
    """``scan``'s state between chunks: the header, whether a quote occurs, and the carriage returns, line feeds
    and CR LF pairs (each counted in the same pass; a file without a carriage return needs no line count)."""

    def __init__(self, path: str, utf8: bool = True) -> None:
        self.path, self.utf8 = path, utf8
        self.carry = b""  # the start of a character cut by a chunk's end
        self.offset = 0  # bytes checked
        self.first = b""  # the header line, as bytes
        self.header_done = False
        self.quotes, self.cr, self.lf, self.crlf, self.tail, self.bare = False, 0, 0, 0, b"", False

    def feed(self, chunk: bytes, last: bool = False) -> None:
        data = self.carry + chunk if self.carry else chunk
        good, bad = len(data), None
        if self.utf8 and not data.isascii():  # ASCII is UTF-8; only other bytes need decoding to be checked
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                if last or exc.reason != "unexpected end of data":
                    bad = exc.start
                good = exc.start  # (a character cut by the chunk's end: checked with the next chunk)
        nul = data.find(b"\x00", 0, good)  # whichever problem comes first in the file is the one reported
        if nul >= 0:
            self._fail(data, nul, "filen indeholder NUL-tegn og er ikke en CSV-fil", None)
        if bad is not None:
            self._fail(data, bad, f"filen er ikke UTF-8 (byte 0x{data[bad]:02X})",
                       "gem registret som CSV i UTF-8 (i Excel: 'CSV UTF-8')", bytes_=True)
        part, self.carry = (data[:good], data[good:]) if good < len(data) else (data, b"")
        if not self.header_done:
            end = part.find(b"\n")
            self.first += part if end < 0 else part[:end]
            self.header_done = end >= 0
        self.quotes = self.quotes or b'"' in part or b"\x01" in part
        if b"\r" in part or self.cr:  # line ends are told apart only in a file with a carriage return at all
            self.crlf += (self.tail + part[:1]).count(b"\r\n") + part.count(b"\r\n")
            self.cr += part.count(b"\r")
            self.lf += part.count(b"\n")
        else:
            self.bare = self.bare or b"\n" in part  # a line feed before the first carriage return: not CR LF
        self.tail = b"\r" if part.endswith(b"\r") else b""
        self.offset += len(part)

    def finish(self) -> None:
        if self.carry:
            self.feed(b"", last=True)

    @property
    def simple(self) -> bool:
        return not self.quotes and (not self.cr or (not self.bare and self.cr == self.crlf == self.lf))

    def _fail(self, data: bytes, at: int, message: str, hint: str | None, bytes_: bool = False) -> None:
        """Stop at byte ``at`` of ``data`` (which starts at ``offset``), naming its line and column."""
        with open(self.path, "rb") as handle:
            before = handle.read(self.offset) + data[:at]
        start = before.rfind(b"\n") + 1
        line = before[start:]
        column = len(line) if bytes_ else len(line.decode("utf-8", "replace"))
        raise RegisterError(self.path, before.count(b"\n") + 1, column + 1, message, hint=hint)


def connect(scratch: Path) -> Any:
    """A DuckDB connection for one register: kept to ``MEMORY``, spilling into ``scratch`` (made here), where the
    files Python hands DuckDB are written too."""
    import duckdb

    scratch.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(config={"memory_limit": MEMORY, "temp_directory": str(scratch / "duckdb")})


@contextmanager
def located(path: Path) -> Iterator[None]:
    """DuckDB's errors while it reads and prices the register, as a located Danish ``RegisterError``: a byte that
    is not UTF-8 (``scan`` left it to DuckDB) or a line longer than DuckDB reads (``LINE_LIMIT``) is found and
    named; any other names the file."""
    import duckdb

    try:
        yield
    except duckdb.Error:
        scan(path)  # the whole check, UTF-8 too: names the line and column of a byte DuckDB refused
        line = _long_line(path)
        if line is not None:
            raise RegisterError(str(path), line, 1, f"linjen er længere end {danish.number(LINE_LIMIT)} tegn",
                                hint="et register har én kort linje pr. forløb; er filen et CSV-register?") from None
        raise RegisterError(str(path), 1, 1, "registret kan ikke læses og afregnes",
                            hint="tjek, at filen er et CSV-register med én linje pr. forløb") from None


def _long_line(path: Path) -> int | None:
    """The first line of the file longer than ``LINE_LIMIT`` bytes (None: there is none)."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if len(line.rstrip(b"\r\n")) > LINE_LIMIT:
                return number
    return None


def load_cells(con: Any, path: Path, scanned: Scan, reader: Any, folder: Path) -> None:
    """The register's rows into the table ``register_cells`` (line, width, c0 …), each row with its line."""
    from ivrules.money.reader import CELLS, load_rows

    if scanned.simple:
        _split_lines(con, path, scanned, reader.width)
        return
    with open(path, encoding="utf-8-sig", newline="") as handle:
        # strict: a broken quote makes every later row unreliable, so it stops the whole file
        cells = csv.reader(handle, delimiter=scanned.delimiter, strict=True)
        rows = _rows(cells, str(path))
        next(rows, None)  # the header, read by ``scan``
        width = reader.width
        shaped = ((cells.line_num, len(row), *row[:width], *[None] * (width - len(row))) for row in rows if row)
        load_rows(con, CELLS, reader.cell_columns(), shaped, folder)


def _split_lines(con: Any, path: Path, scanned: Scan, width: int) -> None:
    """A register without quotes: DuckDB reads its lines (one a row, in order) and splits them at the delimiter."""
    from sqlglot import exp

    from ivrules.engine.sql.query import col
    from ivrules.engine.sql.rules import literal
    from ivrules.money.reader import CELLS

    con.read_csv(str(path), header=False, columns={"l": "VARCHAR"}, sep="\x01", quotechar="", escapechar="",
                 auto_detect=False, max_line_size=LINE_LIMIT).create("register_lines")  # nothing sniffed
    cells = exp.Anonymous(this="string_split", expressions=[col("l"), literal(scanned.delimiter)])
    split = exp.select(exp.alias_(exp.Add(this=exp.column("rowid"), expression=literal(1)), "line"),
                       exp.alias_(cells, "s")).from_("register_lines").where(
        exp.and_(exp.GT(this=exp.column("rowid"), expression=literal(0)),
                 exp.NEQ(this=col("l"), expression=literal(""))))
    s = exp.column("s")
    rows = exp.select(col("line"), exp.alias_(exp.Anonymous(this="len", expressions=[s]), "width"),
                      *(exp.alias_(exp.Anonymous(this="list_extract", expressions=[s.copy(), literal(i + 1)]), f"c{i}")
                        for i in range(width))).from_(exp.Subquery(this=split, alias="split"))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {CELLS} AS {rows.sql('duckdb')}")


def _rows(reader: Any, path: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise RegisterError(path, reader.line_num, 1, f"filen kan ikke læses som CSV: {exc}",
                            hint="tjek anførselstegnene i linjen: et felt i anførselstegn skal lukkes") from None


def write_files(con: Any, settler: Any, result: Settlement, folder: Path, timings: Timings) -> None:
    """courses.csv, rejected.csv and outside.csv written by DuckDB from its tables; the rest from the settlement,
    by a second thread meanwhile (DuckDB lets go of Python while it writes, so the plot is drawn as it does)."""
    with ThreadPoolExecutor(max_workers=1) as beside:
        reports = beside.submit(_timed, timings, "reports", write_reports, result, folder)
        for name, select in (("courses.csv", settler.courses()), ("rejected.csv", settler.listed("rejected")),
                             ("outside.csv", settler.listed("outside"))):
            with timings.step(name):
                con.sql(select.sql("duckdb")).write_csv(str(folder / name), header=True)
        reports.result()  # its error, if any, is raised here


def _timed(timings: Timings, name: str, work: Any, *args: Any) -> None:
    with timings.step(name):
        work(*args)


def write_reports(result: Settlement, folder: Path) -> None:
    """invoices.csv, summary.txt and the activity summary, next to courses.csv, rejected.csv and outside.csv."""
    from ivrules.money.activity import write_activity

    _csv(folder / "invoices.csv", INVOICES_HEADER, (i.row() for i in result.invoices()))
    (folder / "summary.txt").write_text(summary(result), encoding="utf-8")
    write_activity(result, folder)


def _csv(path: Path, header: tuple[str, ...], rows: Iterable[Iterable[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = Writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def summary(result: Settlement) -> str:
    """A short Danish account of the settlement: rows, totals, kinds, revisions and why rows were rejected."""
    total, region, kommune = result.totals()
    period = f", {danish.quarter(result.period)} ({result.period})" if result.period else ", alle kvartaler"
    lines = [f"Afregning for {result.region_name or result.region}{period}",
             f"Rækker læst: {danish.number(result.rows)}",
             f"Afregnet: {danish.number(result.settled)} forløb"]
    if result.period:
        lines.append(f"Uden for perioden: {danish.number(result.outside)} forløb, der afregnes i et andet "
                     "kvartal (se outside.csv)")
    lines += [f"Afvist: {danish.number(result.rejected)} {'række' if result.rejected == 1 else 'rækker'} "
              "(se rejected.csv)",
              f"Samlet: {danish.kroner(total)}; regionens andel {danish.kroner(region)}, "
              f"kommunernes andel {danish.kroner(kommune)}",
              f"Fakturaer: {danish.number(len(result.invoices()))} (kommune og kvartal, se invoices.csv)"]
    if result.bilateral():
        lines.append(f"Forløb over takstmodellens sidste dag (kræver bilateral aftale): "
                     f"{danish.number(result.bilateral())}")
    return "\n".join(lines + _counted(result)) + "\n"


def _counted(result: Settlement) -> list[str]:
    """The settled courses by kind and by revision, and the most common reasons for rejection."""
    kinds = result.kinds()
    lines = ["Afregnede forløb efter takst:"] if kinds else []
    lines += [f"  {danish.number(n)} × {label}" for label, n in kinds.most_common()]
    lines += [f"Udgave {danish.iso_date(rev)}: {danish.number(n)} forløb"
              for rev, n in sorted(result.revisions().items())]
    if result.reasons:
        lines.append("Hyppigste grunde til afvisning:")
        lines.extend(f"  {danish.number(n)} × {why}" for why, n in result.reasons)
    return lines
