"""Agreement sources → a ``Book``: every region's revisions, compiled once, answering questions about courses.

``load("agreements")`` reads the model (``ivrules.model.load``) and raises every
mistake of every file together as one ``AgreementError``. A ``Book`` is the
facade over evaluation and pricing: ``evaluate`` picks the revision in force
(and, where the agreement is joined municipality by municipality, the one
that applies to the municipality) and evaluates the course once
(``ivrules.engine.course``); ``eligibility`` and ``tariff`` are views of that
one evaluation. A ``Book`` never re-parses.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from ivrules import danish
from ivrules.engine.course import Course, evaluate, home_region
from ivrules.engine.quote import Quote
from ivrules.engine.runtime import Eligibility, RuleSet
from ivrules.errors import AgreementError, Diagnostics, FactsError, NoRevisionError, NotJoinedError, UnknownRegionError
from ivrules.lang.vocabulary import Fact, Vocabulary
from ivrules.model.accession import Accession, AccessionJSON
from ivrules.model.agreement import Agreement
from ivrules.model.load import Model, read_model

MEMO = 65_536  # evaluations kept by a Book (a register repeats the same course many times)


@dataclass(frozen=True)
class Validity:
    """The period a revision is in force: from ``start`` to ``end`` (None: until further notice)."""

    start: dt.date
    end: dt.date | None

    def __str__(self) -> str:
        """'2020-06-01 – 2021-04-30', open-ended for the newest."""
        return f"{self.start.isoformat()} – {self.end.isoformat() if self.end else ''}".rstrip()

    def danish(self) -> str:
        """'1. juni 2020 – 30. april 2021', 'fra 1. maj 2021' for the newest: as a message for a person writes it."""
        start = danish.date(self.start)
        return f"{start} – {danish.date(self.end)}" if self.end else f"fra {start}"


# The types of fact values that can be part of the memo key (JSON's scalars, and dates from Python callers).
HASHABLE = frozenset({str, int, float, bool, type(None), dt.date, Decimal})


class Choice(NamedTuple):
    """The revision a course falls under, and the accession answer where the agreement is joined one by one."""

    ruleset: RuleSet
    accession: AccessionJSON | None = None
    # The register does not know whether the municipality had joined: ``ruleset`` applies if it had,
    # ``otherwise`` (None: no agreement) if it had not, and the answer is decided only where they agree.
    undecided: bool = False
    otherwise: RuleSet | None = None


@dataclass
class Book:
    """Every loaded agreement, by region, in order of the date each takes effect."""

    vocabulary: Vocabulary
    rulesets: dict[str, list[RuleSet]] = field(default_factory=dict)
    root: Path | None = None
    accession: Accession = field(default_factory=Accession)

    def __post_init__(self) -> None:
        self._dates = {r: [rs.agreement.effective for rs in sets] for r, sets in self.rulesets.items()}
        # Each revision's accession line (None: joined by the whole region at once), found once.
        self._lines = {(r, day): self.accession.line_for(r, day) for r, days in self._dates.items() for day in days}
        # Evaluations are immutable and depend only on the facts: the same question is answered once.
        self._memo = functools.lru_cache(maxsize=MEMO)(self._evaluate_key)

    @property
    def regions(self) -> list[str]:
        return [r for r in self.vocabulary.regions if r in self.rulesets]

    def agreements(self, region: str) -> list[Agreement]:
        """The region's revisions, oldest first."""
        return [rs.agreement for rs in self._sets(region)]

    def _sets(self, region: str) -> list[RuleSet]:
        sets = self.rulesets.get(region)
        if sets is None:
            raise UnknownRegionError(region, self.regions)
        return sets

    def validity(self, agreement: Agreement) -> Validity:
        """Its own ``until``, else the day before the region's next revision takes effect."""
        later = [a.effective for a in self.agreements(agreement.region) if a.effective > agreement.effective]
        end = agreement.until or (min(later) - dt.timedelta(days=1) if later else None)
        return Validity(agreement.effective, end)

    def ruleset(self, region: str, on: dt.date) -> RuleSet:
        """The revision in force on ``on``; ``NoRevisionError`` when there is none."""
        sets = self._sets(region)
        i = bisect.bisect_right(self._dates[region], on) - 1
        until = sets[i].agreement.until if i >= 0 else None
        if i < 0 or (until is not None and on > until):
            reason = sets[i].agreement.no_agreement_after if i >= 0 else ""
            raise NoRevisionError(region, on, [self.validity(rs.agreement).danish() for rs in sets], reason,
                                  self.vocabulary.regions.get(region, region))
        return sets[i]

    def select(self, region: str, typed: Mapping[str, Any]) -> Choice:
        """The revision that applies to this course, and (for an agreement joined municipality by
        municipality) the accession answer saying whether the municipality had joined and what applies."""
        roles = self.vocabulary.roles
        on = typed.get(roles.course_date)
        if on is None:
            raise FactsError(roles.course_date, "mangler: datoen afgør, hvilken udgave af aftalen der gælder "
                                                "(ÅÅÅÅ-MM-DD)")
        chosen = self.ruleset(region, on)
        line = self._lines[region, chosen.agreement.effective]
        municipality = typed.get(roles.municipality)
        home = home_region(municipality, self.vocabulary)
        if line is None or home not in (None, region):
            return Choice(chosen)  # not a party at all: the party check answers, not the accession register
        if municipality is None:
            raise FactsError(roles.municipality, f"mangler: aftalen af {line.agreement} tiltrædes kommune for "
                                                 "kommune, så kommunen afgør, hvilken aftale der gælder")
        decision = line.decide(municipality, on, typed.get(roles.municipality_joined))
        if decision.joined:
            return Choice(chosen, decision.to_dict(chosen.agreement))
        fallback = self.ruleset(region, line.fallback) if line.fallback is not None else None
        if fallback is not None and fallback.agreement.until is not None and on > fallback.agreement.until:
            fallback = None
        if decision.joined is None:
            return Choice(chosen, decision.to_dict(None), True, fallback)
        if fallback is None:
            raise NotJoinedError(region, on, decision.text(None), self.vocabulary.regions.get(region, region))
        return Choice(fallback, decision.to_dict(fallback.agreement))

    def agreement(self, region: str, on: dt.date) -> Agreement:
        return self.ruleset(region, on).agreement

    def normalise(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Raw facts → typed facts (``FactsError`` names a bad field)."""
        return self.vocabulary.normalise(facts)

    def evaluate(self, region: str, facts: Mapping[str, Any]) -> Course:
        """Evaluate one course once: the revision that applies, every rule, the party check, accession, price."""
        # The types are part of the key: 1 and True are equal, but only one of them is a number.
        types = tuple(map(type, facts.values()))
        if not HASHABLE.issuperset(types):  # a list (dose times), a set, a dict … cannot be a key
            return self._evaluate(region, facts)
        return self._memo(region, tuple(facts.items()), types)

    def _evaluate_key(self, region: str, items: tuple[tuple[str, Any], ...], types: tuple[type, ...]) -> Course:
        return self._evaluate(region, dict(items))

    def _evaluate(self, region: str, facts: Mapping[str, Any]) -> Course:
        typed = self.vocabulary.normalise(facts)
        choice = self.select(region, typed)
        course = evaluate(choice.ruleset, self.vocabulary, typed, choice.accession)
        if not choice.undecided:
            return course
        other = evaluate(choice.otherwise, self.vocabulary, typed) if choice.otherwise is not None else None
        return course.either(other)

    def eligibility(self, region: str, facts: Mapping[str, Any]) -> Eligibility:
        """May this course be handed over to the municipality? True, False or None with reasons."""
        return self.evaluate(region, facts).eligibility

    def tariff(self, region: str, facts: Mapping[str, Any]) -> Quote:
        """What does the course cost and who pays? A ``Quote`` (status, total, shares, lines, reasons)."""
        roles = self.vocabulary.roles
        if facts.get(roles.course_date) is None and facts.get(roles.start_date) is None:
            raise FactsError(roles.start_date, "mangler: startdatoen afgør, hvilken udgave af aftalen der gælder")
        return self.evaluate(region, facts).quote

    def facts(self, region: str, on: dt.date | None = None) -> list[Fact]:
        """The facts the region's rules may ask for (all revisions, or the one in force on ``on``)."""
        sets = [self.ruleset(region, on)] if on else self._sets(region)
        roles = self.vocabulary.roles
        used: set[str] = {roles.course_date, roles.municipality}
        if region in self.accession.regions():
            used.add(roles.municipality_joined)
        for rs in sets:
            used.update(rs.agreement.reads(price=False))
        for name in list(used):
            derive = self.vocabulary.facts[name].derive
            used.update(derive[1] if derive else ())
        return [f for f in self.vocabulary.facts.values() if f.name in used]


def load(*paths: str | Path, root: str | Path | None = None) -> Book:
    """Load, check and compile agreements: folders (every revision, with the accession register) or single files,
    against the vocabulary of ``root`` (default: the folder the first path belongs to). With no path, ``agreements``.
    Every mistake of every file is raised together as one ``AgreementError``."""
    diags = Diagnostics()
    model = read_model([Path(p) for p in paths or ("agreements",)], diags, Path(root) if root is not None else None)
    if diags:
        raise AgreementError(list(diags))
    return build(model)


def build(model: Model) -> Book:
    """Arrange a checked model for answering: each region's revisions in order, compiled once."""
    return from_agreements(model.vocabulary, model.agreements, model.root, model.accession)


def from_agreements(vocab: Vocabulary, agreements: Iterable[Agreement], root: Path | None = None,
                    accession: Accession | None = None) -> Book:
    by_region: dict[str, list[RuleSet]] = {}
    for agreement in sorted(agreements, key=lambda a: a.effective):
        by_region.setdefault(agreement.region, []).append(RuleSet.build(agreement))
    return Book(vocab, by_region, root, accession or Accession())
