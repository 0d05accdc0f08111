"""Benchmark: single-course quote latency and settlement throughput on a synthetic register.

Run:  .venv/bin/python bench/bench_money.py [--rows 1000000] [--quotes 20000] [--json]

Quote latency: ``Book.tariff(region, facts)`` on raw JSON-like facts (normalise,
pick the revision, eligibility, billing rules, schedule, bands, split), one
call per sample with perf_counter_ns, 50 warm-up calls, cases taken in turn;
median and p99. Settlement: ``settle_file`` end to end on a synthetic
Midtjylland register (check the file, read it into DuckDB, type and price
every row, write courses.csv, rejected.csv, outside.csv, invoices.csv, the
summary and the activity plot), best of ``--repeat`` runs by wall time, with
the seconds of each step of that run, its process CPU time (DuckDB uses both
cores, so CPU time can exceed wall time) and the peak resident memory. The
reports step (invoices, summary, activity plot) runs in a second thread while
DuckDB writes courses.csv, rejected.csv and outside.csv, so the steps' seconds
can add up to more than the wall time. The
register is generated here, with a fixed seed, so every run settles the same
rows.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ivrules  # noqa: E402
from bench.bench_eligibility import latency_us  # noqa: E402  (one way of timing a single case)
from ivrules.money.register import Timings, settle_file  # noqa: E402

HEADER = ("course_id", "municipality", "start_date", "end_date", "treatment", "system", "doses_per_day",
          "days_without_dose", "antibiotics_count", "municipality_joined")
FIRST_DAY = dt.date(2020, 6, 1)
SPAN_DAYS = (dt.date(2022, 12, 31) - FIRST_DAY).days


def synthetic_course(rng: random.Random, n: int, municipalities: list[str]) -> tuple[str, ...]:
    """One register row: mostly short antibiotic courses, some pump and fluid courses, a few over 28 days."""
    start = FIRST_DAY + dt.timedelta(days=rng.randrange(SPAN_DAYS))
    days = min(int(rng.expovariate(1 / 8)) + 1, 45)
    kind = rng.random()
    if kind < 0.6:
        treatment, system, doses = "antibiotics", "codan_mix_add", rng.choice(("2", "3"))
    elif kind < 0.8:
        treatment, system, doses = "antibiotics", "elastomeric_pump", "1"
    else:
        treatment, system, doses = "isotonic_fluids", "", rng.choice(("1", "1", "2"))
    without = str(rng.choice((0, 0, 0, 1, 2))) if days > 2 else "0"
    count = "2" if treatment == "antibiotics" and rng.random() < 0.1 else "1"
    end = start + dt.timedelta(days=days - 1)
    return (f"F{n:07d}", rng.choice(municipalities), start.isoformat(), end.isoformat(), treatment, system, doses,
            without, count, "true")  # the register knows no Midtjylland member: the municipality states it


def write_register(path: Path, rows: int, municipalities: list[str], seed: int = 7) -> None:
    """A synthetic register of ``rows`` courses (CSV, UTF-8), deterministic for a seed."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(synthetic_course(rng, n, municipalities) for n in range(rows))


def quote_cases(n: int, municipalities: list[str]) -> list[dict[str, Any]]:
    """Raw facts for single quotes, drawn like the register rows."""
    rng = random.Random(11)
    out = []
    for i in range(n):
        row = dict(zip(HEADER, synthetic_course(rng, i, municipalities), strict=True))
        del row["course_id"]
        out.append({k: v for k, v in row.items() if v != ""})
    return out


def _best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the fastest run by CPU time."""
    return min(runs, key=lambda r: r[1])


def csv_floor(register: Path, out: Path, repeat: int) -> float:
    """Rows a second to only read the register with csv.reader and write each row back with csv.writer.

    The floor for "CSV in and out" in Python on this machine, measured in the same run, so the
    settlement figure can be read against it when the machine is busy.
    """
    runs = []
    rows = 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        with open(register, encoding="utf-8", newline="") as source, \
                open(out, "w", encoding="utf-8", newline="") as target:
            writer = csv.writer(target)
            rows = 0
            for row in csv.reader(source):
                writer.writerow(row)
                rows += 1
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    return (rows - 1) / _best(runs)[1]


def settlement(book: ivrules.Book, register: Path, out: Path, repeat: int) -> dict[str, Any]:
    """``settle_file`` end to end, best of ``repeat`` runs, with the seconds of each step of the best run (checking
    the file, reading it into DuckDB, pricing, writing each file) and the peak resident memory."""
    runs = []
    result = None
    for _ in range(repeat):
        timings = Timings()
        t0, c0 = time.perf_counter(), time.process_time()
        result = settle_file(book, register, "midtjylland", out, timings=timings)
        runs.append((time.perf_counter() - t0, time.process_time() - c0, timings.steps))
    assert result is not None and result.rows == result.settled + result.rejected
    wall, cpu, steps = min(runs, key=lambda run: run[0])
    return {"rows": result.rows, "settled": result.settled, "rejected": result.rejected,
            "wall_s": wall, "cpu_s": cpu, "courses_per_cpu_s": result.rows / cpu,
            "courses_per_wall_s": result.rows / wall, "steps_s": {k: round(v, 3) for k, v in steps.items()},
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quotes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    book = ivrules.load(ROOT / "agreements")
    municipalities = sorted(m for m, info in book.vocabulary.municipalities.items() if info.region == "midtjylland")
    cases = quote_cases(2000, municipalities)
    latency = latency_us(lambda facts: book.tariff("midtjylland", facts), cases, args.quotes)
    with tempfile.TemporaryDirectory() as tmp:
        register = Path(tmp) / "register.csv"
        t0 = time.perf_counter()
        write_register(register, args.rows, municipalities)
        generated = time.perf_counter() - t0
        settled = settlement(book, register, Path(tmp) / "out", args.repeat)
        floor = csv_floor(register, Path(tmp) / "copy.csv", args.repeat)
    report = {"quote": latency, "settle": settled, "csv_copy_rows_per_cpu_s": floor,
              "register_generation_s": generated, "load_average": os.getloadavg()[0]}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"quote latency (Book.tariff, 2000 distinct courses in turn): median {latency['median_us']:.2f} µs, "
          f"p99 {latency['p99_us']:.2f} µs")
    print(f"settlement: {settled['rows']:,} rows ({settled['settled']:,} settled, {settled['rejected']:,} rejected), "
          f"end to end: {settled['cpu_s']:.2f} s CPU = {settled['courses_per_cpu_s']:,.0f} courses/s "
          f"({settled['wall_s']:.2f} s wall = {settled['courses_per_wall_s']:,.0f}/s); seconds per step "
          f"{settled['steps_s']}, peak RSS {settled['peak_rss_mb']} MB")
    print(f"for scale: csv.reader → csv.writer copy of the same register: {floor:,.0f} rows per CPU second; "
          f"load average {report['load_average']:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
