"""A course read from FHIR + the ``Book`` → one CDS Hooks 2.0 card.

The indicator follows the answer: ``info`` when the course may be handed over
to the municipality, ``warning`` when it cannot be decided yet (facts missing,
or no agreement or municipality to judge by), ``critical`` when the agreement
does not cover it. The summary (under 140 characters) names the order and the
answer; ``source`` links to the agreement on the site, at the section that
decided the answer; ``detail`` is Markdown with the reasons, each linked to its
section, what is missing, and what was read from the record. Optional fields
are left out rather than sent empty or null, as the spec requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.engine.runtime import Eligibility
from ivrules.errors import FactsError, LookupError_, UnknownRegionError
from ivrules.model.agreement import Agreement, Unknown
from ivrules.site.render import Context, environment, fact_value, section_anchor
from ivrules.web.cds.fhir_facts import Course, Unreadable

INDICATOR = {True: "info", None: "warning", False: "critical"}
SUMMARY_LIMIT = 139  # the spec: a summary of fewer than 140 characters
SITE_LABEL = "Regionernes aftaler om IV-behandling i kommunalt regi"
NO_MUNICIPALITY = "bopælskommunen fremgår ikke af patientens adresse"
NO_AGREEMENT = "ingen aftale gælder for forløbet"
UNREADABLE = "Kunne ikke læses – ordinationen er ikke vurderet."
UNREADABLE_PROBLEM = ("ordinationen følger ikke FHIR R4 de steder, der er nævnt nedenfor, så den er ikke vurderet "
                      "efter aftalen. Vurdér selv ud fra aftalen, og bed hospitalets it-afdeling rette EPJ's data.")


@dataclass(frozen=True)
class Links:
    """Absolute addresses on the rendered agreement site (``<base><site>/<region>/<revision>/#afsnit-n``)."""

    base: str
    site: str = "/aftaler"

    @property
    def home(self) -> str:
        return f"{self.base.rstrip('/')}{self.site}/"

    def agreement(self, agreement: Agreement, section: str | None = None) -> str:
        anchor = f"#{section_anchor(section)}" if section else ""
        return f"{self.home}{agreement.region}/{agreement.revision}/{anchor}"


@cache
def _environment() -> jinja2.Environment:
    """The site's strict templates and filters, with this package's card template in front."""
    site = environment()
    assert site.loader is not None
    return site.overlay(loader=jinja2.ChoiceLoader([jinja2.PackageLoader("ivrules.web.cds", "templates"), site.loader]))


class Cards:
    """Builds the cards of one call against one book (the book is fixed for the whole call)."""

    def __init__(self, book: Book, links: Links, notes: list[str]) -> None:
        self.book = book
        self.links = links
        self.notes = notes
        self.ctx = Context(book, _environment())

    def card(self, course: Course) -> dict[str, Any]:
        """The card for one course: the agreement's answer, or why there is none."""
        name = course.facts.get(self.book.vocabulary.roles.municipality)
        if name is None:
            return self._problem(course, NO_MUNICIPALITY)
        region = self.book.vocabulary.municipalities[name].region
        try:
            answer = self.book.eligibility(region, course.facts)
        except UnknownRegionError:
            return self._problem(course, f"ivrules har endnu ingen aftale for {self._region_name(region)}")
        except (LookupError_, FactsError) as exc:
            return self._problem(course, NO_AGREEMENT, str(exc))
        return self._verdict(course, answer)

    def _verdict(self, course: Course, answer: Eligibility) -> dict[str, Any]:
        outcomes = list(zip(answer.rules, answer.outcomes, strict=True))
        failed = [rule for rule, value in outcomes if value is False]
        unknown = [rule for rule, value in outcomes if value is None]
        focus = (failed or unknown)[0].section if failed or unknown else None
        url = self.links.agreement(answer.agreement)
        region_name = self._region_name(answer.region)
        detail = self._detail(course, answer=answer, url=url, region_name=region_name, failed=failed,
                              passed=[rule for rule, value in outcomes if value is True],
                              missing=[self.book.vocabulary.facts[n] for n in answer.missing],
                              unknowns=self._unknowns(answer))
        source = {"label": f"{region_name}: aftalen af {danish.date(answer.agreement.effective)}",
                  "url": self.links.agreement(answer.agreement, focus)}
        links = [{"label": "Læs aftalen", "url": url, "type": "absolute"}]
        return card(summary(course.label, str(self.ctx.labels.answers[answer.eligible])),
                    INDICATOR[answer.eligible], source, detail, links)

    def _unknowns(self, answer: Eligibility) -> list[Unknown]:
        """What the agreement is silent about that bears on eligibility (not on what a course costs)."""
        used = {f.name for f in self.book.facts(answer.region, answer.agreement.effective)}
        sections = {rule.section for rule in answer.rules}
        return [u for u in answer.agreement.unknowns if (u.about in used if u.about else u.section in sections)]

    def _problem(self, course: Course, problem: str, explanation: str | None = None) -> dict[str, Any]:
        detail = self._detail(course, answer=None, url=self.links.home, problem=explanation or problem)
        source = {"label": SITE_LABEL, "url": self.links.home}
        return card(summary(course.label, f"Kan ikke vurderes – {problem}."), INDICATOR[None], source, detail)

    def unreadable(self, order: Unreadable) -> dict[str, Any]:
        """An ``info`` card for an IV order that could not be read: what failed and why, never silence."""
        detail = self.ctx.render("card.md.j2", answer=None, url=self.links.home, problem=UNREADABLE_PROBLEM,
                                 unreadable=order.problems, facts=[], notes=self.notes)
        source = {"label": SITE_LABEL, "url": self.links.home}
        return card(summary(order.label, UNREADABLE), "info", source, detail)

    def _detail(self, course: Course, **values: Any) -> str:
        order = {name: i for i, name in enumerate(self.book.vocabulary.facts)}
        facts = sorted(course.facts.items(), key=lambda item: order.get(item[0], len(order)))
        shown = [(self.book.vocabulary.facts[n].label, fact_value(self.ctx, n, v)) for n, v in facts]
        return self.ctx.render("card.md.j2", facts=shown, notes=course.notes + self.notes, unreadable=(), **values)

    def _region_name(self, region: str) -> str:
        return self.book.vocabulary.regions.get(region, region)


def summary(label: str, answer: str) -> str:
    """'<order>: <answer>', the order's name shortened so the whole stays under 140 characters."""
    text = f"{label}: {answer}"
    if len(text) <= SUMMARY_LIMIT:
        return text
    room = max(SUMMARY_LIMIT - len(answer) - 3, 0)
    return f"{label[:room].rstrip()}…: {answer}"[:SUMMARY_LIMIT]


def card(text: str, indicator: str, source: dict[str, str], detail: str,
         links: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A card with every optional field that has no value left out."""
    out: dict[str, Any] = {"summary": text, "indicator": indicator, "source": source, "detail": detail.strip(),
                           "links": links}
    return {key: value for key, value in out.items() if value not in (None, "", [], {})}
