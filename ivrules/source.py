"""Source text and spans: file offsets → line:col, excerpts with a caret.

A rule expression lives inside a YAML scalar. ``ScalarText`` maps an offset
in the scalar's *value* back to an offset in the *file*, so an error in a
rule lands under the character the secretariat typed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple, TypedDict


@dataclass(frozen=True)
class Source:
    """The text of one file, with its name as the user gave it."""

    name: str
    text: str

    @cached_property
    def line_starts(self) -> tuple[int, ...]:
        """The file offset of each line's first character."""
        return (0, *(m.end() for m in re.finditer("\n", self.text)))

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of a file offset."""
        line = bisect.bisect_right(self.line_starts, index) - 1
        return line + 1, index - self.line_starts[line] + 1

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]

    def span(self, start: int, end: int | None = None) -> Span:
        return Span(self, start, max(end if end is not None else start + 1, start + 1))


class SpanJSON(TypedDict):
    """Hvor i en fil: linje og kolonne (fra 1) for start og slut."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


class Span(NamedTuple):
    """A range [start, end) of file offsets in a ``Source`` (a tuple: loading makes tens of thousands)."""

    source: Source
    start: int
    end: int

    def __repr__(self) -> str:
        return f"Span({self.describe()})"

    @property
    def line(self) -> int:
        return self.source.position(self.start)[0]

    def describe(self) -> str:
        line, col = self.source.position(self.start)
        return f"{self.source.name}:{line}:{col}"

    def excerpt(self, width: int = 100) -> list[str]:
        """The line of the span with carets under it, in the style of compilers; a long line is cut around it."""
        line, col = self.source.position(self.start)
        end_line, end_col = self.source.position(max(self.end - 1, self.start))
        text = self.source.line_text(line)
        carets = (end_col - col + 1) if end_line == line else len(text) - col + 1
        shift = max(0, col - 1 - width // 2) if len(text) > width else 0
        if shift:
            text, col = "…" + text[shift + 1 :], col - shift
        if len(text) > width:
            text = text[: width - 1] + "…"
        carets = max(1, min(carets, len(text) - col + 1))
        gutter = f"{line:>5} | "
        return [gutter + text, " " * (len(gutter) - 2) + "| " + " " * (col - 1) + "^" * carets]

    def to_dict(self) -> SpanJSON:
        line, col = self.source.position(self.start)
        end_line, end_col = self.source.position(self.end)
        return {"file": self.source.name, "line": line, "column": col, "end_line": end_line, "end_column": end_col}


@dataclass(frozen=True)
class ScalarText:
    """The value of a YAML scalar and where each of its characters sits in the file.

    The map is built, on first use only, by pairing the non-blank characters of
    the value with the non-blank characters of the raw scalar in the file: this
    holds for plain, quoted, literal and folded scalars alike, whatever YAML did
    to the line breaks.
    """

    value: str
    source: Source
    start: int  # where the scalar starts in the file
    end: int
    style: str | None = None

    @cached_property
    def offsets(self) -> tuple[int, ...]:
        """File offset of each character of the value."""
        raw_start, text = self.start, self.source.text
        if self.style in ("|", ">"):
            newline = text.find("\n", self.start, self.end)
            raw_start = newline + 1 if newline >= 0 else self.start
        elif self.style in ('"', "'"):
            raw_start = self.start + 1
        offsets: list[int] = []
        cursor = raw_start
        for ch in self.value:
            if ch.isspace():
                offsets.append(cursor)
                continue
            found = text.find(ch, cursor, self.end + 1)
            found = cursor if found < 0 else found
            offsets.append(found)
            cursor = found + 1
        return tuple(offsets)

    def span(self, start: int, end: int) -> Span:
        """The file span of value[start:end]."""
        offsets = self.offsets
        if not offsets:
            return self.source.span(self.start)
        first = offsets[min(start, len(offsets) - 1)]
        last = offsets[min(max(end - 1, start), len(offsets) - 1)]
        return Span(self.source, first, max(last + 1, first + 1))
