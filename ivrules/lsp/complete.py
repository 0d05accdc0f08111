"""What may be typed at the cursor: facts, values, units and keywords in a rule; ids; municipalities; keys.

Each item is a ``Choice`` (label, Danish detail, kind, text to insert); the
server turns them into LSP completion items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ivrules.lang.units import UNITS
from ivrules.lang.vocabulary import Fact, Vocabulary
from ivrules.lsp.cursor import Cursor, ids_under, region_of
from ivrules.lsp.format import DESCRIPTIONS, keys_for

Kind = Literal["fact", "value", "unit", "keyword", "id", "key"]
VALUE_AFTER = re.compile(r"([\wæøåÆØÅ]+)\s*(?:!=|=|(?:ikke\s+)?i\s*\{[^}]*)\s*[\w\"æøåÆØÅ-]*$")
NUMBER_BEFORE = re.compile(r"(?:([\wæøåÆØÅ]+)\s*(?:>=|<=|!=|=|>|<)\s*)?\d+(?:\.\d+)?\s+[^\s\d]*$")
KEYWORDS = (
    ("hvis … så", "hvis ${1:betingelse} så ${2:krav}", "et krav, der kun gælder, når betingelsen holder"),
    ("og", "og ", "begge dele skal holde"),
    ("eller", "eller ", "mindst én af delene skal holde"),
    ("ikke", "ikke ", "det modsatte"),
    ("i { … }", "i {${1}}", "værdien er en af de nævnte"),
    ("inden for kl.", "inden for kl. ${1:07}-${2:00}", "alle klokkeslæt ligger i tidsrummet"),
    # Comparisons in words (the grammar's WORD_OP): the same rules as > >= < <=.
    ("er over", "er over ${1}", "større end (>)"),
    ("er mindst", "er mindst ${1}", "større end eller lig med (>=)"),
    ("er under", "er under ${1}", "mindre end (<)"),
    ("er højst", "er højst ${1}", "mindre end eller lig med (<=)"),
    ("fra og med", "fra og med ${1:2021-05-01}", "datoen eller senere (>=)"),
    ("til og med", "til og med ${1:2021-12-31}", "datoen eller tidligere (<=)"),
)


@dataclass(frozen=True)
class Choice:
    label: str
    detail: str
    kind: Kind
    insert: str | None = None
    snippet: bool = False


def choices(cursor: Cursor, vocab: Vocabulary | None, text: str) -> list[Choice]:
    """Everything that may be typed at the cursor."""
    expression = cursor.expression()
    if expression is not None:
        return in_expression(expression, vocab, region_of(text, cursor.line)) if vocab else []
    key = cursor.key()
    if key in ("interpretation", "interpretations"):
        return [Choice(i, "fortolkning i filen", "id") for i in ids_under(text, "interpretations")]
    if re.search(r"unknown:\s*[\w-]*$", cursor.before):
        return [Choice(i, "ukendt i filen", "id") for i in ids_under(text, "unknowns")]
    fact = vocab.fact(key) if key is not None and vocab is not None else None
    if vocab is not None and fact is not None and fact.type in ("municipality", "enum"):  # kommune:, behandling:
        return values_of(fact, vocab, region_of(text, cursor.line))
    if key is None and re.fullmatch(r"\s*(?:-\s+)?[\w]*", cursor.before):
        return _keys(cursor, vocab)
    return []


def _keys(cursor: Cursor, vocab: Vocabulary | None) -> list[Choice]:
    path = cursor.key_path()
    if path[-1:] == ["facts"] and path[:1] == ["examples"] and vocab is not None:
        return [Choice(f.term, f.label, "fact", f"{f.term}: ") for f in vocab.facts.values()]
    return [Choice(k, DESCRIPTIONS.get(k, ""), "key", f"{k}: ") for k in keys_for(path)]


def in_expression(expression: str, vocab: Vocabulary, region: str | None = None) -> list[Choice]:
    """Inside a rule: the values of the fact left of ``=``/``i {``, units after a number, else facts and keywords."""
    found = VALUE_AFTER.search(expression)
    if found and (fact := vocab.by_term.get(found.group(1))) is not None:
        return values_of(fact, vocab, region)
    number = NUMBER_BEFORE.search(expression)
    if number:
        fact = vocab.by_term.get(number.group(1) or "")
        wanted = fact.unit if fact is not None else None
        return [Choice(u.name, f"fx {u.example}" + (" (faktummets enhed)" if u.name == wanted else ""), "unit")
                for u in sorted(UNITS, key=lambda u: u.name != wanted)]
    facts = [Choice(f.term, f.label, "fact") for f in vocab.facts.values()]
    return facts + [Choice(label, detail, "keyword", insert, snippet=True) for label, insert, detail in KEYWORDS]


def values_of(fact: Fact, vocab: Vocabulary, region: str | None = None) -> list[Choice]:
    """The values a fact may be compared with: its named values, or the region's municipalities."""
    if fact.type == "municipality":
        return [Choice(m.name if re.fullmatch(r"[\wæøåÆØÅ]+", m.name) else f'"{m.name}"',
                       vocab.regions.get(m.region, m.region), "value")
                for m in vocab.municipalities.values() if region is None or m.region == region]
    if fact.type == "bool":
        return []
    return [Choice(v.term, v.label, "value") for v in fact.values]
