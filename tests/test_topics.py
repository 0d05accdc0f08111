"""vocabulary.yaml's ``topics:``: the comparison's rows are data, read strictly, with located Danish errors."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import ivrules
from ivrules.site.compare import compare
from tests.conftest import AGREEMENTS

ON = dt.date(2022, 6, 1)


def _folder(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the agreements with one edit to vocabulary.yaml's topics."""
    folder = tmp_path / "agreements"
    shutil.copytree(AGREEMENTS, folder)
    path = folder / "vocabulary.yaml"
    text = path.read_text("utf-8")
    head, topics = text.split("\ntopics:\n")
    assert old in topics
    path.write_text(f"{head}\ntopics:\n{topics.replace(old, new, 1)}", "utf-8")
    return folder


def _error(folder: Path) -> str:
    with pytest.raises(ivrules.AgreementError) as caught:
        ivrules.load(folder)
    return str(caught.value)


def test_the_rows_follow_the_file(tmp_path: Path) -> None:
    """Move the age facts to a topic of their own name and the comparison follows; nothing is kept in Python."""
    old = "  - id: alder\n    title: Aldersgrænse\n"
    folder = _folder(tmp_path, old, "  - id: borgerens_alder\n    title: Borgerens alder\n")
    data = compare(ivrules.load(folder), ON).to_dict()
    assert [t["id"] for t in data["topics"]][:2] == ["borgerens_alder", "doser_pr_døgn"]
    assert data["topics"][0]["title"] == "Borgerens alder"
    assert data["topics"][0]["cells"]["midtjylland"]["limits"] == {"age_years": ["3"]}


def test_a_rule_goes_to_the_first_topic_whose_facts_it_reads(tmp_path: Path) -> None:
    """"hvis behandling = antibiotika så doser_pr_døgn <= 3": with no doses topic it is about treatments."""
    folder = _folder(tmp_path, "    facts: [doses_per_day]\n", "    facts: [birth_date]\n")
    data = compare(ivrules.load(folder), ON).to_dict()
    treatments = next(t for t in data["topics"] if t["id"] == "behandlinger")
    assert "antibiotika_højst_tre_gange" in treatments["cells"]["midtjylland"]["rules"]


def test_an_unknown_fact_is_a_located_error(tmp_path: Path) -> None:
    message = _error(_folder(tmp_path, "facts: [doses_per_day]", "facts: [doses_per_dag]"))
    assert "vocabulary.yaml:" in message and "fejl: ukendt faktum 'doses_per_dag' i topics[1].facts[0]" in message
    assert "mente du 'doses_per_day'?" in message


def test_an_unknown_key_is_a_located_error(tmp_path: Path) -> None:
    message = _error(_folder(tmp_path, "    title: Tidsrum\n", "    title: Tidsrum\n    titel: Tid\n"))
    assert "fejl: ukendt nøgle 'titel' i topics[3]" in message and "mente du 'title'?" in message


def test_an_unknown_catch_and_a_missing_one_are_located_errors(tmp_path: Path) -> None:
    message = _error(_folder(tmp_path, "catches: other", "catches: others"))
    assert "fejl: ukendt værdi 'others' i topics[8].catches" in message and "mente du 'other'?" in message
    assert "fejl: intet emne har 'catches: other' i topics" in message


def test_a_duplicate_topic_is_a_located_error(tmp_path: Path) -> None:
    message = _error(_folder(tmp_path, "id: tidsrum", "id: alder"))
    assert "fejl: emnet 'alder' står to gange i topics" in message


def test_a_topic_must_say_what_belongs_in_it(tmp_path: Path) -> None:
    message = _error(_folder(tmp_path, "    title: Tidsrum\n    facts: [dose_times]\n", "    title: Tidsrum\n"))
    assert "fejl: topics[3] siger ikke, hvad der hører til emnet" in message
    message = _error(_folder(tmp_path / "b", "    model: tariff\n", "    model: tariff\n    facts: [treatment]\n"))
    assert "fejl: topics[10]: et emne med 'model' henter alt fra takstmodellen" in message
