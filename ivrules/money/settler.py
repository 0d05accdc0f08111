"""A register's rows → its settlement, on DuckDB: typed in SQL, priced by the rules compiled to SQL.

``Settler`` is ``ivrules settle``'s engine (``ivrules.money.register`` reads the
file into a table of cells and writes what this leaves behind). The steps, each
a table of the connection: ``register_clean`` (the cells typed by
``ivrules.money.reader.Typing``), ``register_read`` and ``register_refused``
(the rows the engine's own parser read in Python, typed or refused with its
Danish reason), ``register_claims`` (the lines whose course id occurs more
than once), ``register_outcome`` (each row once, priced by the region's
compiled query as it is stored, the view ``register_priced``: settled, outside
the period or rejected, with its price or reason; a repeated id refused after),
and ``register_prices`` (each distinct computed price, numbered, and
``register_price_cells``, its cells in courses.csv, written once by
``Priced.cells``). The static SQL below names only these tables and their
columns; every value (the period, a cell, a reason) reaches DuckDB as a
parameter or through a file DuckDB reads, never as SQL text.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import duckdb
from sqlglot import exp

from ivrules.engine.book import Book
from ivrules.engine.sql.query import col
from ivrules.engine.sql.rules import literal
from ivrules.money.cells import NUMBER, TRIGGERS
from ivrules.money.reader import (
    CELLS,
    COURSE_ID,
    KEY,
    LINE,
    MUNICIPALITY,
    TYPED,
    WRITTEN,
    Reader,
    Staged,
    load_rows,
)
from ivrules.money.settle import (
    COURSES_HEADER,
    OUTSIDE_HEADER,
    REJECTED_HEADER,
    Priced,
    Ran,
    Settlement,
    Slot,
    _label,
    _repeated,
    check_header,
)

PRICE = ("revision", "kind", "category", "total", "region_share", "municipality_share", "flags")


def same_price(a: str, b: str) -> str:
    """The condition that tables ``a`` and ``b`` hold the same price: every ``PRICE`` column equal, NULL to NULL."""
    return " AND ".join(f"{a}.{c} IS NOT DISTINCT FROM {b}.{c}" for c in PRICE)


# The lines whose course id (as ids are compared) occurs more than once. They are found among the ids whose hash
# occurs more than once (integers group faster than texts), so only those few ids are grouped as texts; ``keys``
# is read from the tables each time it is named, not kept.
CLAIMS = """
CREATE OR REPLACE TEMP TABLE register_claims AS
WITH keys AS NOT MATERIALIZED (
    SELECT register_line AS line, register_key AS key FROM register_typed
    UNION ALL
    SELECT line, register_key AS key FROM register_refused
), candidates AS (
    SELECT line, key FROM keys
    WHERE hash(key) IN (SELECT h FROM (SELECT hash(key) AS h FROM keys) GROUP BY h HAVING count(*) > 1)
)
SELECT line, key FROM candidates WHERE key IN (SELECT key FROM candidates GROUP BY key HAVING count(*) > 1)
"""
# Each row once, as the region's compiled query (the view ``register_priced``) prices it, straight into the
# table: its price, quarter and outcome, or its reason. A row repeating an id is refused after (``REPEATED``).
OUTCOME = f"""
CREATE OR REPLACE TEMP TABLE register_outcome AS
WITH every_row AS (
    SELECT register_line AS line, course_id, register_id, register_municipality AS municipality,
           status, reason, {', '.join(PRICE)}, invoice_day, FALSE AS early
    FROM register_priced
    UNION ALL BY NAME
    SELECT line, course_id, 'refused' AS status, reason, early FROM register_refused
), placed AS (
    SELECT *, CASE WHEN status = 'computed' THEN year(invoice_day) || 'Q' || quarter(invoice_day) END AS quarter
    FROM every_row
)
SELECT line, course_id, register_id, municipality, {', '.join(PRICE)}, quarter, reason, early,
       status = 'computed' AS computed,
       CASE WHEN early OR status <> 'computed' THEN 'rejected'
            WHEN $period IS NULL OR quarter = $period THEN 'settled'
            ELSE 'outside' END AS outcome
FROM placed
"""
PRICES = f"""
CREATE OR REPLACE TEMP TABLE register_prices AS
SELECT row_number() OVER (ORDER BY {', '.join(PRICE)}) AS price, *
FROM (SELECT DISTINCT {', '.join(PRICE)} FROM register_outcome WHERE computed)
"""
# A row whose id an earlier computed course claimed (the first computed course with that id), unless it was
# refused before ids are compared, with the line and id of that course.
REPEATED = """
WITH firsts AS (
    SELECT c.key, min(c.line) FILTER (WHERE o.computed) AS first
    FROM register_claims c JOIN register_outcome o USING (line) GROUP BY c.key
)
SELECT o.line, coalesce(o.course_id, ''), f.line, coalesce(f.course_id, '')
FROM register_claims c JOIN firsts USING (key) JOIN register_outcome o ON o.line = c.line
     JOIN register_outcome f ON f.line = firsts.first
WHERE NOT o.early AND c.line > firsts.first ORDER BY o.line
"""
SLOTS = f"""
SELECT p.price, o.municipality, o.quarter, o.n
FROM (SELECT {', '.join(PRICE)}, coalesce(municipality, '') AS municipality, quarter, count(*) AS n,
             min(line) AS first
      FROM register_outcome WHERE outcome = 'settled' GROUP BY ALL) o
JOIN register_prices p ON {same_price('o', 'p')}
ORDER BY o.first
"""
# Reasons that name the row's own value or line are grouped by their general part; each distinct reason is
# counted first, so the patterns run once a reason, not once a row.
REASONS = """
SELECT regexp_replace(regexp_replace(reason, '''[^'']*''', '''…''', 'g'), 'linje [0-9]+', 'linje …', 'g') AS why,
       sum(n)::BIGINT AS n
FROM (SELECT reason, count(*) AS n, min(line) AS first FROM register_outcome WHERE outcome = 'rejected'
      GROUP BY reason)
GROUP BY why ORDER BY n DESC, min(first) LIMIT 10
"""


class Settler:
    """Settles registers with one header (which decides the columns) for one region, on DuckDB.

    The rows arrive as a table of text cells (``line``, ``width``, ``c0`` …; ``ivrules.money.register`` reads a
    file into one). ``Typing`` types the cells in SQL; the rows it cannot type are read by the engine's own
    parser in Python (``_read``), which refuses a row with its Danish reason or gives its typed facts. Every
    course is then priced by the region's compiled query (``ivrules.engine.sql``): the rules the scalar
    evaluator runs, by the revision in force on the course's date, accession included. A row repeating the id
    of an earlier settled course is refused after pricing, naming the line that claimed the id. No course is
    priced row by row in Python, and nothing is kept between rows but DuckDB's tables.
    """

    def __init__(self, book: Book, region: str, header: list[str], path: str = "<register>") -> None:
        from ivrules.engine.sql.query import Columns, RegionQuery

        region = book.region_id(region)  # "Region Midtjylland" → midtjylland; UnknownRegionError before any row
        self.agreements = {a.revision: a for a in book.agreements(region)}
        self.book, self.region, self.path = book, region, path
        self.reader = Reader(book, check_header(header, book, path))
        typing = self.reader.typing
        columns = Columns(frozenset(typing.facts), (LINE, KEY, COURSE_ID, WRITTEN, MUNICIPALITY),
                          frozenset(typing.numbers))
        self.query = RegionQuery(book, region, columns).sql(exp.to_table(TYPED, quoted=True))  # compiled once

    def run(self, rows: Iterable[list[str]], out: TextIO | None = None, period: str | None = None) -> Ran:
        """Settle ``rows`` (each a list of cells, without the header; row n is line n + 1) in memory, all of
        them or the quarter ``period``: the settlement, and the courses.csv rows (also written to ``out``), the
        rejected and the outside rows."""

        with duckdb.connect() as con, tempfile.TemporaryDirectory(prefix="ivrules-") as folder:
            width = self.reader.width
            shaped = ((n + 1, len(row), *row[:width], *[None] * (width - len(row)))
                      for n, row in enumerate(rows, 1) if row)  # an empty list is a blank line: not a row
            load_rows(con, CELLS, self.reader.cell_columns(), shaped, Path(folder))
            result = self.settle(con, Path(folder), period)
            courses = [tuple(r) for r in con.sql(self.courses().sql("duckdb")).fetchall()]
            if out is not None:
                csv.writer(out, lineterminator="\n").writerows(courses)  # every cell is escaped by ``courses``
            rejected, outside = ([tuple(r) for r in con.sql(self.listed(kind).sql("duckdb")).fetchall()]
                                 for kind in ("rejected", "outside"))
        return Ran(result, courses, rejected, outside)  # type: ignore[arg-type]

    def settle(self, con: Any, folder: Path, period: str | None = None) -> Settlement:
        """Settle the rows of the table ``register_cells`` in ``con`` (all, or the quarter ``period``); leaves
        ``register_outcome`` (each row settled, outside or rejected, with its price or reason) for ``courses`` and
        ``listed``. ``folder`` holds the files Python hands DuckDB (the rows the engine's parser read, the prices'
        cells, the reasons for repeated ids)."""
        self.reader.read(con, folder)
        con.execute(CLAIMS)
        con.execute(f"CREATE OR REPLACE TEMP VIEW register_priced AS {self.query}")
        con.execute(OUTCOME, {"period": period})
        con.execute("DROP VIEW register_priced")
        con.execute("DROP TABLE register_clean")
        prices = self._prices(con, folder)
        self._repeated(con, folder)
        return self._settlement(con, prices, period)

    def _repeated(self, con: Any, folder: Path) -> None:
        """Each row that repeats the id of an earlier settled (or outside) course is rejected, naming that line."""
        cursor = con.execute(REPEATED)
        reasons = Staged("register_repeated", [("line", "BIGINT"), ("reason", "VARCHAR")], folder)
        while batch := cursor.fetchmany(8192):  # in batches: a register may repeat millions of ids
            for line, course, first_line, first in batch:
                reasons.append((line, _repeated(course, line, first_line, first)))
        reasons.load(con)
        con.execute("UPDATE register_outcome SET outcome = 'rejected', reason = r.reason FROM register_repeated r "
                    "WHERE register_outcome.line = r.line")

    def _prices(self, con: Any, folder: Path) -> dict[int, Priced]:
        """Each distinct price of the computed courses, numbered (``register_prices``), with its courses.csv
        cells (``register_price_cells``)."""
        con.execute(PRICES)
        prices: dict[int, Priced] = {}
        for price, revision, kind, category, total, region_share, kommune, flags in con.execute(
                "SELECT * FROM register_prices").fetchall():
            label = _label(self.agreements[revision].tariff, kind, category)
            prices[price] = Priced(total, region_share, kommune, revision, kind,
                                   tuple(flags.split(";")) if flags else (), label)
        load_rows(con, "register_price_cells", [("price", "BIGINT"), *((c, "VARCHAR") for c in COURSES_HEADER[3:])],
                  ((price, *p.cells) for price, p in prices.items()), folder)
        return prices

    def _settlement(self, con: Any, prices: dict[int, Priced], period: str | None) -> Settlement:
        counted = dict(con.execute("SELECT outcome, count(*) FROM register_outcome GROUP BY outcome").fetchall())
        slots = [Slot(prices[price], municipality, quarter, courses) for price, municipality, quarter, courses
                 in con.execute(SLOTS).fetchall()]
        reasons = [(group, n) for group, n in con.execute(REASONS).fetchall()]
        return Settlement(self.region, period, sum(counted.values()),
                          self.book.vocabulary.regions.get(self.region), slots, counted.get("rejected", 0),
                          counted.get("outside", 0), reasons)

    def courses(self) -> exp.Select:
        """courses.csv's rows, in the register's order, each cell escaped (``cells.cell``)."""
        cells = [escaped(col(WRITTEN, "s")), col("municipality", "s"), col("quarter", "s"),
                 *(col(c, "p") for c in COURSES_HEADER[3:])]
        return exp.select(*_named(cells, COURSES_HEADER)).from_(exp.alias_(exp.to_table("register_outcome"), "s")).join(
            exp.alias_(exp.to_table("register_prices"), "k"), on=same_price("s", "k")).join(
            exp.alias_(exp.to_table("register_price_cells"), "p"),
            on=exp.EQ(this=col("price", "p"), expression=col("price", "k"))).where(
            exp.EQ(this=col("outcome", "s"), expression=literal("settled"))).order_by(col("line", "s"))

    def listed(self, kind: str) -> exp.Select:
        """rejected.csv's rows (``kind`` rejected: line, id, reason) or outside.csv's (outside: line, id, quarter)."""
        last, header = ("reason", REJECTED_HEADER) if kind == "rejected" else ("quarter", OUTSIDE_HEADER)
        cells = [col("line"), escaped(col(COURSE_ID)), escaped(col(last))]
        return exp.select(*_named(cells, header)).from_("register_outcome").where(
            exp.EQ(this=col("outcome"), expression=literal(kind))).order_by(col("line"))


def escaped(text: exp.Expression) -> exp.Expression:
    """``cells.cell`` in SQL: a ``'`` before a cell that starts like a formula and is not a plain number."""
    first = exp.Substring(this=text.copy(), start=literal(1), length=literal(1))
    number = exp.Anonymous(this="regexp_full_match", expressions=[text.copy(), literal(NUMBER.pattern)])
    formula = exp.Case(ifs=[exp.If(this=number, true=text.copy())],  # the pattern only where the first sign is one
                       default=exp.DPipe(this=literal("'"), expression=text.copy()))
    return exp.Case(ifs=[exp.If(this=exp.In(this=first, expressions=[literal(t) for t in TRIGGERS]), true=formula)],
                    default=text)


def _named(cells: list[exp.Expression], header: tuple[str, ...]) -> list[exp.Expression]:
    """A file's cells named by its header; an empty text is written as an empty cell, as ``csv.writer`` does."""
    written = [cells[0], *(exp.Nullif(this=e, expression=literal("")) for e in cells[1:])]
    return [exp.alias_(e, name, quoted=True) for e, name in zip(written, header, strict=True)]  # type: ignore[misc]
