"""Record the English-named request corpus and its answers (run once, before the Danish names came).

    PYTHONPATH=. python tests/corpus_english/record.py [--again]

The requests are every agreement example's facts as they were written before
the examples were converted to the Danish names (English fact names and
values), plus a register with English column headers and cells. The answers
recorded here are what the API, ``--facts`` and ``settle`` gave *before* the
Danish names were introduced; ``tests/test_corpus_english.py`` asks the same
requests today and demands the same answers. Re-record only when an answer is
meant to change (``--again`` asks the recorded English requests anew), and review the diff.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app as cli
from ivrules.money.register import settle_file
from ivrules.web.app import create_app

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CLI_SAMPLE = 8  # requests also asked through `ivrules eligibility/tariff --facts` (each loads the agreements)
REGISTER_HEADER = ["course_id", "municipality", "start_date", "end_date", "treatment", "system", "doses_per_day",
                   "days_without_dose", "antibiotics_count", "access"]
REGISTER_ROWS = [
    ["a1", "Aarhus", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "PVK"],
    ["a2", "Aarhus", "2021-06-01", "2021-06-30", "antibiotics", "elastomeric_pump", "1", "0", "2", "other"],
    ["a3", "Viborg", "2020-09-01", "2020-09-05", "isotonic_fluids", "", "1", "0", "", ""],
    ["a4", "Viborg", "2020-09-01", "2020-09-05", "antibiotics", "cadd_pump", "3", "", "1", "PICC"],
    ["a5", "Odense", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "CVK"],
    ["a6", "Skive", "2021-06-01", "2021-06-09", "antibiotics", "open", "1", "2", "2", "MIDLINE"],
    ["a7", "Aarhus", "2021-06-01", "2021-06-07", "chemotherapy", "codan_mix_add", "3", "0", "1", "VIP"],
    ["a8", "Aarhus", "2021-06-01", "2021-06-07", "antibiotic", "codan_mix_add", "3", "0", "1", "PVK"],
]


def plain(value: Any) -> Any:
    """YAML values → JSON values (dates as ISO text)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def requests(book: ivrules.Book) -> list[dict[str, Any]]:
    return [{"name": f"{a.revision}: {e.name}", "region": a.region, "facts": plain(e.facts)}
            for region in book.regions for a in book.agreements(region) for e in a.examples]


def api_answers(book: ivrules.Book, asked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    client = TestClient(create_app(book))
    out = []
    for request in asked:
        body = {"region": request["region"], "facts": request["facts"]}
        answer = {}
        for path in ("/v1/eligibility", "/v1/tariff"):
            response = client.post(path, json=body)
            answer[path] = {"status": response.status_code, "body": response.json()}
        out.append(answer)
    return out


def cli_answers(asked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    runner, out = CliRunner(), []
    with tempfile.TemporaryDirectory() as tmp:
        for i, request in enumerate(asked[:CLI_SAMPLE]):
            path = Path(tmp) / f"{i}.json"
            path.write_text(json.dumps(request["facts"], ensure_ascii=False), encoding="utf-8")
            answer = {}
            for command in ("eligibility", "tariff"):
                for as_json in (True, False):
                    args = [command, "--region", request["region"], "--facts", str(path),
                            "--agreements", str(ROOT / "agreements"), *(["--json"] if as_json else [])]
                    result = runner.invoke(cli, args)
                    answer[f"{command}{' --json' if as_json else ''}"] = {"exit": result.exit_code,
                                                                           "output": result.output}
            out.append(answer)
    return out


def register_answers(book: ivrules.Book) -> dict[str, list[dict[str, str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        register = Path(tmp) / "register.csv"
        with open(register, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(REGISTER_HEADER)
            writer.writerows(REGISTER_ROWS)
        settle_file(book, register, "midtjylland", Path(tmp) / "ud")
        files = {}
        for name in ("courses.csv", "invoices.csv", "rejected.csv"):
            with open(Path(tmp) / "ud" / name, encoding="utf-8", newline="") as handle:
                files[name] = list(csv.DictReader(handle))
        return files


def main() -> None:
    book = ivrules.load(ROOT / "agreements")
    if sys.argv[1:] == ["--again"]:  # an answer is meant to change: the same English requests, asked again
        asked = json.loads((HERE / "recorded.json").read_text(encoding="utf-8"))["requests"]
    else:
        asked = requests(book)
    if any("behandling" in r["facts"] or "dato" in r["facts"] for r in asked):
        sys.exit("the examples already use the Danish names: the English corpus is recorded from the old examples")
    record = {"requests": asked, "api": api_answers(book, asked), "cli": cli_answers(asked),
              "register": {"header": REGISTER_HEADER, "rows": REGISTER_ROWS, "files": register_answers(book)}}
    (HERE / "recorded.json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(asked)} requests recorded in {HERE / 'recorded.json'}")


if __name__ == "__main__":
    main()
