"""The columnar backend (``ivrules.engine.sql``) answers every row as the scalar evaluator (``Book.tariff``) does.

For generated courses over every region and revision (the generators of
``tests/test_settle_properties``: municipalities of the region and of others,
courses across revision and accession dates, missing cells, every tariff
kind), the rows whose facts can be typed are loaded into DuckDB with their
typed values, priced by the query the backend compiles, and compared row by
row with ``book.tariff``: status, total, shares, kind, flags, and the Danish
reason settlement gives a row it rejects.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

import ivrules
from ivrules.engine.quote import money
from ivrules.engine.sql.query import TEXT_SUFFIX, Columns, RegionQuery, sql_type
from ivrules.engine.sql.rules import SqlCompileError
from ivrules.errors import FactsError, LookupError_
from ivrules.money.settle import rejection
from tests.conftest import AGREEMENTS, examples
from tests.test_settle_properties import BOOK, HEADER, REVISIONS, _course, _plausible, _row

FACTS = [h for h in HEADER if h != "course_id"]
NUMBERS = frozenset(f for f in FACTS if BOOK.vocabulary.facts[f].type == "number")


@functools.cache
def _windowless() -> tuple[Path, ivrules.Book]:
    """The agreements with Hovedstaden's uncertain entry into force (``in_force_unknown``, which the compiler refuses
    by name) left out, so the rest of its revision is compared row by row; the window has its own tests."""
    folder = Path(tempfile.mkdtemp(prefix="ivrules-sql-")) / "agreements"
    shutil.copytree(AGREEMENTS, folder)
    path = folder / "hovedstaden" / "2022-01-01.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("in_force_unknown:\n")
    end = text.index("\n\n", start)
    path.write_text(text[:start] + text[end + 2:], encoding="utf-8")
    return folder, ivrules.load(folder)


def _scalar(region: str, facts: dict[str, str]) -> tuple[str, ...]:
    """(status, total, region share, municipality share, kind, flags, reason) as the scalar engine answers."""
    try:
        answer = _windowless()[1].tariff(region, facts)
    except FactsError as exc:
        fact = BOOK.vocabulary.facts.get(exc.field)
        return ("error", "", "", "", "", "", f"{fact.label if fact else exc.field}: {exc.message}")
    except LookupError_ as exc:
        return ("error", "", "", "", "", "", str(exc))
    if answer.status != "computed":
        return (answer.status, "", "", "", "", "", rejection(answer))
    return ("computed", money(answer.total), money(answer.region_share), money(answer.municipality_share),
            answer.kind, ";".join(answer.flags), "")


def _columnar(region: str, typed_rows: list[tuple[str, dict[str, Any]]]) -> dict[str, tuple[str, ...]]:
    con = duckdb.connect()
    types = [f'"{f}" {sql_type(BOOK.vocabulary.facts[f]).sql("duckdb")}' for f in FACTS]
    texts = [f'"{f}{TEXT_SUFFIX}" VARCHAR' for f in sorted(NUMBERS)]
    con.execute(f"CREATE TABLE register (course_id VARCHAR, {', '.join(types + texts)})")
    rows = []
    for course, typed in typed_rows:
        values = [list(v) if isinstance(v, tuple) else v for v in (typed.get(f) for f in FACTS)]
        rows.append([course, *values, *(str(typed[f]) if f in typed else None for f in sorted(NUMBERS))])
    if rows:
        con.executemany(f"INSERT INTO register VALUES ({', '.join('?' * (len(FACTS) + len(NUMBERS) + 1))})", rows)
    query = RegionQuery(_windowless()[1], region, Columns(frozenset(FACTS), ("course_id",), NUMBERS)).sql(
        exp.to_table("register"))
    out = {}
    for course, _rev, status, reason, total, rs, ms, kind, _cat, flags, _day in con.execute(query).fetchall():
        amounts = (money(total), money(rs), money(ms)) if status == "computed" else ("", "", "")
        out[course] = (status, *amounts, kind if status == "computed" else "",
                       flags if status == "computed" else "", reason or "")
    return out


# What the compiler does not express yet is refused by name when the query is built, never answered differently.
REFUSED = {"midtjylland": "tariff.index", "nordjylland": "accession", "syddanmark": "accession",
           "sjaelland": "accession", "hovedstaden": "in_force_unknown"}


@pytest.mark.parametrize("region", sorted(REFUSED))
def test_what_the_compiler_cannot_express_is_refused_by_name(region: str) -> None:
    with pytest.raises(SqlCompileError, match=f"reglen '{REFUSED[region]} \\({region} "):
        RegionQuery(BOOK, region, Columns(frozenset(FACTS), ("course_id",), NUMBERS))


EXPRESSED = [(r, v) for r, v in REVISIONS if r == "hovedstaden"]  # without its in_force_unknown (_windowless)


@pytest.mark.parametrize(("region", "revision"), EXPRESSED, ids=[f"{r}@{v}" for r, v in EXPRESSED])
def test_each_row_is_answered_as_the_scalar_engine_answers(region: str, revision: str) -> None:
    @settings(max_examples=examples(15), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(courses=st.lists(st.one_of(_plausible(region, revision), _course(region, revision)), max_size=40))
    def check(courses: list[dict[str, Any]]) -> None:
        typed_rows, expected = [], {}
        for n, course in enumerate(courses):
            row = _row(n, course)
            facts = {name: cell for name, cell in zip(HEADER, row, strict=True) if name != "course_id" and cell.strip()}
            try:
                typed = BOOK.normalise(facts)
            except FactsError:
                continue  # a cell that cannot be typed: settlement's reader rejects the row before pricing
            typed = {k: v for k, v in typed.items() if k in FACTS}
            typed_rows.append((row[0], typed))
            expected[row[0]] = _scalar(region, facts)
        assert _columnar(region, typed_rows) == expected

    check()



def test_ivrules_sql_prints_a_query_duckdb_runs_on_a_table_of_typed_facts() -> None:
    from typer.testing import CliRunner

    from ivrules.cli.main import app

    result = CliRunner().invoke(app, ["sql", "--region", "hovedstaden", "--table", "forløb", "--agreements",
                                      str(_windowless()[0])])
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    given = list(BOOK.vocabulary.facts.values())
    columns = ", ".join(['course_id VARCHAR', *(f'"{f.name}" {sql_type(f).sql("duckdb")}' for f in given)])
    con.execute(f'CREATE TABLE "forløb" ({columns})')
    con.execute('INSERT INTO "forløb" (course_id, municipality, start_date, end_date, treatment) VALUES '
                "('k1', 'København', DATE '2023-03-01', DATE '2023-03-10', 'antibiotics'), "
                "('k2', 'Aarhus', DATE '2023-03-01', DATE '2023-03-10', 'antibiotics')")
    rows = {r[0]: (r[2], r[3] or "") for r in con.execute(result.output).fetchall()}
    facts = {"start_date": "2023-03-01", "end_date": "2023-03-10", "treatment": "antibiotics"}
    assert rows == {course: _scalar("hovedstaden", {**facts, "municipality": place})[::6]
                    for course, place in (("k1", "København"), ("k2", "Aarhus"))}
    assert rows["k2"][0] == "not_covered"  # another region's municipality: the party check, in SQL too


def test_a_region_the_compiler_refuses_is_a_danish_error_naming_what() -> None:
    from typer.testing import CliRunner

    from ivrules.cli.main import app
    from tests.conftest import AGREEMENTS

    result = CliRunner().invoke(app, ["sql", "--region", "midtjylland", "--agreements", str(AGREEMENTS)])
    assert result.exit_code == 2
    assert "reglen 'tariff.index (midtjylland 2020-06-01)' kan ikke oversættes til SQL" in result.output


def test_a_dialect_no_test_runs_is_refused() -> None:
    from typer.testing import CliRunner

    from ivrules.cli.main import app

    result = CliRunner().invoke(app, ["sql", "--region", "midtjylland", "--dialect", "tsql"])
    assert result.exit_code == 2
