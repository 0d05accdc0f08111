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
import contextlib
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ivrules import danish
from ivrules.engine.course import Course, evaluate, home_region, in_force_split, joined_split
from ivrules.engine.quote import Quote
from ivrules.engine.runtime import Eligibility, RuleSet
from ivrules.errors import AgreementError, Diagnostics, FactsError, NoRevisionError, NotJoinedError, UnknownRegionError
from ivrules.lang.vocabulary import Fact, Vocabulary
from ivrules.model.accession import Accession, AccessionJSON
from ivrules.model.agreement import Agreement
from ivrules.model.load import Model, read_model

# Accession answers kept by a Book: one per revision, municipality, stated answer and (only where the register makes
# the answer depend on it) date.
ACCESSIONS = 4_096
UNFOUND: Any = object()  # a key not in a table (where None is a value)


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
        # The revisions whose entry into force the sources give only roughly, by region.
        self._windows = {r: tuple(rs for rs in sets if rs.agreement.in_force_unknown is not None)
                         for r, sets in self.rulesets.items()}
        # Each revision's accession line (None: joined by the whole region at once), found once.
        self._lines = {(r, day): self.accession.line_for(r, day) for r, days in self._dates.items() for day in days}
        self._revisions = {(r, rs.agreement.effective): rs for r, sets in self.rulesets.items() for rs in sets}
        self._fallbacks = self._find_fallbacks()
        # An accession answer (its Danish text included) is the same for every course of a municipality that states
        # the same: decided once (``_accession``).
        self._accessions = functools.lru_cache(maxsize=ACCESSIONS)(self._accession)

    def _find_fallbacks(self) -> dict[tuple[str, dt.date], RuleSet | None]:
        """Each joined-one-by-one revision's fallback (None: none), found once. A fallback date with no revision in
        force is left out: ``_accede`` asks ``ruleset`` again, which raises its ``NoRevisionError``."""
        found: dict[tuple[str, dt.date], RuleSet | None] = {}
        for (region, day), line in self._lines.items():
            if line is not None:
                with contextlib.suppress(NoRevisionError):
                    found[region, day] = self._ruleset(region, line.fallback) if line.fallback is not None else None
        return found

    @property
    def regions(self) -> list[str]:
        return [r for r in self.vocabulary.regions if r in self.rulesets]

    def region_id(self, region: str) -> str:
        """The id of a loaded region named by its id, its Danish name or a common spelling ("Region Sjælland",
        "sjælland", "Sjaelland"); ``UnknownRegionError`` names the regions there are. Every method taking a
        region reads it through this, so the CLI, the API and the library accept the same spellings."""
        if region in self.rulesets:  # the id itself: the common case, one lookup
            return region
        found = self.vocabulary.region_id(region) if len(region) <= 100 else None
        if found is None or found not in self.rulesets:
            raise UnknownRegionError(region, [f"{self.vocabulary.regions.get(r, r)} ({r})" for r in self.regions])
        return found

    def agreements(self, region: str) -> list[Agreement]:
        """The region's revisions, oldest first."""
        return [rs.agreement for rs in self._sets(region)]

    def _sets(self, region: str) -> list[RuleSet]:
        return self.rulesets[self.region_id(region)]

    def validity(self, agreement: Agreement) -> Validity:
        """Its own ``until``, else the day before the region's next revision takes effect."""
        later = [a.effective for a in self.agreements(agreement.region) if a.effective > agreement.effective]
        end = agreement.until or (min(later) - dt.timedelta(days=1) if later else None)
        return Validity(agreement.effective, end)

    def ruleset(self, region: str, on: dt.date, skip: RuleSet | None = None) -> RuleSet:
        """The revision in force on ``on`` by the files' dates, leaving ``skip`` out (a revision whose entry into
        force the sources give only roughly, asked as not yet in force); ``NoRevisionError`` when there is none."""
        return self._ruleset(self.region_id(region), on, skip)

    def _ruleset(self, region: str, on: dt.date, skip: RuleSet | None = None) -> RuleSet:
        """``ruleset`` for a region id."""
        every = self.rulesets[region]
        sets, dates = every, self._dates[region]
        if skip is not None:
            sets = [rs for rs in every if rs is not skip]
            dates = [rs.agreement.effective for rs in sets]
        i = bisect.bisect_right(dates, on) - 1
        until = sets[i].agreement.until if i >= 0 else None
        if i < 0 or (until is not None and on > until):
            reason = sets[i].agreement.no_agreement_after if i >= 0 else ""
            raise NoRevisionError(region, on, [self.validity(rs.agreement).danish() for rs in every], reason,
                                  self.vocabulary.regions.get(region, region))
        return sets[i]

    def uncertain(self, region: str, on: dt.date) -> RuleSet | None:
        """The revision whose ``in_force_unknown`` period covers ``on`` (the sources do not say whether it was in
        force on that day), if any."""
        windows = self._windows.get(region)
        if not windows:  # most regions have none: no scan on the hot path
            return None
        return next((rs for rs in windows if rs.agreement.in_force_unknown.covers(on)), None)  # type: ignore[union-attr]

    def select(self, region: str, typed: Mapping[str, Any]) -> Choice:
        """The revision that applies to this course, and (for an agreement joined municipality by
        municipality) the accession answer saying whether the municipality had joined and what applies.
        Where the sources do not say whether a revision was in force yet, the question's answer to its
        ``in_force_unknown.fact`` decides (``Book.evaluate`` asks both ways when it does not)."""
        region, on = self.region_id(region), self._course_date(typed)
        return self._select(region, on, self.uncertain(region, on), typed)

    def _course_date(self, typed: Mapping[str, Any]) -> dt.date:
        """The date that picks the revision; ``FactsError`` when the question does not give it."""
        on: dt.date | None = typed.get(self.vocabulary.roles.course_date)
        if on is None:
            raise FactsError(self.vocabulary.roles.course_date, "mangler: datoen afgør, hvilken udgave af aftalen "
                                                                "der gælder (ÅÅÅÅ-MM-DD)")
        return on

    def _select(self, region: str, on: dt.date, window: RuleSet | None, typed: Mapping[str, Any]) -> Choice:
        """``select`` for a region id and the revision whose entry into force is unknown on ``on`` (``window``)."""
        return self._accede(region, on, self._chosen(region, on, window, typed), typed)

    def _chosen(self, region: str, on: dt.date, window: RuleSet | None, typed: Mapping[str, Any]) -> RuleSet:
        """The revision in force on ``on``, before accession: ``window`` where the question says it was in force."""
        if window is None:  # the common case: the files' dates alone decide
            return self._ruleset(region, on)
        stated = typed.get(window.agreement.in_force_unknown.fact) if window.agreement.in_force_unknown else None
        return window if stated is True else self._ruleset(region, on, window)

    def _accede(self, region: str, on: dt.date, chosen: RuleSet, typed: Mapping[str, Any]) -> Choice:
        """Which revision applies to the municipality, where ``chosen`` is joined municipality by municipality."""
        roles = self.vocabulary.roles
        key = region, chosen.agreement.effective
        line = self._lines[key]
        if line is None:
            return Choice(chosen)  # joined by the whole region at once
        municipality = typed.get(roles.municipality)
        if home_region(municipality, self.vocabulary) not in (None, region):
            return Choice(chosen)  # not a party at all: the party check answers, not the accession register
        fallback = self._fallbacks.get(key, UNFOUND)
        if fallback is UNFOUND:  # a fallback date with no revision in force: raises its NoRevisionError
            fallback = self.ruleset(region, line.fallback)  # type: ignore[arg-type]
        if fallback is not None and fallback.agreement.until is not None and on > fallback.agreement.until:
            fallback = None
        if municipality is None:
            return Choice(chosen, None, True, fallback)
        stated = typed.get(roles.municipality_joined)
        # Where the answer does not depend on the date, the line's own date stands for every date (one answer kept).
        day = on if line.depends_on_date(municipality, stated) else line.agreement
        choice, said = self._accessions(region, chosen.agreement.effective, municipality, day, stated,
                                        fallback.agreement.effective if fallback is not None else None)
        if choice is None:
            raise NotJoinedError(region, on, said["text"], self.vocabulary.regions.get(region, region))
        return choice

    def _accession(self, region: str, revision: dt.date, municipality: str, on: dt.date, stated: bool | None,
                   fallback: dt.date | None) -> tuple[Choice | None, AccessionJSON]:
        """Had ``municipality`` joined the line of ``region``'s revision ``revision`` on ``on``: the choice that
        follows (None: it had not, and no ``fallback`` revision applies) and the accession answer naming what then
        applies: that revision, the fallback, or (not joined, or not known) none. Every argument can be a key:
        ``Book._accessions`` keeps the answers."""
        decision = self._lines[region, revision].decide(municipality, on, stated)  # type: ignore[union-attr]
        chosen = self._revisions[region, revision]
        other = self._revisions[region, fallback] if fallback is not None else None
        if decision.joined:
            said = decision.to_dict(chosen.agreement)
            return Choice(chosen, said), said
        said = decision.to_dict(other.agreement if decision.joined is False and other is not None else None)
        if decision.joined is None:  # not known: both ways
            return Choice(chosen, said, True, other), said
        return (Choice(other, said) if other is not None else None), said

    def agreement(self, region: str, on: dt.date) -> Agreement:
        return self.ruleset(region, on).agreement

    def normalise(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Raw facts → typed facts (``FactsError`` names a bad field)."""
        return self.vocabulary.normalise(facts)

    def evaluate(self, region: str, facts: Mapping[str, Any]) -> Course:
        """Evaluate one course once: the revision that applies, every rule, the party check, accession, price."""
        if region not in self.rulesets:  # not the id itself: a name or another spelling
            region = self.region_id(region)
        typed = self.vocabulary.normalise(facts)
        on = typed.get(self.vocabulary.roles.course_date) or self._course_date(typed)
        window = self.uncertain(region, on) if self._windows[region] else None
        rule = window.agreement.in_force_unknown if window is not None else None
        if window is None or rule is None or typed.get(rule.fact) is not None:
            return self._course(region, typed, on, window)
        # The sources do not say whether ``window`` was in force on the day: answer both ways.
        mine = self._course(region, {**typed, rule.fact: True}, on, window)
        try:
            other: Course | None = self._course(region, {**typed, rule.fact: False}, on, window)
        except (NoRevisionError, NotJoinedError):
            other = None
        asked = self.vocabulary.facts[rule.fact].label
        return mine.either(in_force_split(rule, window.agreement, other.ruleset.agreement if other else None, asked),
                           other)

    def _course(self, region: str, typed: dict[str, Any], on: dt.date, window: RuleSet | None) -> Course:
        """One evaluation under the revision that applies (both ways where the municipality's accession is unknown);
        ``window``: the revision whose entry into force is unknown on ``on``, the course's date (``uncertain``)."""
        chosen = self._ruleset(region, on) if window is None else self._chosen(region, on, window, typed)
        if self._lines[region, chosen.agreement.effective] is None:  # joined by the whole region at once (the hot path)
            return evaluate(chosen, self.vocabulary, typed)
        choice = self._accede(region, on, chosen, typed)
        course = evaluate(choice.ruleset, self.vocabulary, typed, choice.accession)
        if not choice.undecided:
            return course
        other = evaluate(choice.otherwise, self.vocabulary, typed) if choice.otherwise is not None else None
        split = joined_split(choice.accession, choice.ruleset.agreement,
                             choice.otherwise.agreement if choice.otherwise else None, self.vocabulary)
        return course.either(split, other)

    def eligibility(self, region: str, facts: Mapping[str, Any]) -> Eligibility:
        """May this course be handed over to the municipality? True, False or None with reasons."""
        return self.evaluate(region, facts).eligibility

    def tariff(self, region: str, facts: Mapping[str, Any]) -> Quote:
        """What does the course cost and who pays? A ``Quote`` (status, total, shares, lines, reasons)."""
        roles = self.vocabulary.roles
        if self._given(facts, roles.course_date) is None and self._given(facts, roles.start_date) is None:
            raise FactsError(roles.start_date, "mangler: startdatoen afgør, hvilken udgave af aftalen der gælder")
        try:
            return self.evaluate(region, facts).quote
        except FactsError as exc:  # from pricing: named as the question named the fact
            raise self.vocabulary.as_given(exc, facts) from None

    def _given(self, facts: Mapping[str, Any], name: str) -> Any:
        """A raw fact given by its JSON name or its Danish term (None: not given)."""
        value = facts.get(name)
        return value if value is not None else facts.get(self.vocabulary.facts[name].term)

    def facts(self, region: str, on: dt.date | None = None) -> list[Fact]:
        """The facts the region's rules may ask for (all revisions, or the one in force on ``on``)."""
        region = self.region_id(region)
        sets = [self.ruleset(region, on)] if on else self._sets(region)
        roles = self.vocabulary.roles
        used: set[str] = {roles.course_date, roles.municipality}
        if region in self.accession.regions():
            used.add(roles.municipality_joined)
        for rs in self._sets(region):
            window = rs.agreement.in_force_unknown
            if window is not None and (on is None or window.covers(on)):
                used.add(window.fact)
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
