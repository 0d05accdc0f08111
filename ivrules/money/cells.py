"""A cell of a CSV file settlement writes → the text a spreadsheet shows as text, never runs as a formula.

A municipality opens ``courses.csv``, ``rejected.csv`` and the other files in
Excel or LibreOffice, which run a cell that starts with ``=``, ``+``, ``-``
or ``@`` (or a tab or carriage return before one) as a formula. Register
cells reach these files (a course id, a reason quoting a cell), so every CSV
writer of settlement writes through ``cell``: such a cell gets a leading
``'`` (OWASP's advice on CSV injection), which the spreadsheet shows as text.
A cell that already starts with ``'`` gets one too, so ``plain`` reads back
exactly what was written. A plain number (``-12.50``, ``3``) is left alone:
it is not a formula, and the amounts and counts the engine writes stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # ASCII digits only: SQL (RE2) reads it the same


def cell(text: str) -> str:
    """A cell as written: ``'`` before a formula trigger (``=1+2`` → ``'=1+2``), a plain number unchanged."""
    if text.startswith(TRIGGERS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def plain(text: str) -> str:
    """A cell as ``cell`` was given it (what ``cell`` wrote, read back)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(TRIGGERS) else text


class Writer:
    """``csv.writer`` whose every cell goes through ``cell``: the one way settlement writes a CSV row."""

    def __init__(self, handle: Any, lineterminator: str = "\n") -> None:
        self._writer = csv.writer(handle, lineterminator=lineterminator)

    def writerow(self, row: Iterable[str]) -> None:
        self._writer.writerow([cell(text) for text in row])

    def writerows(self, rows: Iterable[Iterable[str]]) -> None:
        for row in rows:
            self.writerow(row)
