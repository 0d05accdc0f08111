"""The compiled model → the API's JSON: response shapes for OpenAPI, the facts schema, agreement JSON.

The response models document the answers in ``/openapi.json``; handlers do not
pass answers through them (the eligibility answer is exactly
``Eligibility.to_dict()``, the CLI's JSON). They allow extra keys so a field
added to the library's contract never breaks the schema.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from ivrules.engine.book import Book
from ivrules.engine.quote import LineJSON, QuoteJSON, money
from ivrules.engine.runtime import EligibilityJSON, ReasonJSON
from ivrules.lang.printer import to_source
from ivrules.lang.vocabulary import Fact, Vocabulary
from ivrules.model.accession import AccessionJSON
from ivrules.model.agreement import Agreement, Rule, Section
from ivrules.model.tariff import Amount, Financing, Schedule, Tariff
from ivrules.web.shapes import schema

CLOCK = "^([01][0-9]|2[0-3]):[0-5][0-9]$"


class Out(BaseModel):
    """A documented answer; extra keys are allowed."""

    model_config = ConfigDict(extra="allow")


class Problem(BaseModel):
    """One thing wrong with a request: where, what, and what is allowed."""

    loc: list[str | int]
    msg: str
    type: str
    allowed: list[str] | None = None
    hint: str | None = None


class Invalid(BaseModel):
    """422: the request is wrong; every problem names its field."""

    detail: list[Problem]


class NotFound(BaseModel):
    """404 (and other errors): a Danish message."""

    detail: str


# The answers' shapes, declared once in the core beside their ``to_dict``; the names are the OpenAPI components'.
Accession = schema(AccessionJSON, "Accession")
Reason = schema(ReasonJSON, "Reason")
EligibilityOut = schema(EligibilityJSON, "EligibilityOut")
Line = schema(LineJSON, "Line")
TariffOut = schema(QuoteJSON, "TariffOut")


class Revision(Out):
    revision: str
    title: str
    effective: str
    until: str | None
    period: str
    content_hash: str


class RegionOut(Out):
    region: str
    revisions: list[Revision]


class Catalogue(Out):
    content_hash: str
    regions: list[RegionOut]


class AgreementOut(Revision):
    region: str
    source: dict[str, str]
    sections: list[dict[str, Any]]
    interpretations: list[dict[str, Any]]
    unknowns: list[dict[str, Any]]
    tariff: dict[str, Any] | None


class Value(Out):
    value: str
    label: str


class FactOut(Out):
    name: str
    type: str
    label: str
    question: str
    unit: str | None = None
    values: list[Value] | None = None
    derived_from: list[str] | None = None


class Health(Out):
    status: str
    content_hash: str
    loaded_at: str
    agreements: list[dict[str, Any]]
    last_reload_error: dict[str, Any] | None


class DiffCounts(Out):
    changed: int
    tried: int


class DiffOut(Out):
    """``ivrules diff --json``: the same function, the same defaults, so the same counts."""

    old: dict[str, Any]
    new: dict[str, Any]
    changes: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    counts: DiffCounts
    cost: dict[str, Any] | None


def _municipalities(fact: Fact, vocab: Vocabulary) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(vocab.municipalities)}


_TYPES: dict[str, Callable[[Fact, Vocabulary], dict[str, Any]]] = {
    "bool": lambda f, v: {"type": "boolean"},
    "number": lambda f, v: {"type": "number"},
    "enum": lambda f, v: {"type": "string", "enum": [x.name for x in f.values]},
    "date": lambda f, v: {"type": "string", "format": "date"},
    "times": lambda f, v: {"type": "array", "items": {"type": "string", "pattern": CLOCK}},
    "municipality": _municipalities,
}


def facts_schema(vocab: Vocabulary) -> dict[str, Any]:
    """The JSON schema of ``facts``: every fact of the vocabulary, nothing else (null = not known)."""
    props = {f.name: _fact_schema(f, vocab) for f in vocab.facts.values()}
    return {"type": "object", "title": "Fakta", "properties": props, "additionalProperties": False,
            "description": "Forløbets fakta efter ordforrådet. Et faktum, der ikke er kendt, udelades eller er null. "
                           "Navn, CPR-nummer og andre personoplysninger kan ikke sendes."}


def _fact_schema(fact: Fact, vocab: Vocabulary) -> dict[str, Any]:
    unit = f" Enhed: {fact.unit}." if fact.unit else ""
    return {"anyOf": [_TYPES[fact.type](fact, vocab), {"type": "null"}], "title": fact.label,
            "description": fact.question + unit}


def fact_json(fact: Fact, vocab: Vocabulary, region: str) -> dict[str, Any]:
    """A question for a doctor; a municipality question lists the region's municipalities."""
    out = fact.to_dict()
    if fact.type == "municipality":
        names = sorted(m.name for m in vocab.municipalities.values() if m.region == region)
        out["values"] = [{"value": name, "term": name, "label": name} for name in names]
    return out


def catalogue(book: Book, content_hash: str) -> dict[str, Any]:
    """Every region with its revisions and their validity periods."""
    regions = [{"region": r, "revisions": [revision_json(a, book) for a in book.agreements(r)]}
               for r in book.regions]
    return {"content_hash": content_hash, "regions": regions}


def revision_json(agreement: Agreement, book: Book) -> dict[str, Any]:
    """A revision's identity: when it applies and the hash of its file."""
    return {"revision": agreement.revision, "title": agreement.title, "effective": agreement.revision,
            "until": agreement.until.isoformat() if agreement.until else None,
            "period": str(book.validity(agreement)), "content_hash": agreement.content_hash}


def agreement_json(agreement: Agreement, book: Book) -> dict[str, Any]:
    """One revision in full: its sections with their rules, interpretations, unknowns and tariffs."""
    return {
        "region": agreement.region, **revision_json(agreement, book), "source": dict(agreement.source),
        "sections": [_section_json(s) for s in agreement.sections],
        "interpretations": [{"id": i.id, "title": i.title, "reading": i.reading, "rationale": i.rationale}
                            for i in agreement.interpretations.values()],
        "unknowns": [{"id": u.id, "text": u.text, "section": u.section} for u in agreement.unknowns],
        "tariff": tariff_json(agreement.tariff) if agreement.tariff else None,
    }


def tariff_json(tariff: Tariff) -> dict[str, Any]:
    """The tariff as data: schedules with their bands or categories, the split, the billing rules."""
    return {
        "section": tariff.section, "financing": _financing(tariff.financing), "count_days": tariff.count_days,
        "invoice_date": tariff.invoice_date, "schedules": [_schedule(s) for s in tariff.schedules],
        "beyond_last_day": {"flag": tariff.beyond.flag, "text": tariff.beyond.text} if tariff.beyond else None,
        "rules": [{"id": r.id, "effect": r.effect, "text": r.text, "flag": r.flag,
                   "interpretations": list(r.interpretations)} for r in tariff.rules],
        "interpretations": list(tariff.interpretations),
    }


def _financing(financing: Financing | None) -> dict[str, Any] | None:
    if financing is None:
        return None
    return {"region": str(financing.region), "kommune": str(financing.kommune), "remainder": financing.remainder}


def _schedule(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.id, "title": schedule.title, "kind": schedule.kind, "by": schedule.by,
        "applies": to_source(schedule.applies_expr) if schedule.applies_expr is not None else None,
        "bands": [{"from_day": b.from_day, "to_day": b.to_day, "per_day": b.per_day, "text": b.text,
                   **_amount(b.amount)} for b in schedule.bands],
        "categories": [{"value": c.value, "text": c.text, "financing": _financing(c.financing), **_amount(c.amount)}
                       for c in schedule.categories],
        "per_minute": _amount(schedule.per_minute) if schedule.per_minute else None,
        "unknown": schedule.unknown.unknown if schedule.unknown else None,
        "interpretations": list(schedule.interpretations),
    }


def _amount(amount: Amount) -> dict[str, Any]:
    """Money as an exact decimal string ("2999.00"), or the unknown that stands in its place."""
    return {"amount": money(amount.value), "unknown": amount.unknown}


def _section_json(section: Section) -> dict[str, Any]:
    return {"number": section.number, "title": section.title, "text": section.text, "party": section.party,
            "items": list(section.items), "rules": [_rule_json(r) for r in section.rules]}


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "kind": rule.kind, "rule": rule.source_text or None, "explain": rule.explain,
            "condition": rule.condition, "interpretations": list(rule.interpretations)}


def examples(book: Book, answer: str, limit: int = 3) -> dict[str, dict[str, Any]]:
    """OpenAPI request examples: the agreements' own example cases whose expectation has ``answer``."""
    out: dict[str, dict[str, Any]] = {}
    for region in book.regions:
        newest = book.agreements(region)[-1]
        for example in [e for e in newest.examples if answer in e.expect][:limit]:
            facts = {k: _iso(v) for k, v in example.facts.items()}
            out[f"{region}-{len(out) + 1}"] = {"summary": example.name, "value": {"region": region, "facts": facts}}
    return out


def _iso(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value
