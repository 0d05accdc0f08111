"""``ivrules compare``: the regions side by side, derived from the compiled agreements."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app
from ivrules.site.compare import Comparison, compare, topic_of
from tests.conftest import AGREEMENTS

BOOK = ivrules.load(AGREEMENTS)
ON = dt.date(2022, 6, 1)


def _cells(result: Comparison, topic: str) -> dict[str, dict[str, object]]:
    return result.to_dict()["topics"][[t.id for t in BOOK.vocabulary.topics].index(topic)]["cells"]


def test_every_region_and_topic_has_a_cell() -> None:
    data = compare(BOOK, ON).to_dict()
    assert [c["region"] for c in data["regions"]] == BOOK.regions
    assert {t["id"] for t in data["topics"]} >= {"alder", "doser_pr_døgn", "doser_på_hospitalet", "tidsrum",
                                                 "systemer", "adgang", "undtagelser", "takster", "fordeling"}
    assert all(set(t["cells"]) == set(BOOK.regions) for t in data["topics"])


def test_stated_rules_come_with_their_limits_and_silence_is_ukendt() -> None:
    age = _cells(compare(BOOK, ON), "alder")
    assert age["midtjylland"]["status"] == "stated" and age["midtjylland"]["limits"] == {"age_years": ["3"]}
    assert age["midtjylland"]["texts"] == ["Alder (fyldte år) er over 3 år."]
    assert age["hovedstaden"] == {"status": "unknown", "texts": [], "rules": [], "limits": {},
                                  "unknowns": ["Aftalen angiver ikke en aldersgrænse, så vidt kilderne viser."]}


def test_a_rule_belongs_to_the_topic_of_its_limit_not_its_condition() -> None:
    rule = next(r for r in BOOK.agreements("midtjylland")[0].rules if r.id == "antibiotika_højst_tre_gange")
    topic = topic_of(rule, BOOK.vocabulary)
    assert topic is not None and topic.id == "doser_pr_døgn"
    doses = _cells(compare(BOOK, ON), "doser_pr_døgn")
    assert doses["midtjylland"]["limits"] == {"doses_per_day": ["3"]}
    assert "Kun hvis kommunen i det konkrete tilfælde accepterer" in doses["nordjylland"]["texts"][0]


def test_tariffs_and_split_come_from_the_tariff_model() -> None:
    result = compare(BOOK, ON)
    tariffs, split = _cells(result, "takster"), _cells(result, "fordeling")
    assert any("2.999,00 kr. for forløbet" in t for t in tariffs["midtjylland"]["texts"])  # type: ignore[union-attr]
    assert any("kategori 1: ukendt" in t for t in tariffs["nordjylland"]["texts"])  # type: ignore[union-attr]
    assert split["nordjylland"]["texts"] == ["regionen 70 %, kommunen 30 %", "kategori 0: regionen 100 %, kommunen 0 %"]
    assert split["hovedstaden"]["status"] == "unknown" and split["hovedstaden"]["unknowns"]


def test_a_region_without_an_agreement_on_the_date_says_so() -> None:
    result = compare(BOOK, ON)
    column = next(c for c in result.columns if c.region == "sjaelland")
    assert column.revision is None and "tidsbegrænset" in column.note
    assert _cells(result, "alder")["sjaelland"]["status"] == "no_agreement"
    trial = compare(BOOK, dt.date(2021, 3, 1))
    assert _cells(trial, "fordeling")["sjaelland"]["texts"] == ["regionen 70 %, kommunen 30 %"]


def test_an_agreement_joined_municipality_by_municipality_names_its_fallback() -> None:
    column = next(c for c in compare(BOOK, ON).columns if c.region == "syddanmark")
    assert column.revision == "2021-10-01" and "1. januar 2018" in column.note


def test_cells_follow_the_agreement_files(tmp_path: Path) -> None:
    """Change a limit in a file and the comparison changes with it: nothing is kept by hand."""
    shutil.copytree(AGREEMENTS, tmp_path / "agreements")
    path = tmp_path / "agreements" / "midtjylland" / "2020-06-01.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("rule: alder > 3 år", "rule: alder >= 18 år"), "utf-8")
    age = _cells(compare(ivrules.load(tmp_path / "agreements"), dt.date(2020, 9, 1)), "alder")
    assert age["midtjylland"]["limits"] == {"age_years": ["18"]}
    assert age["midtjylland"]["texts"] == ["Alder (fyldte år) er mindst 18 år."]


def test_the_command_prints_text_and_json() -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["compare", "--date", "2022-06-01", "-a", str(AGREEMENTS)])
    assert text.exit_code == 0 and "Aldersgrænse" in text.output and "ukendt" in text.output
    as_json = runner.invoke(app, ["compare", "--json", "--date", "2021-03-01", "-a", str(AGREEMENTS)])
    data = json.loads(as_json.output)
    assert data["date"] == "2021-03-01" and len(data["regions"]) == 5


def test_a_bad_date_is_an_input_error() -> None:
    result = CliRunner().invoke(app, ["compare", "--date", "1. juni", "-a", str(AGREEMENTS)])
    assert result.exit_code == 2 and "ÅÅÅÅ-MM-DD" in result.output


def test_a_date_whose_revision_may_or_may_not_be_in_force_is_shown_as_ukendt_with_the_reason() -> None:
    columns = {c.region: c for c in compare(BOOK, dt.date(2021, 12, 1)).columns}
    assert columns["hovedstaden"].revision is None
    assert columns["hovedstaden"].note.startswith("Ukendt, om udgaven af 1. januar 2022 gjaldt: Aftalen blev indgået")
    assert columns["nordjylland"].revision == "2020-04-01" and "Justeringerne" in columns["nordjylland"].note
    later = {c.region: c for c in compare(BOOK, dt.date(2022, 6, 1)).columns}
    assert "Ukendt" not in later["hovedstaden"].note and "Ukendt" not in later["nordjylland"].note
