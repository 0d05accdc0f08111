"""Builders shared by the CDS Hooks tests: FHIR resources, hook calls, a test app and the JSON Schemas."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
from fastapi import FastAPI
from fastapi.testclient import TestClient

import ivrules
from ivrules.web.cds import Settings, install

BASE = "https://cds.test"
ORDER_SIGN = "/cds-services/ivrules-iv-order-sign"
DISCHARGE = "/cds-services/ivrules-iv-discharge"
TODAY = dt.date(2020, 9, 1)
ATC = "http://www.whocc.no/atc"
EXT = "https://ivrules.dk/fhir/StructureDefinition/"
MUNICIPALITY_EXT = "http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes"
MUNICIPALITY_SYSTEM = "http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes"
IV_ROUTE = {"coding": [{"system": "http://snomed.info/sct", "code": "47625008", "display": "Intravenous route"}]}
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "cds-hooks-2.0.schema.json").read_text(encoding="utf-8"))


def assert_valid(definition: str, instance: Any) -> None:
    """Fail with every schema error when ``instance`` is not a valid CDS Hooks 2.0 ``definition``."""
    validator = jsonschema_rs.validator_for({**SCHEMA, "$ref": f"#/$defs/{definition}"})
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(instance)]
    assert not errors, f"{definition} følger ikke CDS Hooks 2.0:\n" + "\n".join(errors)


def client(book: ivrules.Book, settings: Settings | None = None,
           transport: httpx.AsyncBaseTransport | None = None, today: dt.date = TODAY) -> TestClient:
    """A bare FastAPI app with only the CDS Hooks service (development mode unless settings are given)."""
    app = FastAPI()
    install(app, lambda: book, BASE, settings=settings or Settings(development=True), today=lambda: today,
            transport=transport)
    return TestClient(app)


def extension(name: str, **value: Any) -> dict[str, Any]:
    return {"url": EXT + name, **value}


def medication_request(**changes: Any) -> dict[str, Any]:
    """A draft order for IV cefuroxime three times a day in a Codan-mix Add set: everything Midtjylland asks
    (including that Aarhus has entered the agreement, which its accession register does not list)."""
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest", "id": "order-1", "status": "draft", "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "Cefuroxim 1,5 g", "coding": [{"system": ATC, "code": "J01DC02"}]},
        "extension": [extension("infusion-system", valueCode="codan_mix_add"), extension("iv-access", valueCode="PVK"),
                      extension("medically-stable", valueBoolean=True), extension("home-suitable", valueBoolean=True),
                      extension("municipality-joined", valueBoolean=True)],
        "dosageInstruction": [{"route": copy.deepcopy(IV_ROUTE), "timing": {"repeat": {
            "frequency": 3, "period": 1, "periodUnit": "d", "timeOfDay": ["07:00:00", "15:00:00", "23:00:00"]}}}],
    }
    order.update(changes)
    return order


def patient(code: str | None = "0751", birth: str = "1975-03-01", **address: Any) -> dict[str, Any]:
    """A patient born 1975 living in the municipality with this code (0751 is Aarhus)."""
    home: dict[str, Any] = {"use": "home", **address}
    if code is not None:
        coding = {"system": MUNICIPALITY_SYSTEM, "code": code}
        home["extension"] = [{"url": MUNICIPALITY_EXT, "valueCodeableConcept": {"coding": [coding]}}]
    return {"resourceType": "Patient", "id": "p1", "birthDate": birth, "address": [home]}


def administration(code: str = "J01DC02", status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "status": status, "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
            "effectiveDateTime": "2020-08-31T08:00:00+02:00"}


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}


def given(doses: int = 2) -> dict[str, Any]:
    return bundle(*[administration() for _ in range(doses)], kind="searchset")


def order_sign(*orders: dict[str, Any], prefetch: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """An order-sign call; by default with the patient and two hospital doses prefetched."""
    body: dict[str, Any] = {
        "hook": "order-sign", "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/dr", "patientId": "p1", "encounterId": "e1",
                    "draftOrders": bundle(*(orders or (medication_request(),)))},
        "prefetch": prefetch if prefetch is not None else {"patient": patient(), "administrations": given()},
    }
    body.update(fields)
    return body
