"""A deterministic search for one case that shows a change, then shrunk to the smallest such case.

Cases are drawn from a pseudo-random generator seeded from the change's id, so
the same pair of revisions gives the same cases on every run, in every front
end (CLI, JSON, Markdown, the site, the API) and on every machine: Python's
Mersenne Twister gives the same ``random()`` sequence for the same integer seed,
and only ``random()`` is used. Values are taken near the limits the rules state
half the time, else from the whole range of valid values. No third-party
library is needed.

The search knows facts and values only; whether a case shows the change is the
caller's ``shows``, which also counts the cases tried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ivrules.lang.cases import candidates, raw_value
from ivrules.lang.vocabulary import Fact, Vocabulary

Facts = dict[str, Any]
FIRST_DAY, DAYS = dt.date(2018, 1, 1), 13 * 365  # dates drawn from 2018 to 2030
LONGEST_COURSE = 40  # days from a course's start date to its end date, at most
LARGEST_NUMBER = 120
MINUTES_A_DAY = 24 * 60


def size(facts: Facts) -> tuple[int, int, str]:
    """How big a case is: its number of facts, then the length of its JSON (smaller is simpler)."""
    text = json.dumps(facts, sort_keys=True, ensure_ascii=False)
    return len(facts), len(text), text


def seed(ident: str) -> int:
    """A seed that depends on the text only (``hash()`` of a string changes from run to run)."""
    return int.from_bytes(hashlib.sha256(ident.encode("utf-8")).digest()[:8], "big")


@dataclass(frozen=True)
class Space:
    """The facts a case may give, each with the values near its limits (raw, as a question gives them)."""

    facts: tuple[Fact, ...]
    pools: dict[str, list[Any]]
    municipalities: tuple[str, ...]
    dates: tuple[str, str]  # the course's start and end date facts (the vocabulary's roles)

    @classmethod
    def of(cls, facts: list[Fact], constants: dict[str, set[Any]], vocab: Vocabulary) -> Space:
        pools = {f.name: [raw_value(f, v) for v in candidates(f, constants.get(f.name, set()), vocab)]
                 for f in facts}
        roles = vocab.roles
        return cls(tuple(facts), pools, tuple(sorted(vocab.municipalities)), (roles.start_date, roles.end_date))


def find(space: Space, required: set[str], shows: Callable[[Facts], bool], examples: int,
         ident: str) -> Facts | None:
    """The smallest case found that ``shows`` the change, after trying up to ``examples`` drawn cases."""
    rng = random.Random(seed(ident))
    for _ in range(examples):
        facts = draw(space, required, rng)
        if shows(facts):
            return shrink(facts, space, shows)
    return None


def draw(space: Space, required: set[str], rng: random.Random) -> Facts:
    """One case: the ``required`` facts always, each other fact half the time. A course's end date
    follows its start date by 0-39 days, and the two are given together."""
    names = {f.name for f in space.facts}
    start_fact, end_fact = space.dates
    dated = start_fact in names and end_fact in names
    out: Facts = {}
    for fact in space.facts:
        if dated and fact.name in space.dates:
            continue
        if fact.name in required or rng.random() < 0.5:
            value = _value(fact, space, rng)
            if value is not None:
                out[fact.name] = value
    if dated and (required & set(space.dates) or rng.random() < 0.5):
        start = dt.date.fromisoformat(str(_date(space.pools.get(start_fact, []), rng)))
        end = start + dt.timedelta(days=_below(LONGEST_COURSE, rng))
        out.update({start_fact: start.isoformat(), end_fact: end.isoformat()})
    return out


def _below(count: int, rng: random.Random) -> int:
    """A whole number from 0 to ``count - 1``, from ``random()`` alone (stable across Python versions)."""
    return min(int(rng.random() * count), count - 1)


def _pick(pool: list[Any], rng: random.Random) -> Any:
    return pool[_below(len(pool), rng)]


def _value(fact: Fact, space: Space, rng: random.Random) -> Any:
    pool = space.pools.get(fact.name, [])
    near = bool(pool) and rng.random() < 0.5
    if fact.type == "number":
        low, high = fact.limits or (0, LARGEST_NUMBER)
        smallest, largest = math.ceil(low), min(LARGEST_NUMBER, int(high))  # plausible only
        return _pick(pool, rng) if near else smallest + _below(largest - smallest + 1, rng)
    if fact.type == "date":
        return _date(pool, rng)
    if fact.type == "times":
        minutes = sorted(_below(MINUTES_A_DAY, rng) for _ in range(_below(6, rng)))
        return raw_value(fact, tuple(minutes))
    if fact.type == "municipality":
        return _pick(pool, rng) if near else _pick(list(space.municipalities), rng)
    return _pick(pool, rng) if pool else None


def _date(pool: list[Any], rng: random.Random) -> str:
    if pool and rng.random() < 0.5:
        return str(_pick(pool, rng))
    return (FIRST_DAY + dt.timedelta(days=_below(DAYS, rng))).isoformat()


def shrink(facts: Facts, space: Space, shows: Callable[[Facts], bool]) -> Facts:
    """Make a case smaller while it still shows the change: leave a fact out, or give it a value near
    a limit; repeat until neither helps. Every step makes the case strictly smaller, so it ends."""
    best = facts
    while True:
        smaller = next((c for c in _simpler(best, space) if size(c) < size(best) and shows(c)), None)
        if smaller is None:
            return best
        best = smaller


def _simpler(facts: Facts, space: Space) -> Iterator[Facts]:
    for name in sorted(facts):
        yield {k: v for k, v in facts.items() if k != name}
    for name in sorted(facts):
        for value in space.pools.get(name, []):
            if value != facts[name]:
                yield {**facts, name: value}
