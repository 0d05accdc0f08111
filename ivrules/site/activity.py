"""The site's "Aktivitet og udgifter" pages: each region's settlement results, where any exist.

Listed in ``ivrules.site.build.PAGES``. The runs come from ``ivrules.money.settled``
(``settlements/<region>/<name>/``, one folder per ``ivrules settle --out``),
read once by ``render_site`` into ``Context.settlements``. A region without
runs gets no page. Each run's plot is copied next to the page, so the site
still works offline and from disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from ivrules import danish
from ivrules.money.settle import Invoice
from ivrules.money.settled import Run
from ivrules.site.render import Context, Page

ACTIVITY = "aktivitet"
TITLE = "Aktivitet og udgifter"


@dataclass(frozen=True)
class InvoiceSum:
    """The invoices of one quarter (or of the whole run) added up."""

    quarter: str | None
    invoices: int
    courses: int
    total: Decimal
    region_share: Decimal
    municipality_share: Decimal


@dataclass(frozen=True)
class RunView:
    """A run as the page shows it: its files, the plot's file name beside the page, and the sums."""

    run: Run
    plot: str | None
    period: str | None  # the quarters settled, in Danish
    courses: int | None  # over activity.csv
    expense: Decimal | None
    quarters: list[InvoiceSum]
    invoices: InvoiceSum | None


def activity_pages(ctx: Context) -> Iterator[Page]:
    """One page per region with settlement results, and the plots it shows."""
    for region in ctx.book.regions:
        runs = ctx.settlements.get(region)
        if not runs:
            continue
        folder = f"{region}/{ACTIVITY}"
        names = plot_names([run.name for run in runs])
        views = [run_view(run, name if run.plot is not None else None) for run, name in zip(runs, names, strict=True)]
        content = ctx.render("activity.md.j2", root="../../", region_name=ctx.region_name(region), runs=views)
        yield Page(f"{folder}/index.md", content, (ctx.region_name(region), TITLE))
        yield from (Page(f"{folder}/{view.plot}", view.run.plot) for view in views
                    if view.plot is not None and view.run.plot is not None)


def run_view(run: Run, plot: str | None) -> RunView:
    """The sums the page shows for one run: all courses and expense, the invoices per quarter and in all."""
    activity = run.activity
    courses = sum(row.courses for row in activity) if activity is not None else None
    expense = sum((row.total for row in activity), Decimal(0)) if activity is not None else None
    invoices = run.invoices
    if invoices is None:
        return RunView(run, plot, period(run), courses, expense, [], None)
    quarters = sorted({i.quarter for i in invoices})
    by_quarter = [add_up([i for i in invoices if i.quarter == q], q) for q in quarters]
    return RunView(run, plot, period(run), courses, expense, by_quarter, add_up(invoices, None))


def period(run: Run) -> str | None:
    """'fra 3. kvartal 2020 til og med 2. kvartal 2021'; None when neither table was read."""
    quarters = run.quarters
    if not quarters:
        return None if run.activity is None and run.invoices is None else "ingen afregnede forløb"
    first, last = danish.quarter(quarters[0]), danish.quarter(quarters[-1])
    return first if first == last else f"fra {first} til og med {last}"


def add_up(invoices: Iterable[Invoice], quarter: str | None) -> InvoiceSum:
    """The number of invoices and their courses and amounts, summed exactly."""
    items = list(invoices)
    return InvoiceSum(quarter, len(items), sum(i.courses for i in items),
                      *(sum((getattr(i, name) for i in items), Decimal(0))
                        for name in ("total", "region_share", "municipality_share")))


def plot_names(runs: list[str]) -> list[str]:
    """A file name for each run's plot that is safe in a URL and unique on the page: '2022Q1.svg'."""
    names: list[str] = []
    for run in runs:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", run).strip("-.") or "afregning"
        name, n = f"{stem}.svg", 1
        while name in names:
            n += 1
            name = f"{stem}-{n}.svg"
        names.append(name)
    return names
