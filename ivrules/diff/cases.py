"""Two revisions → the cases that answer differently, each traced to the change that causes it.

Cases come from three places: the revisions' own examples; cases built
systematically around every limit either revision's rules mention (one fact
at a time on each example, and every combination of the facts a changed rule
reads); and cases a deterministic search finds (``ivrules.diff.search``), one
search per change that can alter an outcome, shrunk to the smallest case that
shows it. ``run_cases`` is the one function every front end uses, so the CLI,
its JSON and Markdown, the site and the API report the same cases and the same
counts for the same pair, on every run. Every case is kept as the raw facts a
user would send and is evaluated against each revision's rules directly (not
via its date), so a reported case can be re-checked by anyone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from ivrules.diff import search as case_search
from ivrules.diff import tariff as diff_tariff
from ivrules.diff.model import Change, Revision
from ivrules.engine.course import evaluate
from ivrules.errors import FactsError
from ivrules.lang import nodes as n
from ivrules.lang.cases import candidates, constants_by_fact, facts_of, grid, raw_value
from ivrules.lang.vocabulary import Fact

SEARCH_EXAMPLES = 150  # cases drawn per change searched: the default of every front end
MAX_CASES = 20  # cases listed per cause in the JSON (CLI and API); all are counted
GRID_LIMIT = 2_000  # combinations of one changed rule's facts


@dataclass(frozen=True)
class Answer:
    """What one revision answers for one case: the summary compared, and each part's outcome."""

    summary: dict[str, Any]  # {"eligible": …, "tariff": …, "total": …}
    rules: dict[str, bool | None]  # each requirement's outcome, by rule id
    parts: dict[str, Any]  # tariff change id → that part's outcome (absent: not used), to trace a cause


class CaseJSON(TypedDict):
    """Et forløb, der får et andet svar: fakta, svaret før og efter, og de ændringer, der er årsagen."""

    facts: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    because: list[str]
    origin: str
    """eksempel, register, grænse eller søgning."""


class GroupJSON(TypedDict):
    """En gruppe forløb med samme årsag, og hvor mange de er."""

    because: list[str]
    count: int


class CountsJSON(TypedDict):
    """Tallene i "X af Y afprøvede"."""

    changed: int
    tried: int


@dataclass(frozen=True)
class Case:
    """A case whose answer differs between the revisions."""

    facts: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    because: tuple[str, ...]  # ids of the changes that cause it
    origin: str  # eksempel | register | grænse | søgning

    @property
    def size(self) -> tuple[int, int, str]:
        return case_search.size(self.facts)

    def to_dict(self) -> CaseJSON:
        return {"facts": self.facts, "before": self.before, "after": self.after, "because": list(self.because),
                "origin": self.origin}


@dataclass
class CaseReport:
    """Every case tried and every case that differs, grouped by cause, smallest first."""

    tried: int
    groups: list[tuple[tuple[str, ...], list[Case]]]
    limit: int | None = None  # cases listed per group (all are counted)

    @property
    def cases(self) -> list[Case]:
        return [case for _, cases in self.groups for case in cases]

    def to_list(self) -> list[CaseJSON]:
        return [case.to_dict() for _, cases in self.groups for case in cases[: self.limit]]

    def counts(self) -> CountsJSON:
        """``{"changed", "tried"}``: the numbers of "X af Y afprøvede" in every front end."""
        return {"changed": len(self.cases), "tried": self.tried}

    def groups_to_list(self) -> list[GroupJSON]:
        return [GroupJSON(because=list(because), count=len(cases)) for because, cases in self.groups]


def run_cases(old: Revision, new: Revision, changes: list[Change], search: int = SEARCH_EXAMPLES,
              limit: int | None = None, extra: Iterable[dict[str, Any]] = ()) -> CaseReport:
    """Evaluate both revisions on examples, boundary cases and searched cases; keep those that differ.

    ``tried`` counts each distinct case once, whichever source gave it."""
    watched = [c for c in changes if c.can_change_outcome]
    trial = Trial(old, new, watched)
    bases = [_clean(f) for f in example_facts(old, new)]
    for origin, facts in _sources(old, new, bases, watched, list(extra)):
        trial.case(facts, origin)
    found = trial.found()
    if search and watched:
        found += search_cases(old, new, watched, search, trial)[0]
    return CaseReport(trial.count, group(found, changes), limit)


@dataclass
class Trial:
    """Every distinct case evaluated for one pair of revisions, each evaluated once."""

    old: Revision
    new: Revision
    watched: list[Change]
    seen: dict[str, Case | None] = field(default_factory=dict)  # canonical facts → the case, if it differs

    @property
    def count(self) -> int:
        return len(self.seen)

    def case(self, facts: dict[str, Any], origin: str) -> Case | None:
        """The case, when the revisions answer it differently (evaluated the first time only)."""
        key = canonical(facts)
        if key not in self.seen:
            self.seen[key] = compare(self.old, self.new, facts, self.watched, origin)
        return self.seen[key]

    def found(self) -> list[Case]:
        return [case for case in self.seen.values() if case is not None]


def _sources(old: Revision, new: Revision, bases: list[dict[str, Any]], watched: list[Change],
             extra: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for facts in bases:
        yield "eksempel", facts
    for facts in extra:
        yield "register", _clean(facts)
    if watched:
        for facts in boundary_cases(old, new, bases, watched):
            yield "grænse", facts
        for facts in diff_tariff.tariff_cases(old, new, bases):
            yield "grænse", _clean(facts)


def example_facts(*revisions: Revision) -> list[dict[str, Any]]:
    """The facts of every example of the revisions, as JSON names and values."""
    return [jsonable(rev.vocabulary.json_names(e.facts)) for rev in revisions for e in rev.agreement.examples]


def answer(rev: Revision, facts: dict[str, Any]) -> Answer | None:
    """Evaluate raw facts against one revision's rules; None when the facts are not acceptable."""
    try:
        typed = rev.vocabulary.normalise(facts)
    except FactsError:
        return None
    result = evaluate(rev.ruleset, rev.vocabulary, typed).eligibility
    summary: dict[str, Any] = {"eligible": result.eligible}
    parts: dict[str, Any] = {}
    diff_tariff.answer_tariff(rev, typed, summary, parts)
    rules = {r.id: v for r, v in zip(result.rules, result.outcomes, strict=True)}
    return Answer(summary, rules, parts)


def compare(old: Revision, new: Revision, facts: dict[str, Any], watched: list[Change],
            origin: str = "eksempel") -> Case | None:
    """The case, when the two revisions answer it differently; else None."""
    before, after = answer(old, facts), answer(new, facts)
    if before is None or after is None or before.summary == after.summary:
        return None
    return Case(facts, before.summary, after.summary, causes(before, after, watched), origin)


def causes(before: Answer, after: Answer, watched: list[Change]) -> tuple[str, ...]:
    """The changes that make the answers differ, in the order of the changes.

    For eligibility: the changed rules whose outcome differs (a rule a revision lacks counts as
    passed); of those, the ones without which the new answer would not differ, when there are any.
    For the price: the tariff parts whose outcome differs."""
    found: set[str] = set()
    if before.summary["eligible"] != after.summary["eligible"]:
        found |= _rule_causes(before, after, [c for c in watched if c.subject == "rule" and c.rule])
    if _price(before.summary) != _price(after.summary):
        found |= {c.id for c in watched if c.subject == "tariff" and before.parts.get(c.id) != after.parts.get(c.id)}
    return tuple(c.id for c in watched if c.id in found)


def _price(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "eligible"}


def _rule_causes(before: Answer, after: Answer, changed: list[Change]) -> set[str]:
    differing = [c for c in changed if before.rules.get(c.rule or "", True) != after.rules.get(c.rule or "", True)]
    necessary = {c.id for c in differing
                 if kleene({**after.rules, c.rule or "": before.rules.get(c.rule or "", True)}.values())
                 != after.summary["eligible"]}
    return necessary or {c.id for c in differing}


def kleene(values: Iterable[bool | None]) -> bool | None:
    """The conjunction of three-valued outcomes: False if any fails, else None if any is unknown."""
    seen = list(values)
    return False if False in seen else (None if None in seen else True)


def group(found: list[Case], changes: list[Change]) -> list[tuple[tuple[str, ...], list[Case]]]:
    """Cases by cause (in the order of the changes), each group smallest case first, no duplicates."""
    order = {c.id: i for i, c in enumerate(changes)}
    groups: dict[tuple[str, ...], dict[str, Case]] = {}
    for case in found:
        groups.setdefault(case.because, {}).setdefault(canonical(case.facts), case)
    keys = sorted(groups, key=lambda k: ([order.get(i, len(order)) for i in k], k))
    return [(k, sorted(groups[k].values(), key=lambda c: c.size)) for k in keys]


# --- building cases ------------------------------------------------------------------------------------


def _limits(old: Revision, new: Revision) -> tuple[list[Fact], dict[str, set[Any]]]:
    """The facts either revision reads (rules and tariff) and the constants its rules compare them with."""
    exprs = diff_tariff.all_exprs(old) + diff_tariff.all_exprs(new)
    vocab = new.vocabulary
    read = {f.name for f in facts_of(exprs, vocab)} | diff_tariff.tariff_reads(old) | diff_tariff.tariff_reads(new)
    return [f for f in vocab.facts.values() if f.name in read], constants_by_fact(exprs, vocab)


def change_facts(change: Change, old: Revision, new: Revision) -> set[str]:
    """The facts a case must give for this change to show in it."""
    if change.id.startswith("tariff"):
        return diff_tariff.change_facts(change.id, old, new)
    return {f.name for f in facts_of(_rule_exprs(change, old, new), new.vocabulary)}


def _rule_exprs(change: Change, old: Revision, new: Revision) -> list[n.Expr]:
    """The expressions of the rule a change is about, in either revision."""
    return [r.expr for rev in (old, new) for r in rev.agreement.rules
            if change.rule is not None and r.id == change.rule and r.expr is not None]


def boundary_cases(old: Revision, new: Revision, bases: list[dict[str, Any]],
                   watched: list[Change]) -> Iterator[dict[str, Any]]:
    """Each example with one fact moved to every side of every limit (or left out), then the
    combinations of the facts each changed rule reads, alone and on each example."""
    vocab = new.vocabulary
    facts, constants = _limits(old, new)
    pools = {f.name: [raw_value(f, v) for v in candidates(f, constants.get(f.name, set()), vocab)] for f in facts}
    for base in bases:
        for name, pool in pools.items():
            for value in [*pool, None]:
                yield _clean({**base, name: value})
    for combo in _changed_rule_grids(old, new, watched, constants):
        yield combo
        for base in bases:
            yield _clean({**base, **combo})


def _changed_rule_grids(old: Revision, new: Revision, watched: list[Change],
                        constants: dict[str, set[Any]]) -> Iterator[dict[str, Any]]:
    vocab = new.vocabulary
    for change in watched:
        exprs = _rule_exprs(change, old, new)
        if not exprs:
            continue
        facts = facts_of(exprs, vocab)
        combos = grid(facts, constants, vocab, limit=GRID_LIMIT)
        for combo in combos or ():
            yield {f.name: raw_value(f, combo[f.name]) for f in facts}


def search_cases(old: Revision, new: Revision, watched: list[Change], examples: int,
                 trial: Trial | None = None) -> tuple[list[Case], int]:
    """For each change, the smallest case the deterministic search (``ivrules.diff.search``) finds
    that the change answers differently, and how many distinct cases were tried in all."""
    trial = trial if trial is not None else Trial(old, new, watched)
    facts_read, constants = _limits(old, new)
    space = case_search.Space.of(facts_read, constants, new.vocabulary)
    found = []
    for change in watched:
        def shows(facts: dict[str, Any], target: str = change.id) -> bool:
            case = trial.case(facts, "søgning")
            return case is not None and target in case.because

        facts = case_search.find(space, change_facts(change, old, new), shows, examples, change.id)
        case = trial.case(facts, "søgning") if facts is not None else None
        if case is not None:
            found.append(replace(case, origin="søgning"))
    return found, trial.count


# --- JSON values ---------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Facts as JSON values: dates as ÅÅÅÅ-MM-DD, numbers that are not integers as text."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _clean(facts: dict[str, Any]) -> dict[str, Any]:
    """Leave out facts given as null: they are the same question as facts not given."""
    return {k: v for k, v in facts.items() if v is not None}


def canonical(facts: dict[str, Any]) -> str:
    return json.dumps(facts, sort_keys=True, ensure_ascii=False)
