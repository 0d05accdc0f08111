"""The vocabulary: YAML → fact declarations, and raw facts → normalised facts.

Every fact a rule may use is declared once, for every region: its JSON name,
the Danish term rules use, a type, a unit, a label and the question a doctor
is asked. ``Vocabulary.normalise`` turns a question's raw facts (JSON or CSV
values) into typed values and derives the facts that follow from others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ivrules.errors import FactsError
from ivrules.lang.topics import Topic
from ivrules.model.loader import Diagnostics, Node, did_you_mean, expect, fields, text_of
from ivrules.source import Span

TYPES = ("bool", "number", "enum", "date", "times", "municipality")
UNITS = ("år", "dage", "doser", "doser pr. døgn", "kr.", "%", "minutter")
TRUE_WORDS = {"true": True, "ja": True, "1": True, "false": False, "nej": False, "0": False}


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
    type: str
    label: str
    question: str
    unit: str | None = None
    values: tuple[Value, ...] = ()
    derive: tuple[str, tuple[str, ...]] | None = None
    statement: str | None = None
    negation: str | None = None
    span: Span | None = field(default=None, compare=False, repr=False)

    def value_by_term(self, term: str) -> Value | None:
        return next((v for v in self.values if v.term == term or v.name == term), None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "term": self.term, "type": self.type,
                               "label": self.label, "question": self.question}
        if self.unit:
            out["unit"] = self.unit
        if self.values:
            out["values"] = [{"value": v.name, "term": v.term, "label": v.label} for v in self.values]
        if self.derive:
            out["derived_from"] = list(self.derive[1])
        return out


@dataclass(frozen=True)
class Municipality:
    name: str
    code: int
    region: str
    island: bool


class Vocabulary:
    """The declared facts, by JSON name and by Danish term; the municipalities; the regions (id → Danish name)."""

    def __init__(self, facts: list[Fact], municipalities: Mapping[str, Municipality],
                 regions: Mapping[str, str] | None = None, topics: tuple[Topic, ...] = ()) -> None:
        self.facts = {f.name: f for f in facts}
        self.by_term = {f.term: f for f in facts}
        self.municipalities = dict(municipalities)
        self.regions = dict(regions or {})  # from regions.yaml, in its order (ivrules.model.regions)
        self.topics = topics  # the comparison's rows, vocabulary.yaml's ``topics:`` (ivrules.lang.topics)
        self._parsers = {f.name: self._parser(f) for f in facts}
        # Derived facts are filled in declaration order (see vocabulary.yaml).
        self._derived = [(f.name, DERIVATIONS[f.derive[0]], f.derive[1]) for f in facts if f.derive]

    def _parser(self, fact: Fact) -> Callable[[Any], Any]:
        """A parser for one fact's raw values, with the common case first (this is the hot path)."""
        name, general = fact.name, _PARSERS[fact.type]
        if fact.type == "enum":
            allowed = frozenset(v.name for v in fact.values)

            def enum(value: Any) -> Any:
                if value in allowed if isinstance(value, str) else False:
                    return value
                text = general(name, value)
                if text not in allowed:
                    raise FactsError(name, f"ukendt værdi '{text}'", allowed=sorted(allowed))
                return text

            return enum
        if fact.type == "municipality":
            known = self.municipalities

            def municipality(value: Any) -> Any:
                if value in known if isinstance(value, str) else False:
                    return value
                text = general(name, value)
                if text not in known:
                    hint = did_you_mean(text, known)
                    raise FactsError(name, f"ukendt kommune '{text}'" + (f"; {hint}" if hint else ""))
                return text

            return municipality
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


def _parse_number(key: str, value: Any) -> int | Decimal:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise FactsError(key, "skal være et tal, ikke true/false")
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip()) if isinstance(value, (str, float, Decimal)) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise FactsError(key, f"skal være et tal, fik {value!r}")
    return int(number) if number == number.to_integral_value() else number


def _parse_date(key: str, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FactsError(key, f"skal være en dato ÅÅÅÅ-MM-DD, fik {value!r}")


def _parse_text(key: str, value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise FactsError(key, f"skal være en tekst, fik {value!r}")


def _parse_times(key: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):  # only strings are hashable keys here
        cached = _TIMES_SEEN.get(tuple(value))
        if cached is not None:
            return cached
    items = value.replace(",", ";").split(";") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise FactsError(key, "skal være en liste af klokkeslæt, fx [\"07:00\", \"15:00\"]")
    times = tuple(_clock(key, item) for item in items if not (isinstance(item, str) and not item.strip()))
    if isinstance(value, list) and len(_TIMES_SEEN) < 10_000 and all(isinstance(v, str) for v in value):
        _TIMES_SEEN[tuple(value)] = times
    return times


# Dose schedules repeat ("07:00", "15:00", "23:00"); parsing each once keeps the hot path short.
_TIMES_SEEN: dict[tuple[Any, ...], tuple[int, ...]] = {}


def _clock(key: str, item: Any) -> int:
    try:
        hours, minutes = str(item).strip().split(":")
        h, m = int(hours), int(minutes)
    except ValueError:
        h, m = -1, -1
    if not (0 <= h < 24 and 0 <= m < 60):
        raise FactsError(key, f"'{item}' er ikke et klokkeslæt TT:MM")
    return h * 60 + m


def _fast_bool(name: str, general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    return lambda v: v if v is True or v is False else general(name, v)


def _fast_number(name: str, general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    return lambda v: v if type(v) is int else general(name, v)


def _fast_date(name: str, general: Callable[[str, Any], Any]) -> Callable[[Any], Any]:
    seen: dict[Any, dt.date] = {}  # course dates repeat; parse each spelling once

    def parse(value: Any) -> Any:
        found = seen.get(value) if type(value) is str else None
        if found is None:
            found = general(name, value)
            if type(value) is str and len(seen) < 100_000:
                seen[value] = found
        return found

    return parse


# The common, already-typed case of a fact type, checked before the general parser (the hot path).
_FAST_PATHS: dict[str, Callable[[str, Callable[[str, Any], Any]], Callable[[Any], Any]]] = {
    "bool": _fast_bool, "number": _fast_number, "date": _fast_date,
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


def read_vocabulary(root: Node, diags: Diagnostics) -> list[Fact]:
    """The ``facts:`` mapping of vocabulary.yaml → fact declarations (errors collected).

    ``topics:`` is read by ``ivrules.lang.topics.read_topics``."""
    top = fields(root, diags, ("facts",), ("topics",))
    if not top or "facts" not in top or not expect(top["facts"], dict, diags):
        return []
    facts = [_read_fact(name, node, diags) for name, node in top["facts"].items()]
    known = [f for f in facts if f is not None]
    _check_terms(known, diags)
    return known


def _read_fact(name: str, node: Node, diags: Diagnostics) -> Fact | None:
    optional = ("unit", "values", "derive", "statement", "negation")
    f = fields(node, diags, ("term", "type", "label", "question"), optional)
    if f is None:
        return None
    kind = text_of(f.get("type"), diags)
    if kind is not None and kind not in TYPES:
        diags.error(f"ukendt type '{kind}' for faktum '{name}'", f["type"].span,
                    expected=", ".join(TYPES), hint=did_you_mean(kind, TYPES))
    unit = text_of(f.get("unit"), diags) if "unit" in f else None
    if unit is not None and unit not in UNITS:
        diags.error(f"ukendt enhed '{unit}'", f["unit"].span, expected=", ".join(UNITS), hint=did_you_mean(unit, UNITS))
    values = _read_values(f.get("values"), diags) if "values" in f else ()
    if kind == "enum" and not values:
        diags.error(f"faktum '{name}' af typen enum skal have 'values'", node.span)
    derive = _read_derive(f.get("derive"), diags) if "derive" in f else None
    statement = text_of(f["statement"], diags) if "statement" in f else None
    negation = text_of(f["negation"], diags) if "negation" in f else None
    return Fact(name, text_of(f.get("term"), diags) or name, kind or "bool", text_of(f.get("label"), diags) or name,
                text_of(f.get("question"), diags) or "", unit, values, derive, statement, negation, node.span)


def _read_values(node: Node | None, diags: Diagnostics) -> tuple[Value, ...]:
    if not expect(node, dict, diags):
        return ()
    assert node is not None
    out = []
    for name, item in node.items():
        f = fields(item, diags, ("term", "label"))
        if f:
            out.append(Value(name, text_of(f.get("term"), diags) or name, text_of(f.get("label"), diags) or name))
    return tuple(out)


def _read_derive(node: Node | None, diags: Diagnostics) -> tuple[str, tuple[str, ...]] | None:
    text = text_of(node, diags)
    if text is None or node is None:
        return None
    func, _, rest = text.partition("(")
    args = tuple(a.strip() for a in rest.rstrip(")").split(",") if a.strip())
    if func.strip() not in DERIVATIONS or not rest.endswith(")"):
        diags.error(f"ukendt afledning '{text}'", node.span, expected=", ".join(f"{d}(...)" for d in DERIVATIONS))
        return None
    return func.strip(), args


def _check_terms(facts: list[Fact], diags: Diagnostics) -> None:
    names = {f.name for f in facts}
    seen: dict[str, Fact] = {}
    for fact in facts:
        if fact.term in seen:
            diags.error(f"termen '{fact.term}' bruges af både '{seen[fact.term].name}' og '{fact.name}'", fact.span)
        seen[fact.term] = fact
        for arg in fact.derive[1] if fact.derive else ():
            if arg not in names:
                diags.error(f"'{fact.name}' afledes af det ukendte faktum '{arg}'", fact.span,
                            hint=did_you_mean(arg, names))


def read_municipalities(root: Node, diags: Diagnostics) -> dict[str, Municipality]:
    """municipalities.yaml → municipalities by name."""
    top = fields(root, diags, ("municipalities",))
    if not top or not expect(top.get("municipalities"), list, diags):
        return {}
    out: dict[str, Municipality] = {}
    for item in top["municipalities"].value:
        f = fields(item, diags, ("name", "code", "region", "island"))
        if not f or not all(k in f for k in ("name", "code", "region", "island")):
            continue
        if expect(f["code"], int, diags) and expect(f["island"], bool, diags):
            name = text_of(f["name"], diags) or ""
            out[name] = Municipality(name, f["code"].value, text_of(f["region"], diags) or "", f["island"].value)
    return out
