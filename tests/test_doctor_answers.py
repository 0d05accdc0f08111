"""The doctors' page's own answers (/page/answer): the /v1 answers unchanged, with Danish texts beside them."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

import ivrules
from ivrules.web.app import create_app
from ivrules.web.doctor import kroner
from tests.conftest import ANTIBIOTICS_COURSE, examples

PRICED = {**ANTIBIOTICS_COURSE, "start_date": "2020-09-01", "end_date": "2020-09-10", "days_without_dose": 0,
          "antibiotics_count": 1}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CODE_NAME = re.compile(r"\b[a-zæøå]+_[a-zæøå_]+\b")


@pytest.fixture(scope="module")
def client(book: ivrules.Book) -> TestClient:
    return TestClient(create_app(book))


def page(client: TestClient, region: str, facts: dict[str, Any], status: int = 200) -> Any:
    response = client.post("/page/answer", json={"region": region, "facts": facts})
    assert response.status_code == status, response.text
    return response.json()


def texts_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in texts_of(item)]


QUESTIONS = [
    ("midtjylland", ANTIBIOTICS_COURSE),
    ("midtjylland", PRICED),
    ("midtjylland", {**PRICED, "age_years": 2}),
    ("syddanmark", {"date": "2025-03-01", "municipality": "Odense", "treatment": "antibiotics",
                    "started_in_hospital": True}),
    ("syddanmark", {"date": "2025-03-01", "municipality": "Odense", "municipality_joined": False,
                    "start_date": "2025-03-01", "end_date": "2025-03-05"}),
    ("nordjylland", {"start_date": "2022-03-01", "end_date": "2022-03-04", "municipality": "Aalborg",
                     "tyngdekategori": 0}),
    ("sjaelland", {"date": "2021-03-01", "municipality": "Holbæk", "treatment": "isotonic_fluids"}),
]


@pytest.mark.parametrize(("region", "facts"), QUESTIONS)
def test_the_page_gets_the_same_answers_as_v1(client: TestClient, region: str, facts: dict[str, Any]) -> None:
    answer = page(client, region, facts)
    assert answer["eligibility"] == client.post("/v1/eligibility", json={"region": region, "facts": facts}).json()
    if "end_date" in facts:
        assert answer["tariff"] == client.post("/v1/tariff", json={"region": region, "facts": facts}).json()
    else:
        assert answer["tariff"] is None and answer["texts"]["price"] is None


@pytest.mark.parametrize(("region", "facts"), QUESTIONS)
def test_the_page_texts_hold_no_iso_date_and_no_code_name(
        client: TestClient, region: str, facts: dict[str, Any]) -> None:
    texts = texts_of(page(client, region, facts)["texts"])
    assert texts and not [t for t in texts if ISO_DATE.search(t) or CODE_NAME.search(t)]


def test_the_price_is_written_in_kroner_with_oere(client: TestClient, book: ivrules.Book) -> None:
    price = page(client, "midtjylland", PRICED)["texts"]["price"]
    quote = book.tariff("midtjylland", PRICED)
    assert quote.total == Decimal("6999") and price["total"] == "6.999,00 kr."
    assert (price["region_share"], price["municipality_share"]) == ("4.899,30 kr.", "2.099,70 kr.")
    assert [line["value"] for line in price["lines"]] == ["2.999,00 kr.", "4.000,00 kr."]
    assert kroner("18654") == "18.654,00 kr." and kroner(None) is None


def test_a_price_that_cannot_be_computed_has_no_amounts(client: TestClient) -> None:
    answer = page(client, "syddanmark", QUESTIONS[4][1])
    assert answer["tariff"]["status"] == "unknown"
    assert answer["texts"]["price"]["total"] is None and answer["texts"]["price"]["lines"] == []


def accession(client: TestClient, region: str, facts: dict[str, Any]) -> str:
    return str(page(client, region, facts)["texts"]["accession"])


def test_each_accession_decision_is_said_in_danish(client: TestClient) -> None:
    odense = {"date": "2025-03-01", "municipality": "Odense", "treatment": "antibiotics", "started_in_hospital": True}
    assert accession(client, "syddanmark", odense) == (
        "Svaret afhænger af, om Odense har tilsluttet sig aftalen af 1. oktober 2021: har kommunen det, gælder "
        "dens udgave af 1. januar 2025, ellers gælder aftalen af 1. januar 2018. "
        "Tiltrædelseslisten nævner ikke kommunen.")
    assert accession(client, "syddanmark", {**odense, "municipality_joined": False}) == (
        "Odense har ikke tilsluttet sig aftalen af 1. oktober 2021; aftalen af 1. januar 2018 gælder. "
        "Det er oplyst i spørgsmålet; tiltrædelseslisten nævner ikke kommunen.")
    assert accession(client, "syddanmark", {**odense, "municipality_joined": True}).startswith(
        "Odense har tilsluttet sig aftalen af 1. oktober 2021; dens udgave af 1. januar 2025 gælder.")
    assert accession(client, "syddanmark", {**odense, "doses_given_in_hospital": 1}).startswith(
        "Det vides ikke, om Odense har tilsluttet sig")  # both revisions give the same answer
    assert accession(client, "sjaelland", {"date": "2021-03-01", "municipality": "Holbæk"}) == (
        "Holbæk har tilsluttet sig aftalen af 6. januar 2021 fra 6. januar 2021; aftalen af 6. januar 2021 gælder. "
        "Det fremgår af tiltrædelseslisten.")
    assert accession(client, "nordjylland", {"date": "2020-07-15", "municipality": "Aalborg"}).startswith(
        "Alle kommuner i regionen har tilsluttet sig aftalen af 1. april 2020 fra 1. juni 2020;")


def test_the_accession_question_is_asked_only_while_it_matters(client: TestClient) -> None:
    odense = {"date": "2025-03-01", "municipality": "Odense", "treatment": "antibiotics", "started_in_hospital": True}
    asked = page(client, "syddanmark", odense)
    assert "municipality_joined" in asked["eligibility"]["missing"]
    assert asked["texts"]["joined_question"] == "Har Odense tilsluttet sig aftalen af 1. oktober 2021?"
    assert page(client, "syddanmark", {**odense, "municipality_joined": True})["texts"]["joined_question"]
    # Midtjylland's register names no municipality (001 §10): the question stays, answered, once the doctor answers
    assert page(client, "midtjylland", ANTIBIOTICS_COURSE)["texts"]["joined_question"] == (
        "Har Aarhus tilsluttet sig aftalen af 1. juni 2020?")
    # where the register knows (every Nordjylland municipality from 1 June 2020) nothing is asked
    aalborg = {"date": "2020-07-15", "municipality": "Aalborg"}
    assert page(client, "nordjylland", aalborg)["texts"]["joined_question"] is None


def test_a_date_without_an_agreement_names_the_region_and_the_periods_in_danish(client: TestClient) -> None:
    assert page(client, "sjaelland", {"date": "2020-03-01"}, 404)["detail"] == (
        "Der gælder ingen aftale for Region Sjælland den 1. marts 2020. "
        "Aftalen gælder fra 6. januar 2021 til 31. december 2021.")
    after = page(client, "sjaelland", {"date": "2022-03-01"}, 404)["detail"]
    assert after.startswith("Der gælder ingen aftale for Region Sjælland den 1. marts 2022.")
    assert "Forsøget var tidsbegrænset" in after  # the agreement file's own word on why
    assert page(client, "midtjylland", {"date": "2019-03-01"}, 404)["detail"] == (
        "Der gælder ingen aftale for Region Midtjylland den 1. marts 2019. "
        "Aftalerne gælder fra 1. juni 2020 til 30. april 2021 og fra 1. maj 2021.")


def test_a_municipality_outside_a_joined_agreement_is_told_so(client: TestClient) -> None:
    detail = page(client, "sjaelland", {"date": "2021-03-01", "municipality": "Næstved",
                                        "municipality_joined": False}, 404)["detail"]
    assert detail.startswith("Ingen aftale for Region Sjælland gælder for Næstved den 1. marts 2021:")
    assert not ISO_DATE.search(detail)


def test_the_question_is_summarised_in_danish_without_personal_data(client: TestClient) -> None:
    question = {item["label"]: item["value"] for item in page(client, "midtjylland", PRICED)["texts"]["question"]}
    assert question["Region"] == "Region Midtjylland"
    assert question["Startdato for den kommunale del"] == "1. september 2020"
    assert question["Startet i hospitalsregi"] == "Ja" and question["Doseringstidspunkter"] == "07:00, 15:00, 23:00"
    refused = page(client, "midtjylland", {**PRICED, "cpr": "010203-1234"}, 422)
    assert refused["detail"][0]["loc"] == ["body", "facts", "cpr"] and "010203" not in str(refused)
    assert page(client, "midtjylland", {"date": "2020-13-01"}, 422)["detail"][0]["loc"] == ["body", "facts", "date"]


def test_the_page_asks_the_price_facts_and_v1_is_unchanged(client: TestClient) -> None:
    asked = [f["name"] for f in client.get("/page/facts/midtjylland").json()]
    v1 = [f["name"] for f in client.get("/v1/agreements/midtjylland/facts").json()]
    assert asked[:len(v1)] == v1 and {"end_date", "days_without_dose", "antibiotics_count"} <= set(asked[len(v1):])
    assert client.get("/page/facts/atlantis").status_code == 404
    assert not [path for path in client.get("/openapi.json").json()["paths"] if path.startswith("/page")]


@settings(max_examples=examples(60))
@given(age=st.integers(0, 120), doses=st.integers(0, 6), joined=st.sampled_from([None, True, False]),
       date=st.sampled_from(["2020-09-01", "2021-06-01", "2025-03-01"]))
def test_page_and_v1_agree_on_generated_courses(client: TestClient, age: int, doses: int, joined: bool | None,
                                                date: str) -> None:
    facts: dict[str, Any] = {**ANTIBIOTICS_COURSE, "date": date, "age_years": age, "doses_given_in_hospital": doses}
    for region, municipality in (("midtjylland", "Aarhus"), ("syddanmark", "Odense")):
        asked = {**facts, "municipality": municipality}
        if joined is not None and region == "syddanmark":
            asked["municipality_joined"] = joined
        body = {"region": region, "facts": asked}
        ours, theirs = client.post("/page/answer", json=body), client.post("/v1/eligibility", json=body)
        assert ours.status_code == theirs.status_code
        assert (ours.json()["eligibility"] if ours.status_code == 200 else None) == (
            theirs.json() if theirs.status_code == 200 else None)
