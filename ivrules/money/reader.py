"""A register's cells, as DuckDB holds them, → typed facts: in SQL where a cell is written as the engine writes it.

The register's rows arrive as a table of text cells (``line``, ``width``, ``c0``
… ``c<n>``; see ``ivrules.money.register``). ``Typing.select`` types each
cell in SQL where it is spelled in one of the ways the vocabulary's own
parser (``Vocabulary.normalise``) reads it the same way: an enumerated
value's JSON name or Danish term, a municipality's name, ``true``/``ja``/``1``
…, a date ``ÅÅÅÅ-MM-DD``, a plain decimal number within the fact's range. A
row with any other cell is not *clean*: settlement hands it to the
vocabulary's parser in Python, which reads it or says in Danish why not, so
every reason a row is refused comes from one implementation, and SQL never
reads a cell more leniently than the engine. A cell is typed as it stands:
one with spaces around it is read by the parser, which strips it. Course ids
are compared as ``same_course`` compares them (case and surrounding spaces do
not count); SQL computes that key only for ids of printable ASCII with no
space around them, where ``lower`` is exactly Python's ``casefold`` and the
id its own ``strip``.

Every name and value reaches SQL through sqlglot as a quoted identifier or
literal; no cell is ever part of the SQL text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.engine.sql.query import TEXT_SUFFIX, col, sql_type
from ivrules.engine.sql.rules import and_, is_null, literal, or_
from ivrules.errors import FactsError
from ivrules.lang.vocabulary import TRUE_WORDS, Fact, Vocabulary
from ivrules.money.settle import _date, same_course

COURSE_ID = "course_id"  # the register's own column: the row's id, not a fact
KEY = "register_key"  # the course id as ids are compared
WRITTEN = "register_id"  # the course id as courses.csv writes it: without the white space around it
LINE = "register_line"  # the row's line in the register file
MUNICIPALITY = "register_municipality"  # the typed municipality, carried past the pricing query
CLEAN = "register_clean"  # every cell typed in SQL
CELLS = "register_cells"  # the register's rows as text: line, width (cells in the row), c0 … c<n>
TYPED = "register_typed"  # every row that was typed, in SQL or by the engine's parser
# A decimal number written as the engine writes it (``str`` of its value): no leading zeros, no trailing zeros
# after the point, at most 14 digits before it and 10 after it, no "-0".
NUMBER = r"(0|-?[1-9][0-9]{0,13})(\.[0-9]{0,9}[1-9])?|-0\.[0-9]{0,9}[1-9]"
WHOLE = r"0|-?[1-9][0-9]{0,13}"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# An id of printable ASCII, not empty, with no space around it: it is its own ``strip``, and ``lower`` is Python's
# ``casefold`` of it. Any other id (spaces around it, other letters) goes to the engine's parser with its row.
PLAIN_ID = r"[!-~]([ -~]*[!-~])?"


def cell(i: int) -> exp.Column:
    """The i-th cell of a row of the cells table."""
    return col(f"c{i}")


def _matches(e: exp.Expression, pattern: str) -> exp.Expression:
    """``e`` matches ``pattern`` as a whole (RE2, as DuckDB reads it)."""
    return exp.Anonymous(this="regexp_full_match", expressions=[e, literal(pattern)])


def _case(e: exp.Expression, pairs: Iterable[tuple[str, object]]) -> exp.Expression:
    """``CASE e WHEN spelling THEN value … END`` (NULL for any other spelling)."""
    return exp.Case(this=e, ifs=[exp.If(this=literal(k), true=literal(v)) for k, v in pairs])


def _text(name: str) -> str:
    """The column of a fact's cell."""
    return f"register_text_{name}"


def _empty(text: exp.Expression) -> exp.Expression:
    return exp.EQ(this=exp.Coalesce(this=text, expressions=[literal("")]), expression=literal(""))


class Typing:
    """The SQL that types the cells of a register whose columns are ``columns`` (JSON names, ``course_id`` one of
    them): each fact's value, each number's text, the id and its key, and whether the row is clean."""

    def __init__(self, vocab: Vocabulary, columns: list[str]) -> None:
        self.vocab, self.columns = vocab, columns
        self.facts = [name for name in columns if name != COURSE_ID]
        self.numbers = sorted(f for f in self.facts if vocab.facts[f].type == "number")
        self.at = {name: i for i, name in enumerate(columns)}

    def value(self, fact: Fact, t: exp.Expression) -> exp.Expression:
        """The fact's typed value, from its cell ``t``, where the cell is written as SQL reads it exactly as the
        engine does; else NULL."""
        if fact.type == "bool":
            return _case(exp.Lower(this=t), TRUE_WORDS.items())
        if fact.type == "enum":
            return _case(t, [*((v.term, v.name) for v in fact.values), *((v.name, v.name) for v in fact.values)])
        if fact.type == "municipality":
            known = [literal(m) for m in sorted(self.vocab.municipalities)]
            return exp.Case(ifs=[exp.If(this=exp.In(this=t.copy(), expressions=known), true=t)])
        if fact.type == "date":
            ok = and_(_matches(t, DATE), exp.GTE(this=t.copy(), expression=literal("0001")))
            return exp.Case(ifs=[exp.If(this=ok, true=exp.TryCast(this=t.copy(), to=exp.DataType.build("DATE")))])
        if fact.type == "number":
            return self._number(fact, t)
        return exp.cast(exp.Null(), sql_type(fact))  # dose times: read by the engine's parser

    def _number(self, fact: Fact, t: exp.Expression) -> exp.Expression:
        ok = _matches(t, WHOLE if fact.whole else NUMBER)
        value = exp.cast(t.copy(), sql_type(fact))
        if fact.limits is not None:
            low, high = (literal(Decimal(x)) for x in fact.limits)
            ok = and_(ok, exp.Between(this=value.copy(), low=low, high=high))
        return exp.Case(ifs=[exp.If(this=ok, true=value)])

    def select(self, source: exp.Expression, start: str, end: str) -> exp.Select:
        """One row per row of ``source``: line, id, key, clean, each fact typed, each number's text, and the
        municipality again; ``start`` and ``end`` are the facts with the course's dates. In three steps, so
        each cell is typed once: the cells named by their facts, their values, and whether all were read."""
        course = cell(self.at[COURSE_ID])
        texts = exp.select(col("line"), col("width"), exp.alias_(course, COURSE_ID, quoted=True), *(
            exp.alias_(cell(self.at[n]), _text(n), quoted=True) for n in self.facts)).from_(source)
        values = exp.select("*", *(exp.alias_(self.value(self.vocab.facts[n], col(_text(n))), n, quoted=True)
                                   for n in self.facts)).from_(exp.Subquery(this=texts, alias="texts"))
        plain = _matches(col(COURSE_ID), PLAIN_ID)
        good = [exp.EQ(this=col("width"), expression=literal(len(self.columns))), plain,
                exp.Not(this=is_null(col(start))), exp.Not(this=is_null(col(end))),
                exp.GTE(this=col(end), expression=col(start))]
        good += [or_(_empty(col(_text(n))), exp.Not(this=is_null(col(n)))) for n in self.facts]
        clean = exp.Coalesce(this=exp.paren(and_(*good)), expressions=[exp.Boolean(this=False)])
        key = exp.Case(ifs=[exp.If(this=plain.copy(), true=exp.Lower(this=col(COURSE_ID)))])
        municipality = self.vocab.roles.municipality
        again = col(municipality) if municipality in self.facts else exp.cast(exp.Null(), "VARCHAR")
        return exp.select(
            exp.alias_(col("line"), LINE, quoted=True), col(COURSE_ID), exp.alias_(key, KEY, quoted=True),
            exp.alias_(col(COURSE_ID), WRITTEN, quoted=True),  # (a clean row's id has no space around it)
            exp.alias_(clean, CLEAN, quoted=True), *map(col, self.facts),
            *(exp.alias_(col(_text(n)), n + TEXT_SUFFIX, quoted=True) for n in self.numbers),
            exp.alias_(again, MUNICIPALITY, quoted=True)).from_(exp.Subquery(this=values, alias="typed"))

    def table_columns(self) -> list[tuple[str, exp.DataType]]:
        """The typed table's columns and their types, as ``select`` names them."""
        text = exp.DataType.build("VARCHAR")
        return [(LINE, exp.DataType.build("BIGINT")), (COURSE_ID, text), (KEY, text), (WRITTEN, text),
                (CLEAN, exp.DataType.build("BOOLEAN")),
                *((n, sql_type(self.vocab.facts[n])) for n in self.facts),
                *((n + TEXT_SUFFIX, text) for n in self.numbers), (MUNICIPALITY, text)]


class Reader:
    """A register's cells (the table ``register_cells``: line, width, c0 …) → every row typed, in SQL where
    ``Typing`` can and by the engine's own parser otherwise: the view ``register_typed`` (``Typing``'s columns
    without ``clean``) and the table ``register_refused`` (line, key, id, the Danish reason, and whether the
    reason comes before the repeated-id check, and the municipality cell of a row whose facts were refused).
    ``columns`` are the header's JSON names (``check_header``)."""

    def __init__(self, book: Book, columns: list[str]) -> None:
        self.book, self.columns, self.width = book, columns, len(columns)
        self.typing = Typing(book.vocabulary, columns)
        roles = book.vocabulary.roles
        self.start, self.end = roles.start_date, roles.end_date
        self.words = {name: book.vocabulary.facts[name].term for name in (self.start, self.end)}  # startdato, …
        self.municipality = roles.municipality
        self.municipality_at = self.typing.at.get(roles.municipality)  # its cell (None: the register has none)

    def cell_columns(self) -> list[tuple[str, str]]:
        """The columns of a table of the register's cells: line, number of cells, and the header's columns."""
        return [("line", "BIGINT"), ("width", "INTEGER"), *((f"c{i}", "VARCHAR") for i in range(self.width))]

    def read(self, con: duckdb.DuckDBPyConnection, folder: Path) -> None:
        """Type the rows of ``register_cells`` in ``con``; ``folder`` holds the files Python hands DuckDB."""
        typed = self.typing.select(exp.to_table(CELLS, quoted=True), self.start, self.end)
        con.execute(f"CREATE OR REPLACE TEMP TABLE register_clean AS {typed.sql('duckdb')}")
        self._by_engine(con, folder)
        names = [name for name, _ in self.typing.table_columns() if name != CLEAN]
        both = exp.union(exp.select(*map(col, names)).from_("register_clean").where(col(CLEAN)),
                         exp.select(*map(col, names)).from_("register_read"), distinct=False)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {TYPED} AS {both.sql('duckdb')}")

    def _by_engine(self, con: Any, folder: Path) -> None:
        """The rows SQL could not type, read by the engine's parser: ``register_read`` holds the typed ones,
        ``register_refused`` the refused ones (line, key, id, the reason, and whether the reason comes before the
        repeated-id check)."""
        typed_columns = [(n, t.sql("duckdb")) for n, t in self.typing.table_columns() if n != CLEAN]
        read = Staged("register_read", typed_columns, folder)
        refused = Staged("register_refused", [("line", "BIGINT"), (KEY, "VARCHAR"), (COURSE_ID, "VARCHAR"),
                                              ("reason", "VARCHAR"), ("early", "BOOLEAN"), ("municipality", "VARCHAR")],
                         folder)
        if con.execute(f"SELECT count(*) FROM register_clean WHERE NOT {CLEAN}").fetchone()[0]:
            cursor = con.execute(f"SELECT c.* FROM {CELLS} c JOIN register_clean t ON c.line = t.{LINE} "
                                 f"WHERE NOT t.{CLEAN} ORDER BY c.line")
            while batch := cursor.fetchmany(8192):
                for line, width, *row in batch:
                    self._read(line, width, ["" if c is None else c for c in row[:width]], read, refused)
        read.load(con)
        refused.load(con)

    def _read(self, line: int, width: int, row: list[str], read: Staged, refused: Staged) -> None:
        """One row SQL could not type: its typed facts into ``read``, or why it is refused into ``refused``."""
        at = self.typing.at
        course = row[at[COURSE_ID]] if len(row) > at[COURSE_ID] else ""
        key = same_course(course)
        if width != self.width:
            refused.append((line, key, course, f"rækken har {width} felter; overskriften har {self.width}", True, None))
        elif not course.strip():
            refused.append((line, key, course, "course_id mangler", True, None))
        elif isinstance(typed := self._typed(row), str):
            at_municipality = self.municipality_at
            refused.append((line, key, course, typed, False,
                            row[at_municipality].strip() if at_municipality is not None else None))
        else:
            facts = [_sql_value(typed.get(name)) for name in self.typing.facts]
            texts = [str(typed[n]) if n in typed else None for n in self.typing.numbers]
            read.append((line, course, key, course.strip(), *facts, *texts, typed.get(self.municipality)))

    def _typed(self, row: list[str]) -> dict[str, Any] | str:
        """The row's facts as the engine types them (``Vocabulary.normalise``), or the Danish reason it cannot."""
        at = self.typing.at
        try:
            start, end = (_date(self.words[name], row[at[name]]) for name in (self.start, self.end))
        except ValueError as exc:
            return str(exc)
        if end < start:
            return (f"{self.words[self.end]}en {danish.date(end)} ligger før "
                    f"{self.words[self.start]}en {danish.date(start)}")
        facts = {name: row[at[name]] for name in self.typing.facts if row[at[name]].strip()}
        try:
            typed = self.book.vocabulary.normalise({**facts, self.start: start, self.end: end})
        except FactsError as exc:
            return f"{self.book.vocabulary.label(exc.field)}: {exc.message}" + (f"; {exc.hint}" if exc.hint else "")
        return {name: typed[name] for name in self.typing.facts if name in typed}


class Staged:
    """Rows from Python on their way into a new table of DuckDB: written to a CSV file in ``folder`` as they come
    (so no list of them is held), read by DuckDB with the columns' types at ``load`` (no value is ever SQL text)."""

    def __init__(self, table: str, columns: list[tuple[str, str]], folder: Path) -> None:
        self.table, self.columns, self.path = table, columns, folder / f"{table}.csv"
        self._handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed by ``load``)
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self.rows = 0

    def append(self, row: tuple[Any, ...]) -> None:
        self._writer.writerow(row)
        self.rows += 1

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        self._handle.close()
        schema = exp.Schema(this=exp.to_table(self.table, quoted=True), expressions=[
            exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=exp.DataType.build(kind, dialect="duckdb"))
            for name, kind in self.columns])
        con.execute(exp.Create(this=schema, kind="TABLE", replace=True,
                               properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"))
        if self.rows:
            con.read_csv(str(self.path), header=False, sep=",", quotechar='"', escapechar='"',
                         columns=dict(self.columns)).insert_into(self.table)


def load_rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]],
              rows: Iterable[tuple[Any, ...]], folder: Path) -> None:
    """Rows from Python into a new table of ``con`` (``Staged``)."""
    staged = Staged(table, columns, folder)
    for row in rows:
        staged.append(row)
    staged.load(con)


def _sql_value(value: Any) -> Any:
    """A typed fact as ``load_rows`` writes it for DuckDB to read with the column's type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return value
