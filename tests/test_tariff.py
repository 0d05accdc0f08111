"""Quoting one course: the JSON contract, the revision by start date, and the properties of the money."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app
from ivrules.engine.quote import Quote, _not_covered
from ivrules.engine.scenarios import expectation_problems
from ivrules.errors import FactsError
from ivrules.model.tariff import Financing
from tests.conftest import AGREEMENTS, examples

COURSE: dict[str, Any] = {
    "start_date": "2021-06-01", "end_date": "2021-06-07", "municipality": "Aarhus", "treatment": "antibiotics",
    "system": "codan_mix_add", "doses_per_day": 3, "municipality_joined": True,
}
KEYS = {"region", "revision", "status", "total", "region_share", "municipality_share", "lines", "flags", "missing",
        "reasons", "accession"}  # Midtjylland's agreement is entered municipality by municipality (001 §10)


def test_the_json_of_a_quote_is_the_contract(book: ivrules.Book) -> None:
    answer = book.tariff("midtjylland", COURSE).to_dict()
    assert set(answer) == KEYS
    assert answer["status"] == "computed" and answer["revision"] == "2021-05-01"
    assert (answer["total"], answer["region_share"], answer["municipality_share"]) == ("3999.00", "2799.30", "1199.70")
    assert [(line["days"], line["amount"]) for line in answer["lines"]] == [(6, "2999.00"), (1, "1000.00")]
    assert all(isinstance(line["text"], str) and line["text"] for line in answer["lines"])
    json.dumps(answer)  # plain JSON, no Decimal or date left in it


def test_the_revision_in_force_on_the_start_date_decides(book: ivrules.Book) -> None:
    before = {**COURSE, "start_date": "2021-04-30", "end_date": "2021-05-08", "days_without_dose": 2,
              "antibiotics_count": 1}
    after = {**before, "start_date": "2021-05-01", "end_date": "2021-05-09"}
    assert (book.tariff("midtjylland", before).revision, book.tariff("midtjylland", before).status) == (
        "2020-06-01", "unknown")  # 9 days, 2 without a dose: before 1 May 2021 the source is silent on 0-days
    assert book.tariff("midtjylland", {**before, "days_without_dose": 0}).total == Decimal("5999")
    assert (book.tariff("midtjylland", after).revision, book.tariff("midtjylland", after).total) == (
        "2021-05-01", Decimal("5999"))  # every day billed


def test_an_ineligible_course_is_not_covered_with_the_failed_rule(book: ivrules.Book) -> None:
    answer = book.tariff("midtjylland", {**COURSE, "system": "open"})
    assert answer.status == "not_covered" and answer.total is None
    assert any("lukket system" in reason for reason in answer.reasons)


def test_a_not_covered_quote_built_in_field_order_is_the_one_built_by_keyword() -> None:
    accession = {"agreement": "2020-06-01", "municipality": "Odder", "joined": None, "basis": "unknown",
                 "since": None, "applied": None, "text": "t"}
    for said in (None, accession):
        fast = _not_covered(("midtjylland", "2020-06-01"), ("a", "b"), said)  # type: ignore[arg-type]
        slow = Quote("midtjylland", "2020-06-01", "not_covered", reasons=("a", "b"), accession=said)  # type: ignore[arg-type]
        assert fast == slow and type(fast) is Quote


def test_a_missing_fact_is_named_and_nothing_is_invented(book: ivrules.Book) -> None:
    answer = book.tariff("nordjylland", {"start_date": "2022-03-01", "end_date": "2022-03-04",
                                         "municipality": "Aalborg"}).to_dict()
    assert answer["status"] == "unknown" and answer["missing"] == ["tyngdekategori"]
    assert answer["total"] is None and answer["region_share"] is None and answer["lines"] == []


def test_an_unknown_category_amount_says_so(book: ivrules.Book) -> None:
    answer = book.tariff("nordjylland", {"start_date": "2022-03-01", "end_date": "2022-03-04",
                                         "municipality": "Aalborg", "tyngdekategori": 2})
    assert answer.status == "unknown"
    assert "Aftalen angiver ikke beløbet for tyngdekategori 2." in answer.reasons


def test_category_zero_is_paid_by_the_region_alone(book: ivrules.Book) -> None:
    answer = book.tariff("nordjylland", {"start_date": "2022-03-01", "end_date": "2022-03-04",
                                         "municipality": "Aalborg", "tyngdekategori": 0})
    assert (answer.total, answer.region_share, answer.municipality_share) == (Decimal(200), Decimal(200), Decimal(0))


@pytest.mark.parametrize(("facts", "field"), [
    ({**COURSE, "end_date": "2021-05-31"}, "end_date"),
    ({**COURSE, "days_without_dose": 7}, "days_without_dose"),
    ({key: value for key, value in COURSE.items() if key != "start_date"}, "start_date"),
])
def test_bad_facts_name_the_field(book: ivrules.Book, facts: dict[str, Any], field: str) -> None:
    with pytest.raises(FactsError) as caught:
        book.tariff("midtjylland", facts)
    assert caught.value.field == field


def test_a_category_the_agreement_does_not_have_is_a_bad_fact(book: ivrules.Book) -> None:
    with pytest.raises(FactsError) as caught:
        book.tariff("nordjylland", {"start_date": "2022-03-01", "end_date": "2022-03-01", "municipality": "Aalborg",
                                    "tyngdekategori": 7})
    assert caught.value.field == "tyngdekategori" and caught.value.allowed == ["0", "1", "2", "3", "4"]


def test_a_number_is_not_true_or_false(book: ivrules.Book) -> None:
    facts = {"start_date": "2022-03-01", "end_date": "2022-03-01", "municipality": "Aalborg", "tyngdekategori": 0}
    assert book.tariff("nordjylland", facts) == book.tariff("nordjylland", dict(facts))
    with pytest.raises(FactsError):
        book.tariff("nordjylland", {**facts, "tyngdekategori": False})  # equal to 0, but not a number


def test_an_example_expectation_that_does_not_hold_is_reported(book: ivrules.Book) -> None:
    answer = book.tariff("midtjylland", COURSE).to_dict()
    assert expectation_problems(answer, None, {"total": "3999", "flags": []}) == []
    problems = expectation_problems(answer, None, {"total": "4000.00", "status": "unknown", "totl": 1})
    assert problems == ["tariff.totl: ukendt nøgle (tilladt: status, total, region_share, municipality_share, "
                        "flags, missing, lines, reasons, error)",
                        "tariff.status: forventet 'unknown', fik 'computed'",
                        "tariff.total: forventet '4000.00', fik '3999.00'"]
    assert expectation_problems(answer, None, {"total": 3999.0}) == [
        'tariff.total: skriv beløbet som tekst, fx "2999.00", så det ikke læses som kommatal']


def test_the_cli_prints_the_quote_as_json() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["tariff", "--region", "midtjylland", "--facts", "-", "--json"],
                           input=json.dumps({**COURSE, "end_date": "2021-07-05"}))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["flags"] == ["bilateral_agreement_required"] and answer["total"] == "24999.00"
    assert answer["lines"][-1] == {"text": "Dag 29-35 er ikke dækket af takstmodellen", "days": 7, "amount": "0.00"}


def test_the_cli_names_a_bad_field_with_exit_code_2() -> None:
    result = CliRunner().invoke(app, ["tariff", "-r", "midtjylland", "-f", "-"],
                                input=json.dumps({**COURSE, "end_date": "2021-01-01"}))
    assert result.exit_code == 2 and "end_date" in result.output


def test_the_cli_prints_a_danish_answer() -> None:
    result = CliRunner().invoke(app, ["tariff", "-r", "midtjylland", "-f", "-"], input=json.dumps(COURSE))
    assert result.exit_code == 0
    assert "Region Midtjylland, aftalen af 1. maj 2021: 3.999,00 kr." in result.stdout
    assert "Regionen betaler 2.799,30 kr., kommunen 1.199,70 kr." in result.stdout


# --- properties -------------------------------------------------------------------------------------------------

ØRE = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n) / 100)
PERCENT = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100)


@given(total=ØRE, region=PERCENT, remainder=st.sampled_from(["region", "kommune"]))
def test_the_shares_add_up_to_the_total_exactly(total: Decimal, region: Decimal, remainder: str) -> None:
    financing = Financing(region, Decimal(100) - region, remainder)
    region_share, municipality_share = financing.split(total)
    assert region_share + municipality_share == total
    assert region_share == region_share.quantize(Decimal("0.01")) and region_share >= 0 and municipality_share >= 0


COURSES = st.fixed_dictionaries({
    "start": st.dates(min_value=dt.date(2020, 6, 1), max_value=dt.date(2023, 12, 31)),
    "days": st.integers(min_value=1, max_value=40),
    "kind": st.sampled_from([("antibiotics", "codan_mix_add", 3), ("antibiotics", "elastomeric_pump", 1),
                             ("isotonic_fluids", None, 1), ("isotonic_fluids", None, 2)]),
    "without": st.integers(min_value=0, max_value=3),
    "count": st.sampled_from([1, 2]),
    "municipality": st.sampled_from(["Aarhus", "Skive", "Horsens", "Samsø"]),
})


def _facts(course: dict[str, Any], days: int) -> dict[str, Any]:
    treatment, system, doses = course["kind"]
    facts = {"start_date": course["start"].isoformat(),
             "end_date": (course["start"] + dt.timedelta(days=days - 1)).isoformat(),
             "municipality": course["municipality"], "treatment": treatment, "system": system,
             "doses_per_day": doses, "days_without_dose": min(course["without"], days - 1),
             "antibiotics_count": course["count"] if treatment == "antibiotics" else None}
    return {k: v for k, v in facts.items() if v is not None}


@settings(max_examples=examples(150), deadline=None)
@given(course=COURSES)
def test_a_longer_course_never_costs_less(book: ivrules.Book, course: dict[str, Any]) -> None:
    shorter = book.tariff("midtjylland", _facts(course, course["days"]))
    longer = book.tariff("midtjylland", _facts(course, course["days"] + 1))
    # One more day may add a day without a dose, which the 2020 revision cannot price (the source is silent).
    assert shorter.status == longer.status or any("dage uden dosis" in r for r in longer.reasons)
    if shorter.status == longer.status == "computed":
        assert longer.total is not None and shorter.total is not None and longer.total >= shorter.total
        assert shorter.region_share is not None and shorter.municipality_share is not None
        assert shorter.region_share + shorter.municipality_share == shorter.total


def test_a_yearly_index_prices_its_years_and_leaves_the_others_unknown() -> None:
    book = ivrules.load(AGREEMENTS)
    course = {"start_date": "2022-03-01", "end_date": "2022-03-01", "municipality": "Aarhus",
              "municipality_joined": True, "treatment": "antibiotics", "system": "codan_mix_add", "doses_per_day": 3}
    assert book.tariff("midtjylland", course).total == Decimal("3040.99")  # 2999 x 1.014, to the øre
    later = book.tariff("midtjylland", {**course, "start_date": "2024-03-01", "end_date": "2024-03-01"})
    assert later.status == "unknown" and any("PL-fremskrivning" in r for r in later.reasons)
    index = book.agreement("midtjylland", dt.date(2022, 3, 1)).tariff.index  # type: ignore[union-attr]
    assert index is not None and [y.year for y in index.years] == [2020, 2021, 2022]
    assert all(y.source for y in index.years)


def test_an_index_factor_must_be_an_exact_decimal_string(tmp_path: Path) -> None:
    text = (AGREEMENTS / "midtjylland" / "2021-05-01.yaml").read_text(encoding="utf-8")
    draft = tmp_path / "2021-05-01.yaml"
    draft.write_text(text.replace('factor: "1.014"', "factor: 1.014").replace(
        '{year: 2021, factor: "1"', '{year: 2020, factor: "1"'), encoding="utf-8")
    with pytest.raises(ivrules.AgreementError) as caught:
        ivrules.load(draft, root=AGREEMENTS)
    message = str(caught.value)
    assert "skal være en positiv faktor skrevet som tekst" in message and "året 2020 står to gange" in message
