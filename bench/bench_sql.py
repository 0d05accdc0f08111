"""The columnar backend (``ivrules.engine.sql``), compute only: N courses already in a DuckDB table, priced by the
query compiled for a region (every rule of every revision: eligibility, party, accession, schedule, billing rules,
split), the total summed per status so every row is priced (the database may then leave out the Danish reasons,
which nothing reads); ``--every-column`` hashes every output column of every row instead. Prints courses/s and
peak RSS, for one region or each in turn (``--region all``).

    .venv/bin/python bench/bench_sql.py [--rows 1000000] [--region midtjylland|all] [--every-column] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import duckdb
from sqlglot import exp

import ivrules
from ivrules.engine.sql.query import Columns, RegionQuery

FACTS = ("municipality", "municipality_joined", "start_date", "end_date", "treatment", "system", "doses_per_day",
         "days_without_dose", "antibiotics_count", "tyngdekategori", "registered_minutes")


def _table(con: duckdb.DuckDBPyConnection, rows: int, municipalities: list[str]) -> None:
    """A synthetic typed register made inside DuckDB (no Python per row)."""
    con.execute("CREATE TABLE kommuner (n INTEGER, name VARCHAR)")
    con.executemany("INSERT INTO kommuner VALUES (?, ?)", list(enumerate(municipalities)))  # never pasted as SQL
    con.execute(f"""
        CREATE TABLE register AS SELECT
          'k' || i AS course_id,
          kommuner.name AS municipality,
          TRUE AS municipality_joined,
          DATE '2020-06-01' + CAST(i % 1400 AS INTEGER) AS start_date,
          DATE '2020-06-01' + CAST(i % 1400 AS INTEGER) + CAST(i % 37 AS INTEGER) AS end_date,
          (['antibiotics', 'isotonic_fluids', 'antibiotics'])[1 + (i % 3)] AS treatment,
          (['codan_mix_add', 'elastomeric_pump'])[1 + (i % 2)] AS system,
          CAST(1 + i % 4 AS DECIMAL(38,10)) AS doses_per_day,
          CAST(i % 2 AS DECIMAL(38,10)) AS days_without_dose,
          CAST(1 + i % 2 AS DECIMAL(38,10)) AS antibiotics_count,
          CAST(i % 5 AS DECIMAL(38,10)) AS tyngdekategori,
          CAST(30 + i % 200 AS DECIMAL(38,10)) AS registered_minutes
        FROM range({int(rows)}) t(i) JOIN kommuner ON kommuner.n = i % {len(municipalities)}""")


def measure(book: ivrules.Book, region: str, rows: int, every_column: bool) -> dict[str, object]:
    """Compile the region's query and time it on a register of ``rows`` courses made for the region."""
    con = duckdb.connect()
    own = sorted(m for m, info in book.vocabulary.municipalities.items() if info.region == region)
    _table(con, rows, own)
    started = time.perf_counter()
    query = RegionQuery(book, region, Columns(frozenset(FACTS), ("course_id",))).select(exp.to_table("register"))
    compiled = time.perf_counter() - started
    priced = query.subquery("q")
    # Summed per status, the database may leave out the columns nothing reads (the Danish reasons); hashing
    # every column of every row makes it write them all.
    summed = (exp.select("status", "count(*)", "sum(hash(q))").from_(priced).group_by("status") if every_column
              else exp.select("status", "count(*)", "sum(total)").from_(priced).group_by("status"))
    started = time.perf_counter()
    result = con.execute(summed.sql("duckdb")).fetchall()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "region": region, "columns": "every" if every_column else "status,total",
            "compile_s": round(compiled, 3), "price_s": round(seconds, 3), "courses_per_s": round(rows / seconds),
            "peak_rss_mb": round(peak), "by_status": {str(s): int(n) for s, n, _ in result}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--region", default="midtjylland", help="a region, or 'all' for each in turn")
    parser.add_argument("--every-column", action="store_true",
                        help="hash every output column of every row instead of summing the total per status")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    book = ivrules.load("agreements")
    for region in book.regions if args.region == "all" else [args.region]:
        figures = measure(book, region, args.rows, args.every_column)
        if args.json:
            print(json.dumps(figures))
            continue
        for key, value in figures.items():
            print(f"{key:>14}: {value}")


if __name__ == "__main__":
    main()
