"""The HTTP API: every endpoint, the answers' contract, and one stable shape for every error."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app as cli
from ivrules.web.app import INTERNAL_ERROR, create_app
from tests.conftest import AGREEMENTS, ANTIBIOTICS_COURSE

REGION = "midtjylland"


@pytest.fixture(scope="module")
def client(book: ivrules.Book) -> TestClient:
    return TestClient(create_app(book))


def ask(client: TestClient, facts: dict[str, Any], region: str = REGION, path: str = "/v1/eligibility") -> Any:
    return client.post(path, json={"region": region, "facts": facts})


def test_agreements_lists_regions_revisions_and_periods(client: TestClient, book: ivrules.Book) -> None:
    data = client.get("/v1/agreements").json()
    regions = {r["region"]: r["revisions"] for r in data["regions"]}
    assert list(regions) == book.regions
    first = regions[REGION][0]
    agreement = book.agreements(REGION)[0]
    assert first["revision"] == agreement.revision
    assert first["content_hash"] == agreement.content_hash
    assert first["period"].startswith(agreement.revision)
    assert re.fullmatch(r"[0-9a-f]{16}", data["content_hash"])


def test_agreement_in_force_has_its_rules_and_names_its_hash(client: TestClient, book: ivrules.Book) -> None:
    response = client.get(f"/v1/agreements/{REGION}", params={"date": "2020-09-01"})
    data = response.json()
    agreement = book.agreement(REGION, dt.date(2020, 9, 1))
    assert data["revision"] == agreement.revision
    assert response.headers["X-Ivrules-Content-Hash"] == data["content_hash"] == agreement.content_hash
    rules = {r["id"]: r for s in data["sections"] for r in s["rules"]}
    assert rules["alder"]["rule"] == "alder > 3 år"
    assert rules["alder"]["interpretations"] == ["alder_fyldte_år"]
    assert {i["id"] for i in data["interpretations"]} == set(agreement.interpretations)


def test_every_revision_is_served_as_json(client: TestClient, book: ivrules.Book) -> None:
    for region in book.regions:
        for agreement in book.agreements(region):
            response = client.get(f"/v1/agreements/{region}", params={"date": agreement.revision})
            assert response.status_code == 200, response.text
            assert response.json()["content_hash"] == agreement.content_hash


def test_agreement_without_date_is_the_one_in_force_today(client: TestClient) -> None:
    assert client.get(f"/v1/agreements/{REGION}").status_code == 200


def test_facts_are_the_questions_with_danish_labels_and_allowed_values(client: TestClient) -> None:
    facts = {f["name"]: f for f in client.get(f"/v1/agreements/{REGION}/facts").json()}
    assert {"date", "municipality", "treatment", "dose_times"} <= set(facts)
    assert facts["treatment"]["question"].startswith("Hvilken IV-behandling")
    assert "antibiotics" in [v["value"] for v in facts["treatment"]["values"]]
    municipalities = [v["value"] for v in facts["municipality"]["values"]]
    assert "Aarhus" in municipalities and "Odense" not in municipalities  # the region's own
    assert facts["doses_per_day"]["derived_from"] == ["dose_times"]


def test_eligibility_is_exactly_the_cli_json(client: TestClient, tmp_path: Path) -> None:
    facts_file = tmp_path / "facts.json"
    facts_file.write_text(json.dumps(ANTIBIOTICS_COURSE), encoding="utf-8")
    result = CliRunner().invoke(cli, ["eligibility", "--region", REGION, "--facts", str(facts_file), "--json",
                                      "--agreements", str(AGREEMENTS)])
    response = ask(client, ANTIBIOTICS_COURSE)
    assert response.status_code == 200
    assert response.json() == json.loads(result.stdout)
    assert response.json()["eligible"] is True
    assert response.headers["X-Ivrules-Revision"] == "2020-06-01"


def test_eligibility_says_what_is_missing(client: TestClient) -> None:
    data = ask(client, {**ANTIBIOTICS_COURSE, "medically_stable": None}).json()
    assert data["eligible"] is None
    assert data["missing"] == ["medically_stable"]


def test_a_failed_requirement_decides(client: TestClient) -> None:
    data = ask(client, {"date": "2020-09-01", "age_years": 2}).json()
    assert data["eligible"] is False
    assert {r["rule"]: r["outcome"] for r in data["reasons"]}["alder"] == "failed"


def problems(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    for problem in detail:
        assert {"loc", "msg", "type"} <= set(problem)
        assert "input" not in problem  # what was sent is never echoed back
    result: list[dict[str, Any]] = detail
    return result


def test_unknown_fact_is_rejected_naming_it_and_the_allowed_ones(client: TestClient) -> None:
    [problem] = problems(ask(client, {**ANTIBIOTICS_COURSE, "age_year": 45}))
    assert problem["loc"] == ["body", "facts", "age_year"]
    assert problem["type"] == "extra_forbidden"
    assert "age_years" in problem["allowed"]
    assert problem["hint"] == "mente du 'age_years'?"


def test_personal_data_cannot_be_sent(client: TestClient) -> None:
    [top] = problems(client.post("/v1/eligibility", json={"region": REGION, "facts": {}, "cpr": "0101011234"}))
    assert top["loc"] == ["body", "cpr"] and top["allowed"] == ["facts", "region"]
    [inner] = problems(ask(client, {**ANTIBIOTICS_COURSE, "name": "Jens"}))
    assert inner["loc"] == ["body", "facts", "name"]


def test_bad_value_names_the_field_and_what_is_allowed(client: TestClient) -> None:
    [problem] = problems(ask(client, {**ANTIBIOTICS_COURSE, "treatment": "morfin"}))
    assert problem["loc"] == ["body", "facts", "treatment"]
    assert "antibiotics" in problem["allowed"]
    [problem] = problems(ask(client, {**ANTIBIOTICS_COURSE, "dose_times": ["25:00"]}))
    assert problem["loc"] == ["body", "facts", "dose_times"] and "klokkeslæt" in problem["msg"]


def test_date_is_required(client: TestClient) -> None:
    [problem] = problems(ask(client, {"age_years": 45}))
    assert problem["loc"] == ["body", "facts", "date"] and problem["msg"].startswith("mangler")


@pytest.mark.parametrize(("body", "loc", "kind"), [
    ({"region": REGION}, ["body", "facts"], "missing"),
    ({"facts": {}}, ["body", "region"], "missing"),
    ({"region": REGION, "facts": []}, ["body", "facts"], "dict_type"),
    ({"region": 7, "facts": {}}, ["body", "region"], "string_type"),
])
def test_malformed_body_names_the_field(client: TestClient, body: Any, loc: list[str], kind: str) -> None:
    [problem] = problems(client.post("/v1/eligibility", json=body))
    assert (problem["loc"], problem["type"]) == (loc, kind)


def test_invalid_json_is_a_422(client: TestClient) -> None:
    response = client.post("/v1/eligibility", content=b'{"region": ', headers={"Content-Type": "application/json"})
    assert [p["type"] for p in problems(response)] == ["json_invalid"]


def test_undecodable_body_is_the_same_422(client: TestClient) -> None:
    response = client.post("/v1/eligibility", content=b"\xff\xfe{", headers={"Content-Type": "application/json"})
    assert [(p["loc"], p["type"]) for p in problems(response)] == [(["body"], "json_invalid")]


def test_bad_date_parameter_is_a_422(client: TestClient) -> None:
    [problem] = problems(client.get(f"/v1/agreements/{REGION}", params={"date": "1. juni"}))
    assert problem["loc"] == ["query", "date"] and "ÅÅÅÅ-MM-DD" in problem["msg"]


@pytest.mark.parametrize(("method", "path", "facts", "words"), [
    ("GET", "/v1/agreements/atlantis", None, "Ukendt region 'atlantis'"),
    ("GET", "/v1/agreements/atlantis/facts", None, "Ukendt region"),
    ("GET", f"/v1/agreements/{REGION}?date=2019-01-01", None,
     "Ingen aftale for Region Midtjylland er gældende den 1. januar 2019"),
    ("POST", "/v1/eligibility", {"region": "atlantis", "facts": ANTIBIOTICS_COURSE}, "Ukendt region"),
    ("POST", "/v1/eligibility", {"region": REGION, "facts": {**ANTIBIOTICS_COURSE, "date": "2019-01-01"}},
     "Gældende perioder: 1. juni 2020 – 30. april 2021; fra 1. maj 2021."),
    ("GET", "/v1/nothing", None, "Siden findes ikke"),
])
def test_not_found_is_a_danish_message(client: TestClient, method: str, path: str, facts: Any, words: str) -> None:
    response = client.request(method, path, json=facts)
    assert response.status_code == 404
    assert words in response.json()["detail"]


def test_wrong_method_is_a_danish_405(client: TestClient) -> None:
    response = client.get("/v1/eligibility")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"detail": "Metoden er ikke tilladt her."}


def test_unexpected_error_is_a_bare_500_logged_without_the_request(
        book: ivrules.Book, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(region: str, facts: dict[str, Any]) -> None:
        raise RuntimeError(f"a detail of {facts['municipality']}")

    monkeypatch.setattr(book, "eligibility", broken)
    with caplog.at_level(logging.DEBUG):
        response = ask(TestClient(create_app(book)), {**ANTIBIOTICS_COURSE, "municipality": "Hemmeligby"})
    assert response.status_code == 500
    assert response.json() == {"detail": INTERNAL_ERROR}
    assert "RuntimeError" in caplog.text
    assert "Hemmeligby" not in caplog.text  # the frames are logged, never the values in them


def test_request_bodies_are_never_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        ask(client, {**ANTIBIOTICS_COURSE, "municipality": "Skanderborg"})
        ask(client, {**ANTIBIOTICS_COURSE, "age": 45, "municipality": "Skanderborg"})
    assert "Skanderborg" not in caplog.text


TARIFF_COURSE = {"start_date": "2020-09-01", "end_date": "2020-09-07", "municipality": "Aarhus",
                 "treatment": "antibiotics", "system": "codan_mix_add", "doses_per_day": 3, "antibiotics_count": 1,
                 "days_without_dose": 0, "municipality_joined": True}


def test_tariff_answers_the_library_contract_with_exact_money(client: TestClient, book: ivrules.Book) -> None:
    response = ask(client, TARIFF_COURSE, path="/v1/tariff")
    assert response.status_code == 200
    data = response.json()
    assert data == book.tariff(REGION, TARIFF_COURSE).to_dict()
    assert isinstance(data["total"], str) and data["total"].endswith(".00")
    used = book.agreement(REGION, dt.date(2020, 9, 1))
    assert response.headers["X-Ivrules-Content-Hash"] == used.content_hash
    assert response.headers["X-Ivrules-Revision"] == data["revision"] == used.revision


def test_tariff_without_a_start_date_names_it(client: TestClient) -> None:
    [problem] = problems(ask(client, {"municipality": "Aarhus"}, path="/v1/tariff"))
    assert problem["loc"] == ["body", "facts", "start_date"]


def test_agreement_json_has_the_tariff_with_exact_amounts(client: TestClient) -> None:
    tariff = client.get(f"/v1/agreements/{REGION}", params={"date": "2020-09-01"}).json()["tariff"]
    amounts = [b["amount"] for s in tariff["schedules"] for b in s["bands"]]
    assert amounts and all(isinstance(a, str) and "." in a for a in amounts if a is not None)
    assert tariff["financing"]["region"] == "70"


def test_health_names_what_is_loaded(client: TestClient, book: ivrules.Book) -> None:
    data = client.get("/v1/health").json()
    assert data["status"] == "ok" and data["last_reload_error"] is None
    assert [(a["region"], a["revision"]) for a in data["agreements"]] == [
        (a.region, a.revision) for r in book.regions for a in book.agreements(r)]


def test_openapi_documents_every_endpoint_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/v1/agreements", "/v1/agreements/{region}", "/v1/agreements/{region}/facts", "/v1/eligibility",
            "/v1/tariff", "/v1/health"} <= set(schema["paths"])
    body = schema["paths"]["/v1/eligibility"]["post"]["requestBody"]["content"]["application/json"]
    examples = [e["value"] for e in body["examples"].values()]
    assert any(e["region"] == REGION and e["facts"] for e in examples)
    for example in examples:  # the agreements' own example cases, answered as documented
        assert client.post("/v1/eligibility", json=example).status_code == 200
    facts_schema = schema["components"]["schemas"]["Question"]["properties"]["facts"]
    assert facts_schema["additionalProperties"] is False
    assert client.get("/docs").status_code == 200


def test_doctors_page_is_danish_and_loads_nothing_from_the_internet(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and '<html lang="da">' in page.text
    assert f'<option value="{REGION}">' in page.text
    for text in (page.text, client.get("/static/doctor.js").text, client.get("/static/doctor.css").text):
        assert not re.search(r"(src|href)=\"(https?:)?//", text)
        assert "@import" not in text and "url(http" not in text


def test_site_missing_gives_a_danish_notice(client: TestClient) -> None:
    response = client.get("/aftaler/")
    assert response.status_code == 503
    assert "ikke bygget" in response.text
    assert client.get("/aftaler", follow_redirects=False).headers["location"] == "/aftaler/"


def test_built_site_is_served(book: ivrules.Book, tmp_path: Path) -> None:
    page = tmp_path / REGION / "2020-06-01"
    page.mkdir(parents=True)
    (tmp_path / "index.html").write_text("<h1>Aftalerne</h1>", encoding="utf-8")
    (page / "index.html").write_text('<h2 id="afsnit-7-1">7.1</h2>', encoding="utf-8")
    client = TestClient(create_app(book, site_dir=tmp_path))
    assert client.get("/aftaler/").text == "<h1>Aftalerne</h1>"
    assert 'id="afsnit-7-1"' in client.get(f"/aftaler/{REGION}/2020-06-01/").text
