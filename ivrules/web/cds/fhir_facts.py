"""FHIR R4 resources of one CDS Hooks call → raw facts for each IV order, with notes on what was skipped.

``read_call`` parses the Patient, the MedicationAdministrations and the orders
(MedicationRequests) with the fhir.resources R4B models, one resource at a
time and leniently (``lenient``: a lone object where a list is expected, fields
R4 does not know). A resource that still does not validate is skipped, logged
without its content, and never fails the call: an order that looks intravenous
becomes an ``Unreadable`` (its own card says what could not be read), any other
is noted on the cards. Facts are read conservatively: a fact is set only when a standard
element, a code listed in ``fhir.yaml`` or an agreed extension states it, and
only with a value the vocabulary accepts. Anything else stays missing, and the
card then says what is missing instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.dosage import Dosage
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.patient import Patient

from ivrules.errors import FactsError
from ivrules.lang.vocabulary import Vocabulary
from ivrules.web.cds import lenient
from ivrules.web.cds.table import FhirTable

log = logging.getLogger("ivrules.web.cds")

MODELS: dict[str, Any] = {"Patient": Patient, "MedicationRequest": MedicationRequest,
                          "MedicationAdministration": MedicationAdministration}
WHAT = {"Patient": "patientressource", "MedicationRequest": "ordination",
        "MedicationAdministration": "registreret administration"}
HOURS_PER_UNIT = {"h": 1, "d": 24}
CURRENT_ADDRESS_USES = (None, "home", "temp")
DEFAULT_LABEL = "IV-ordination"


@dataclass
class Course:
    """What one IV order says about the course: its name for the card, the facts read and notes."""

    label: str
    facts: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Unreadable:
    """An order that looks intravenous but could not be read: its name and what failed, in Danish."""

    label: str
    problems: tuple[lenient.Problem, ...]


@dataclass
class Reading:
    """Every IV order of the call as a course, the IV orders that could not be read, and call-wide notes."""

    courses: list[Course]
    notes: list[str]
    unreadable: list[Unreadable] = field(default_factory=list)


def read_call(table: FhirTable, vocab: Vocabulary, orders: Any, prefetch: Mapping[str, Any],
              today: dt.date) -> Reading:
    """The orders (a Bundle) and the prefetched resources → one ``Course`` per intravenous order."""
    notes: list[str] = []
    patient = _patient(prefetch, notes)
    shared = _patient_facts(patient, table, vocab, today, notes) if patient is not None else {}
    given = _administrations(prefetch, notes)
    failed: list[tuple[Any, tuple[lenient.Problem, ...]]] = []
    requests = resources(orders, "MedicationRequest", notes, lambda raw: lenient.looks_iv(raw, table), failed)
    courses = [_course(order, table, vocab, shared, given, today) for order in requests if is_iv(order, table)]
    unreadable = [Unreadable(lenient.label(raw) or DEFAULT_LABEL, problems) for raw, problems in failed]
    return Reading(courses, notes, unreadable)


# --- Resources, leniently ---------------------------------------------------------------------------------


def resources(data: Any, kind: str, notes: list[str], own_card: Callable[[dict[str, Any]], bool] | None = None,
              failed: list[tuple[Any, tuple[lenient.Problem, ...]]] | None = None) -> list[Any]:
    """The resources of one type in a resource or a Bundle, read leniently; each unreadable one is logged.

    One that ``own_card`` picks out goes to ``failed`` with its problems (it gets a card of its own);
    the others are counted in a note.
    """
    raw: list[Any] = [data] if _is(data, kind) else [entry.get("resource") for entry in _entries(data)]
    out, skipped = [], 0
    for item in raw:
        if not _is(item, kind):
            continue  # another kind of order (a lab test, a referral): not ours to judge
        resource, problems = lenient.validate(MODELS[kind], item)
        if resource is not None:
            out.append(resource)
            continue
        # The field paths and reasons only: the values may be personal data.
        log.warning("CDS Hooks: en %s kunne ikke læses og er sprunget over: %s", WHAT[kind],
                    "; ".join(f"{path}: {why}" for path, why in problems))
        if own_card is not None and failed is not None and own_card(item):
            failed.append((item, tuple(problems)))
        else:
            skipped += 1
    if skipped:
        notes.append(f"{skipped} {WHAT[kind]}{'er' if skipped > 1 else ''} kunne ikke læses og er sprunget over.")
    return out


def _is(item: Any, kind: str) -> bool:
    return isinstance(item, dict) and item.get("resourceType") == kind


def _entries(data: Any) -> list[dict[str, Any]]:
    entries = data.get("entry") if _is(data, "Bundle") else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _patient(prefetch: Mapping[str, Any], notes: list[str]) -> Any:
    if "patient" not in prefetch:
        notes.append("Patientens stamdata kunne ikke hentes fra journalen.")
        return None
    found = resources(prefetch["patient"], "Patient", notes)
    if not found:
        notes.append("Journalen sendte ingen patientoplysninger.")
    return found[0] if found else None


def _administrations(prefetch: Mapping[str, Any], notes: list[str]) -> list[Any] | None:
    """Completed administrations; None when they could not be had (then the dose count stays missing)."""
    if "administrations" not in prefetch:
        notes.append("De registrerede administrationer kunne ikke hentes fra journalen.")
        return None
    # A null prefetch value means the EHR has no such data: no administrations are recorded.
    found = resources(prefetch["administrations"], "MedicationAdministration", notes)
    return [a for a in found if a.status == "completed"]


# --- The patient ------------------------------------------------------------------------------------------


def _patient_facts(patient: Any, table: FhirTable, vocab: Vocabulary, today: dt.date,
                   notes: list[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    birth = _as_date(patient.birthDate)
    if birth is not None:
        facts["birth_date"] = birth
    elif patient.birthDate is not None:
        notes.append("Fødselsdatoen er ikke fuldstændig, så alderen regnes ikke ud.")
    municipality = _municipality(patient.address or [], table, vocab, today, notes)
    if municipality is not None:
        facts["municipality"] = municipality
    return facts


def _municipality(addresses: list[Any], table: FhirTable, vocab: Vocabulary, today: dt.date,
                  notes: list[str]) -> str | None:
    """The municipality of the patient's current addresses; none when they disagree or none is recognised."""
    found = {name for address in addresses if _current(address, today)
             if (name := _address_municipality(address, table, vocab)) is not None}
    if len(found) > 1:
        notes.append("Patientens aktuelle adresser ligger i flere kommuner: " + ", ".join(sorted(found)) + ".")
        return None
    return found.pop() if found else None


def _current(address: Any, today: dt.date) -> bool:
    end = _as_date(address.period.end) if address.period else None
    return address.use in CURRENT_ADDRESS_USES and (end is None or end >= today)


def _address_municipality(address: Any, table: FhirTable, vocab: Vocabulary) -> str | None:
    by_code = {m.code: name for name, m in vocab.municipalities.items()}
    for ext in address.extension or []:
        if ext.url in table.municipality_extensions:
            for coding in _codings(ext.valueCodeableConcept, ext.valueCoding):
                if coding.system in table.municipality_systems and str(coding.code or "").isdigit():
                    name = by_code.get(int(coding.code))
                    if name is not None:
                        return name
    by_name = {name.casefold(): name for name in vocab.municipalities}
    for text in (address.district, address.city):
        if text and text.strip().casefold() in by_name:
            return by_name[text.strip().casefold()]
    return None


# --- One order --------------------------------------------------------------------------------------------


def is_iv(order: Any, table: FhirTable) -> bool:
    """Does any of the order's dosage instructions give it intravenously (a route listed in fhir.yaml)?"""
    return bool(_iv_dosages(order, table))


def _iv_dosages(order: Any, table: FhirTable) -> list[Dosage]:
    return [d for d in order.dosageInstruction or []
            if any((c.system, c.code) in table.iv_routes for c in _codings(d.route))]


def _course(order: Any, table: FhirTable, vocab: Vocabulary, shared: dict[str, Any],
            given: list[Any] | None, today: dt.date) -> Course:
    concept = medication(order)
    course = Course(_label(concept), {})
    dosages = _iv_dosages(order, table)
    candidates: dict[str, Any] = {**shared, "date": _course_date(dosages, today)}
    candidates["treatment"] = _treatment(concept, table, course.notes)
    candidates["doses_per_day"] = _doses_per_day(dosages, table)
    times = sorted({t for d in dosages for t in _times(d)})
    candidates["dose_times"] = times or None
    count = _doses_given(concept, given)
    candidates["doses_given_in_hospital"] = count
    # A recorded administration of this medicine shows the treatment was started in hospital;
    # none recorded does not show the opposite, so the fact then stays missing.
    candidates["started_in_hospital"] = True if count else None
    candidates.update(_extensions(order, table))
    for name, value in candidates.items():
        if value is not None:
            _accept(vocab, course, name, value)
    return course


def medication(order: Any) -> CodeableConcept | None:
    """The ordered medicine's concept: given directly, or in a contained Medication the order refers to."""
    if order.medicationCodeableConcept is not None:
        direct: CodeableConcept = order.medicationCodeableConcept
        return direct
    reference = order.medicationReference.reference if order.medicationReference else None
    if reference and reference.startswith("#"):
        for resource in order.contained or []:
            if getattr(resource, "id", None) == reference[1:] and hasattr(resource, "code"):
                concept: CodeableConcept | None = resource.code
                return concept
    return None


def _label(concept: CodeableConcept | None) -> str:
    if concept is None:
        return DEFAULT_LABEL
    display = next((c.display for c in concept.coding or [] if c.display), None)
    return (concept.text or display or DEFAULT_LABEL).strip()


def _treatment(concept: CodeableConcept | None, table: FhirTable, notes: list[str]) -> str | None:
    atc = [c.code for c in _codings(concept) if c.system in table.atc_systems and c.code]
    found = {t for t in (table.treatment(code) for code in atc) if t is not None}
    if len(found) > 1:
        notes.append("Lægemidlets koder peger på flere slags behandling; behandlingen er ikke bestemt.")
        return None
    return found.pop() if found else None


def _doses_per_day(dosages: list[Dosage], table: FhirTable) -> int | Decimal | None:
    """The highest number of doses a day any IV dosage instruction allows; None if one cannot be read."""
    counts = [_dosage_per_day(d, table) for d in dosages]
    if not counts or None in counts:
        return None
    top = max(c for c in counts if c is not None)
    return int(top) if top == top.to_integral_value() else top


def _dosage_per_day(dosage: Dosage, table: FhirTable) -> Decimal | None:
    timing = dosage.timing
    repeat = timing.repeat if timing else None
    # frequencyMax is the most the order allows, and the agreements limit the most.
    frequency = (repeat.frequencyMax or repeat.frequency) if repeat else None
    if repeat and frequency and frequency > 0 and repeat.period and repeat.period > 0 \
            and repeat.periodUnit in HOURS_PER_UNIT:
        return Decimal(frequency) * 24 / (Decimal(repeat.period) * HOURS_PER_UNIT[repeat.periodUnit])
    codes = [table.timing_codes.get(str(c.code)) for c in _codings(timing.code if timing else None)
             if c.system in table.timing_systems]
    known = [c for c in codes if c is not None]
    return Decimal(known[0]) if known else None


def _times(dosage: Dosage) -> list[str]:
    repeat = dosage.timing.repeat if dosage.timing else None
    return [t.strftime("%H:%M") for t in (repeat.timeOfDay or []) if t is not None] if repeat else []


def _course_date(dosages: list[Dosage], today: dt.date) -> dt.date:
    """Today, unless the order says the course starts later (the date picks the agreement's revision)."""
    starts = [_as_date(d.timing.repeat.boundsPeriod.start) for d in dosages
              if d.timing and d.timing.repeat and d.timing.repeat.boundsPeriod]
    return max([today, *(s for s in starts if s is not None)])


def _doses_given(concept: CodeableConcept | None, given: list[Any] | None) -> int | None:
    """Completed administrations of the same medicine (a shared coding); None when that cannot be told."""
    codes = {(c.system, c.code) for c in _codings(concept) if c.code}
    if given is None or not codes:
        return None
    matched = sum(1 for a in given if codes & {(c.system, c.code) for c in _codings(medication(a))})
    # An administration without any code might be this medicine: below the count that matters, do not guess.
    if matched < 2 and any(not _codings(medication(a)) for a in given):
        return None
    return matched


def _extensions(order: Any, table: FhirTable) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ext in order.extension or []:
        name = table.extensions.get(ext.url or "")
        if name is not None:
            coding = ext.valueCoding.code if ext.valueCoding else None
            out[name] = next((v for v in (ext.valueBoolean, ext.valueCode, coding, ext.valueString) if v is not None),
                             None)
    return out


def _accept(vocab: Vocabulary, course: Course, name: str, value: Any) -> None:
    """Keep a fact only if the vocabulary knows it and accepts the value; otherwise note why."""
    fact = vocab.facts.get(name)
    if fact is None:
        return  # the vocabulary no longer has this fact; nothing asks for it
    try:
        vocab.normalise({name: value})
    except FactsError as exc:
        course.notes.append(f"{fact.label}: {exc.message}; oplysningen fra journalen er ikke brugt.")
        return
    course.facts[name] = value


# --- Small readers ----------------------------------------------------------------------------------------


def _codings(*concepts: Any) -> list[Any]:
    """The codings of CodeableConcepts and Codings, skipping the absent ones."""
    out: list[Any] = []
    for concept in concepts:
        if concept is None:
            continue
        out.extend(concept.coding or [] if hasattr(concept, "coding") else [concept])
    return out


def _as_date(value: Any) -> dt.date | None:
    """A full date from a FHIR date or dateTime; partial dates ('1975', '1975-03') give None."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None

