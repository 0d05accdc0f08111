"""The vocabulary, the rule language's type environment: declared facts, and raw facts → normalised facts.

Every fact a rule may use is declared once, for every region: its JSON name,
the Danish term rules use, a type, a unit, a label and the question a doctor
is asked. ``Vocabulary.normalise`` turns a question's raw facts (JSON or CSV
values) into typed values and derives the facts that follow from others.

Each fact and each value has one Danish name (``term``), the name people write
and read: in rules, examples, ``--facts`` files and registers. The JSON name
(``name``, English) is the key of the normalised facts and of the ``/v1`` API,
and stays accepted as an alias wherever facts arrive. A rule accepts only the
Danish name; every "unknown name" suggests the Danish name across languages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
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
    whole: bool = False  # a number fact that counts something: whole numbers only (``whole: true``)

    def value_by_term(self, term: str) -> Value | None:
        """The value named ``term`` in either language (its Danish term or its JSON name)."""
        return next((v for v in self.values if v.term == term or v.name == term), None)

    def value_with_term(self, term: str) -> Value | None:
        """The value whose Danish term is ``term``: the only spelling a rule may use."""
        return next((v for v in self.values if v.term == term), None)

    def suggest_value(self, word: str) -> str | None:
        """A "mente du …?" naming the Danish term of the value ``word`` is, or is closest to, in either language."""
        return _suggest(word, {s: v.term for v in self.values for s in (v.name, v.term)})

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
        # Every spelling facts may arrive under → the JSON name: the Danish term, and the English name as an alias.
        # Built once; ``normalise`` only looks here for a key that is not a JSON name.
        self.names = {**{f.term: f.name for f in facts}, **{f.name: f.name for f in facts}}
        self.municipalities = dict(municipalities)
        self.regions = dict(regions or {})  # from regions.yaml, in its order (ivrules.model.regions)
        # Every spelling of a region a person may type (id, Danish name, without "Region", æ as ae …) → its id.
        self._region_keys = {region_key(s): r for r, name in self.regions.items() for s in (name, r)}
        self.topics = topics  # the comparison's rows: vocabulary.yaml's ``topics:`` (ivrules.model.topics)
        self._parsers = {f.name: self._parser(f) for f in facts}
        # Values that are already typed and valid, by fact: kept as they are without calling the parser.
        self._typed = {f.name: typed for f in facts if (typed := self._typed_values(f)) is not None}
        # Derived facts are filled in declaration order (see vocabulary.yaml).
        self._derived = [(f.name, DERIVATIONS[f.derive[0]], f.derive[1]) for f in facts if f.derive]

    def _parser(self, fact: Fact) -> Callable[[Any], Any]:
        """A parser for one fact's raw values, with the common case first (this is the hot path)."""
        name, general = fact.name, _PARSERS[fact.type]
        if fact.type == "enum":
            return _enum_parser(name, frozenset(v.name for v in fact.values), {v.term: v.name for v in fact.values},
                                general)
        if fact.type == "municipality":
            return _municipality_parser(name, self.municipalities, general)
        if fact.type == "number" and fact.limits is not None:
            return _number_parser(fact, general)
        fast = _FAST_PATHS.get(fact.type)
        if fast is not None:
            return fast(name, general)
        return lambda value: general(name, value)

    def _typed_values(self, fact: Fact) -> tuple[type, frozenset[Any]] | None:
        """The values of a fact that need no parsing, with their one type (1 is not True: the type is checked)."""
        if fact.type in ("enum", "municipality"):
            names = self.municipalities if fact.type == "municipality" else (v.name for v in fact.values)
            return str, frozenset(names)
        if fact.type == "bool":
            return bool, frozenset((True, False))
        low, high = fact.limits or (None, None)
        if fact.type == "number" and type(low) is int and type(high) is int and high - low <= MAX_TYPED_RANGE:
            return int, frozenset(range(low, high + 1))
        return None

    def region_id(self, spelling: str) -> str | None:
        """The id of the region ``spelling`` names: its id, its Danish name or a common spelling ("Region
        Midtjylland", "midtjylland", "sjælland", "Sjaelland"); None when it names none."""
        if spelling in self.regions:
            return spelling
        return self._region_keys.get(region_key(spelling))

    def fact(self, spelling: str) -> Fact | None:
        """The fact named ``spelling`` in either language (its Danish term or its JSON name)."""
        name = self.names.get(spelling)
        return self.facts[name] if name is not None else None

    def term(self, name: str) -> str:
        """The Danish term of a fact named in either language (the spelling itself when it names no fact)."""
        fact = self.fact(name)
        return fact.term if fact is not None else name

    def label(self, name: str) -> str:
        """The Danish label of a fact named in either language, as a person reads it (the spelling itself when it
        names no fact)."""
        fact = self.fact(name)
        return fact.label if fact is not None else name

    def suggest(self, word: str) -> str | None:
        """A "mente du …?" naming the Danish term of the fact ``word`` is, or is closest to, in either language."""
        return _suggest(word, {s: self.facts[name].term for s, name in self.names.items()})

    def json_names(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Raw facts with each fact and enumerated value named by its JSON name, the values otherwise as given
        (an example's facts, written in Danish, as the engine's cases and the ``/v1`` API name them)."""
        return self._renamed(raw, danish=False)

    def danish_names(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Raw facts with each fact and enumerated value named by its Danish term (as a person writes them)."""
        return self._renamed(raw, danish=True)

    def _renamed(self, raw: Mapping[str, Any], danish: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in raw.items():
            fact = self.fact(key)
            found = fact.value_by_term(value) if fact is not None and fact.values and isinstance(value, str) else None
            name = (fact.term if danish else fact.name) if fact is not None else key
            out[name] = (found.term if danish else found.name) if found is not None else value
        return out

    def normalise(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Raw facts (keyed by Danish term or JSON name) → typed facts by JSON name, with derived facts filled in;
        ``FactsError`` names a bad field."""
        out = dict(raw)  # the common case: a value already typed and valid is kept as it is (the hot path)
        known_to, parsers = self._typed.get, self._parsers
        try:
            for key, value in raw.items():
                known = known_to(key)
                if known is not None and type(value) is known[0] and value in known[1]:
                    continue
                parse = parsers.get(key)
                if parse is None or value is None:  # a Danish term, a mistake, or not given
                    self._rename(key, value, raw, out)
                else:
                    out[key] = parse(value)
        except FactsError as exc:
            raise self.as_given(exc, raw) from None
        for name, derive, args in self._derived:
            if name in out:
                continue
            if len(args) == 1:  # most derivations read one fact: no list, no call with *args (the hot path)
                value = out.get(args[0])
                result = derive(self, value) if value is not None else None
            else:
                values = [out.get(a) for a in args]
                result = derive(self, *values) if None not in values else None
            if result is not None:
                out[name] = result
        return out

    def _rename(self, key: str, value: Any, raw: Mapping[str, Any], out: dict[str, Any]) -> None:
        """Put the typed value of a fact given by its Danish term into ``out`` (a copy of ``raw``) under its JSON
        name; leave out a fact given as None; an unknown or twice-given fact is a ``FactsError``."""
        del out[key]
        if key not in self._parsers:
            key = self._alias(key, raw)
        if value is not None:
            out[key] = self._parsers[key](value)

    def as_given(self, exc: FactsError, raw: Mapping[str, Any]) -> FactsError:
        """``exc`` in the language of the question ``raw``: a fact it gave by its Danish term is named so."""
        return _as_given(exc, self.facts.get(exc.field), raw)

    def _alias(self, key: str, raw: Mapping[str, Any]) -> str:
        """The JSON name of a fact given by its Danish term; an unknown or twice-given fact is a ``FactsError``."""
        name = self.names.get(key)
        if name is None:  # the facts it may be, named in the language the question uses
            danish = any(k in self.by_term and k not in self.facts for k in raw)
            allowed = sorted(f.term for f in self.facts.values()) if danish else sorted(self.facts)
            raise FactsError(key, "ukendt faktum", allowed=allowed, hint=self.suggest(key) if len(key) <= 40 else None)
        if name in raw:
            raise FactsError(key, f"faktummet er givet to gange, som '{key}' og som '{name}'")
        return name


DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def region_key(text: str) -> str:
    """A region's name as compared: case, a leading "Region", spaces, hyphens and æ/ø/å written out do not matter."""
    key = " ".join(text.casefold().split())
    key = key.removeprefix("region ").translate(DANISH_LETTERS)
    return re.sub(r"[\s_-]+", "", key)


def _as_given(exc: FactsError, fact: Fact | None, raw: Mapping[str, Any]) -> FactsError:
    """The error in the language the question used: a fact given by its Danish term is named so, and so are the
    values it allows."""
    if fact is None or exc.field in raw or fact.term not in raw:
        return exc
    allowed = sorted(v.term for v in fact.values) if exc.allowed is not None and fact.values else exc.allowed
    return dataclasses.replace(exc, field=fact.term, allowed=allowed)


def _suggest(word: str, spellings: Mapping[str, str]) -> str | None:
    """The Danish name behind the spelling ``word`` is, or is closest to, as a "mente du …?"; None when it is the
    Danish name itself or nothing is close."""
    found = spellings.get(word)
    if found is None:
        close = difflib.get_close_matches(word, list(spellings), n=1, cutoff=0.6)
        found = spellings[close[0]] if close else None
    return f"mente du '{found}'?" if found is not None and found != word else None


def _parse_bool(key: str, value: Any) -> bool:
    if value is True or value is False:
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS:
        return TRUE_WORDS[value.strip().lower()]
    raise FactsError(key, "skal være true eller false", allowed=["true", "false"])


MAX_TYPED_RANGE = 2000  # a number fact's range up to this size is kept as a set of the valid whole numbers
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


def _number_parser(fact: Fact, general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    """A number fact's parser that refuses values outside its range, and fractions where it counts something."""
    assert fact.limits is not None
    name, (low, high), whole = fact.name, fact.limits, fact.whole

    def number(value: Any) -> Any:
        parsed = value if type(value) is int else general(name, value)
        if not low <= parsed <= high or (whole and type(parsed) is not int):
            raise FactsError(name, _outside(fact, value, parsed))
        return parsed

    return number


def _outside(fact: Fact, value: Any, parsed: int | Decimal) -> str:
    """Why a number is refused: 'skal være et helt tal fra 1 til 24 doser pr. døgn, fik '1.5''."""
    assert fact.limits is not None
    low, high = fact.limits
    unit = f" {fact.unit}" if fact.unit else ""
    wanted = f"et helt tal fra {low} til {high}{unit}" if fact.whole else f"mellem {low} og {high}{unit}"
    none = " (er der ingen, lades feltet tomt)" if fact.whole and parsed == 0 < low else ""
    return f"skal være {wanted}, fik {safe(value)}{none}"


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


def _enum_parser(name: str, allowed: frozenset[str], terms: Mapping[str, str],
                 general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    """A parser of an enumerated fact: the JSON name first (the hot path), then the Danish term (``terms``)."""
    spellings = {**terms, **{a: a for a in allowed}}
    danish = {**{t: t for t in terms}, **{n: t for t, n in terms.items()}}  # either spelling → the Danish term

    def enum(value: Any) -> Any:
        if value in allowed if isinstance(value, str) else False:
            return value
        text = general(name, value)
        found = spellings.get(text)
        if found is None:
            hint = _suggest(text, danish) if len(text) <= 40 else None
            raise FactsError(name, f"ukendt værdi {safe(text)}", allowed=sorted(allowed), hint=hint)
        return found

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
        if type(value) is list:
            try:  # a list of texts; anything else that can be a key gives the general parser's answer or error too
                return from_strings(tuple(value))
            except TypeError:  # an item that cannot be a key (a list, a dict)
                pass
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
