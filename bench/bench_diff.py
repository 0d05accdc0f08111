"""Benchmark: revision diffs — Midtjylland 2020 → 2021, with and without the search, and a register priced twice.

Run:  .venv/bin/python bench/bench_diff.py [--runs 5] [--courses 100000] [--only-courses] [--json]

"changes" is the text, rule and tariff comparison alone; "cases" adds the examples and
the boundary cases; "search" adds one hypothesis search per change that can alter an
outcome (the CLI default). The register figure is ``ivrules diff --courses`` without the search: every course
read as settlement reads it and priced under both revisions on DuckDB, added up per municipality (and its first
1,000 courses tried as cases): courses per second end to end, and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ivrules  # noqa: E402
from ivrules.diff.cases import SEARCH_EXAMPLES  # noqa: E402
from ivrules.diff.revisions import Revision, changes, diff, resolve  # noqa: E402

AGREEMENTS = ROOT / "agreements"


def timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    """Median and worst wall time of ``runs`` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def register_throughput(old: Revision, new: Revision, courses: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_money import write_register  # the settlement benchmark's synthetic register

    municipalities = sorted(m.name for m in new.vocabulary.municipalities.values() if m.region == "midtjylland")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "forløb.csv"
        write_register(path, courses, municipalities)
        start = time.perf_counter()
        result = diff(old, new, search=0, courses=path)
        seconds = time.perf_counter() - start
    assert result.cost is not None and result.cost.total.courses == courses
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return {"courses": courses, "seconds": round(seconds, 2), "courses_per_second": round(courses / seconds),
            "peak_rss_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--courses", type=int, default=100_000)
    parser.add_argument("--only-courses", action="store_true", help="only the register priced under both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    book = ivrules.load(AGREEMENTS)
    old = resolve("midtjylland@2020-06-01", AGREEMENTS, lambda: book)
    new = resolve("midtjylland@2021-05-01", AGREEMENTS, lambda: book)
    report: dict[str, dict[str, Any]] = {"register": register_throughput(old, new, args.courses)} if \
        args.only_courses else {
        "changes": timed(lambda: changes(old, new), args.runs),
        "cases": timed(lambda: diff(old, new, search=0), args.runs),
        f"search ({SEARCH_EXAMPLES} per change)": timed(lambda: diff(old, new), args.runs),
        "register": register_throughput(old, new, args.courses),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, figures in report.items():
        print(f"{name:<28} " + "  ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
