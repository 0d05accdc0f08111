"""Raw FHIR JSON → a fhir.resources model, forgiving what real clients send; what still fails, in Danish.

Clients do not always keep to FHIR R4 to the letter: the CDS Hooks sandbox
sends ``MedicationRequest.category`` as one object where R4 has a list, and
EHRs add fields of their own. ``validate`` repairs exactly two things and
tries again: a single object where a list is expected becomes a list of one,
and a field the model does not know is dropped (extensions with unknown URLs
are valid FHIR and need no repair). Anything else is not guessed: the resource
is not read, and ``problems`` says which field failed and why, in Danish,
naming the field but never its value (it may hold personal data).

``looks_iv`` tells, from the raw JSON alone, whether an order that could not
be read was meant to be given intravenously, so the doctor gets a card about
it rather than silence.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ivrules.web.cds.table import FhirTable

REPAIR_ROUNDS = 10  # each round repairs every error pydantic reports at one depth of the resource
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# The first fragment of a pydantic error type that matches says why a field failed.
WHY = (("missing", "mangler"), ("extra", "er ikke et FHIR R4-felt"), ("list", "skal være en liste"),
       ("int", "skal være et helt tal"), ("decimal", "skal være et tal"), ("float", "skal være et tal"),
       ("bool", "skal være true eller false"), ("date", "skal være en dato eller et tidspunkt"),
       ("time", "skal være et tidspunkt"), ("str", "skal være tekst"), ("dict", "skal være et JSON-objekt"),
       ("model", "skal være et JSON-objekt"), ("literal", "har en værdi, FHIR R4 ikke tillader"),
       ("enum", "har en værdi, FHIR R4 ikke tillader"),
       # fhir.resources' own types (date, dateTime, time, decimal, …) give value_error for a wrong format.
       ("value_error", "har ikke det format, FHIR R4 kræver for feltet"))


Problem = tuple[str, str]  # (the field's path, why it could not be read: Danish)


def validate(model: Any, raw: Any) -> tuple[Any, list[Problem]]:
    """The resource as ``model``, repaired where that is safe; else None and why, per field."""
    data = copy.deepcopy(raw)
    problems: list[Problem] = []
    for _ in range(REPAIR_ROUNDS):
        try:
            return model.model_validate(data), []
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
        except (ValueError, TypeError):
            return None, [("ressourcen", "kan ikke læses som FHIR R4")]
        problems = [problem(tuple(e["loc"]), e["type"]) for e in errors]
        if not any([_repair(data, tuple(e["loc"]), e["type"]) for e in errors]):
            break
    return None, problems


def _repair(data: Any, loc: tuple[Any, ...], kind: str) -> bool:
    """Repair one error in place: wrap a lone object in a list, or drop an unknown field."""
    parent = data
    for step in loc[:-1]:
        if not _has(parent, step):
            return False
        parent = parent[step]
    last = loc[-1] if loc else None
    if not isinstance(parent, dict) or last not in parent:
        return False
    if kind == "list_type" and isinstance(parent[last], dict):
        parent[last] = [parent[last]]
        return True
    if kind == "extra_forbidden":
        del parent[last]
        return True
    return False


def _has(parent: Any, step: Any) -> bool:
    if isinstance(parent, list):
        return isinstance(step, int) and 0 <= step < len(parent)
    return isinstance(parent, dict) and step in parent


def problem(loc: tuple[Any, ...], kind: str) -> Problem:
    """The field's path and why, e.g. ('dosageInstruction[0].timing.repeat.frequency', 'skal være et helt tal')."""
    path = ""
    for step in loc:
        if isinstance(step, int):
            path += f"[{step}]"
        else:
            name = str(step) if FIELD_NAME.fullmatch(str(step)) else "…"
            path += f".{name}" if path else name
    why = next((text for fragment, text in WHY if fragment in kind), "kan ikke læses")
    return path or "ressourcen", why


# --- Was the order meant to be given intravenously? -------------------------------------------------------


def looks_iv(order: dict[str, Any], table: FhirTable) -> bool:
    """An IV route, an ATC code of a medicine given IV here (``unreadable_atc``), or an agreed extension."""
    routes = {(c.get("system"), c.get("code")) for d in _many(order.get("dosageInstruction"))
              for route in _many(d.get("route")) for c in _many(route.get("coding"))
              if isinstance(c.get("system"), str) and isinstance(c.get("code"), str)}
    atc = [c["code"] for c in _codings(order)
           if isinstance(c.get("system"), str) and c["system"] in table.atc_systems and isinstance(c.get("code"), str)]
    extensions = {e["url"] for e in _many(order.get("extension")) if isinstance(e.get("url"), str)}
    return bool(routes & table.iv_routes) or bool(extensions & set(table.extensions)) \
        or any(code.upper().startswith(table.unreadable_atc) for code in atc)


def label(order: dict[str, Any]) -> str | None:
    """The medicine's name as the order gives it (its text, else a coding's display), for the card."""
    for concept in _concepts(order):
        if isinstance(concept.get("text"), str) and concept["text"].strip():
            return str(concept["text"]).strip()
        display = next((c["display"] for c in _many(concept.get("coding")) if isinstance(c.get("display"), str)),
                       None)
        if display and display.strip():
            return str(display).strip()
    return None


def _concepts(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The medicine's concept, given directly or in contained Medications (raw, whatever their shape)."""
    contained = [r.get("code") for r in _many(order.get("contained")) if r.get("resourceType") == "Medication"]
    return [c for c in (order.get("medicationCodeableConcept"), *contained) if isinstance(c, dict)]


def _codings(order: dict[str, Any]) -> Iterable[dict[str, Any]]:
    return (c for concept in _concepts(order) for c in _many(concept.get("coding")))


def _many(value: Any) -> list[dict[str, Any]]:
    """The JSON objects in a list, or a lone object as one: raw JSON read without trusting its shape."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]
