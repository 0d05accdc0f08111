"""A register file (CSV) → ``settle.Settler`` → the settlement's files in an output folder.

Reads the whole file as bytes and decodes it as UTF-8 first, so a bad byte is
reported with its line and column; ``;`` or ``,`` between columns is taken
from the header line (Danish spreadsheets export ``;``). Everything is written
to a temporary folder inside the output folder and moved into place only when
every file is complete: a whole-file error leaves nothing half-written.

    courses.csv   every settled course: id, municipality, quarter, kind (the tariff's Danish label), amounts,
                  revision, flags
    invoices.csv  one row per municipality and quarter (no grand-total row; totals are in the summary)
    rejected.csv  row (the line in the register), course_id, reason (in Danish)
    outside.csv   row, course_id, quarter: courses that settle in another quarter than ``--period``
    summary.txt   a short Danish summary
    activity.csv, activity.svg  courses and expense per quarter by kind and category

Every CSV cell is written through ``ivrules.money.cells.cell``, so a spreadsheet shows
a cell such as ``=1+2`` as text.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.money.cells import Writer
from ivrules.money.settle import RegisterError, Settlement, Settler, read_register

COURSES_HEADER = ("course_id", "municipality", "quarter", "kind", "total", "region_share", "municipality_share",
                  "revision", "flags")
INVOICES_HEADER = ("municipality", "quarter", "courses", "total", "region_share", "municipality_share")
REJECTED_HEADER = ("row", "course_id", "reason")
OUTSIDE_HEADER = ("row", "course_id", "quarter")
PROGRESS_EVERY = 1 << 14


def settle_file(book: Book, path: Path, region: str, out: Path, period: str | None = None,
                progress: bool = False) -> Settlement:
    """Settle a register file into the folder ``out``; ``RegisterError`` when the file cannot be read."""
    text, delimiter = read_register(path)
    # strict: a broken quote makes every later row unreliable, so it stops the whole file
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = next(_rows(reader, str(path)), None)
    if not header:
        raise RegisterError(str(path), 1, 1, "registret er tomt", hint="første linje skal være kolonnernes navne")
    settler = Settler(book, region, header, period, str(path))
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".afregning-", dir=out))
    try:
        with open(tmp / "courses.csv", "w", encoding="utf-8", newline="") as handle:
            Writer(handle).writerow(COURSES_HEADER)
            rows = _rows(reader, str(path))
            if progress:
                rows = _with_progress(rows, max(text.count("\n") - 1, 0))
            result = settler.run(rows, handle, lambda n: reader.line_num)
        write_reports(result, tmp)
        for item in sorted(tmp.iterdir()):
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _rows(reader: Any, path: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise RegisterError(path, reader.line_num, 1, f"filen kan ikke læses som CSV: {exc}",
                            hint="tjek anførselstegnene i linjen: et felt i anførselstegn skal lukkes") from None


def _with_progress(rows: Iterator[list[str]], total: int) -> Iterator[list[str]]:
    from tqdm import tqdm

    with tqdm(total=total, unit=" rækker", unit_scale=True, desc="Afregner") as bar:
        for n, row in enumerate(rows, 1):
            if n % PROGRESS_EVERY == 0:
                bar.update(PROGRESS_EVERY)
            yield row
        bar.update(total - bar.n)


def write_reports(result: Settlement, folder: Path) -> None:
    """invoices.csv, rejected.csv, outside.csv, summary.txt and the activity summary, next to courses.csv."""
    from ivrules.money.activity import write_activity

    _csv(folder / "invoices.csv", INVOICES_HEADER, (i.row() for i in result.invoices()))
    _csv(folder / "rejected.csv", REJECTED_HEADER, ((str(r), c, why) for r, c, why in result.rejected))
    _csv(folder / "outside.csv", OUTSIDE_HEADER, ((str(r), c, quarter) for r, c, quarter in result.outside))
    (folder / "summary.txt").write_text(summary(result), encoding="utf-8")
    write_activity(result, folder)


def _csv(path: Path, header: tuple[str, ...], rows: Iterable[Iterable[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = Writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def summary(result: Settlement) -> str:
    """A short Danish account of the settlement: rows, totals, kinds, revisions and why rows were rejected."""
    total, region, kommune = result.totals()
    period = f", {danish.quarter(result.period)} ({result.period})" if result.period else ", alle kvartaler"
    lines = [f"Afregning for {result.region_name or result.region}{period}",
             f"Rækker læst: {danish.number(result.rows)}",
             f"Afregnet: {danish.number(result.settled)} forløb"]
    if result.period:
        lines.append(f"Uden for perioden: {danish.number(len(result.outside))} forløb, der afregnes i et andet "
                     "kvartal (se outside.csv)")
    lines += [f"Afvist: {danish.number(len(result.rejected))} "
              f"{'række' if len(result.rejected) == 1 else 'rækker'} (se rejected.csv)",
              f"Samlet: {danish.kroner(total)}; regionens andel {danish.kroner(region)}, "
              f"kommunernes andel {danish.kroner(kommune)}",
              f"Fakturaer: {danish.number(len(result.invoices()))} (kommune og kvartal, se invoices.csv)"]
    if result.bilateral():
        lines.append(f"Forløb over takstmodellens sidste dag (kræver bilateral aftale): "
                     f"{danish.number(result.bilateral())}")
    return "\n".join(lines + _counted(result)) + "\n"


def _counted(result: Settlement) -> list[str]:
    """The settled courses by kind and by revision, and the most common reasons for rejection."""
    kinds = result.kinds()
    lines = ["Afregnede forløb efter takst:"] if kinds else []
    lines += [f"  {danish.number(n)} × {label}" for label, n in kinds.most_common()]
    lines += [f"Udgave {danish.iso_date(rev)}: {danish.number(n)} forløb"
              for rev, n in sorted(result.revisions().items())]
    reasons = Counter(_reason_group(why) for _, _, why in result.rejected)
    if reasons:
        lines.append("Hyppigste grunde til afvisning:")
        lines.extend(f"  {danish.number(n)} × {why}" for why, n in reasons.most_common(10))
    return lines


def _reason_group(reason: str) -> str:
    # Reasons that name the row's own value or line are grouped by their general part.
    return re.sub(r"linje \d+", "linje …", re.sub(r"'[^']*'", "'…'", reason))
