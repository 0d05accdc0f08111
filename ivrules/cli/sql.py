"""``ivrules sql``: the self-contained SQL query that prices every course of a table, for a region's own warehouse.

The query is the columnar backend's (``ivrules.engine.sql.query``): the table has a
column per fact, named like the facts and typed (see ``TYPES``); the result has
the table's ``course_id`` and, per course, revision, status, the Danish reason
it cannot be settled, total, shares, kind, category, flags and invoice day.
Only the dialects a test runs are offered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ivrules.cli.common import AgreementsOpt, RegionOpt, guard, require_sql
from ivrules.engine.book import load
from ivrules.engine.sql import DIALECTS


def sql(
    region: RegionOpt,
    dialect: Annotated[str, typer.Option("--dialect", help=f"SQL-dialekt: {', '.join(DIALECTS)}.")] = "duckdb",
    table: Annotated[str, typer.Option("--table", help="Tabellen med forløbene.")] = "courses",
    agreements: AgreementsOpt = Path("agreements"),
) -> None:
    """Skriv SQL-forespørgslen, der prissætter alle forløb i en tabel efter regionens aftaler."""
    if dialect not in DIALECTS:
        raise typer.BadParameter(f"'{dialect}' understøttes ikke; vælg {', '.join(DIALECTS)}", param_hint="--dialect")
    require_sql("ivrules sql")  # the columnar backend is the `sql` extra
    from ivrules.engine.sql.query import Columns, region_sql

    with guard():
        book = load(agreements)
        facts = frozenset(book.vocabulary.facts)  # a derived fact may be given too; NULL: derive it
        typer.echo(region_sql(book, book.region_id(region), table, Columns(facts, ("course_id",)), dialect) + ";")
