"""The compiled model → the API's JSON: response shapes for OpenAPI, the facts schema, agreement JSON.

Every answer's shape is a ``TypedDict`` declared once: in the core beside the
``to_dict`` that returns it (eligibility, quote, fact, agreement, tariff,
diff), or here for the web's own answers (catalogue, health). ``schema``
(``ivrules.web.shapes``) lets pydantic read them for ``/openapi.json``;
handlers do not pass answers through them (the eligibility answer is exactly
``Eligibility.to_dict()``, the CLI's JSON). They allow extra keys so a field
added to the library's contract never breaks the schema. The only pydantic
models left are the error bodies, which have no counterpart in the core.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal, TypedDict

from pydantic import BaseModel

from ivrules.engine.book import Book
from ivrules.engine.quote import LineJSON, QuoteJSON
from ivrules.engine.runtime import EligibilityJSON, ReasonJSON
from ivrules.lang.vocabulary import Fact, FactJSON, ValueJSON, Vocabulary
from ivrules.model.accession import AccessionJSON
from ivrules.model.agreement import Agreement, AgreementJSON, RevisionJSON
from ivrules.web.reload import ReloadFailureJSON
from ivrules.web.shapes import schema

CLOCK = "^([01][0-9]|2[0-3]):[0-5][0-9]$"


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


class RegionJSON(TypedDict):
    """En region og dens udgaver af aftalen."""

    region: str
    revisions: list[RevisionJSON]


class CatalogueJSON(TypedDict):
    """Alle regioner med deres udgaver og gyldighedsperioder."""

    content_hash: str
    regions: list[RegionJSON]


class LoadedJSON(TypedDict):
    """En indlæst aftalefil."""

    region: str
    revision: str
    content_hash: str
    path: str


class HealthJSON(TypedDict):
    """Driftsstatus: de indlæste aftaler og den seneste mislykkede genindlæsning."""

    status: Literal["ok", "degraded"]
    content_hash: str
    loaded_at: str
    agreements: list[LoadedJSON]
    last_reload_error: ReloadFailureJSON | None
    removed_by_last_reload: list[str]
    """Udgaver eller takster, som den seneste genindlæsning fjernede (svar kommer nu fra en anden udgave)."""


# The answers' shapes, each declared once as a TypedDict (in the core beside its ``to_dict``, or above for
# the web's own answers) and read by pydantic through ``schema``; the names are the OpenAPI components'.
Accession = schema(AccessionJSON, "Accession")
Reason = schema(ReasonJSON, "Reason")
EligibilityOut = schema(EligibilityJSON, "EligibilityOut")
Line = schema(LineJSON, "Line")
TariffOut = schema(QuoteJSON, "TariffOut")
Revision = schema(RevisionJSON, "Revision")
RegionOut = schema(RegionJSON, "RegionOut")
Catalogue = schema(CatalogueJSON, "Catalogue")
AgreementOut = schema(AgreementJSON, "AgreementOut")
Value = schema(ValueJSON, "Value")
FactOut = schema(FactJSON, "FactOut")
Health = schema(HealthJSON, "Health")


def _municipalities(fact: Fact, vocab: Vocabulary) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(vocab.municipalities)}


def _number(fact: Fact, vocab: Vocabulary) -> dict[str, Any]:
    """A number, within the fact's plausible range (``range:`` in vocabulary.yaml) when it has one; a count
    (``whole: true``) is an integer (JSON Schema's integer takes 3.0 too, as the engine does)."""
    out: dict[str, Any] = {"type": "integer" if fact.whole else "number"}
    if fact.limits is not None:
        out["minimum"], out["maximum"] = (int(x) if x == int(x) else float(x) for x in fact.limits)
    return out


_TYPES: dict[str, Callable[[Fact, Vocabulary], dict[str, Any]]] = {
    "bool": lambda f, v: {"type": "boolean"},
    "number": _number,
    "enum": lambda f, v: {"type": "string", "enum": [x.name for x in f.values]},
    "date": lambda f, v: {"type": "string", "format": "date"},
    "times": lambda f, v: {"type": "array", "items": {"type": "string", "pattern": CLOCK}},
    "municipality": _municipalities,
}


def facts_schema(vocab: Vocabulary, needs_one_of: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON schema of ``facts``: every fact of the vocabulary, nothing else (null = not known); at least one
    of ``needs_one_of`` (the date that chooses the revision) must be given, and not as null."""
    props = {f.name: _fact_schema(f, vocab) for f in vocab.facts.values()}
    out = {"type": "object", "title": "Fakta", "properties": props, "additionalProperties": False,
           "description": "Forløbets fakta efter ordforrådet. Et faktum, der ikke er kendt, udelades eller er null. "
                          "Navn, CPR-nummer og andre personoplysninger kan ikke sendes."}
    given = {name: _TYPES[vocab.facts[name].type](vocab.facts[name], vocab) for name in needs_one_of}
    if len(given) == 1:
        out.update(required=list(given), properties={**props, **given})
    elif given:
        out["anyOf"] = [{"required": [name], "properties": {name: schema}} for name, schema in given.items()]
    return out


def _fact_schema(fact: Fact, vocab: Vocabulary) -> dict[str, Any]:
    unit = f" Enhed: {fact.unit}." if fact.unit else ""
    return {"anyOf": [_TYPES[fact.type](fact, vocab), {"type": "null"}], "title": fact.label,
            "description": fact.question + unit}


def fact_json(fact: Fact, vocab: Vocabulary, region: str) -> FactJSON:
    """A question for a doctor; a municipality question lists the region's municipalities."""
    out = fact.to_dict()
    if fact.type == "municipality":
        names = sorted(m.name for m in vocab.municipalities.values() if m.region == region)
        out["values"] = [ValueJSON(value=name, term=name, label=name) for name in names]
    return out


def catalogue(book: Book, content_hash: str) -> CatalogueJSON:
    """Every region with its revisions and their validity periods."""
    regions = [RegionJSON(region=r, revisions=[a.revision_dict(str(book.validity(a))) for a in book.agreements(r)])
               for r in book.regions]
    return {"content_hash": content_hash, "regions": regions}


def agreement_json(agreement: Agreement, book: Book) -> AgreementJSON:
    """One revision in full, with its validity period in the book."""
    return agreement.to_dict(str(book.validity(agreement)))


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
