"""What every ``ivrules`` command shares: the common options, reading facts, printing JSON, and
mapping the library's errors to exit codes in one place (``guard``): 0 fine, 2 the input was wrong (an
agreement with mistakes, each located, facts, a register). 1 is left to Python: only a crash gives it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.errors import AgreementError, FactsError, IvrulesError, LookupError_

AgreementsOpt = Annotated[Path, typer.Option("--agreements", "-a", help="Mappen med aftalerne.")]
RegionOpt = Annotated[str, typer.Option("--region", "-r",
                                        help="Regionen: id eller navn, fx midtjylland eller 'Region Sjælland'.")]
FactsOpt = Annotated[str, typer.Option("--facts", "-f", help="JSON-fil med fakta (danske navne, fx behandling; de "
                                                              "engelske tages også imod), eller - for standard input.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Svar som JSON.")]


@contextmanager
def guard() -> Iterator[None]:
    """Map library errors to messages and exit codes, never a traceback."""
    try:
        yield
    except AgreementError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except FactsError as exc:
        typer.echo(f"fejl i fakta: `{exc.field}`: {exc.message}" + (f"; {exc.hint}" if exc.hint else ""), err=True)
        if exc.allowed:
            typer.echo(f"  tilladt: {', '.join(f'`{value}`' for value in exc.allowed)}", err=True)
        raise typer.Exit(2) from None
    except (LookupError_, IvrulesError) as exc:
        typer.echo(f"fejl: {exc}", err=True)
        raise typer.Exit(2) from None


def require_sql(command: str) -> None:
    """Stop with a Danish message (exit 2) where the ``sql`` extra, which ``command`` runs on, is not installed."""
    import importlib.util

    missing = [name for name in ("sqlglot", "duckdb") if importlib.util.find_spec(name) is None]
    if missing:
        typer.echo(f"fejl: {command} kræver pakken '{missing[0]}'. Installér den med: pip install 'ivrules[sql]'",
                   err=True)
        raise typer.Exit(2)


def read_facts(spec: str) -> dict[str, Any]:
    """Facts from a JSON file or standard input ("-")."""
    try:
        text = sys.stdin.read() if spec == "-" else Path(spec).read_text(encoding="utf-8")
    except OSError as exc:
        raise FactsError("facts", f"kan ikke læse {spec}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactsError("facts", f"ikke gyldig JSON (linje {exc.lineno}, kolonne {exc.colno}): {exc.msg}") from None
    if not isinstance(data, dict):
        raise FactsError("facts", "skal være et JSON-objekt med fakta")
    return data


def revision_name(book: Book, region: str, revision: str) -> str:
    """'Region Midtjylland, aftalen af 1. juni 2020': an answer's revision as a person reads it."""
    return f"{book.vocabulary.regions.get(region, region)}, aftalen af {danish.iso_date(revision)}"


def fact_labels(book: Book, names: Iterable[str]) -> str:
    """Facts by their Danish labels: 'Alder (fyldte år), Behandling'."""
    return ", ".join(map(book.vocabulary.label, names))


def dump(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


