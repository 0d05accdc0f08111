"""A settlement → activity per quarter by kind of course and category: ``activity.csv`` and ``activity.svg``.

The figures follow the Nordjylland evaluation's: the number of courses per
quarter (its figure 1) and the total expense, region and municipality
together, per quarter (its figure 2), each split by the tariff schedule and
category that priced the courses. The plot is drawn with matplotlib's Agg
backend into an SVG file for the site; amounts become floats only for the
height of a bar, never for a sum.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivrules import danish
from ivrules.engine.quote import money
from ivrules.money.cells import Writer

if TYPE_CHECKING:
    from ivrules.money.settle import Settlement

HEADER = ("quarter", "kind", "courses", "total")


def activity_rows(result: Settlement) -> list[tuple[str, str, int, Decimal]]:
    """(quarter, kind and category, courses, expense), by quarter then kind."""
    items = sorted(result.activity().items())
    return [(quarter, label, courses, total) for (quarter, label), (courses, total) in items]


def write_activity(result: Settlement, folder: Path) -> None:
    """Write ``activity.csv`` and ``activity.svg`` into ``folder``."""
    rows = activity_rows(result)
    with open(folder / "activity.csv", "w", encoding="utf-8", newline="") as handle:
        writer = Writer(handle)
        writer.writerow(HEADER)
        writer.writerows((q, label, str(n), money(total)) for q, label, n, total in rows)
    plot(rows, folder / "activity.svg", result.region_name or result.region)


def plot(rows: list[tuple[str, str, int, Decimal]], path: Path, region: str) -> None:
    """Two stacked bar charts (courses, expense) per quarter, one colour per kind, as SVG."""
    from matplotlib import rc_context

    quarters = sorted({q for q, *_ in rows})
    labels = sorted({label for _, label, *_ in rows})
    figure = _figure(rows, labels)
    courses, expense = figure.subplots(2, 1, sharex=True)
    figure.suptitle(f"IV-forløb afregnet efter aftalen, {region}")
    _stacked(courses, quarters, labels, {(q, lb): n for q, lb, n, _ in rows}, "Antal forløb pr. kvartal")
    _stacked(expense, quarters, labels, {(q, lb): float(t) for q, lb, _, t in rows},
             "Samlet udgift pr. kvartal (region og kommune), kr.")
    if labels:
        figure.legend(*courses.get_legend_handles_labels(), loc="lower center", ncols=2, fontsize="small",
                      frameon=False)
    else:
        courses.text(0.5, 0.5, "Ingen afregnede forløb", ha="center", va="center", transform=courses.transAxes)
        expense.set_xticks([])  # no quarter: no ticks between 0 and 1
    with rc_context({"svg.fonttype": "none"}):  # text as text: readable by screen readers, and drawn faster
        figure.savefig(path, format="svg", metadata={"Date": None})


def _figure(rows: list[tuple[str, str, int, Decimal]], labels: list[str]) -> Any:
    """The figure, its margins set from what they must hold: the longest amount on the expense axis and the rows of
    the legend (a layout engine measured every label again, and took half of the drawing's time)."""
    from matplotlib.figure import Figure  # a Figure without pyplot uses no GUI and no global state

    stacked: dict[str, Decimal] = {}
    for quarter, _, _, total in rows:
        stacked[quarter] = stacked.get(quarter, Decimal(0)) + total
    widest = len(danish.number(int(max(stacked.values(), default=0) * Decimal("1.1"))))
    legend = 0.25 * ((len(labels) + 1) // 2)  # inches: two labels a row
    width, height = 9.0, 6.5 + legend
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=(0.3 + 0.08 * widest) / width, right=0.98, top=0.9, bottom=(1.0 + legend) / height,
                           hspace=0.25)
    return figure


def _stacked(axes: Any, quarters: list[str], labels: list[str], values: dict[tuple[str, str], float],
             title: str) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    bottom = [0.0] * len(quarters)
    for label in labels:
        heights = [float(values.get((q, label), 0)) for q in quarters]
        axes.bar(quarters, heights, bottom=bottom, label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_title(title, fontsize="medium")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole ticks: 0.5 courses would print as '0'
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: danish.number(int(value))))
    axes.tick_params(axis="x", labelrotation=45)
