"""Code actions that edit the text: add the facts an example lacks (its answer is unknown without them).

Nothing here knows of the protocol: an edit is (line, text to insert at the start of that line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ivrules.lang.vocabulary import Fact, Vocabulary

FACTS = re.compile(r"^(\s*)facts:(.*)$")
ITEM = re.compile(r"^(\s*)(?:-\s+)?[\w-]+\s*:")
PLACEHOLDERS = {"bool": "true", "number": "0", "date": "2020-01-01", "times": '["08:00"]', "municipality": "?"}


def placeholder(fact: Fact | None, vocab: Vocabulary | None) -> str:
    """A value of the fact's type for the secretariat to replace (the comment says so)."""
    if fact is None:
        return "null"
    if fact.type == "enum" and fact.values:
        return fact.values[0].term  # an example is written in Danish
    if fact.type == "municipality" and vocab is not None and vocab.municipalities:
        return next(iter(vocab.municipalities))
    return PLACEHOLDERS.get(fact.type, "null")


def add_facts(text: str, example_line: int, names: Sequence[str], vocab: Vocabulary | None) -> tuple[int, str] | None:
    """Where to insert ``names`` into the ``facts:`` of the example that starts on ``example_line``, and the lines;
    None when its facts are not a block mapping of their own (``facts: *alias`` or ``{...}``)."""
    lines = text.split("\n")
    start = _facts_line(lines, example_line)
    if start is None:
        return None
    found = FACTS.match(lines[start])
    assert found is not None
    indent, rest = len(found.group(1)), found.group(2).split("#")[0].strip()
    if rest and not rest.startswith("&"):  # an alias or a flow mapping on the line: not edited
        return None
    end, child = start, indent + 2
    for row in range(start + 1, len(lines)):
        if not lines[row].strip():
            continue
        if len(lines[row]) - len(lines[row].lstrip()) <= indent:
            break
        child = child if end > start else len(lines[row]) - len(lines[row].lstrip())
        end = row
    def line(name: str) -> str:  # the missing fact (a JSON name) as the example writes it: by its Danish term
        fact = vocab.fact(name) if vocab is not None else None
        return f"{' ' * child}{fact.term if fact else name}: {placeholder(fact, vocab)}  # udfyld\n"

    added = "".join(line(name) for name in names)
    return end + 1, added


def _facts_line(lines: list[str], example_line: int) -> int | None:
    """The ``facts:`` line of the example that starts on ``example_line`` (before the next example)."""
    if example_line >= len(lines):
        return None
    first = ITEM.match(lines[example_line])
    item_indent = len(first.group(1)) if first else 0
    for row in range(example_line, len(lines)):
        line = lines[row]
        if row > example_line and line.strip() and len(line) - len(line.lstrip()) <= item_indent:
            return None  # the next example, or the end of the list
        if FACTS.match(line):
            return row
    return None
