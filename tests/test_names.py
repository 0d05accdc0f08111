"""One Danish name per fact and value, English names as aliases where facts arrive, and one region resolver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app as cli
from ivrules.errors import AgreementError, Diagnostics, FactsError
from ivrules.lang.checker import Checker
from ivrules.lang.parser import parse_rule
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.load import read_text
from ivrules.source import Source
from ivrules.web.app import create_app
from tests.conftest import AGREEMENTS, ANTIBIOTICS_COURSE, examples

VOCAB = ivrules.load(AGREEMENTS).vocabulary


def _check(rule: str) -> list[tuple[str, str | None]]:
    diags = Diagnostics()
    Checker(VOCAB, diags).check(parse_rule(rule))
    return [(d.message, d.hint) for d in diags]


@st.composite
def spelled(draw: st.DrawFn, vocab: Vocabulary = VOCAB) -> tuple[dict[str, Any], dict[str, Any]]:
    """A course's facts in English, and the same facts with each name and value in either language."""
    english = {k: v for k, v in ANTIBIOTICS_COURSE.items() if draw(st.booleans())}
    mixed = {}
    for key, value in english.items():
        fact = vocab.facts[key]
        found = fact.value_by_term(value) if fact.values and isinstance(value, str) else None
        danish_value = found.term if found is not None else value
        mixed[fact.term if draw(st.booleans()) else key] = danish_value if draw(st.booleans()) else value
    return english, mixed


@settings(max_examples=examples(200))
@given(spelled())
def test_either_spelling_of_every_name_and_value_gives_the_same_facts(pair: tuple[dict[str, Any], ...]) -> None:
    english, mixed = pair
    assert VOCAB.normalise(mixed) == VOCAB.normalise(english)
    assert VOCAB.json_names(mixed) == english


def test_every_fact_and_value_has_one_danish_name_that_no_other_spelling_shares() -> None:
    spellings = [s for f in VOCAB.facts.values() for s in {f.name, f.term}]
    assert len(spellings) == len(set(spellings))
    assert all(VOCAB.fact(f.term) is f and VOCAB.fact(f.name) is f for f in VOCAB.facts.values())


@pytest.mark.parametrize(("facts", "field", "hint"), [
    ({"treatmnt": "antibiotics"}, "treatmnt", "mente du 'behandling'?"),
    ({"behandlng": "antibiotika"}, "behandlng", "mente du 'behandling'?"),
    ({"treatment": "antibiotic"}, "treatment", "mente du 'antibiotika'?"),
    ({"behandling": "antibiotikum"}, "behandling", "mente du 'antibiotika'?"),
])
def test_an_unknown_name_or_value_suggests_the_danish_name(facts: dict[str, Any], field: str, hint: str) -> None:
    with pytest.raises(FactsError) as caught:
        VOCAB.normalise(facts)
    assert (caught.value.field, caught.value.hint) == (field, hint)


def test_a_fact_given_twice_in_two_languages_is_refused() -> None:
    with pytest.raises(FactsError, match="givet to gange"):
        VOCAB.normalise({"behandling": "antibiotika", "treatment": "antibiotics"})


def test_a_bad_value_given_in_danish_is_named_and_listed_in_danish() -> None:
    with pytest.raises(FactsError) as caught:
        VOCAB.normalise({"system": "åbent_system", "behandling": "x"})
    assert caught.value.field == "behandling" and "antibiotika" in (caught.value.allowed or [])


@pytest.mark.parametrize(("rule", "message", "hint"), [
    ("treatment = antibiotika", "ukendt faktum 'treatment'", "mente du 'behandling'?"),
    ("age_years > 3 år", "ukendt faktum 'age_years'", "mente du 'alder'?"),
    ("behandling = antibiotics", "ukendt værdi 'antibiotics' for 'behandling'", "mente du 'antibiotika'?"),
    ("system i {codan_mix_add, elastomeric_pump}", "ukendt værdi 'elastomeric_pump' for 'system'",
     "mente du 'elastomerisk_pumpe'?"),
    ("behandlng = antibiotika", "ukendt faktum 'behandlng'", "mente du 'behandling'?"),
])
def test_a_rule_takes_only_the_danish_name(rule: str, message: str, hint: str) -> None:
    assert _check(rule) == [(message, hint)]


def test_the_danish_rule_is_accepted() -> None:
    assert _check("hvis behandling = antibiotika så system i {codan_mix_add, elastomerisk_pumpe}") == []


def test_an_example_written_with_an_english_name_is_a_located_mistake() -> None:
    text = (AGREEMENTS / "midtjylland" / "2021-05-01.yaml").read_text(encoding="utf-8")
    text = text.replace("      behandling: antibiotika\n", "      treatment: antibiotika\n", 1)
    text = text.replace("      system: codan_mix_add\n", "      system: elastomeric_pump\n", 1)
    diags = Diagnostics()
    read_text(Source("2021-05-01.yaml", text), VOCAB, diags)
    found = [(d.message, d.hint) for d in diags]
    assert ("eksemplets faktum 'treatment' skrives med sit danske navn", "mente du 'behandling'?") in found
    assert ("værdien 'elastomeric_pump' for 'system' skrives med sit danske navn",
            "mente du 'elastomerisk_pumpe'?") in found


def test_json_names_renames_facts_and_values_and_keeps_the_rest() -> None:
    assert VOCAB.json_names({"behandling": "antibiotika", "alder": 4, "system": "codan_mix_add"}) == {
        "treatment": "antibiotics", "age_years": 4, "system": "codan_mix_add"}


# --- regions -------------------------------------------------------------------------------------------------

SPELLINGS = [("midtjylland", "midtjylland"), ("Region Midtjylland", "midtjylland"), ("sjælland", "sjaelland"),
             ("Sjaelland", "sjaelland"), ("Region Sjælland", "sjaelland"), ("  region   SJÆLLAND ", "sjaelland"),
             ("Hovedstaden", "hovedstaden"), ("Nord-Jylland", "nordjylland")]


@pytest.mark.parametrize(("spelling", "region"), SPELLINGS)
def test_a_region_is_found_by_id_name_and_common_spellings(book: ivrules.Book, spelling: str, region: str) -> None:
    assert book.region_id(spelling) == region
    assert [a.revision for a in book.agreements(spelling)] == [a.revision for a in book.agreements(region)]


def test_an_unknown_region_says_which_regions_exist(book: ivrules.Book) -> None:
    with pytest.raises(ivrules.UnknownRegionError) as caught:
        book.eligibility("Fyn", {"dato": "2021-06-01"})
    assert "Ukendt region 'Fyn'" in str(caught.value) and "Region Sjælland (sjaelland)" in str(caught.value)


def test_the_api_and_the_cli_take_a_region_by_its_name(book: ivrules.Book, tmp_path: Path) -> None:
    client = TestClient(create_app(book))
    by_id = client.post("/v1/eligibility", json={"region": "midtjylland", "facts": ANTIBIOTICS_COURSE}).json()
    by_name = client.post("/v1/eligibility", json={"region": "Region Midtjylland", "facts": ANTIBIOTICS_COURSE})
    assert by_name.status_code == 200 and by_name.json() == by_id
    facts = client.get("/v1/agreements/Region Midtjylland/facts").json()
    assert facts == client.get("/v1/agreements/midtjylland/facts").json()
    path = tmp_path / "fakta.json"
    path.write_text(json.dumps(VOCAB.danish_names(ANTIBIOTICS_COURSE)), encoding="utf-8")
    result = CliRunner().invoke(cli, ["eligibility", "--region", "Region Midtjylland", "--facts", str(path),
                                      "--agreements", str(AGREEMENTS), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["eligible"] == by_id["eligible"]


def test_a_danish_facts_file_is_answered_and_its_missing_facts_named_in_danish(tmp_path: Path) -> None:
    path = tmp_path / "fakta.json"
    path.write_text(json.dumps({"dato": "2020-09-01", "kommune": "Aarhus", "behandling": "antibiotika"}),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["eligibility", "-r", "midtjylland", "-f", str(path), "-a", str(AGREEMENTS)])
    assert result.exit_code == 0 and "Mangler: " in result.output
    missing = result.output.split("Mangler: ")[1].splitlines()[0].split(", ")
    assert "Stabilt behandlingsforløb" in missing and "medically_stable" not in missing  # by its Danish label


def test_a_misspelt_fact_in_a_facts_file_is_told_the_danish_name(tmp_path: Path) -> None:
    path = tmp_path / "fakta.json"
    path.write_text(json.dumps({"dato": "2020-09-01", "behandlng": "antibiotika"}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["eligibility", "-r", "midtjylland", "-f", str(path), "-a", str(AGREEMENTS)])
    assert result.exit_code == 2 and "`behandlng`: ukendt faktum; mente du 'behandling'?" in result.output


def test_an_agreement_with_an_english_rule_does_not_load(tmp_path: Path) -> None:
    folder = tmp_path / "agreements"
    folder.mkdir()
    for name in ("vocabulary.yaml", "municipalities.yaml", "regions.yaml"):
        (folder / name).write_text((AGREEMENTS / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "midtjylland").mkdir()
    text = (AGREEMENTS / "midtjylland" / "2020-06-01.yaml").read_text(encoding="utf-8")
    english = text.replace("rule: alder > 3 år", "rule: age_years > 3 år")
    (folder / "midtjylland" / "2020-06-01.yaml").write_text(english, encoding="utf-8")
    with pytest.raises(AgreementError, match="mente du 'alder'"):
        ivrules.load(folder)


def test_the_api_answers_in_english_whatever_language_the_question_used(book: ivrules.Book) -> None:
    client = TestClient(create_app(book))
    english_facts = {k: v for k, v in ANTIBIOTICS_COURSE.items() if k != "age_years"}
    danish = client.post("/v1/eligibility", json={"region": "midtjylland", "facts": VOCAB.danish_names(english_facts)})
    english = client.post("/v1/eligibility", json={"region": "midtjylland", "facts": english_facts})
    assert danish.status_code == 200 and danish.json() == english.json()
    assert "age_years" in english.json()["missing"]
    typo = client.post("/v1/eligibility", json={"region": "midtjylland", "facts": {"behandlng": "antibiotika"}})
    assert typo.status_code == 422 and typo.json()["detail"][0]["hint"] == "mente du 'behandling'?"
    typo = client.post("/v1/eligibility", json={"region": "midtjylland", "facts": {"treatmnt": "antibiotics"}})
    assert typo.json()["detail"][0]["hint"] == "mente du 'treatment'?"


def _converter() -> Any:
    import importlib.util
    path = AGREEMENTS.parent / "scripts" / "danish_examples.py"
    spec = importlib.util.spec_from_file_location("danish_examples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_conversion_script_rewrites_only_the_examples_and_leaves_danish_alone() -> None:
    convert = _converter().convert
    english = ("title: treatment: antibiotics\nexamples:\n  - name: 'treatment: antibiotics'\n    facts: &a\n"
               "      treatment: antibiotics  # a comment\n      system: elastomeric_pump\n"
               "      dose_times: [\"07:00\"]\n    expect: {missing: [medically_stable, age_years]}\n"
               "  - name: b\n    facts: {<<: *a, date: 2021-01-01, access: other}\n    expect: {eligible: null}\n")
    danish = ("title: treatment: antibiotics\nexamples:\n  - name: 'treatment: antibiotics'\n    facts: &a\n"
              "      behandling: antibiotika  # a comment\n      system: elastomerisk_pumpe\n"
              "      doseringstidspunkter: [\"07:00\"]\n    expect: {missing: [stabilt_forløb, alder]}\n"
              "  - name: b\n    facts: {<<: *a, dato: 2021-01-01, adgang: anden_adgang}\n"
              "    expect: {eligible: null}\n")
    assert convert(english, VOCAB) == danish
    assert convert(danish, VOCAB) == danish
    for path in sorted(AGREEMENTS.glob("*/*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert convert(text, VOCAB) == text, path


@pytest.mark.parametrize(("facts", "listed"), [
    ({"dato": "2020-09-01", "behandlng": "antibiotika"}, "behandling"),  # a Danish question: the Danish names
    ({"date": "2020-09-01", "treatmnt": "antibiotics"}, "treatment"),  # an English one (/v1): the English names
])
def test_an_unknown_fact_lists_the_facts_in_the_language_of_the_question(
        book: ivrules.Book, facts: dict[str, str], listed: str) -> None:
    with pytest.raises(FactsError) as caught:
        book.eligibility("midtjylland", facts)
    assert caught.value.hint == "mente du 'behandling'?"
    assert caught.value.allowed is not None and listed in caught.value.allowed
