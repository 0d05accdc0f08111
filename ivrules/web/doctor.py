"""A question from the doctors' page → the /v1 answers, with the Danish sentences the page shows beside them.

The page asks ``POST /page/answer`` (``answer``): the eligibility answer and, once the course's start
and end dates are given, the price, both exactly as ``/v1/eligibility`` and ``/v1/tariff`` give them,
plus ``texts``: the revision, the accession decision, the price in kroner and the question as a
person reads it, written here so that the page formats no date and no amount itself. Where no
agreement applies, ``no_agreement`` says so with the region's Danish name and Danish dates.
``GET /page/facts/{region}`` (``questions``) adds the facts the price needs to the page's questions.
None of this is part of the versioned /v1 contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict

from ivrules import danish
from ivrules.engine.book import Book, Validity
from ivrules.engine.quote import QuoteJSON
from ivrules.errors import LookupError_, NoRevisionError, NotJoinedError
from ivrules.lang.vocabulary import Fact, FactJSON
from ivrules.model.accession import AccessionJSON
from ivrules.web.models import fact_json

YES_NO = {True: "Ja", False: "Nej"}
BASIS = {  # why the accession decision is what it is (AccessionJSON.basis)
    "register": "Det fremgår af tiltrædelseslisten.",
    "all": "Det fremgår af tiltrædelseslisten.",
    "facts": "Det er oplyst i spørgsmålet; tiltrædelseslisten nævner ikke kommunen.",
    "unlisted": "Tiltrædelseslisten er fuldstændig og nævner ikke kommunen.",
}


class Question(BaseModel):
    """The page's question: the same body as /v1/eligibility."""

    model_config = ConfigDict(extra="forbid")
    region: str
    facts: dict[str, Any]


class ItemText(TypedDict):
    label: str
    value: str


class PriceText(TypedDict):
    """The price as the page shows it; amounts as "18.654,00 kr."."""

    total: str | None
    region_share: str | None
    municipality_share: str | None
    lines: list[ItemText]
    revision: str


class Texts(TypedDict):
    revision: str
    accession: str | None
    joined_question: str | None
    price: PriceText | None
    question: list[ItemText]
    today: str


class PageAnswer(TypedDict):
    eligibility: dict[str, Any]
    tariff: QuoteJSON | None
    texts: Texts


def kroner(amount: str | Decimal | None) -> str | None:
    """Money as the page prints it, always with øre: '18.654,00 kr.'."""
    return None if amount is None else f"{danish.number(Decimal(amount), 2)} kr."


def answer(book: Book, region: str, facts: Mapping[str, Any], today: dt.date | None = None) -> PageAnswer:
    """The eligibility answer, the price once both dates are known, and the Danish texts for both."""
    eligibility: dict[str, Any] = dict(book.eligibility(region, facts).to_dict())
    roles = book.vocabulary.roles
    dated = facts.get(roles.start_date) and facts.get(roles.end_date)
    tariff = book.tariff(region, facts).to_dict() if dated else None
    texts: Texts = {
        "revision": revision_text(book, region, eligibility["revision"], eligibility["content_hash"]),
        "accession": accession_text(book, eligibility.get("accession"), eligibility["revision"],
                                    roles.municipality_joined in eligibility["missing"]),
        "joined_question": joined_question(book, eligibility, facts),
        "price": price_text(book, tariff) if tariff is not None else None,
        "question": question_text(book, region, facts),
        "today": danish.date(today or dt.date.today()),
    }
    return {"eligibility": eligibility, "tariff": tariff, "texts": texts}


def revision_text(book: Book, region: str, revision: str, content_hash: str) -> str:
    name = book.vocabulary.regions.get(region, region)
    return f"Beregnet efter aftalen for {name} af {danish.iso_date(revision)} (indholds-hash {content_hash})."


def accession_text(book: Book, accession: AccessionJSON | None, revision: str, decisive: bool = False) -> str | None:
    """'Odense har ikke tilsluttet sig aftalen af 1. oktober 2021; aftalen af 1. januar 2018 gælder.'
    ``revision``: the one the answer used; ``decisive``: the register does not say, and the answer depends on it."""
    if accession is None:
        return None
    who, agreement = accession["municipality"], f"aftalen af {danish.iso_date(accession['agreement'])}"
    if accession["joined"] is None and decisive:
        joined = _revision_name(accession, revision)
        return (f"Svaret afhænger af, om {who} har tilsluttet sig {agreement}: har kommunen det, gælder "
                f"{joined}, ellers {_fallback_text(book, accession)}. Tiltrædelseslisten nævner ikke kommunen.")
    if accession["joined"] is None:
        return (f"Det vides ikke, om {who} har tilsluttet sig {agreement}, for tiltrædelseslisten nævner ikke "
                f"kommunen, men svaret er det samme, uanset om kommunen har det.")
    used = accession["applied"]
    applied = f"{_revision_name(accession, used)} gælder" if used else "ingen aftale gælder"
    if accession["joined"]:
        since = f" fra {danish.iso_date(accession['since'])}" if accession["since"] else ""
        subject = "Alle kommuner i regionen har" if accession["basis"] == "all" else f"{who} har"
        head = f"{subject} tilsluttet sig {agreement}{since}"
    elif accession["since"]:
        head = f"{who} havde ikke tilsluttet sig {agreement} på datoen, først fra {danish.iso_date(accession['since'])}"
    else:
        head = f"{who} har ikke tilsluttet sig {agreement}"
    return f"{head}; {applied}. {BASIS[accession['basis']]}"


def _revision_name(accession: AccessionJSON, revision: str) -> str:
    """'aftalen af 1. oktober 2021', or for a later revision of the joined agreement, 'dens udgave af ...'."""
    joined_later = accession["agreement"] < revision and accession["joined"] is not False
    return f"{'dens udgave' if joined_later else 'aftalen'} af {danish.iso_date(revision)}"


def _fallback_text(book: Book, accession: AccessionJSON) -> str:
    """What applies to a municipality that has not joined: the fallback revision, or nothing."""
    line = next((ln for ln in book.accession.lines if ln.agreement.isoformat() == accession["agreement"]), None)
    if line is None or line.fallback is None:
        return "gælder ingen aftale for kommunen"
    return f"gælder aftalen af {danish.date(line.fallback)}"


def joined_question(book: Book, eligibility: Mapping[str, Any], facts: Mapping[str, Any]) -> str | None:
    """The question put to the doctor while the answer depends on accession (or once they answered it)."""
    accession = eligibility.get("accession")
    joined = book.vocabulary.roles.municipality_joined
    if accession is None or (joined not in eligibility["missing"] and accession["basis"] != "facts"):
        return None
    return f"Har {accession['municipality']} tilsluttet sig aftalen af {danish.iso_date(accession['agreement'])}?"


def price_text(book: Book, tariff: QuoteJSON) -> PriceText:
    lines = [ItemText(label=line["text"], value=kroner(line["amount"]) or "") for line in tariff["lines"]]
    return {"total": kroner(tariff["total"]), "region_share": kroner(tariff["region_share"]),
            "municipality_share": kroner(tariff["municipality_share"]), "lines": lines,
            "revision": f"Prisen følger aftalen af {danish.iso_date(tariff['revision'])}, der gælder på forløbets "
                        "startdato."}


def question_text(book: Book, region: str, facts: Mapping[str, Any]) -> list[ItemText]:
    """The facts the doctor gave, labelled and written in Danish, in the vocabulary's order."""
    typed = book.normalise(facts)
    declared = book.vocabulary.facts
    items = [ItemText(label="Region", value=book.vocabulary.regions.get(region, region))]
    return items + [ItemText(label=fact.label, value=fact_value(fact, typed[name]))
                    for name, fact in declared.items() if name in facts and name in typed]


def fact_value(fact: Fact, value: Any) -> str:
    """One typed fact value as a person reads it."""
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, dt.date):
        return danish.date(value)
    if fact.type == "times":
        return ", ".join(f"{m // 60:02d}:{m % 60:02d}" for m in value)
    if isinstance(value, int | float | Decimal):
        return danish.number(Decimal(str(value))) + (f" {fact.unit}" if fact.unit else "")
    found = fact.value_by_term(str(value))
    return found.label if found is not None else str(value)


def no_agreement(book: Book, region: str, facts: Mapping[str, Any], error: LookupError_) -> str:
    """Why no agreement answers, with the region's Danish name and Danish dates."""
    name = book.vocabulary.regions.get(region, region)
    if isinstance(error, NotJoinedError) and isinstance(error.date, dt.date):
        municipality = facts.get(book.vocabulary.roles.municipality, "kommunen")
        return (f"Ingen aftale for {name} gælder for {municipality} den {danish.date(error.date)}: "
                f"kommunen har ikke tilsluttet sig aftalen, og der gælder ingen aftale for kommuner, "
                f"der ikke har tilsluttet sig.")
    if not isinstance(error, NoRevisionError) or not isinstance(error.date, dt.date):
        return str(error)
    agreements = book.agreements(region)
    periods = " og ".join(_period(book.validity(a)) for a in agreements)
    subject = "Aftalen gælder" if len(agreements) == 1 else "Aftalerne gælder"
    before = [a for a in agreements if a.effective <= error.date]
    reason = before[-1].no_agreement_after if before else ""  # the agreement that had ended by then says why
    return (f"Der gælder ingen aftale for {name} den {danish.date(error.date)}. "
            f"{subject} {periods}." + (f" {reason}" if reason else ""))


def _period(validity: Validity) -> str:
    """'fra 1. juni 2020 til 30. april 2021', or 'fra 1. maj 2021' for the newest."""
    until = f" til {danish.date(validity.end)}" if validity.end else ""
    return f"fra {danish.date(validity.start)}{until}"


def questions(book: Book, region: str) -> list[FactJSON]:
    """The page's questions: the /v1 facts and, after them, the facts the region's prices read."""
    asked = book.facts(region)
    names = {f.name for f in asked}
    priced: set[str] = set().union(*(a.reads(price=True) for a in book.agreements(region)))
    extra = [f for f in book.vocabulary.facts.values() if f.name in priced and f.name not in names]
    return [fact_json(f, book.vocabulary, region) for f in [*asked, *extra]]
