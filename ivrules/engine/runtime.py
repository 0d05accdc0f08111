"""A compiled revision laid out for evaluation (``RuleSet``), and the eligibility view of an evaluated course.

Eligibility is the Kleene conjunction of the party check (the municipality is
one of the region's) and the agreement's requirements: ``False`` as soon as
one fails on the known facts (even if others are unknown), ``None`` while
some requirement is unknown, ``True`` when all pass. Conditions (consent
someone must still give) are listed beside the answer, never folded into it.
The outcomes come from ``ivrules.engine.course.evaluate``; nothing here
evaluates a requirement a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import getitem
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from ivrules.lang.compiler import Facts
from ivrules.model.accession import AccessionJSON
from ivrules.model.agreement import Agreement, Rule

if TYPE_CHECKING:
    from ivrules.engine.course import Course

Outcome = Literal["passed", "failed", "unknown"]
OUTCOME: dict[bool | None, Outcome] = {True: "passed", False: "failed", None: "unknown"}


class ReasonJSON(TypedDict):
    """Et krav og dets udfald på de oplyste fakta, med aftalens afsnit og en dansk forklaring."""

    rule: str
    """Reglens id; kommunen_er_part, når kommunen ikke er part i aftalen."""
    section: str
    outcome: Outcome
    text: str


class EligibilityJSON(TypedDict):
    """Svaret på, om forløbet kan overdrages til kommunen (det samme som ``ivrules eligibility --json``)."""

    region: str
    revision: str
    """Udgaven af aftalen, svaret er beregnet ud fra (dens ikrafttræden, ÅÅÅÅ-MM-DD)."""
    content_hash: str
    eligible: bool | None
    """true: kan overdrages; false: et krav er ikke opfyldt; null: uafklaret, fordi fakta mangler."""
    reasons: list[ReasonJSON]
    missing: list[str]
    """Fakta, der mangler for at afgøre svaret."""
    conditions: list[str]
    """Betingelser (samtykke o.l.), der stadig skal opfyldes; de indgår ikke i svaret."""
    unknowns: list[str]
    """Det, aftalen ikke siger noget om."""
    accession: AccessionJSON | None
    """Tiltrædelsen, hvor aftalen tiltrædes kommune for kommune; ellers null."""


@dataclass(frozen=True)
class RuleSet:
    """The executable part of one agreement, laid out for the hot path."""

    agreement: Agreement
    requirements: tuple[Rule, ...]
    fns: tuple[Any, ...]
    conditions: tuple[Rule, ...]
    # Each requirement's reason for each outcome, built once: an answer copies them.
    reasons: tuple[dict[bool | None, ReasonJSON], ...] = ()
    explains: tuple[str, ...] = ()  # each requirement's Danish explanation, in ``requirements`` order
    unknowns: tuple[str, ...] = ()  # what the agreement does not say, as every answer lists it

    @classmethod
    def build(cls, agreement: Agreement) -> RuleSet:
        reqs = tuple(r for r in agreement.rules if r.kind == "requirement" and r.compiled is not None)
        conds = tuple(r for r in agreement.rules if r.kind == "condition")
        reasons = tuple({v: ReasonJSON(rule=r.id, section=r.section, outcome=OUTCOME[v], text=r.explain)
                         for v in (True, False, None)} for r in reqs)
        return cls(agreement, reqs, tuple(r.compiled.fn for r in reqs if r.compiled), conds, reasons,
                   tuple(r.explain for r in reqs), tuple(u.text for u in agreement.unknowns))


def _applies(rule: Rule, facts: Facts) -> bool:
    return rule.compiled is None or rule.compiled.fn(facts) is True


def _missing(course: Course) -> list[str]:
    """The facts that keep an undecided course's requirements unknown, each once, in the requirements' order."""
    missing: list[str] = []
    for rule, value in zip(course.ruleset.requirements, course.outcomes, strict=True):
        if value is None and rule.compiled is not None:
            missing.extend(x for x in rule.compiled.needed(course.facts) if x not in missing)
    return missing


def _conditions(rules: RuleSet, facts: Facts) -> list[str]:
    """The conditions that apply to the course (consent someone must still give)."""
    return [r.condition for r in rules.conditions if r.condition and _applies(r, facts)]


PARTY_RULE = "kommunen_er_part"  # the reason's id when the municipality is not a party to the agreement


class Eligibility:
    """The answer to "may this course be handed over to the municipality?"."""

    __slots__ = ("_ruleset", "accession", "agreement", "conditions", "eligible", "missing", "notes", "outcomes",
                 "party", "rules")

    def __init__(self, course: Course) -> None:
        """The eligibility view of an evaluated course."""
        rules = self._ruleset = course.ruleset
        self.agreement = rules.agreement
        self.eligible = eligible = course.covered
        self.outcomes = list(course.outcomes)
        self.missing: list[str] = _missing(course) if eligible is None else []
        self.conditions = _conditions(rules, course.facts) if rules.conditions else []
        self.rules = rules.requirements
        self.accession = course.accession  # the accession answer, where the agreement is joined one by one
        self.party = course.party  # why the municipality is not a party to the agreement, if it is not
        self.notes: list[ReasonJSON] = []  # what the engine does not know (a revision's entry into force)

    @property
    def region(self) -> str:
        return self.agreement.region

    @property
    def revision(self) -> str:
        return self.agreement.revision

    def reasons(self) -> list[ReasonJSON]:
        """The party check (when it fails), then each requirement's outcome with its section and Danish explanation."""
        # Each requirement's reason for each outcome is built once, by ``RuleSet.build``: an answer copies them.
        reasons: list[ReasonJSON] = list(map(dict.copy, map(getitem, self._ruleset.reasons, self.outcomes)))  # type: ignore[arg-type]
        if self.notes or self.party:
            self._note(reasons)
        return reasons

    def _note(self, reasons: list[ReasonJSON]) -> None:
        """Put what the engine does not know, and the failed party check, before the requirements' reasons."""
        if self.notes:
            reasons[:0] = [note.copy() for note in self.notes]
        if self.party:
            section = self.agreement.parties.get("section", "")
            reasons.insert(0, ReasonJSON(rule=PARTY_RULE, section=section, outcome="failed", text=self.party))

    def to_dict(self) -> EligibilityJSON:
        """The JSON contract shared by the CLI and the API."""
        agreement = self.agreement
        return {
            "region": agreement.region, "revision": agreement.revision, "content_hash": agreement.content_hash,
            "eligible": self.eligible, "reasons": self.reasons(), "missing": list(self.missing),
            "conditions": list(self.conditions),
            "unknowns": list(self._ruleset.unknowns),
            "accession": self.accession.copy() if self.accession is not None else None,  # shared by a book's courses
        }
