"""Settlement results on disk → what each ``ivrules settle`` run wrote, read back for the site.

The convention: ``settlements/<region>/<name>/`` is the ``--out`` folder of one
run of ``ivrules settle`` for that region (``<name>`` is free: ``2022``,
``2022Q1-genberegnet`` …). The folder ``settlements/`` sits beside the
agreements folder unless ``IVRULES_SETTLEMENTS`` or an argument names another.
Only the small files are read: ``summary.txt``, ``invoices.csv``,
``activity.csv`` and ``activity.svg`` (never ``courses.csv``, which can hold a
million rows and identifies courses). What a run folder lacks is simply not
shown; a file that cannot be read is a Danish problem naming file and line,
never a traceback, and the other files of the run are still shown.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple, TypeVar

from ivrules import danish
from ivrules.errors import did_you_mean
from ivrules.money.activity import HEADER as ACTIVITY_HEADER
from ivrules.money.cells import plain
from ivrules.money.register import INVOICES_HEADER
from ivrules.money.settle import Invoice, parse_period

ENV = "IVRULES_SETTLEMENTS"
FOLDER = "settlements"
FILES = ("summary.txt", "invoices.csv", "activity.csv", "activity.svg")

T = TypeVar("T")


class Activity(NamedTuple):
    """One row of ``activity.csv``: courses and expense of one kind of course in one quarter."""

    quarter: str
    kind: str
    courses: int
    total: Decimal


@dataclass(frozen=True)
class Run:
    """What one settlement run left in its folder; ``None`` where the file is missing or unreadable."""

    region: str
    name: str
    summary: str | None = None
    invoices: list[Invoice] | None = None
    activity: list[Activity] | None = None
    plot: bytes | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def quarters(self) -> list[str]:
        """The quarters the run settled courses in, in order."""
        found = {row.quarter for row in self.activity or []} | {i.quarter for i in self.invoices or []}
        return sorted(found)


@dataclass(frozen=True)
class Settlements:
    """Every region's runs (only regions that have any), and what could not be read."""

    runs: dict[str, list[Run]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def locate(agreements: Path, given: str | Path | None = None) -> tuple[Path, bool]:
    """The settlements folder, and whether it was named (argument, then ``IVRULES_SETTLEMENTS``) or is the default."""
    named = given if given is not None else os.environ.get(ENV) or None
    return (Path(named), True) if named is not None else (agreements.parent / FOLDER, False)


def read_settlements(root: Path, named: bool, regions: Sequence[str]) -> Settlements:
    """Read ``root/<region>/<name>/`` for every run; a folder that was named but is missing is a warning."""
    out = Settlements()
    if not root.is_dir():
        if named:
            out.warnings.append(f"{root}: mappen med afregninger findes ikke")
        return out
    for folder in _folders(root):
        if folder.name not in regions:
            hint = did_you_mean(folder.name, list(regions))
            where = _shown(folder, root.parent)
            out.warnings.append(f"{where}: ukendt region '{folder.name}'" + (f"; {hint}" if hint else ""))
            continue
        runs = [run for run in (read_run(sub, folder.name, root.parent) for sub in _folders(folder)) if run is not None]
        if runs:
            out.runs[folder.name] = runs
        out.warnings.extend(problem for run in runs for problem in run.problems)
    return out


def _folders(path: Path) -> list[Path]:
    # Hidden folders are skipped: settle writes into '.afregning-…' until a run is complete.
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def read_run(folder: Path, region: str, base: Path | None = None) -> Run | None:
    """One run's files; None when the folder holds none of them (it is not a settlement).

    Problems name files from ``base`` on (by default the settlements folder's parent).
    """
    if not any((folder / name).is_file() for name in FILES):
        return None
    base = folder.parent.parent.parent if base is None else base
    problems: list[str] = []

    def load(name: str, read: Callable[[Path], T]) -> T | None:
        return _load(folder / name, _shown(folder / name, base), problems, read)

    summary = load("summary.txt", lambda p: p.read_text(encoding="utf-8"))
    invoices, activity = load("invoices.csv", _invoices), load("activity.csv", _activity)
    plot = load("activity.svg", _svg)
    if invoices is not None and activity is not None:
        billed, spent = sum(i.total for i in invoices), sum(a.total for a in activity)
        if billed != spent:
            problems.append(f"{_shown(folder, base)}: fakturaerne ({danish.kroner(billed)}) og aktiviteten "
                            f"({danish.kroner(spent)}) har ikke samme beløb i alt; er filerne fra samme afregning?")
    return Run(region, folder.name, summary, invoices, activity, plot, problems)


class _Unreadable(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _load(path: Path, shown: str, problems: list[str], read: Callable[[Path], T]) -> T | None:
    """The file read by ``read``; None, and a problem naming ``shown`` (and the line), if that fails."""
    if not path.is_file():
        return None
    try:
        return read(path)
    except _Unreadable as exc:
        problems.append(f"{shown}" + (f":{exc.line}" if exc.line else "") + f": {exc.message}")
    except UnicodeDecodeError:
        problems.append(f"{shown}: filen er ikke UTF-8")
    except OSError as exc:
        problems.append(f"{shown}: kan ikke læse filen: {exc.strerror}")
    return None


def _shown(path: Path, base: Path) -> str:
    """A path from the settlements folder on, as the secretariat finds it: 'settlements/midtjylland/2022/…'."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _rows(path: Path, header: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of a CSV file settle wrote, after checking its header."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            first = next(reader, None)
            if first is None or [c.strip() for c in first] != list(header):
                raise _Unreadable(1, f"overskriften skal være {','.join(header)}")
            for row in reader:
                if row and len(row) != len(header):
                    raise _Unreadable(reader.line_num, f"rækken har {len(row)} felter; overskriften har {len(header)}")
                if row:
                    yield reader.line_num, row
        except csv.Error as exc:
            raise _Unreadable(reader.line_num, f"filen kan ikke læses som CSV: {exc}") from None


def _converted(path: Path, header: Sequence[str], make: Callable[[list[str]], T]) -> list[T]:
    out = []
    for line, row in _rows(path, header):
        try:
            out.append(make(row))
        except ValueError as exc:
            raise _Unreadable(line, str(exc)) from None
    return out


def _invoices(path: Path) -> list[Invoice]:
    return _converted(path, INVOICES_HEADER, lambda r: Invoice(
        plain(r[0]), parse_period(r[1]), _count(r[2]), _money(r[3]), _money(r[4]), _money(r[5])))


def _activity(path: Path) -> list[Activity]:
    return _converted(path, ACTIVITY_HEADER,
                      lambda r: Activity(parse_period(r[0]), plain(r[1]), _count(r[2]), _money(r[3])))


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"'{text}' er ikke et antal forløb")
    return int(text)


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ValueError(f"'{text}' er ikke et beløb i kroner (fx 2999.00)")
    return value


def _svg(path: Path) -> bytes:
    data = path.read_bytes()
    if b"<svg" not in data[:4096]:
        raise _Unreadable(None, "filen er ikke en SVG-tegning")
    return data
