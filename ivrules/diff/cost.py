"""A course register priced under both revisions of a diff: the money, in total and per municipality, on DuckDB.

``ivrules diff --courses`` reads the register as settlement does
(``ivrules.money.register`` and ``ivrules.money.reader``: the same checks,
the same Danish reasons) and prices every course under each revision directly,
whatever its dates, with the revision's rules compiled to SQL
(``RegionQuery.priced_by``): the same rules ``ivrules.engine.course.quote``
runs for one course, and a test holds the two equal. A row the reader refuses
for its number of cells or a missing id is counted apart (``rejected_rows``);
a course whose facts the engine refuses is a course not priced, status
``rejected``, under both. Sums are DuckDB ``DECIMAL``: exact.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

from ivrules.diff.model import Revision
from ivrules.engine.book import Book
from ivrules.engine.quote import money
from ivrules.model.accession import Accession

NO_MUNICIPALITY = "(ingen kommune)"
SIDES = ("before", "after")

# One row per course: its municipality (as the register wrote it, where the engine refused the row) and each
# revision's answer; a course is changed where the answers differ in what the diff compares (status, amounts
# of a computed price, flags). Rows refused before their facts were read are counted apart.
COURSES = """
CREATE OR REPLACE TEMP TABLE cost_courses AS
SELECT coalesce(b.register_municipality, $none) AS name,
       b.status AS before_status, b.total AS before_total, b.region_share AS before_region_share,
       b.municipality_share AS before_municipality_share,
       a.status AS after_status, a.total AS after_total, a.region_share AS after_region_share,
       a.municipality_share AS after_municipality_share,
       b.status IS DISTINCT FROM a.status OR coalesce(b.flags, '') <> coalesce(a.flags, '')
       OR (b.status = 'computed' AND (b.total, b.region_share, b.municipality_share)
                                     IS DISTINCT FROM (a.total, a.region_share, a.municipality_share)) AS changed
FROM cost_before b JOIN cost_after a USING (register_line)
UNION ALL
SELECT coalesce(nullif(municipality, ''), $none), 'rejected', NULL, NULL, NULL, 'rejected', NULL, NULL, NULL, FALSE
FROM register_refused WHERE NOT early
"""
SUMS = """
SELECT name, count(*), count(*) FILTER (WHERE changed),
       coalesce(sum(before_total) FILTER (WHERE before_status = 'computed'), 0),
       coalesce(sum(before_region_share) FILTER (WHERE before_status = 'computed'), 0),
       coalesce(sum(before_municipality_share) FILTER (WHERE before_status = 'computed'), 0),
       count(*) FILTER (WHERE before_status = 'computed'),
       coalesce(sum(after_total) FILTER (WHERE after_status = 'computed'), 0),
       coalesce(sum(after_region_share) FILTER (WHERE after_status = 'computed'), 0),
       coalesce(sum(after_municipality_share) FILTER (WHERE after_status = 'computed'), 0),
       count(*) FILTER (WHERE after_status = 'computed')
FROM cost_courses GROUP BY name
"""
NOT_PRICED = """
SELECT name, 'before', before_status, count(*) FROM cost_courses WHERE before_status <> 'computed' GROUP BY ALL
UNION ALL
SELECT name, 'after', after_status, count(*) FROM cost_courses WHERE after_status <> 'computed' GROUP BY ALL
"""


class MoneyJSON(TypedDict):
    """En udgaves beløb for en gruppe forløb."""

    total: str
    region_share: str
    municipality_share: str
    priced: int
    not_priced: dict[str, int]
    """Forløb uden pris, efter status."""


class DifferenceJSON(TypedDict):
    """Efter minus før."""

    total: str
    region_share: str
    municipality_share: str


class RowJSON(TypedDict):
    """En kommune (eller hele registret) under begge udgaver."""

    name: str
    courses: int
    changed: int
    before: MoneyJSON
    after: MoneyJSON
    difference: DifferenceJSON


class CostJSON(TypedDict):
    """Et forløbsregister prissat efter begge udgaver: i alt og pr. kommune."""

    register: str
    courses: int
    rejected_rows: int
    total: RowJSON
    municipalities: list[RowJSON]


@dataclass
class Side:
    """One revision's money for a group of courses."""

    total: Decimal = Decimal(0)
    region_share: Decimal = Decimal(0)
    municipality_share: Decimal = Decimal(0)
    priced: int = 0
    not_priced: dict[str, int] = field(default_factory=dict)  # status → courses

    def add(self, other: Side) -> None:
        """Add another group's money (a municipality's, to the register's total)."""
        self.total += other.total
        self.region_share += other.region_share
        self.municipality_share += other.municipality_share
        self.priced += other.priced
        for status, count in other.not_priced.items():
            self.not_priced[status] = self.not_priced.get(status, 0) + count

    def to_dict(self) -> MoneyJSON:
        return {"total": money(self.total), "region_share": money(self.region_share),
                "municipality_share": money(self.municipality_share), "priced": self.priced,
                "not_priced": dict(sorted(self.not_priced.items()))}


@dataclass
class Row:
    """A municipality (or the whole register) under both revisions."""

    name: str
    courses: int = 0
    changed: int = 0  # courses priced differently
    before: Side = field(default_factory=Side)
    after: Side = field(default_factory=Side)

    def to_dict(self) -> RowJSON:
        b, a = self.before, self.after
        return {"name": self.name, "courses": self.courses, "changed": self.changed,
                "before": b.to_dict(), "after": a.to_dict(),
                "difference": {"total": money(a.total - b.total),
                               "region_share": money(a.region_share - b.region_share),
                               "municipality_share": money(a.municipality_share - b.municipality_share)}}


@dataclass
class CostReport:
    """A course register priced under both revisions: totals and shares, per municipality."""

    register: str
    total: Row
    municipalities: dict[str, Row]
    rejected: int = 0  # rows that could not be read as a course

    def to_dict(self) -> CostJSON:
        return {"register": self.register, "courses": self.total.courses, "rejected_rows": self.rejected,
                "total": self.total.to_dict(),
                "municipalities": [self.municipalities[k].to_dict() for k in sorted(self.municipalities)]}


@dataclass(frozen=True)
class Register:
    """A course register priced under both revisions: the money, and the first courses' facts (tried as cases)."""

    path: Path
    cost: CostReport
    sample: list[dict[str, Any]] = field(default_factory=list)


def register_cost(old: Revision, new: Revision, path: Path, sample: int = 0) -> Register:
    """Price every course of the register file at ``path`` under both revisions; ``RegisterError`` when the file
    cannot be read. ``sample``: how many of the first courses' raw facts to keep as cases."""
    from sqlglot import exp

    from ivrules.engine.sql.query import Columns, RegionQuery
    from ivrules.money.reader import KEY, LINE, MUNICIPALITY, TYPED, Reader
    from ivrules.money.register import connect, load_cells, located, scan
    from ivrules.money.settle import check_header

    scanned = scan(path, utf8=False)
    book = _book(new)
    reader = Reader(book, check_header(scanned.header, book, str(path)))
    folder = Path(tempfile.mkdtemp(prefix="ivrules-diff-"))
    try:
        with connect(folder) as con:
            with located(path):
                load_cells(con, path, scanned, reader, folder)
                reader.read(con, folder)
            keep = Columns(frozenset(reader.typing.facts), (LINE, KEY, MUNICIPALITY), frozenset(reader.typing.numbers))
            source = exp.to_table(TYPED, quoted=True)
            for side, rev in zip(SIDES, (old, new), strict=True):
                query = RegionQuery(_book(rev), rev.agreement.region, keep).priced_by(source, rev.agreement.revision)
                con.execute(f"CREATE OR REPLACE TEMP TABLE cost_{side} AS {query.sql('duckdb')}")
            con.execute(COURSES, {"none": NO_MUNICIPALITY})
            report = _report(con, str(path))
            facts = _sample(con, reader, sample) if sample else []
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Register(path, report, facts)


def _book(rev: Revision) -> Book:
    """A book of the one revision (priced directly: neither dates nor accession choose it)."""
    return Book(rev.vocabulary, {rev.agreement.region: [rev.ruleset]}, None, Accession())


def _report(con: Any, path: str) -> CostReport:
    rows: dict[str, Row] = {}
    for name, courses, changed, *money_ in con.execute(SUMS).fetchall():
        before = Side(money_[0], money_[1], money_[2], money_[3])
        after = Side(money_[4], money_[5], money_[6], money_[7])
        rows[name] = Row(name, courses, changed, before, after)
    for name, side, status, count in con.execute(NOT_PRICED).fetchall():
        getattr(rows[name], side).not_priced[status] = count
    total = Row("I alt")
    for row in rows.values():
        total.courses += row.courses
        total.changed += row.changed
        total.before.add(row.before)
        total.after.add(row.after)
    rejected = con.execute("SELECT count(*) FROM register_refused WHERE early").fetchone()[0]
    return CostReport(path, total, rows, rejected)


def _sample(con: Any, reader: Any, count: int) -> list[dict[str, Any]]:
    """The raw facts (the non-empty cells, by JSON name) of the register's first ``count`` rows that have one
    cell a column."""
    cells = con.execute("SELECT * FROM register_cells WHERE width = $width ORDER BY line LIMIT $count",
                        {"width": reader.width, "count": count}).fetchall()
    names = reader.columns
    return [{name: cell.strip() for name, cell in zip(names, row[2:], strict=True)
             if name != "course_id" and cell is not None and cell.strip()} for row in cells]
