"""Go to definition, find references and the outline of an agreement file.

An interpretation id leads to its entry under ``interpretations`` and back to
every line that cites it; a fact leads to its entry in ``vocabulary.yaml`` and
to every rule (by its term) and example (by its name) that uses it, in every
agreement file read.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ivrules.lang import nodes as n
from ivrules.lang.vocabulary import Fact, Vocabulary
from ivrules.lsp.analysis import Position, Snapshot, span_range
from ivrules.lsp.cursor import KEY, Cursor, ids_under
from ivrules.model.agreement import Agreement
from ivrules.source import Span


@dataclass(frozen=True)
class Place:
    path: str
    start: Position
    end: Position


def place(span: Span, whole: bool = False) -> Place:
    """A span as a place; unless ``whole``, only its first line (a mapping's span runs to its end)."""
    start, end = span_range(span)
    return Place(span.source.name, start, end if whole or end[0] == start[0] else (start[0], start[1] + 1))


def fact_place(fact: Fact) -> list[Place]:
    """A fact's entry in the vocabulary: its key (the line above its fields)."""
    if fact.span is None:
        return []
    source = fact.span.source
    keys = list(re.finditer(rf"^[ \t]*({re.escape(fact.name)})\s*:", source.text[: fact.span.start], re.MULTILINE))
    if not keys:
        return [place(fact.span)]
    line, column = source.position(keys[-1].start(1))
    return [Place(source.name, (line - 1, column - 1), (line - 1, column - 1 + len(fact.name)))]


def _fact_at(cursor: Cursor, vocab: Vocabulary) -> Fact | None:
    word = cursor.word()
    if word is None:
        return None
    if cursor.expression() is not None:
        return vocab.by_term.get(word[0])
    return vocab.facts.get(word[0]) if cursor.on_key() == word[0] and "facts" in cursor.key_path() else None


def _interpretation_at(cursor: Cursor, text: str) -> str | None:
    word = cursor.word()
    cites = cursor.key() in ("interpretation", "interpretations")
    declares = cursor.key() == "id" and cursor.top_key() == "interpretations"
    return word[0] if word and (cites or declares) and word[0] in ids_under(text, "interpretations") else None


def definition(cursor: Cursor, path: str, text: str, snapshot: Snapshot | None) -> list[Place]:
    interpretation = _interpretation_at(cursor, text)
    if interpretation is not None:
        return [_id_line(path, text, "interpretations", interpretation)]
    vocab = snapshot.model.vocabulary if snapshot and snapshot.model else None
    fact = _fact_at(cursor, vocab) if vocab else None
    return fact_place(fact) if fact is not None else []


def references(cursor: Cursor, path: str, text: str, snapshot: Snapshot | None) -> list[Place]:
    interpretation = _interpretation_at(cursor, text)
    if interpretation is not None:
        return [_id_line(path, text, "interpretations", interpretation), *_citations(path, text, interpretation)]
    model = snapshot.model if snapshot else None
    fact = _fact_at(cursor, model.vocabulary) if model else None
    if model is None or fact is None:
        return []
    uses = [p for a in model.agreements for p in fact_uses(a, fact)]
    return fact_place(fact) + uses


def _id_line(path: str, text: str, top: str, ident: str) -> Place:
    lines, inside = text.split("\n"), False
    for row, line in enumerate(lines):
        if re.match(r"^[\w-]+:", line):
            inside = line.startswith(f"{top}:")
        elif inside and (found := re.match(rf"^\s*-\s+id:\s*({re.escape(ident)})\s*$", line)):
            return Place(path, (row, found.start(1)), (row, found.end(1)))
    return Place(path, (0, 0), (0, 0))


def _citations(path: str, text: str, ident: str) -> Iterator[Place]:
    for row, line in enumerate(text.split("\n")):
        found = KEY.match(line)
        if found and found.group(2) in ("interpretation", "interpretations"):
            for word in re.finditer(rf"(?<![\w]){re.escape(ident)}(?![\w])", line):
                yield Place(path, (row, word.start()), (row, word.end()))


def fact_uses(agreement: Agreement, fact: Fact) -> Iterator[Place]:
    """Every rule that reads the fact (its term, at the term) and every example that states it (its key)."""
    for rule in agreement.rules:
        for name in _names(rule.expr):
            if name.term == fact.term and name.span is not None:
                yield place(name.span, whole=True)
    spellings = (fact.term, fact.name)  # an example names it by its Danish term (the English name is an alias)
    key = re.compile(rf"^[ \t-]*({'|'.join(map(re.escape, spellings))})\s*:", re.MULTILINE)
    for example in agreement.examples:
        if any(s in example.facts for s in spellings) and example.span is not None:
            source = example.span.source
            found = key.search(source.text, example.span.start, example.span.end)
            if found:
                line, column = source.position(found.start(1))
                yield Place(source.name, (line - 1, column - 1), (line - 1, column - 1 + len(found.group(1))))


def _names(node: object) -> Iterator[n.Name]:
    if isinstance(node, n.Name):
        yield node
    elif dataclasses.is_dataclass(node):
        for item in dataclasses.fields(node):
            yield from _names(getattr(node, item.name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _names(item)
