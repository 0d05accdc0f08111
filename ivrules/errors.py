"""The exceptions of ivrules, one tree with one root.

    IvrulesError                      anything ivrules raises on purpose
    ├── AgreementError                an agreement source has mistakes (all of them, with spans)
    ├── FactsError                    the facts of a question are wrong (names the field)
    ├── RegisterError (money.settle)     a settlement register cannot be read as a whole (file:line:col)
    ├── SiteError (site.build)        the readable agreements could not be rendered
    └── LookupError_                  nothing to answer from
        ├── UnknownRegionError        no agreement for that region id
        ├── NoRevisionError           no revision of the region is in force on that date
        └── NotJoinedError            the municipality has not joined, and nothing else applies to it

Evaluation never raises for a rule that does not apply: "no rule applies"
is an answer (eligible ``None`` with the missing facts), not an error.
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from ivrules import danish
from ivrules.source import Span


class DiagnosticJSON(TypedDict):
    """En fejl i en aftalefil: beskeden og, hvor den kendes, stedet i filen."""

    message: str
    file: NotRequired[str]
    line: NotRequired[int]
    column: NotRequired[int]
    end_line: NotRequired[int]
    end_column: NotRequired[int]
    expected: NotRequired[str]
    hint: NotRequired[str]
    context: NotRequired[str]


@dataclass(frozen=True)
class Diagnostic:
    """One located mistake in an agreement source, in Danish for the secretariat."""

    message: str
    span: Span | None
    expected: str | None = None
    hint: str | None = None
    context: str | None = None

    def render(self) -> str:
        """The mistake as a secretariat sees it: file:line:col, the line, a caret."""
        where = self.span.describe() if self.span else "<ukendt>"
        lines = [f"{where}: fejl: {self.message}"]
        if self.span is not None:
            lines.extend(self.span.excerpt())
        return "\n".join(lines + [f"  {line}" for line in self.advice()])

    def advice(self) -> list[str]:
        """What follows the message: what was expected, the hint, the context (each on its own line)."""
        lines = [f"forventet: {self.expected}"] if self.expected else []
        lines += [f"tip: {self.hint}"] if self.hint else []
        if hidden := invisible(self.message):
            lines.append(f"bemærk: teksten indeholder {', '.join(map(code_point, hidden))}, som ikke kan ses; "
                         "slet tegnet og skriv teksten igen")
        return lines + ([f"({self.context})"] if self.context else [])

    def to_dict(self) -> DiagnosticJSON:
        """JSON form for the API and the site."""
        out: DiagnosticJSON = {"message": self.message}
        if self.span is not None:
            at = self.span.to_dict()
            out.update({"file": at["file"], "line": at["line"], "column": at["column"], "end_line": at["end_line"],
                        "end_column": at["end_column"]})
        if self.expected:
            out["expected"] = self.expected
        if self.hint:
            out["hint"] = self.hint
        if self.context:
            out["context"] = self.context
        return out


class IvrulesError(Exception):
    """The root of every error ivrules raises on purpose."""


class Diagnostics(list[Diagnostic]):
    """A collector: every stage appends; the caller raises once at the end."""

    def error(self, message: str, span: Span | None, **kw: str | None) -> None:
        self.append(Diagnostic(message, span, **kw))


def did_you_mean(word: str, choices: list[str] | Any) -> str | None:
    """A Danish "did you mean" for a misspelled name, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"mente du '{close[0]}'?" if close else None


CONTROL_NAMES = {"\x00": "NUL", "\x07": "BEL", "\x1b": "ESC", "\x7f": "DEL", "\x9b": "CSI",
                 "\ufffe": "ikke et tegn", "\uffff": "ikke et tegn"}


def code_point(char: str) -> str:
    """A character by its code point and Unicode name, e.g. "U+00A0 (NO-BREAK SPACE)"."""
    name = CONTROL_NAMES.get(char) or unicodedata.name(char, "") or "et styretegn"
    return f"U+{ord(char):04X} ({name})"


def invisible(text: str) -> list[str]:
    """The characters of ``text`` a reader cannot see or tell from a space (not the space itself), each once."""
    return list(dict.fromkeys(c for c in text if c not in " \n" and unicodedata.category(c) in HIDDEN))


HIDDEN = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})  # control, format (U+200B, U+FEFF, U+00AD), odd spaces


def shown(char: str) -> str:
    """A character as a message shows it: itself when it is visible, else its code point."""
    visible = char.isprintable() and not char.isspace() and unicodedata.category(char) not in ("Cf", "Zs")
    return f"'{char}'" if visible or char == " " else code_point(char)


@dataclass
class AgreementError(IvrulesError):
    """An agreement source (or the vocabulary) has one or more mistakes."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        count = len(self.diagnostics)
        head = f"{count} fejl" if count != 1 else "1 fejl"
        return "\n\n".join([d.render() for d in self.diagnostics] + [head])


@dataclass
class FactsError(IvrulesError):
    """A question's facts are not acceptable; ``field`` names the fact."""

    field: str
    message: str
    allowed: list[str] | None = None
    hint: str | None = None  # a "mente du …?" for a misspelt name, in the vocabulary's Danish names

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "message": self.message}
        if self.allowed is not None:
            out["allowed"] = self.allowed
        return out


class LookupError_(IvrulesError):  # noqa: N801 - avoid shadowing the builtin
    """There is no agreement to answer from."""


class UnknownRegionError(LookupError_):
    """No agreement is loaded for this region id."""

    def __init__(self, region: str, known: list[str]) -> None:
        self.region = region
        self.known = known
        super().__init__(f"Ukendt region '{region}'. Kendte regioner: {', '.join(known)}.")


class NoRevisionError(LookupError_):
    """No revision of the region's agreement is in force on the date."""

    def __init__(self, region: str, date: object, periods: list[str], reason: str = "", name: str = "") -> None:
        self.region = region
        self.date = date
        super().__init__(
            f"Ingen aftale for {name or region} er gældende den {_shown(date)}. "
            f"Gældende perioder: {'; '.join(periods) or 'ingen'}." + (f" {reason}" if reason else "")
        )


class NotJoinedError(LookupError_):
    """The agreement in force is joined municipality by municipality, and this one had not joined."""

    def __init__(self, region: str, date: object, explanation: str, name: str = "") -> None:
        self.region = region
        self.date = date
        super().__init__(f"Ingen aftale for {name or region} gælder for kommunen den {_shown(date)}: {explanation}")


def _shown(value: object) -> str:
    """A date in a message as a Danish reader writes it ('1. juni 2020'); anything else as it is."""
    return danish.date(value) if isinstance(value, dt.date) else str(value)
