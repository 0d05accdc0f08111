"""Compiled agreement + normalised facts → an answer with its reasons.

Eligibility is the Kleene conjunction of the agreement's requirements:
``False`` as soon as one requirement fails on the known facts (even if others
are unknown), ``None`` while some requirement is unknown, ``True`` when all
pass. Conditions (consent someone must still give) are listed beside the
answer, never folded into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivrules.lang.compiler import Facts
from ivrules.model.agreement import Agreement, Rule

OUTCOME = {True: "passed", False: "failed", None: "unknown"}


@dataclass(frozen=True)
class RuleSet:
    """The executable part of one agreement, laid out for the hot path."""

    agreement: Agreement
    requirements: tuple[Rule, ...]
    fns: tuple[Any, ...]
    conditions: tuple[Rule, ...]
    # Each requirement's reason for each outcome, built once: an answer copies them.
    reasons: tuple[dict[bool | None, dict[str, str]], ...] = ()

    @classmethod
    def build(cls, agreement: Agreement) -> RuleSet:
        reqs = tuple(r for r in agreement.rules if r.kind == "requirement" and r.compiled is not None)
        conds = tuple(r for r in agreement.rules if r.kind == "condition")
        reasons = tuple({v: {"rule": r.id, "section": r.section, "outcome": OUTCOME[v], "text": r.explain}
                         for v in (True, False, None)} for r in reqs)
        return cls(agreement, reqs, tuple(r.compiled.fn for r in reqs if r.compiled), conds, reasons)

    def evaluate(self, facts: Facts) -> Eligibility:
        """Evaluate every requirement once; explanations are built only when asked for."""
        outcomes = [fn(facts) for fn in self.fns]
        eligible = False if False in outcomes else (None if None in outcomes else True)
        missing: list[str] = []
        if eligible is None:
            for rule, value in zip(self.requirements, outcomes, strict=True):
                if value is None and rule.compiled is not None:
                    missing.extend(x for x in rule.compiled.needed(facts) if x not in missing)
        conditions = [r.condition for r in self.conditions if r.condition and _applies(r, facts)] \
            if self.conditions else []
        return Eligibility(self.agreement, eligible, outcomes, missing, conditions, self.requirements, self.reasons)


def _applies(rule: Rule, facts: Facts) -> bool:
    return rule.compiled is None or rule.compiled.fn(facts) is True


class Eligibility:
    """The answer to "may this course be handed over to the municipality?"."""

    __slots__ = ("_reasons", "accession", "agreement", "conditions", "eligible", "missing", "outcomes", "rules")

    def __init__(self, agreement: Agreement, eligible: bool | None, outcomes: list[bool | None],
                 missing: list[str], conditions: list[str], rules: tuple[Rule, ...],
                 reasons: tuple[dict[bool | None, dict[str, str]], ...] = ()) -> None:
        self.agreement = agreement
        self._reasons = reasons
        self.eligible = eligible
        self.outcomes = outcomes
        self.missing = missing
        self.conditions = conditions
        self.rules = rules
        # Set by the book when the agreement is joined municipality by municipality (ivrules.model.accession).
        self.accession: dict[str, Any] | None = None

    @property
    def region(self) -> str:
        return self.agreement.region

    @property
    def revision(self) -> str:
        return self.agreement.revision

    def reasons(self) -> list[dict[str, str]]:
        """Each requirement's outcome with its section and Danish explanation."""
        if self._reasons:
            return [by_outcome[v].copy() for by_outcome, v in zip(self._reasons, self.outcomes, strict=True)]
        return [{"rule": r.id, "section": r.section, "outcome": OUTCOME[v], "text": r.explain}
                for r, v in zip(self.rules, self.outcomes, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract shared by the CLI and the API."""
        return {
            "region": self.region, "revision": self.revision, "content_hash": self.agreement.content_hash,
            "eligible": self.eligible, "reasons": self.reasons(), "missing": list(self.missing),
            "conditions": list(self.conditions),
            "unknowns": [u.text for u in self.agreement.unknowns],
            "accession": self.accession,
        }
