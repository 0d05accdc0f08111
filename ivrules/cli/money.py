"""``ivrules tariff`` (what one course costs, who pays) and ``ivrules settle`` (a register → invoices).

Thin doors over ``Book.tariff`` and ``ivrules.money.settle``; errors go through the
CLI's ``guard``. A register that cannot be read at all exits with 2 and a
message naming the line and column; rejected rows do not change the exit
code, they are listed in ``rejected.csv`` and counted in the summary (as are
courses outside the ``--period``, in ``outside.csv``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ivrules import danish
from ivrules.cli.common import (
    AgreementsOpt,
    FactsOpt,
    JsonOpt,
    RegionOpt,
    dump,
    fact_labels,
    guard,
    read_facts,
    require_sql,
    revision_name,
)
from ivrules.engine.book import Book, load
from ivrules.engine.quote import Quote
from ivrules.money.register import settle_file, summary
from ivrules.money.settle import RegisterError, parse_period
from ivrules.site.render import flag_texts

HEADLINE = {"unknown": "KAN IKKE BEREGNES", "not_covered": "IKKE OMFATTET AF AFTALEN"}


def tariff(region: RegionOpt, facts: FactsOpt, as_json: JsonOpt = False,
           agreements: AgreementsOpt = Path("agreements")) -> None:
    """Hvad koster forløbet, og hvem betaler? Pris, andele, linjer og begrundelser."""
    with guard():
        book = load(agreements)
        answer = book.tariff(region, read_facts(facts))
        if as_json:
            dump(answer.to_dict())
            return
        _print_quote(book, answer)


def _print_quote(book: Book, answer: Quote) -> None:
    verdict = danish.kroner(answer.total) if answer.total is not None else HEADLINE[answer.status]
    typer.echo(f"{revision_name(book, answer.region, answer.revision)}: {verdict}")
    for line in answer.lines:
        days = f"{line.days} dag{'e' if line.days != 1 else ''}" if line.days is not None else ""
        typer.echo(f"  {line.text:<52} {days:>8} {danish.kroner(line.amount):>14}")
    if answer.region_share is not None and answer.municipality_share is not None:
        typer.echo(f"  Regionen betaler {danish.kroner(answer.region_share)}, "
                   f"kommunen {danish.kroner(answer.municipality_share)}")
    revision = next(a for a in book.agreements(answer.region) if a.revision == answer.revision)
    flags = flag_texts(revision)
    for flag in answer.flags:
        typer.echo(f"  ! {flags.get(flag, flag)}")
    if answer.missing:
        typer.echo(f"Mangler: {fact_labels(book, answer.missing)}")
    for reason in answer.reasons:
        typer.echo(f"  - {reason}")


def settle(
    courses: Annotated[Path, typer.Argument(metavar="REGISTER", help="Registret: CSV med én række pr. forløb.")],
    region: RegionOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Mappen, filerne skrives i.")],
    period: Annotated[str | None, typer.Option("--period", "-p", help="Kun ét kvartal, fx 2022Q1.")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  help="Vis fremdrift (standard: når stderr er en terminal).")] = None,
    agreements: AgreementsOpt = Path("agreements"),
) -> None:
    """Afregn et register: forløb, fakturaer pr. kommune og kvartal, afviste rækker, resumé og aktivitet."""
    try:
        quarter = parse_period(period) if period is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    require_sql("ivrules settle")  # settlement runs on DuckDB: the `sql` extra
    with guard():
        book = load(agreements)
        try:
            result = settle_file(book, courses, region, out, quarter,
                                 sys.stderr.isatty() if progress is None else progress)
        except RegisterError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        typer.echo(summary(result), nl=False)
        typer.echo(f"Filerne er skrevet i {out}: courses.csv, invoices.csv, rejected.csv, outside.csv, "
                   "summary.txt, activity.csv og activity.svg.")
