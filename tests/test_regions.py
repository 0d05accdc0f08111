"""Every region and revision: answers for each, consent as conditions, unknowns said plainly, valid periods."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ivrules
from ivrules.model.agreement import Agreement
from tests.conftest import AGREEMENTS

BOOK = ivrules.load(AGREEMENTS)
REVISIONS = [(r, a) for r in BOOK.regions for a in BOOK.agreements(r)]
IDS = [f"{r}@{a.revision}" for r, a in REVISIONS]
SECONDARY = ("syddanmark", "hovedstaden", "sjaelland", "nordjylland")  # regions known only from accounts


def test_every_region_is_encoded() -> None:
    assert BOOK.regions == ["nordjylland", "midtjylland", "syddanmark", "hovedstaden", "sjaelland"]
    assert {r: [a.revision for a in BOOK.agreements(r)] for r in SECONDARY} == {
        "syddanmark": ["2018-01-01", "2021-10-01", "2025-01-01"], "hovedstaden": ["2022-01-01"],
        "sjaelland": ["2021-01-06"], "nordjylland": ["2020-04-01", "2022-01-01"]}


@pytest.mark.parametrize(("region", "agreement"), REVISIONS, ids=IDS)
def test_each_revision_answers_an_eligibility_and_a_tariff_question(region: str, agreement: Agreement) -> None:
    kinds = [set(e.expect) for e in agreement.examples]
    assert any("eligible" in k for k in kinds), f"{agreement.path}: no eligibility example"
    assert any("tariff" in k for k in kinds), f"{agreement.path}: no tariff example"


@pytest.mark.parametrize(("region", "agreement"), REVISIONS, ids=IDS)
def test_a_tariff_answer_is_computed_or_says_why_not(region: str, agreement: Agreement) -> None:
    for example in (e for e in agreement.examples if "tariff" in e.expect and "error" not in e.expect["tariff"]):
        quote = BOOK.tariff(region, example.facts)
        assert quote.revision == agreement.revision
        assert quote.status == "computed" or quote.reasons, example.name


def test_consent_is_a_condition_not_a_bare_yes() -> None:
    hovedstaden = {"date": "2022-06-01", "municipality": "Herlev", "treatment": "antibiotics",
                   "started_in_hospital": True}
    assert BOOK.eligibility("hovedstaden", hovedstaden).conditions == ["Kommunen visiterer og kan afvise"]
    nordjylland = {"date": "2022-06-01", "municipality": "Aalborg", "treatment": "antibiotics",
                   "started_in_hospital": True, "medically_stable": True, "system": "codan_mix_add"}
    assert BOOK.eligibility("nordjylland", {**nordjylland, "doses_per_day": 3}).conditions == []
    assert BOOK.eligibility("nordjylland", {**nordjylland, "doses_per_day": 4}).conditions == [
        "Kun hvis kommunen i det konkrete tilfælde accepterer"]
    kan = BOOK.eligibility("syddanmark", {**hovedstaden, "date": "2019-01-01", "municipality": "Odense"})
    assert kan.eligible is True and "akutfunktion" in kan.conditions[0]


@pytest.mark.parametrize("region", SECONDARY)
def test_what_the_sources_do_not_say_is_said_plainly(region: str) -> None:
    for agreement in BOOK.agreements(region):
        texts = [u.text for u in agreement.unknowns]
        assert texts and all(t[0].isupper() and t.rstrip().endswith(".") for t in texts)
        about = {u.about for u in agreement.unknowns}
        # The age limit is one thing no source for these regions states.
        assert "age_years" in about, agreement.path


def test_an_answer_carries_the_unknowns() -> None:
    answer = BOOK.eligibility("hovedstaden", {"date": "2022-06-01", "municipality": "Herlev",
                                              "treatment": "antibiotics", "started_in_hospital": True}).to_dict()
    assert "Aftalen angiver ikke en aldersgrænse, så vidt kilderne viser." in answer["unknowns"]


def test_a_trial_ends_and_the_answer_says_why_nothing_follows() -> None:
    course = {"municipality": "Holbæk", "treatment": "isotonic_fluids", "started_in_hospital": True}
    # The trial's start and end are not in the sources: in 2021 the answer waits for whether it was running.
    assert BOOK.eligibility("sjaelland", {**course, "date": "2021-07-06"}).missing == ["agreement_in_force"]
    assert BOOK.eligibility("sjaelland", {**course, "date": "2021-07-06", "agreement_in_force": True}).eligible
    with pytest.raises(ivrules.NoRevisionError, match="tidsbegrænset til seks måneder"):
        BOOK.eligibility("sjaelland", {**course, "date": "2022-01-01"})


def test_stated_percentages_are_encoded_without_amounts() -> None:
    tariff = BOOK.agreements("sjaelland")[0].tariff
    assert tariff is not None and (tariff.financing.region, tariff.financing.kommune) == (70, 30)
    quote = BOOK.tariff("sjaelland", {"start_date": "2021-03-01", "end_date": "2021-03-02", "municipality": "Holbæk",
                                      "treatment": "isotonic_fluids", "agreement_in_force": True})
    assert quote.status == "unknown" and quote.total is None and "70/30" in quote.reasons[0]


# --- validity periods ---------------------------------------------------------------------------------------------

TRIAL = """region: sjaelland
title: Forsøg
effective: {effective}
{until}source:
  document: Test
sections:
  - number: "1"
    title: Forsøget
    text: Tekst.
    rules:
      - id: behandling
        rule: behandling = isotone_væsker
        explain: Væske.
"""


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name in ("vocabulary.yaml", "municipalities.yaml", "regions.yaml"):
        shutil.copy(AGREEMENTS / name, tmp_path / name)
    (tmp_path / "sjaelland").mkdir()
    for date, until in files.items():
        (tmp_path / "sjaelland" / f"{date}.yaml").write_text(TRIAL.format(effective=date, until=until), "utf-8")
    return tmp_path


def test_an_undeclared_gap_between_revisions_is_an_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"2021-01-01": "until: 2021-06-30\n", "2022-01-01": ""})
    with pytest.raises(ivrules.AgreementError, match="træder først i kraft 2022-01-01") as caught:
        ivrules.load(folder)
    assert "no_agreement_after" in str(caught.value)


def test_a_declared_gap_is_allowed_and_explained(tmp_path: Path) -> None:
    until = "until: 2021-06-30\nno_agreement_after: Forsøget sluttede.\n"
    book = ivrules.load(_folder(tmp_path, {"2021-01-01": until, "2022-01-01": ""}))
    with pytest.raises(ivrules.NoRevisionError, match="Forsøget sluttede"):
        book.eligibility("sjaelland", {"date": "2021-08-01", "treatment": "isotonic_fluids"})
    assert book.eligibility("sjaelland", {"date": "2022-08-01", "treatment": "isotonic_fluids"}).eligible


def test_overlapping_revisions_are_an_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"2021-01-01": "until: 2022-01-01\n", "2022-01-01": ""})
    with pytest.raises(ivrules.AgreementError, match="perioderne må ikke overlappe"):
        ivrules.load(folder)


def test_no_agreement_after_needs_until(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"2021-01-01": "no_agreement_after: Slut.\n"})
    with pytest.raises(ivrules.AgreementError, match="'no_agreement_after' kræver 'until'"):
        ivrules.load(folder)
