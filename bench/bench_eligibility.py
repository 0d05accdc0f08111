"""Benchmark: compile time of all agreements and single-case eligibility latency, in-process.

Run:  .venv/bin/python bench/bench_eligibility.py [--cases 2000] [--json]

Single-case latency is measured the way the OpenFisca baseline measures it
(../shared/bench/openfisca/bench.py, ``latency_us``): perf_counter_ns around
each call, 50 warm-up calls, cases taken in turn, median and p99 over the
timed calls. One call = normalise raw JSON-like facts, pick the revision in
force, evaluate every rule in three values, collect missing facts; the
"+ explanations" figure also builds the JSON answer with every reason.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ivrules  # noqa: E402
from ivrules.lang.parser import grammar_parser  # noqa: E402

TREATMENTS = ["isotonic_fluids", "antibiotics", "chemotherapy"]
SYSTEMS = ["codan_mix_add", "elastomeric_pump", "open"]
ACCESS = ["PVK", "CVK", "PICC", "VIP", "MIDLINE", "other"]
TIMES = {1: ["10:00"], 2: ["08:00", "20:00"], 3: ["07:00", "15:00", "23:00"],
         4: ["06:00", "12:00", "18:00", "23:30"]}


def random_cases(n: int, seed: int, municipalities: list[str]) -> list[dict[str, Any]]:
    """Courses drawn like the OpenFisca baseline's random_inputs: every field varies independently."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        doses = rng.randint(1, 4)
        cases.append({
            "date": "2020-09-01", "municipality": rng.choice(municipalities), "municipality_joined": True,
            "age_years": rng.randint(0, 99),
            "treatment": rng.choice(TREATMENTS), "doses_per_day": doses, "system": rng.choice(SYSTEMS),
            "access": rng.choice(ACCESS), "started_in_hospital": rng.random() < 0.9,
            "doses_given_in_hospital": rng.choice([1, 2, 2, 3]), "medically_stable": True,
            "home_suitable": True, "dose_times": TIMES[doses],
        })
    return cases


def latency_us(fn: Callable[[dict[str, Any]], Any], cases: list[dict[str, Any]], reps: int,
               warmup: int = 50) -> dict[str, float]:
    for i in range(warmup):
        fn(cases[i % len(cases)])
    samples = []
    clock = time.perf_counter_ns
    for i in range(reps):
        case = cases[i % len(cases)]
        t0 = clock()
        fn(case)
        samples.append(clock() - t0)
    samples.sort()
    us = [s / 1000 for s in samples]
    return {"median_us": round(statistics.median(us), 2), "p99_us": round(us[int(0.99 * len(us))], 2),
            "mean_us": round(statistics.fmean(us), 2)}


def both(book: ivrules.Book, case: dict[str, Any]) -> tuple[dict[str, Any], ivrules.Quote]:
    """A course's eligibility with its explanations, and its price, from one evaluation."""
    course = book.evaluate("midtjylland", case)
    return course.eligibility.to_dict(), course.quote


def compile_ms(repeats: int) -> dict[str, float]:
    t0 = time.perf_counter()
    grammar_parser.cache_clear()
    ivrules.load(ROOT / "agreements")
    cold = (time.perf_counter() - t0) * 1000
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ivrules.load(ROOT / "agreements")
        warm.append((time.perf_counter() - t0) * 1000)
    return {"cold_ms": round(cold, 1), "warm_median_ms": round(statistics.median(warm), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20190104)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()

    book = ivrules.load(ROOT / "agreements")
    agreements = sum(len(book.agreements(r)) for r in book.regions)
    midt = [m.name for m in book.vocabulary.municipalities.values() if m.region == "midtjylland"]
    cases = random_cases(args.cases, args.seed, midt)
    result = {
        "agreements": agreements,
        "rules": sum(len(a.rules) for r in book.regions for a in book.agreements(r)),
        "compile": compile_ms(10),
        "eligibility": latency_us(lambda c: book.eligibility("midtjylland", c), cases, args.cases),
        "eligibility_with_explanations": latency_us(
            lambda c: book.eligibility("midtjylland", c).to_dict(), cases, args.cases),
        "eligible_share": round(sum(bool(book.eligibility("midtjylland", c).eligible) for c in cases) / len(cases), 3),
    }
    tariff_cases = [{**c, "start_date": "2020-09-01", "end_date": "2020-09-10", "days_without_dose": 0,
                     "antibiotics_count": 1} for c in cases]
    result["tariff"] = latency_us(lambda c: book.tariff("midtjylland", c), tariff_cases, args.cases)
    # One evaluation answers both: eligibility with its explanations (the JSON reasons) and the price.
    result["eligibility_and_tariff"] = latency_us(lambda c: both(book, c), tariff_cases, args.cases)
    if not args.json:
        for key, value in result.items():
            print(f"{key:32} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
