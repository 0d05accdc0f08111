"""The vocabulary, the rule language's type environment: declared facts, and raw facts → normalised facts.

Every fact a rule may use is declared once, for every region: its JSON name,
the Danish term rules use, a type, a unit, a label and the question a doctor
is asked. ``Vocabulary.normalise`` turns a question's raw facts (JSON or CSV
values) into typed values and derives the facts that follow from others.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal, NotRequired, TypedDict, get_args

from ivrules.errors import FactsError, did_you_mean
from ivrules.source import Span

FactType = Literal["bool", "number", "enum", "date", "times", "municipality"]
TYPES: tuple[FactType, ...] = get_args(FactType)
TRUE_WORDS = {"true": True, "ja": True, "1": True, "false": False, "nej": False, "0": False}


class ValueJSON(TypedDict):
    """En tilladt værdi: JSON-værdien, reglernes term og den danske tekst."""

    value: str
    term: str
    label: str


class FactJSON(TypedDict):
    """Et spørgsmål, der kan stilles: faktummets navn, type, danske tekster og tilladte værdier."""

    name: str
    term: str
    type: FactType
    label: str
    question: str
    unit: NotRequired[str]
    values: NotRequired[list[ValueJSON]]
    """De tilladte værdier (for et kommunespørgsmål: regionens kommuner)."""
    derived_from: NotRequired[list[str]]
    """De fakta, faktummet udledes af."""


@dataclass(frozen=True)
class Value:
    """A named value of an enumerated fact: JSON value, rule term and label."""

    name: str
    term: str
    label: str


@dataclass(frozen=True)
class Fact:
    """One declared fact."""

    name: str
    term: str
    type: FactType
    label: str
    question: str
    unit: str | None = None
    values: tuple[Value, ...] = ()
    derive: tuple[str, tuple[str, ...]] | None = None
    statement: str | None = None
    negation: str | None = None
    span: Span | None = field(default=None, compare=False, repr=False)
    limits: tuple[int | Decimal, int | Decimal] | None = None  # a number fact's plausible values (``range:``)

    def value_by_term(self, term: str) -> Value | None:
        return next((v for v in self.values if v.term == term or v.name == term), None)

    def to_dict(self) -> FactJSON:
        out: FactJSON = {"name": self.name, "term": self.term, "type": self.type,
                         "label": self.label, "question": self.question}
        if self.unit:
            out["unit"] = self.unit
        if self.values:
            out["values"] = [ValueJSON(value=v.name, term=v.term, label=v.label) for v in self.values]
        if self.derive:
            out["derived_from"] = list(self.derive[1])
        return out


# The parts the engine gives facts, and the type each part's fact must have (vocabulary.yaml's ``roles:``).
ROLE_TYPES = {
    "course_date": "date",  # picks the revision in force
    "municipality": "municipality",  # the party that takes over the course
    "start_date": "date",  # first day of the municipal course
    "end_date": "date",  # last day of the course
    "days_without_dose": "number",  # days of the course without a dose (billed as dose days)
    "registered_minutes": "number",  # time the municipality registered (priced per minute)
    "municipality_joined": "bool",  # the municipality's own answer where accession is not listed
}


@dataclass(frozen=True)
class Roles:
    """Which declared fact plays each part the engine knows of; the engine reads facts through these, never by name."""

    course_date: str
    municipality: str
    start_date: str
    end_date: str
    days_without_dose: str
    registered_minutes: str
    municipality_joined: str


@dataclass(frozen=True)
class Municipality:
    name: str
    code: int
    region: str
    island: bool


# What a comparison topic may catch, and the parts of the tariff model a topic may show.
CATCHES = ("negated", "other", "without_rule")
MODEL_PARTS = ("tariff", "financing")


@dataclass(frozen=True)
class Topic:
    """One row of the comparison and what decides what belongs in it."""

    id: str
    title: str
    facts: tuple[str, ...] = ()
    catches: str | None = None  # one of CATCHES
    model: str | None = None  # one of MODEL_PARTS
    span: Span | None = field(default=None, compare=False, repr=False)

    @property
    def about(self) -> tuple[str, ...]:
        """What an agreement's unknown may be ``about`` to belong here: the facts, or the model part."""
        return (*self.facts, self.model) if self.model else self.facts


class Vocabulary:
    """The declared facts, by JSON name and by Danish term; the municipalities; the regions (id → Danish name)."""

    def __init__(self, facts: list[Fact], municipalities: Mapping[str, Municipality], roles: Roles,
                 regions: Mapping[str, str] | None = None, topics: tuple[Topic, ...] = ()) -> None:
        self.facts = {f.name: f for f in facts}
        self.roles = roles
        self.by_term = {f.term: f for f in facts}
        self.municipalities = dict(municipalities)
        self.regions = dict(regions or {})  # from regions.yaml, in its order (ivrules.model.regions)
        self.topics = topics  # the comparison's rows: vocabulary.yaml's ``topics:`` (ivrules.model.topics)
        self._parsers = {f.name: self._parser(f) for f in facts}
        # Derived facts are filled in declaration order (see vocabulary.yaml).
        self._derived = [(f.name, DERIVATIONS[f.derive[0]], f.derive[1]) for f in facts if f.derive]

    def _parser(self, fact: Fact) -> Callable[[Any], Any]:
        """A parser for one fact's raw values, with the common case first (this is the hot path)."""
        name, general = fact.name, _PARSERS[fact.type]
        if fact.type == "enum":
            return _enum_parser(name, frozenset(v.name for v in fact.values), general)
        if fact.type == "municipality":
            return _municipality_parser(name, self.municipalities, general)
        if fact.type == "number" and fact.limits is not None:
            return _number_parser(name, fact.limits, fact.unit, general)
        fast = _FAST_PATHS.get(fact.type)
        if fast is not None:
            return fast(name, general)
        return lambda value: general(name, value)

    def normalise(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Raw facts → typed facts, with derived facts filled in; ``FactsError`` names a bad field."""
        out: dict[str, Any] = {}
        parsers = self._parsers
        for key, value in raw.items():
            parse = parsers.get(key)
            if parse is None:
                raise FactsError(key, "ukendt faktum", allowed=sorted(self.facts))
            if value is not None:
                out[key] = parse(value)
        for name, derive, args in self._derived:
            if name not in out:
                values = [out.get(a) for a in args]
                if None not in values:
                    result = derive(self, *values)
                    if result is not None:
                        out[name] = result
        return out


def _parse_bool(key: str, value: Any) -> bool:
    if value is True or value is False:
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS:
        return TRUE_WORDS[value.strip().lower()]
    raise FactsError(key, "skal være true eller false", allowed=["true", "false"])


MAX_NUMBER_CHARS = 30  # a number fact written longer than this is refused before it is converted
MAX_EXPONENT = 15  # |number| < 10**15: converting "1e1000000" to int would take half a minute


def _parse_number(key: str, value: Any) -> int | Decimal:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise FactsError(key, "skal være et tal, ikke true/false")
    if isinstance(value, int):
        return value
    text = str(value).strip() if isinstance(value, (str, float, Decimal)) else None
    if text is not None and len(text) > MAX_NUMBER_CHARS:
        raise FactsError(key, f"skal være et tal med højst {MAX_NUMBER_CHARS} tegn, fik {safe(value)}")
    try:
        number = Decimal(text) if text is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise FactsError(key, f"skal være et tal, fik {safe(value)}")
    if number and number.adjusted() >= MAX_EXPONENT:
        raise FactsError(key, f"tallet er for stort (fik {safe(value)})")
    return int(number) if number == number.to_integral_value() else number


def _number_parser(name: str, limits: tuple[int | Decimal, int | Decimal], unit: str | None,
                   general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    low, high = limits

    def number(value: Any) -> Any:
        parsed = value if type(value) is int else general(name, value)
        if not low <= parsed <= high:
            raise FactsError(name, f"skal være mellem {low} og {high}{' ' + unit if unit else ''}, fik {safe(value)}")
        return parsed

    return number


CPR_LIKE = re.compile(r"\d{6}")


def safe(value: Any, limit: int = 24) -> str:
    """A value as an error message may show it: cut when long, never a CPR-like run of digits."""
    text = value if isinstance(value, str) else str(value)
    if CPR_LIKE.search(text.replace("-", "").replace(" ", "")):
        return f"en værdi med {sum(c.isdigit() for c in text)} cifre (vises ikke)"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate cannot be printed
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(key: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise FactsError(key, "skal være en dato uden klokkeslæt, ÅÅÅÅ-MM-DD")
    if isinstance(value, dt.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    if DATE_LIKE.fullmatch(text):  # not echoed: it may be a birth date
        raise FactsError(key, "er ikke en dato, der findes (ÅÅÅÅ-MM-DD, fx 2021-02-28)")
    if DATE_LIKE.match(text):
        raise FactsError(key, "skal være en dato uden klokkeslæt, ÅÅÅÅ-MM-DD")
    raise FactsError(key, f"skal være en dato ÅÅÅÅ-MM-DD, fik {safe(value)}")


def _parse_text(key: str, value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise FactsError(key, f"skal være en tekst, fik {safe(value)}")


MAX_TIMES = 48  # dose times in a day


def _parse_times(key: str, value: Any) -> tuple[int, ...]:
    items = value.replace(",", ";").split(";") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise FactsError(key, "skal være en liste af klokkeslæt, fx [\"07:00\", \"15:00\"]")
    if isinstance(value, str):  # "07:00; 15:00;" — a trailing separator is no time
        items = [item for item in items if item.strip()]
    if len(items) > MAX_TIMES:
        raise FactsError(key, f"højst {MAX_TIMES} klokkeslæt, fik {len(items)}")
    return tuple(_clock(key, item) for item in items)


def _enum_parser(name: str, allowed: frozenset[str], general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    def enum(value: Any) -> Any:
        if value in allowed if isinstance(value, str) else False:
            return value
        text = general(name, value)
        if text not in allowed:
            raise FactsError(name, f"ukendt værdi {safe(text)}", allowed=sorted(allowed))
        return text

    return enum


def _municipality_parser(name: str, known: Mapping[str, Municipality],
                         general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    def municipality(value: Any) -> Any:
        if value in known if isinstance(value, str) else False:
            return value
        text = general(name, value)
        if text not in known:
            hint = did_you_mean(text, known) if len(text) <= 40 else None
            raise FactsError(name, f"ukendt kommune {safe(text)}" + (f"; {hint}" if hint else ""))
        return text

    return municipality


def _clock(key: str, item: Any) -> int:
    try:
        hours, minutes = str(item).strip().split(":")
        h, m = int(hours), int(minutes)
    except ValueError:
        h, m = -1, -1
    if not (0 <= h < 24 and 0 <= m < 60):
        raise FactsError(key, f"{safe(item)} er ikke et klokkeslæt TT:MM")
    return h * 60 + m


def _fast_bool(name: str, general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    return lambda v: v if v is True or v is False else general(name, v)


def _fast_number(name: str, general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    return lambda v: v if type(v) is int else general(name, v)


def _fast_date(name: str, general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    @lru_cache(maxsize=100_000)  # course dates repeat; parse each spelling once
    def from_text(value: str) -> Any:
        return general(name, value)

    return lambda v: from_text(v) if type(v) is str else general(name, v)


def _fast_times(name: str, general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    @lru_cache(maxsize=10_000)  # dose schedules repeat ("07:00", "15:00", "23:00"); parse each once
    def from_strings(value: tuple[str, ...]) -> Any:
        return general(name, list(value))

    def parse(value: Any) -> Any:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return from_strings(tuple(value))
        return general(name, value)

    return parse


# The common, already-typed case of a fact type, checked before the general parser (the hot path).
_FAST_PATHS: dict[str, Callable[[str, Callable[[str, Any], Any]], Callable[[Any], Any]]] = {
    "bool": _fast_bool, "number": _fast_number, "date": _fast_date, "times": _fast_times,
}

_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "bool": _parse_bool, "number": _parse_number, "enum": _parse_text,
    "date": _parse_date, "times": _parse_times, "municipality": _parse_text,
}


def _completed_years(vocab: Vocabulary, birth: dt.date, on: dt.date) -> int | None:
    if birth > on:
        return None
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return years


def _count(vocab: Vocabulary, items: tuple[int, ...]) -> int:
    return len(items)


def _island(vocab: Vocabulary, municipality: str) -> bool | None:
    found = vocab.municipalities.get(municipality)
    return found.island if found else None


# Derivations are generic functions of other facts; which fact uses which is data.
def _same(vocab: Vocabulary, value: Any) -> Any:
    return value


DERIVATIONS: dict[str, Callable[..., Any]] = {
    "same": _same, "completed_years": _completed_years, "count": _count, "island_municipality": _island,
}
