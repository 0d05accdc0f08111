"""The columnar backend (``ivrules.engine.sql``) answers every row as the scalar evaluator (``Book.tariff``) does.

For each region, registers generated over all its revisions (``tests/sql_support``:
municipalities of the region and of others, courses across revision and
accession dates, missing cells, the accession answer often left out, every
tariff kind, index years with and without a factor) are loaded into DuckDB
with their typed values, priced by the query the backend compiles, and
compared row by row with ``book.tariff``: status, revision, total, shares,
kind, category, flags, and the Danish reason settlement gives a row it
rejects. Every region compiles, including revisions whose entry into force
is uncertain (``in_force_unknown``) and Sjælland's trial, where that and
accession are both undecided; a rule the compiler cannot express is an
error naming it when the query is built.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from sqlglot import exp

from ivrules.engine.book import from_agreements
from ivrules.engine.sql.query import RegionQuery, sql_type
from ivrules.engine.sql.rules import SqlCompileError
from ivrules.model.accession import Accession, Line, Member
from ivrules.model.tariff import IndexYear
from tests.conftest import examples
from tests.sql_support import (
    BOOK,
    COLUMNS,
    Answer,
    answered,
    insert,
    query,
    register,
    scalar,
    table_columns,
    typed_row,
)
from tests.sql_support import typed_register as typed

_query = functools.lru_cache(maxsize=None)(query)  # one query per region: sqlglot builds it in about a second

# Every computed price in the agreements comes from Midtjylland and Nordjylland, and no incomplete accession
# register names a fallback revision with prices. So that "decided where both revisions give the same answer"
# meets equal and different prices, Midtjylland's 2021 revision is also made joined one by one here, with the
# 2020 revision as the fallback and a register that lists one municipality.
JOINED_BY_ONE = from_agreements(BOOK.vocabulary, [a for r in BOOK.regions for a in BOOK.agreements(r)], accession=(
    Accession((Line("midtjylland", dt.date(2021, 5, 1), False, "en prøve", {
        "Aarhus": Member("Aarhus", dt.date(2021, 9, 1))}, fallback=dt.date(2020, 6, 1), note="Kun en prøve."),))))


@functools.cache
def _joined_by_one() -> str:
    return query("midtjylland", "duckdb", "register", JOINED_BY_ONE)


def _columnar(region: str, rows: list[list[Any]], sql: str | None = None) -> dict[str, Answer]:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE register ({table_columns('duckdb')})")
    if rows:
        con.executemany(insert("register", "?"), rows)
    return dict(answered(row) for row in con.execute(sql or _query(region, "duckdb")).fetchall())


@pytest.mark.parametrize("region", BOOK.regions)
def test_each_row_is_answered_as_the_scalar_engine_answers(region: str) -> None:
    # A register per example, over every revision of the region: DuckDB plans the query once per register.
    @settings(max_examples=examples(6), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(courses=register(region))
    def check(courses: list[dict[str, Any]]) -> None:
        rows, expected = typed(region, courses)
        assert _columnar(region, rows) == expected

    check()


@settings(max_examples=examples(6), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(courses=register("midtjylland"))
def test_an_undecided_accession_with_a_fallback_is_decided_where_both_revisions_agree(
        courses: list[dict[str, Any]]) -> None:
    rows, expected = typed("midtjylland", courses, JOINED_BY_ONE)
    assert _columnar("midtjylland", rows, _joined_by_one()) == expected


def test_every_region_compiles() -> None:
    for region in BOOK.regions:
        assert "revision_0" in _query(region, "duckdb")


@pytest.mark.parametrize(("region", "day", "municipality"), [
    ("sjaelland", "2021-03-01", "Køge"), ("sjaelland", "2021-03-01", "Holbæk"), ("sjaelland", "2021-03-01", ""),
    ("hovedstaden", "2021-12-10", "Hvidovre"), ("nordjylland", "2021-09-01", "Aalborg"),
    ("nordjylland", "2021-09-01", "")])
@pytest.mark.parametrize("in_force", ["", "true", "false"])
def test_an_uncertain_entry_into_force_is_decided_where_both_revisions_agree(region: str, day: str,
                                                                            municipality: str, in_force: str) -> None:
    fact = BOOK.agreements(region)[-1].in_force_unknown
    assert fact is not None
    facts = {"municipality": municipality, "treatment": "antibiotics", "system": "elastomeric_pump",
             "doses_per_day": "1", "start_date": day, "end_date": day, "days_without_dose": "0",
             fact.fact: in_force}
    facts = {k: v for k, v in facts.items() if v}
    answer = scalar(region, facts)
    if not in_force and answer[0] == "unknown":
        assert f"Oplys det under »{BOOK.vocabulary.facts[fact.fact].label}«." in answer[-1]
    assert _columnar(region, [typed_row("k", facts)]) == {"k": answer}


def test_an_index_year_the_sources_do_not_state_is_unknown_with_the_index_reason() -> None:
    region, facts = "midtjylland", {"municipality": "Aarhus", "treatment": "antibiotics", "system": "codan_mix_add",
                                    "start_date": "2024-03-01", "end_date": "2024-03-05"}
    answer = scalar(region, facts)
    assert answer[0] == "unknown" and "PL-fremskrivning: " in answer[-1]
    assert _columnar(region, [typed_row("k", facts)]) == {"k": answer}


def test_an_undecided_accession_is_unknown_naming_what_it_depends_on() -> None:
    facts = {"municipality": "Odense", "treatment": "antibiotics", "system": "elastomeric_pump", "doses_per_day": "1",
             "start_date": "2022-03-01", "end_date": "2022-03-05", "days_without_dose": "0"}
    answer = scalar("syddanmark", facts)
    assert answer[0] == "unknown" and "Svaret afhænger af det" in answer[-1]
    assert _columnar("syddanmark", [typed_row("k", facts)]) == {"k": answer}


def test_a_rule_the_compiler_cannot_express_is_refused_by_name() -> None:
    agreements = [a for r in BOOK.regions for a in BOOK.agreements(r)]
    fine = IndexYear(2023, Decimal("1.0123456789"), "en faktor med ti decimaler")
    changed = [replace(a, tariff=replace(a.tariff, index=replace(a.tariff.index, years=(fine,))))
               if a.tariff is not None and a.tariff.index is not None and a.effective > dt.date(2021, 1, 1) else a
               for a in agreements]
    book = from_agreements(BOOK.vocabulary, changed, accession=BOOK.accession)
    with pytest.raises(SqlCompileError, match=re.escape("reglen 'tariff.index (midtjylland 2021-05-01)'")):
        RegionQuery(book, "midtjylland", COLUMNS).sql(exp.to_table("t"))


def test_ivrules_sql_prints_a_query_duckdb_runs_on_a_table_of_typed_facts() -> None:
    from typer.testing import CliRunner

    from ivrules.cli.main import app
    from tests.conftest import AGREEMENTS

    result = CliRunner().invoke(app, ["sql", "--region", "syddanmark", "--table", "forløb", "--agreements",
                                      str(AGREEMENTS)])
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    given = list(BOOK.vocabulary.facts.values())
    columns = ", ".join(['course_id VARCHAR', *(f'"{f.name}" {sql_type(f).sql("duckdb")}' for f in given)])
    con.execute(f'CREATE TABLE "forløb" ({columns})')
    con.execute('INSERT INTO "forløb" (course_id, municipality, start_date, end_date, treatment) VALUES '
                "('k1', 'Odense', DATE '2023-03-01', DATE '2023-03-10', 'antibiotics'), "
                "('k2', 'Aarhus', DATE '2023-03-01', DATE '2023-03-10', 'antibiotics')")
    rows = {r[0]: (r[2], r[3] or "") for r in con.execute(result.output).fetchall()}
    facts = {"start_date": "2023-03-01", "end_date": "2023-03-10", "treatment": "antibiotics"}
    assert rows == {course: scalar("syddanmark", {**facts, "municipality": place})[::8]
                    for course, place in (("k1", "Odense"), ("k2", "Aarhus"))}
    assert rows["k2"][0] == "not_covered"  # another region's municipality: the party check, in SQL too


@pytest.mark.parametrize("region", BOOK.regions)
def test_ivrules_sql_prints_a_query_for_every_region(region: str) -> None:
    from typer.testing import CliRunner

    from ivrules.cli.main import app
    from tests.conftest import AGREEMENTS

    result = CliRunner().invoke(app, ["sql", "--region", region, "--agreements", str(AGREEMENTS)])
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    given = ", ".join(f'"{f.name}" {sql_type(f).sql("duckdb")}' for f in BOOK.vocabulary.facts.values())
    con.execute(f"CREATE TABLE courses (course_id VARCHAR, {given})")
    assert con.execute(result.output).fetchall() == []


def test_a_dialect_no_test_runs_is_refused() -> None:
    from typer.testing import CliRunner

    from ivrules.cli.main import app

    result = CliRunner().invoke(app, ["sql", "--region", "midtjylland", "--dialect", "tsql"])
    assert result.exit_code == 2
