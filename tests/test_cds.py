"""The CDS Hooks service end to end: discovery, order-sign and encounter-discharge calls, 412, CORS, errors."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import ivrules
from ivrules.engine.book import Book
from tests.cds_support import (
    BASE,
    DISCHARGE,
    ORDER_SIGN,
    administration,
    assert_valid,
    bundle,
    client,
    extension,
    given,
    medication_request,
    order_sign,
    patient,
)

AGREEMENT = f"{BASE}/aftaler/midtjylland/2020-06-01/"


@pytest.fixture(scope="module")
def cds(book: ivrules.Book) -> TestClient:
    return client(book)


def call(cds: TestClient, body: dict[str, Any], path: str = ORDER_SIGN) -> list[dict[str, Any]]:
    """POST a call that must validate, and return its cards after checking the answer against the schema."""
    assert_valid("Request", body)
    response = cds.post(path, json=body)
    assert response.status_code == 200, response.text
    assert_valid("Response", response.json())
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def only(cards: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(cards) == 1, cards
    return cards[0]


def test_discovery_lists_both_hooks_with_prefetch_templates(cds: TestClient) -> None:
    data = cds.get("/cds-services").json()
    assert_valid("Discovery", data)
    services = {s["hook"]: s for s in data["services"]}
    assert set(services) == {"order-sign", "encounter-discharge"}
    sign = services["order-sign"]
    assert sign["id"] == ORDER_SIGN.rsplit("/", 1)[1]
    assert sign["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert "MedicationAdministration?patient={{context.patientId}}" in sign["prefetch"]["administrations"]
    assert "orders" in services["encounter-discharge"]["prefetch"]
    for service in services.values():  # what a call must bring, and the 412 otherwise
        keys = ", ".join(service["prefetch"])
        assert f"Kaldet skal have prefetch ({keys}) eller fhirServer med fhirAuthorization" in service["description"]
        assert "412" in service["description"]


def test_eligible_course_gets_an_info_card_linking_the_agreement(cds: TestClient) -> None:
    card = only(call(cds, order_sign()))
    assert card["indicator"] == "info"
    assert card["summary"] == "Cefuroxim 1,5 g: Ja – forløbet kan overdrages til kommunen."
    assert card["source"] == {"label": "Region Midtjylland: aftalen af 1. juni 2020", "url": AGREEMENT}
    assert card["links"] == [{"label": "Læs aftalen", "url": AGREEMENT, "type": "absolute"}]
    detail = card["detail"]
    assert f"([afsnit 4]({AGREEMENT}#afsnit-4))" in detail
    assert "| Kommune | Aarhus |" in detail
    assert "| Doser givet i hospitalsregi | 2 doser |" in detail
    assert "**Mangler**" not in detail and "**Ikke opfyldt**" not in detail
    silent = detail.split("**Aftalen siger ikke**")[1].split("**")[0]
    assert "isotone væsker må gives" in silent  # an eligibility question the agreement leaves open
    assert "afregnes" not in silent  # a tariff question: not what the card is about


def test_four_doses_a_day_is_critical_and_names_the_rule(cds: TestClient) -> None:
    order = medication_request()
    order["dosageInstruction"][0]["timing"] = {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}}
    card = only(call(cds, order_sign(order)))
    assert card["indicator"] == "critical"
    assert card["summary"].endswith("Nej – forløbet er ikke omfattet af aftalen.")
    assert card["source"]["url"] == AGREEMENT + "#afsnit-4"
    failed = card["detail"].split("**Ikke opfyldt**")[1].split("**")[0]
    assert "Antibiotika må højst gives tre gange i døgnet." in failed
    assert "| Doser pr. døgn | 4 doser pr. døgn |" in card["detail"]


def test_a_fact_without_fhir_element_stays_missing_and_the_card_says_so(cds: TestClient) -> None:
    order = medication_request()
    order["extension"] = [e for e in order["extension"] if not e["url"].endswith("medically-stable")]
    card = only(call(cds, order_sign(order)))
    assert card["indicator"] == "warning"
    assert "Uafklaret" in card["summary"]
    assert card["source"]["url"] == AGREEMENT + "#afsnit-3"
    missing = card["detail"].split("**Mangler**")[1].split("**")[0]
    assert "stabilt behandlingsforløb" in missing


def test_one_dose_in_hospital_is_not_enough(cds: TestClient) -> None:
    body = order_sign(prefetch={"patient": patient(), "administrations": given(1)})
    card = only(call(cds, body))
    assert card["indicator"] == "critical"
    assert "De to første doser gives i hospitalsregi" in card["detail"].split("**Ikke opfyldt**")[1]


def test_island_municipality_is_critical(cds: TestClient) -> None:
    body = order_sign(prefetch={"patient": patient(code="0741"), "administrations": given()})  # Samsø
    card = only(call(cds, body))
    assert card["indicator"] == "critical"
    assert card["source"]["url"] == AGREEMENT + "#afsnit-10"


def test_no_recorded_administrations_means_none_given(cds: TestClient) -> None:
    card = only(call(cds, order_sign(prefetch={"patient": patient(), "administrations": None})))
    assert card["indicator"] == "critical"
    assert "| Doser givet i hospitalsregi | 0 doser |" in card["detail"]


def test_only_intravenous_orders_get_cards(cds: TestClient) -> None:
    tablets = medication_request(id="tablets")
    tablets["dosageInstruction"][0]["route"] = {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]}
    lab = {"resourceType": "ServiceRequest", "status": "draft", "intent": "order",
           "subject": {"reference": "Patient/p1"}}
    assert call(cds, order_sign(tablets, lab)) == []


def test_a_malformed_order_is_skipped_and_noted_without_failing_the_call(cds: TestClient) -> None:
    # Nothing marks it as IV (no IV route, no J01 code, no agreed extension): it is noted on the other cards.
    broken = medication_request(extension=[], medicationCodeableConcept={"text": "Paracetamol"})
    broken["dosageInstruction"][0] = {"route": {"text": "oral"}, "timing": {"repeat": {"frequency": "three"}}}
    card = only(call(cds, order_sign(broken, medication_request())))
    assert card["indicator"] == "info"
    assert "1 ordination kunne ikke læses og er sprunget over." in card["detail"]


def test_a_malformed_iv_order_gets_a_card_of_its_own_naming_the_field(cds: TestClient) -> None:
    broken = medication_request()
    broken["dosageInstruction"][0]["timing"]["repeat"]["frequency"] = "three"
    good, unreadable = call(cds, order_sign(medication_request(), broken))
    assert good["summary"] == "Cefuroxim 1,5 g: Ja – forløbet kan overdrages til kommunen."
    assert unreadable["indicator"] == "info"
    assert unreadable["summary"] == "Cefuroxim 1,5 g: Kunne ikke læses – ordinationen er ikke vurderet."
    assert "- `dosageInstruction[0].timing.repeat.frequency` skal være et helt tal" in unreadable["detail"]
    assert "three" not in unreadable["detail"]  # the field is named, its value is not echoed
    assert "sprunget over" not in good["detail"]  # it has its own card, so no note on the other


def test_missing_municipality_gives_a_warning_that_says_why(cds: TestClient) -> None:
    body = order_sign(prefetch={"patient": patient(code=None), "administrations": given()})
    card = only(call(cds, body))
    assert card["indicator"] == "warning"
    assert "bopælskommunen fremgår ikke af patientens adresse" in card["summary"]
    assert card["source"]["url"] == f"{BASE}/aftaler/"


def test_a_region_without_an_encoded_agreement_gives_a_warning(book: ivrules.Book) -> None:
    only_midt = Book(book.vocabulary, {"midtjylland": book.rulesets["midtjylland"]})
    body = order_sign(prefetch={"patient": patient(code="0101"), "administrations": given()})  # København
    card = only(call(client(only_midt), body))
    assert card["indicator"] == "warning"
    assert "Region Hovedstaden" in card["summary"]


def test_the_date_is_today_unless_the_order_starts_later(cds: TestClient) -> None:
    order = medication_request()
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": "2020-05-01"}
    card = only(call(cds, order_sign(order)))  # the start lies before "today", so today's date is used
    assert card["indicator"] == "info"
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": "2020-10-01"}
    card = only(call(cds, order_sign(order)))
    assert "| Startdato for den kommunale del | 1. oktober 2020 |" in card["detail"]


def test_before_the_agreement_took_effect_there_is_nothing_to_judge_by(book: ivrules.Book) -> None:
    card = only(call(client(book, today=dt.date(2020, 5, 1)), order_sign()))
    assert card["indicator"] == "warning"
    assert card["summary"] == "Cefuroxim 1,5 g: Kan ikke vurderes – ingen aftale gælder for forløbet."
    assert "Ingen aftale for Region Midtjylland er gældende den 1. maj 2020" in card["detail"]


def test_encounter_discharge_judges_the_active_orders_from_prefetch(cds: TestClient) -> None:
    body = order_sign()
    body["hook"] = "encounter-discharge"
    del body["context"]["draftOrders"]
    body["prefetch"]["orders"] = bundle(medication_request(status="active"), kind="searchset")
    assert_valid("EncounterDischargeContext", body["context"])
    card = only(call(cds, body, DISCHARGE))
    assert card["indicator"] == "info"


def test_every_card_keeps_to_the_spec_whatever_the_answer(cds: TestClient) -> None:
    long_name = medication_request()
    long_name["medicationCodeableConcept"]["text"] = "Cefuroxim " * 30
    cards = call(cds, order_sign(long_name, medication_request(medicationCodeableConcept={"text": "Ukendt"})))
    assert [c["indicator"] for c in cards] == ["info", "warning"]
    assert all(len(c["summary"]) < 140 for c in cards)
    assert cards[0]["summary"].endswith("…: Ja – forløbet kan overdrages til kommunen.")


def test_missing_prefetch_without_fhir_access_is_412(cds: TestClient) -> None:
    body = order_sign()
    del body["prefetch"]["administrations"]
    response = cds.post(ORDER_SIGN, json=body)
    assert response.status_code == 412
    assert "administrations" in response.json()["detail"]
    del body["prefetch"]
    assert cds.post(ORDER_SIGN, json=body).status_code == 412


def test_missing_prefetch_is_fetched_from_the_given_fhir_server_only(book: ivrules.Book) -> None:
    asked: list[httpx.Request] = []

    def fhir(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        if request.url.path == "/fhir/Patient/p1":
            return httpx.Response(200, json=patient())
        if request.url.path == "/fhir/MedicationAdministration":
            return httpx.Response(200, json=given())
        return httpx.Response(404)

    body = order_sign(fhirServer="https://ehr.test/fhir", fhirAuthorization={
        "access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read",
        "subject": "ivrules"})
    del body["prefetch"]
    card = only(call(client(book, transport=httpx.MockTransport(fhir)), body))
    assert card["indicator"] == "info"
    assert {r.url.host for r in asked} == {"ehr.test"}
    assert all(r.headers["authorization"] == "Bearer opaque" for r in asked)
    assert str(asked[1].url) == "https://ehr.test/fhir/MedicationAdministration?patient=p1&status=completed"


def test_a_failed_fetch_leaves_facts_missing_with_a_note(book: ivrules.Book) -> None:
    body = order_sign(fhirServer="https://ehr.test/fhir", fhirAuthorization={
        "access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read",
        "subject": "ivrules"})
    del body["prefetch"]["administrations"]
    card = only(call(client(book, transport=httpx.MockTransport(lambda r: httpx.Response(503))), body))
    assert card["indicator"] == "warning"
    assert "Data fra journalen ('administrations') kunne ikke hentes." in card["detail"]


@pytest.mark.parametrize(("change", "field"), [
    (lambda b: b.pop("hookInstance"), ["body", "hookInstance"]),
    (lambda b: b.update(hookInstance="not-a-uuid"), ["body", "hookInstance"]),
    (lambda b: b.update(hook="patient-view"), ["body", "hook"]),
    (lambda b: b["context"].pop("patientId"), ["body", "context", "patientId"]),
    (lambda b: b["context"].pop("draftOrders"), ["body", "context", "draftOrders"]),
    (lambda b: b.update(fhirAuthorization={"access_token": "x", "token_type": "Bearer", "expires_in": 1,
                                           "scope": "s", "subject": "s"}), ["body"]),
])
def test_a_bad_request_is_422_naming_the_field(cds: TestClient, change: Any, field: list[str]) -> None:
    body = order_sign()
    change(body)
    response = cds.post(ORDER_SIGN, json=body)
    assert response.status_code == 422
    assert field in [problem["loc"] for problem in response.json()["detail"]]


def test_a_body_that_is_not_json_is_422(cds: TestClient) -> None:
    response = cds.post(ORDER_SIGN, content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_unknown_service_is_404(cds: TestClient) -> None:
    assert cds.post("/cds-services/no-such-service", json=order_sign()).status_code == 404


def test_cors_preflight_is_answered_for_browser_clients(cds: TestClient) -> None:
    response = cds.options(ORDER_SIGN, headers={
        "Origin": "https://ehr.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    answer = cds.post(ORDER_SIGN, json=order_sign(), headers={"Origin": "https://ehr.example"})
    assert answer.headers["access-control-allow-origin"] == "*"


def test_answers_hold_no_null_and_no_empty_values(cds: TestClient) -> None:
    def walk(value: Any) -> None:
        assert value not in (None, "", [], {}), json.dumps(value)
        for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else []:
            walk(item)

    body = order_sign(medication_request(), copy.deepcopy(medication_request(extension=[])))
    for card in call(cds, body):
        walk(card)


def test_the_card_source_links_to_a_section_the_site_renders(cds: TestClient, book: ivrules.Book) -> None:
    from ivrules.site.render import section_anchor

    agreement = book.agreements("midtjylland")[0]
    anchors = {section_anchor(s.number) for s in agreement.sections}
    order = medication_request(extension=[extension("iv-access", valueCode="PVK")])
    card = only(call(cds, order_sign(order, prefetch={"patient": patient(), "administrations": bundle(
        administration(), administration(), administration(status="in-progress"))})))
    anchor = card["source"]["url"].rsplit("#", 1)[1]
    assert anchor in anchors



def test_the_full_app_serves_cds_hooks_with_cors_on_that_path_only(book: ivrules.Book,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from ivrules.web.app import create_app

    monkeypatch.delenv("IVRULES_CDS_CONFIG", raising=False)
    monkeypatch.delenv("IVRULES_CDS_DEVELOPMENT", raising=False)
    app = TestClient(create_app(book))
    assert app.post(ORDER_SIGN, json=order_sign()).status_code == 401  # no issuer is trusted by default
    preflight = {"Origin": "https://ehr.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"}
    assert app.options(ORDER_SIGN, headers=preflight).headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in app.options("/v1/eligibility", headers=preflight).headers
    paths = app.get("/openapi.json").json()["paths"]
    assert {"/cds-services", "/cds-services/{service_id}"} <= set(paths)
