"""Run ivrules' benchmarks beside the OpenFisca baseline, in one go, and print the ratios.

    .venv/bin/python bench/vs_openfisca.py [--http] [--quick]

The baseline lives in ../shared/bench/openfisca (the same Midtjylland rules in
OpenFisca, plus plain-Python and numpy references). It needs its own virtual
environment (openfisca-core pins its own numpy); this script creates it under
bench/.openfisca-venv on first use, copies the baseline to a temporary folder,
runs it, then runs ivrules' benchmarks, all on this machine in this run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = ROOT.parent / "shared" / "bench" / "openfisca"
VENV = HERE / ".openfisca-venv"


def baseline_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(BASELINE / "requirements.txt")],
                       check=True)
    return python


def last_json(cmd: list[str], cwd: Path) -> dict[str, Any]:
    out = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()
    try:  # a benchmark prints one JSON document, or JSON as its last line
        result: dict[str, Any] = json.loads(out)
    except json.JSONDecodeError:
        result = json.loads(out.splitlines()[-1])
    return result


def run_baseline(http: bool, quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "openfisca"
        shutil.copytree(BASELINE, copy)
        args = [str(baseline_python()), "bench.py", "--n-batch", "1000000"]
        args += [] if http else ["--no-http"]
        args += ["--quick"] if quick else []
        return last_json(args, copy)


def run_ours(script: str, *extra: str) -> dict[str, Any] | None:
    path = HERE / script
    if not path.exists():
        return None
    return last_json([sys.executable, str(path), "--json", *extra], ROOT)


def find(data: dict[str, Any], *keys: str) -> Any:
    """The first of several possible key paths ("a.b") that exists in data."""
    for key in keys:
        node: Any = data
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", action="store_true", help="also time the web APIs")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    base = run_baseline(args.http, args.quick)
    ours = {"eligibility": run_ours("bench_eligibility.py"), "money": run_ours("bench_money.py"),
            "sql": run_ours("bench_sql.py", "--rows", "20000" if args.quick else "1000000"),
            "diff": run_ours("bench_diff.py", "--only-courses", "--courses", "20000" if args.quick else "1000000"),
            "api": run_ours("bench_api.py") if args.http else None}
    print(json.dumps({"openfisca": base, "ivrules": ours}))
    print_table(base, ours)


def print_table(base: dict[str, Any], ours: dict[str, Any]) -> None:
    """Same-run figures side by side; ratio = OpenFisca time / ivrules time (or ivrules rate / OpenFisca rate)."""
    el, money, api, sql, diff = (ours[k] or {} for k in ("eligibility", "money", "api", "sql", "diff"))
    single = find(el, "eligibility_and_tariff.median_us", "eligibility_with_explanations.median_us")
    openfisca_single = find(base, "single_case.openfisca_set_input.median_us")
    rows = [
        ("eligibility + explanations median, µs", find(el, "eligibility_with_explanations.median_us"),
         openfisca_single, "time"),
        ("eligibility + tariff median, µs", single, openfisca_single, "time"),
        ("eligibility + tariff p99, µs",
         find(el, "eligibility_and_tariff.p99_us", "eligibility_with_explanations.p99_us"),
         find(base, "single_case.openfisca_set_input.p99_us"), "time"),
        ("batch, courses/s end to end", find(money, "settle.courses_per_wall_s"),
         find(base, "batch.openfisca.courses_per_s_end_to_end"), "rate"),
        # The columnar backend (DuckDB), compute only, every rule of every revision, from a table in memory:
        # beside OpenFisca's end-to-end figure (issue 17's bar) and its compute-only figure.
        ("SQL compute vs OpenFisca end to end", find(sql, "courses_per_s"),
         find(base, "batch.openfisca.courses_per_s_end_to_end"), "rate"),
        ("SQL compute vs OpenFisca compute", find(sql, "courses_per_s"),
         find(base, "batch.openfisca.courses_per_s_compute_only"), "rate"),
        # ``ivrules diff --courses``: a register read and priced under two revisions, end to end.
        ("diff --courses, courses/s", find(diff, "register.courses_per_second"),
         find(base, "batch.openfisca.courses_per_s_end_to_end"), "rate"),
        ("web API median, µs", find(api, "median_us", "eligibility.median_us"),
         find(base, "web_api.median_us"), "time"),
        ("web API p99, µs", find(api, "p99_us", "eligibility.p99_us"), find(base, "web_api.p99_us"), "time"),
    ]
    print(f"\n{'measure':34} {'ivrules':>14} {'OpenFisca':>14} {'ratio':>8}")
    for label, mine, theirs, kind in rows:
        ratio = "" if not (mine and theirs) else f"{(theirs / mine if kind == 'time' else mine / theirs):.3g}x"
        mine_text, theirs_text = ("-" if v is None else f"{v:,.1f}" for v in (mine, theirs))
        print(f"{label:34} {mine_text:>14} {theirs_text:>14} {ratio:>8}")
    if sql:
        print(f"(SQL backend: {sql.get('rows'):,} courses, {sql.get('region')}, compile {sql.get('compile_s')} s, "
              f"peak RSS {sql.get('peak_rss_mb')} MB)")
    settle = find(money, "settle") or {}
    if settle:
        print(f"(ivrules settle: {settle.get('rows'):,} rows, seconds per step {settle.get('steps_s')}, "
              f"peak RSS {settle.get('peak_rss_mb')} MB)")
    if diff:
        print(f"(diff --courses: {find(diff, 'register.courses'):,} courses in {find(diff, 'register.seconds')} s, "
              f"peak RSS {find(diff, 'register.peak_rss_mb')} MB)")
    plain = find(base, "single_case.python_per_record.median_us")
    print(f"(plain-Python reference, single case: {plain} µs; ratio > 1 means ivrules is faster)")


if __name__ == "__main__":
    main()
