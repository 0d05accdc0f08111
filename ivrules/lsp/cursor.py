"""Where in an agreement file the cursor stands, read from the text alone (it may be half typed).

A YAML key's line, the keys above it by indentation (``key_path``), the word
under the cursor, and whether the cursor is inside a rule expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY = re.compile(r"^(\s*)(?:-\s+)?([\w.-]+)\s*:(?:\s|$)")
ITEM = re.compile(r"^(\s*)(?:-\s+)?")
WORD = re.compile(r"[\w.]*\w|\w")
EXPRESSION_KEYS = ("rule", "applies", "when")  # the keys whose value is a rule expression


@dataclass(frozen=True)
class Cursor:
    """The cursor in a document: its line's text, and the text before it on the line."""

    lines: list[str]
    line: int
    column: int

    @classmethod
    def at(cls, text: str, line: int, column: int) -> Cursor:
        return cls(text.split("\n"), line, column)

    @property
    def text(self) -> str:
        return self.lines[self.line] if self.line < len(self.lines) else ""

    @property
    def before(self) -> str:
        return self.text[: self.column]

    def key(self) -> str | None:
        """The key of the cursor's line, when the cursor is after its colon."""
        found = KEY.match(self.text)
        return found.group(2) if found and self.column >= found.end() - 1 else None

    def on_key(self) -> str | None:
        """The key of the cursor's line, when the cursor is on the key itself."""
        found = KEY.match(self.text)
        return found.group(2) if found and found.start(2) <= self.column <= found.end(2) else None

    def expression(self) -> str | None:
        """The rule expression before the cursor, when the cursor is in one (``rule: alder > |``)."""
        found = KEY.match(self.text)
        if not found or found.group(2) not in EXPRESSION_KEYS or self.column < found.end():
            return None
        return self.text[found.end() : self.column]

    def word(self) -> tuple[str, int, int] | None:
        """The word under the cursor and its columns."""
        for found in WORD.finditer(self.text):
            if found.start() <= self.column <= found.end():
                return found.group(0).rstrip("."), found.start(), found.start() + len(found.group(0).rstrip("."))
        return None

    def key_path(self) -> list[str]:
        """The keys that hold the cursor's line, outermost first: ['sections', 'rules'] in a rule."""
        indent = len(ITEM.match(self.text).group(0))  # type: ignore[union-attr]
        path: list[str] = []
        for row in range(min(self.line, len(self.lines)) - 1, -1, -1):  # a position past the end: from the end
            found = KEY.match(self.lines[row])
            if not found or found.start(2) >= indent:
                continue
            path.insert(0, found.group(2))
            indent = found.start(2)
            if indent == 0:
                break
        return path

    def top_key(self) -> str | None:
        """The top-level key the cursor's line belongs to ('sections', 'examples', ...)."""
        path = self.key_path()
        return path[0] if path else self.key()


def region_of(text: str, line: int) -> str | None:
    """The region a line belongs to: the file's ``region:``, or the nearest one above (accession.yaml)."""
    lines = text.split("\n")
    for row in range(min(line, len(lines) - 1), -1, -1):
        found = re.match(r"^\s*(?:-\s+)?region:\s*([\w-]+)", lines[row])
        if found:
            return found.group(1)
    found = re.search(r"^region:\s*([\w-]+)", text, re.MULTILINE)
    return found.group(1) if found else None


def ids_under(text: str, top: str) -> list[str]:
    """The ``id``s listed under a top-level key of the file (interpretations, unknowns), from the text."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        if re.match(r"^[\w-]+:", line):
            inside = line.startswith(f"{top}:")
        elif inside and (found := re.match(r"^\s*-\s+id:\s*([\w.-]+)", line)):
            out.append(found.group(1))
    return out
