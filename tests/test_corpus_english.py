"""Requests written with the English fact names and values get the answers recorded before the Danish names came.

``tests/corpus_english/recorded.json`` (made by ``tests/corpus_english/record.py`` before the change) holds
every agreement example's facts as they were written then, in English, and the answers the API, ``--facts``
and ``settle`` gave. The same requests are asked again here, and again with every name and value translated
to Danish: the API's answers (fields and fact names in English) must be the recorded ones either way.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app as cli
from ivrules.lang.vocabulary import Vocabulary
from ivrules.money.register import settle_file
from ivrules.web.app import create_app
from tests.conftest import AGREEMENTS

RECORDED = json.loads((Path(__file__).parent / "corpus_english" / "recorded.json").read_text(encoding="utf-8"))
PAIRS = list(zip(RECORDED["requests"], RECORDED["api"], strict=True))
HASHES = ("content_hash",)  # the agreement files' text changed (their examples are Danish now); the rules did not


def _without_hashes(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_hashes(v) for k, v in data.items() if k not in HASHES}
    if isinstance(data, list):
        return [_without_hashes(v) for v in data]
    return data


@pytest.fixture(scope="module")
def client(book: ivrules.Book) -> TestClient:
    return TestClient(create_app(book))


def test_the_corpus_is_english_and_covers_every_region() -> None:
    assert len(PAIRS) > 100
    assert {r["region"] for r in RECORDED["requests"]} == {"nordjylland", "midtjylland", "syddanmark", "hovedstaden",
                                                            "sjaelland"}
    assert all(any(key in r["facts"] for key in ("date", "start_date")) for r in RECORDED["requests"])


@pytest.mark.parametrize("in_danish", [False, True], ids=["engelsk", "dansk"])
def test_the_api_gives_the_recorded_answers(client: TestClient, book: ivrules.Book, in_danish: bool) -> None:
    for request, recorded in PAIRS:
        facts = book.vocabulary.danish_names(request["facts"]) if in_danish else request["facts"]
        for path, want in recorded.items():
            response = client.post(path, json={"region": request["region"], "facts": facts})
            got = {"status": response.status_code, "body": response.json()}
            if in_danish and want["status"] == 422:  # a refused fact is named as the question named it
                want = _renamed(want, book.vocabulary)
            assert _without_hashes(got) == _without_hashes(want), f"{request['name']} {path}"


def _renamed(want: dict[str, Any], vocab: Vocabulary) -> dict[str, Any]:
    detail = [{**d, "loc": [*d["loc"][:-1], vocab.term(d["loc"][-1])]} for d in want["body"]["detail"]]
    return {**want, "body": {"detail": detail}}


@pytest.mark.parametrize("index", range(len(RECORDED["cli"])))
def test_facts_files_give_the_recorded_answers(index: int, tmp_path: Path, book: ivrules.Book) -> None:
    request, recorded = RECORDED["requests"][index], RECORDED["cli"][index]
    path = tmp_path / "fakta.json"
    path.write_text(json.dumps(request["facts"], ensure_ascii=False), encoding="utf-8")
    for command, want in recorded.items():
        name, *flags = command.split()
        result = CliRunner().invoke(cli, [name, "--region", request["region"], "--facts", str(path),
                                          "--agreements", str(AGREEMENTS), *flags])
        assert result.exit_code == want["exit"]
        if flags:
            assert _without_hashes(json.loads(result.output)) == _without_hashes(json.loads(want["output"]))
        else:  # the text a person reads names the missing facts in Danish; the rest is unchanged
            assert result.output == _missing_in_danish(want["output"], book.vocabulary)


def _missing_in_danish(text: str, vocab: Vocabulary) -> str:
    return re.sub(r"^Mangler: (.*)$", lambda m: "Mangler: " + ", ".join(vocab.term(x) for x in m[1].split(", ")),
                  text, flags=re.MULTILINE)


@pytest.mark.parametrize("in_danish", [False, True], ids=["engelsk", "dansk"])
def test_a_register_gives_the_recorded_settlement(tmp_path: Path, book: ivrules.Book, in_danish: bool) -> None:
    register = RECORDED["register"]
    header, rows = register["header"], register["rows"]
    if in_danish:
        vocab = book.vocabulary
        rows = [[row[0], *vocab.danish_names(dict(zip(header[1:], row[1:], strict=True))).values()] for row in rows]
        header = ["forløbs_id", *(vocab.term(h) for h in header[1:])]
    path = tmp_path / "register.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    settle_file(book, path, "midtjylland", tmp_path / "ud")
    for name, want in register["files"].items():
        with open(tmp_path / "ud" / name, encoding="utf-8", newline="") as handle:
            got = list(csv.DictReader(handle))
        assert got == want, name
