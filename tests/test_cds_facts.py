"""FHIR R4 → facts: each mapping, its conservative gaps, the data table, and leniency as a property."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ivrules
from ivrules.errors import AgreementError
from ivrules.web.cds.fetch import render
from ivrules.web.cds.fhir_facts import Course, read_call
from ivrules.web.cds.table import load_table
from tests.cds_support import TODAY, administration, bundle, extension, medication_request, patient
from tests.cds_support import given as doses
from tests.conftest import examples

TABLE = load_table()


def read(book: ivrules.Book, *orders: dict[str, Any], prefetch: dict[str, Any] | None = None) -> list[Course]:
    data = prefetch if prefetch is not None else {"patient": patient(), "administrations": doses()}
    reading = read_call(TABLE, book.vocabulary, bundle(*(orders or (medication_request(),))), data, TODAY)
    return [Course(c.label, c.facts, c.notes + reading.notes) for c in reading.courses]


def one(book: ivrules.Book, *orders: dict[str, Any], **kw: Any) -> Course:
    courses = read(book, *orders, **kw)
    assert len(courses) == 1
    return courses[0]


def with_timing(timing: dict[str, Any]) -> dict[str, Any]:
    order = medication_request()
    order["dosageInstruction"][0]["timing"] = timing
    return order


def test_a_full_order_gives_every_fact_midtjylland_asks_for(book: ivrules.Book) -> None:
    facts = one(book).facts
    assert facts == {
        "date": TODAY, "municipality": "Aarhus", "birth_date": dt.date(1975, 3, 1), "treatment": "antibiotics",
        "doses_per_day": 3, "dose_times": ["07:00", "15:00", "23:00"], "doses_given_in_hospital": 2,
        "started_in_hospital": True, "system": "codan_mix_add", "access": "PVK", "medically_stable": True,
        "home_suitable": True, "municipality_joined": True,
    }


@pytest.mark.parametrize(("timing", "expected"), [
    ({"repeat": {"frequency": 1, "period": 8, "periodUnit": "h"}}, 3),
    ({"repeat": {"frequency": 2, "frequencyMax": 4, "period": 1, "periodUnit": "d"}}, 4),
    ({"repeat": {"frequency": 1, "period": 2, "periodUnit": "d"}}, None),  # 0.5: not a whole count, see below
    ({"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", "code": "BID"}]}}, 2),
    ({"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}}, None),
    ({"code": {"coding": [{"system": "http://example.org/local", "code": "BID"}]}}, None),
])
def test_doses_per_day_from_the_timing(book: ivrules.Book, timing: dict[str, Any], expected: Any) -> None:
    assert one(book, with_timing(timing)).facts.get("doses_per_day") == expected


def test_a_dose_every_other_day_is_no_count_of_doses_per_day_and_the_doctor_is_told(book: ivrules.Book) -> None:
    course = one(book, with_timing({"repeat": {"frequency": 1, "period": 2, "periodUnit": "d"}}))
    assert "doses_per_day" not in course.facts
    assert ("Doser pr. døgn: skal være et helt tal fra 1 til 24 doser pr. døgn, fik '0.5'; oplysningen fra journalen "
            "er ikke brugt.") in course.notes


def test_times_of_day_give_the_dose_times_and_the_count(book: ivrules.Book) -> None:
    facts = one(book, with_timing({"repeat": {"timeOfDay": ["08:00:00", "20:00:00"]}})).facts
    assert facts["dose_times"] == ["08:00", "20:00"]
    assert "doses_per_day" not in facts  # the vocabulary derives it from the times
    assert book.normalise(facts)["doses_per_day"] == 2


@pytest.mark.parametrize(("code", "treatment"), [
    ("J01DC02", "antibiotics"), ("B05BB01", "isotonic_fluids"), ("L01XA01", "chemotherapy"),
    ("B02AB02", "alpha1_antitrypsin"), ("B05BA03", None), ("J05AB01", None),
])
def test_the_medicine_decides_the_treatment_by_its_atc_code(book: ivrules.Book, code: str,
                                                             treatment: str | None) -> None:
    order = medication_request(medicationCodeableConcept={"coding": [{"system": "http://www.whocc.no/atc",
                                                                      "code": code}]})
    assert one(book, order).facts.get("treatment") == treatment


def test_a_contained_medication_is_followed(book: ivrules.Book) -> None:
    order = medication_request(medicationReference={"reference": "#med"}, contained=[{
        "resourceType": "Medication", "id": "med",
        "code": {"text": "Meropenem", "coding": [{"system": "http://www.whocc.no/atc", "code": "J01DH02"}]}}])
    del order["medicationCodeableConcept"]
    course = one(book, order)
    assert course.label == "Meropenem"
    assert course.facts["treatment"] == "antibiotics"


def test_a_partial_birth_date_gives_no_age(book: ivrules.Book) -> None:
    course = one(book, prefetch={"patient": patient(birth="1975"), "administrations": doses()})
    assert "birth_date" not in course.facts
    assert any("Fødselsdatoen" in note for note in course.notes)


@pytest.mark.parametrize(("address", "expected"), [
    ({"district": "Viborg"}, "Viborg"),
    ({"city": "samsø"}, "Samsø"),
    ({"city": "Risskov"}, None),  # a town, not a municipality: not guessed
])
def test_the_municipality_by_name_when_there_is_no_code(book: ivrules.Book, address: dict[str, Any],
                                                         expected: str | None) -> None:
    course = one(book, prefetch={"patient": patient(code=None, **address), "administrations": doses()})
    assert course.facts.get("municipality") == expected


def test_addresses_in_two_municipalities_leave_the_municipality_missing(book: ivrules.Book) -> None:
    person = patient()
    person["address"].append({"use": "temp", "district": "Viborg"})
    person["address"].append({"use": "old", "district": "Horsens"})
    course = one(book, prefetch={"patient": person, "administrations": doses()})
    assert "municipality" not in course.facts
    assert any("flere kommuner" in note for note in course.notes)
    person["address"][1]["period"] = {"end": "2020-01-31"}  # the temporary address has ended
    assert one(book, prefetch={"patient": person, "administrations": doses()}).facts["municipality"] == "Aarhus"


def test_administrations_count_only_completed_doses_of_the_same_medicine(book: ivrules.Book) -> None:
    given = bundle(administration(), administration("J01CR05"), administration(status="not-done"))
    course = one(book, prefetch={"patient": patient(), "administrations": given})
    assert course.facts["doses_given_in_hospital"] == 1


def test_an_administration_without_a_code_makes_a_low_count_unknown(book: ivrules.Book) -> None:
    uncoded = administration()
    del uncoded["medicationCodeableConcept"]
    uncoded["medicationReference"] = {"reference": "Medication/elsewhere"}
    course = one(book, prefetch={"patient": patient(), "administrations": bundle(administration(), uncoded)})
    assert "doses_given_in_hospital" not in course.facts and "started_in_hospital" not in course.facts
    both = bundle(administration(), administration(), uncoded)
    course = one(book, prefetch={"patient": patient(), "administrations": both})
    assert course.facts["doses_given_in_hospital"] == 2  # two are enough, whatever the third was


def test_an_extension_value_the_vocabulary_does_not_know_is_noted_not_used(book: ivrules.Book) -> None:
    order = medication_request(extension=[extension("infusion-system", valueCode="gravity-drip"),
                                          extension("iv-access", valueCoding={"code": "PICC"})])
    course = one(book, order)
    assert "system" not in course.facts
    assert course.facts["access"] == "PICC"
    assert any(note.startswith("Infusionssystem: ukendt værdi 'gravity-drip'") for note in course.notes)


def test_the_data_table_only_names_facts_and_values_of_the_vocabulary(book: ivrules.Book) -> None:
    treatments = {v.name for v in book.vocabulary.facts["treatment"].values}
    assert {value for _, value in TABLE.treatments} <= treatments
    assert set(TABLE.extensions.values()) <= set(book.vocabulary.facts)
    assert len({s.id for s in TABLE.services}) == len(TABLE.services)


def test_a_mistake_in_the_data_table_is_a_located_diagnostic(tmp_path: Path) -> None:
    text = Path(TABLE_PATH).read_text(encoding="utf-8").replace("hook: order-sign", "hook: order-sing")
    (tmp_path / "fhir.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        load_table(tmp_path / "fhir.yaml")
    assert "ukendt hook 'order-sing'" in str(caught.value)


def test_prefetch_tokens_are_filled_in_and_escaped() -> None:
    template = "MedicationAdministration?patient={{context.patientId}}&status=completed"
    assert render(template, {"patientId": "a/b&c"}) == "MedicationAdministration?patient=a%2Fb%26c&status=completed"
    assert render(template, {"patientId": {"id": 1}}) is None
    assert render(template, {}) is None


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
                    max_leaves=12)
FIELDS = ["medicationCodeableConcept", "dosageInstruction", "extension", "contained", "medicationReference",
          "status", "subject"]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=JSON, person=JSON, given_doses=JSON)
def test_reading_never_fails_whatever_the_resources_hold(book: ivrules.Book, field: str, value: Any, person: Any,
                                                         given_doses: Any) -> None:
    order = copy.deepcopy(medication_request())
    order[field] = value
    reading = read_call(TABLE, book.vocabulary, bundle(order, medication_request()),
                        {"patient": person, "administrations": given_doses}, TODAY)
    assert reading.courses, "the well-formed order still gets its course"
    for course in reading.courses:
        book.normalise(course.facts)  # every fact read is one the vocabulary accepts


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frequency=st.integers(-2, 10), most=st.none() | st.integers(-2, 10),
       period=st.decimals(-2, 48, places=2, allow_nan=False, allow_infinity=False),
       unit=st.sampled_from(["h", "d", "wk", "min"]))
def test_any_repeat_gives_a_positive_count_or_none(book: ivrules.Book, frequency: int, most: int | None,
                                                   period: Any, unit: str) -> None:
    repeat = {"frequency": frequency, "period": str(period), "periodUnit": unit}
    if most is not None:
        repeat["frequencyMax"] = most
    courses = read(book, with_timing({"repeat": repeat}))
    count = courses[0].facts.get("doses_per_day") if courses else None
    assert count is None or count > 0


TABLE_PATH = str(Path(ivrules.__file__).parent / "web" / "cds" / "fhir.yaml")


# --- Lenient reading --------------------------------------------------------------------------------------

CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                        "code": "outpatient"}]}


def test_a_lone_object_where_r4_has_a_list_is_read_as_a_list_of_one(book: ivrules.Book) -> None:
    order = medication_request(category=CATEGORY)
    order["dosageInstruction"] = order["dosageInstruction"][0]  # a lone dosage too
    assert one(book, order).facts == one(book).facts


def test_fields_r4_does_not_know_and_unknown_extensions_are_ignored(book: ivrules.Book) -> None:
    order = medication_request(vendorField={"x": 1})
    order["extension"].append({"url": "https://ehr.example/fhir/ward", "valueString": "B3"})
    order["extension"].append({"url": "https://ehr.example/fhir/odd", "valueSomething": 3})
    order["dosageInstruction"][0]["timing"]["repeat"]["localHint"] = "morgen"
    assert one(book, order).facts == one(book).facts


def unreadable_order(**changes: Any) -> dict[str, Any]:
    order = medication_request(**changes)
    order["dosageInstruction"][0]["timing"]["repeat"]["frequency"] = "three"
    return order


@pytest.mark.parametrize(("change", "own_card"), [
    ({}, True),
    ({"extension": []}, True),  # the IV route
    ({"extension": [], "dosageInstruction": [{"timing": {"repeat": {"frequency": "three"}}}]}, True),  # J01
    ({"dosageInstruction": [{"timing": {"repeat": {"frequency": "three"}}}],
      "medicationCodeableConcept": {"text": "Paracetamol"}}, True),  # an agreed extension
    ({"extension": [], "dosageInstruction": [{"timing": {"repeat": {"frequency": "three"}}}],
      "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "N02BE01"}]}}, False),
])
def test_an_unreadable_order_that_looks_iv_is_kept_for_a_card(book: ivrules.Book, change: dict[str, Any],
                                                               own_card: bool) -> None:
    order = unreadable_order()
    order.update(change)
    reading = read_call(TABLE, book.vocabulary, bundle(order), {"patient": patient(), "administrations": doses()},
                        TODAY)
    assert reading.courses == []
    assert len(reading.unreadable) == (1 if own_card else 0)
    assert any("kunne ikke læses" in note for note in reading.notes) is not own_card


def test_an_unreadable_order_names_each_field_and_why_never_the_value(book: ivrules.Book) -> None:
    order = unreadable_order(category="outpatient", authoredOn="i går")
    reading = read_call(TABLE, book.vocabulary, bundle(order), {"patient": patient(), "administrations": None},
                        TODAY)
    (unreadable,) = reading.unreadable
    assert unreadable.label == "Cefuroxim 1,5 g"
    assert dict(unreadable.problems) == {
        "dosageInstruction[0].timing.repeat.frequency": "skal være et helt tal",
        "category": "skal være en liste", "authoredOn": "har ikke det format, FHIR R4 kræver for feltet"}
    assert not any(value in str(unreadable.problems) for value in ("three", "outpatient", "i går"))


def test_a_skipped_resource_is_logged_without_personal_data(book: ivrules.Book,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    person = patient(birth="01-03-1975")
    person["name"] = [{"family": "Jensen", "given": ["Karen"]}]
    person["identifier"] = [{"system": "urn:oid:1.2.208.176.1.2", "value": "0103751234"}]
    with caplog.at_level("WARNING", logger="ivrules.web.cds"):
        course = one(book, prefetch={"patient": person, "administrations": doses()})
    assert "municipality" not in course.facts
    assert "patientressource kunne ikke læses" in caplog.text and "birthDate" in caplog.text
    assert not any(secret in caplog.text for secret in ("Jensen", "Karen", "0103751234", "01-03-1975"))
