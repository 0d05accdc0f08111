"""The ``ivrules`` command: a thin door over the library.

It parses arguments, calls the library, prints, and maps the library's errors
to exit codes in one place (``_guard``): 0 fine, 1 an agreement has mistakes
or a check failed, 2 the input was wrong.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ivrules.book import Book, find_root, load, load_paths
from ivrules.errors import AgreementError, FactsError, IvrulesError, LookupError_

app = typer.Typer(help="IV-aftaler som regler: tjek, spørg og sammenlign.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)

AgreementsOpt = Annotated[Path, typer.Option("--agreements", "-a", help="Mappen med aftalerne.")]
RegionOpt = Annotated[str, typer.Option("--region", "-r", help="Region-id, fx midtjylland.")]
FactsOpt = Annotated[str, typer.Option("--facts", "-f", help="JSON-fil med fakta, eller - for standard input.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Svar som JSON.")]


@contextmanager
def _guard() -> Iterator[None]:
    """Map library errors to messages and exit codes, never a traceback."""
    try:
        yield
    except AgreementError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except FactsError as exc:
        typer.echo(f"fejl i fakta: {exc}", err=True)
        if exc.allowed:
            typer.echo(f"  tilladt: {', '.join(exc.allowed)}", err=True)
        raise typer.Exit(2) from None
    except (LookupError_, IvrulesError) as exc:
        typer.echo(f"fejl: {exc}", err=True)
        raise typer.Exit(2) from None


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


def dump(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command()
def check(paths: Annotated[list[Path] | None, typer.Argument(help="Aftalefiler eller mapper.")] = None) -> None:
    """Tjek aftalerne: alle fejl med fil:linje:kolonne. Exit 0 når alt er i orden."""
    with _guard():
        targets = paths or [Path("agreements")]
        books = load_paths(targets)
        count = sum(len(b.agreements(r)) for b in books for r in b.regions)
        typer.echo(f"OK: {count} aftale{'r' if count != 1 else ''} uden fejl.")


@app.command()
def eligibility(region: RegionOpt, facts: FactsOpt, as_json: JsonOpt = False,
                agreements: AgreementsOpt = Path("agreements")) -> None:
    """Kan forløbet overdrages til kommunen? Ja, nej eller hvad der mangler."""
    with _guard():
        answer = load(agreements).eligibility(region, read_facts(facts))
        data = answer.to_dict()
        if as_json:
            dump(data)
            return
        _print_eligibility(data)


def _print_eligibility(data: dict[str, Any]) -> None:
    verdict = {True: "JA - forløbet kan overdrages til kommunen", False: "NEJ - forløbet er ikke omfattet",
               None: "UAFKLARET - der mangler oplysninger"}[data["eligible"]]
    typer.echo(f"{data['region']} (aftale af {data['revision']}): {verdict}")
    marks = {"passed": "✓", "failed": "✗", "unknown": "?"}
    for reason in data["reasons"]:
        typer.echo(f"  {marks[reason['outcome']]} afsnit {reason['section']}: {reason['text']}")
    if data["missing"]:
        typer.echo(f"Mangler: {', '.join(data['missing'])}")
    for condition in data["conditions"]:
        typer.echo(f"Betingelse: {condition}")
    if data.get("accession"):
        typer.echo(f"Tiltrædelse: {data['accession']['text']}")


@app.command()
def facts(region: RegionOpt, as_json: JsonOpt = False, agreements: AgreementsOpt = Path("agreements")) -> None:
    """De spørgsmål, motoren kan stille for en region."""
    with _guard():
        items = [f.to_dict() for f in load(agreements).facts(region)]
        if as_json:
            dump(items)
            return
        for item in items:
            values = f" [{', '.join(v['value'] for v in item['values'])}]" if "values" in item else ""
            typer.echo(f"{item['name']:<24} {item['question']}{values}")


def register(command: Callable[..., Any]) -> Callable[..., Any]:
    """Let other modules add commands to the CLI without touching this file."""
    return app.command()(command)


def main() -> None:
    app()


__all__ = ["Book", "app", "find_root", "main", "register"]

from ivrules import (  # noqa: E402  (command modules register themselves on `app`)
    cli_compare,  # noqa: F401  (registers `ivrules compare`)
    cli_diff,  # noqa: F401  (registers `ivrules diff`)
    cli_money,  # noqa: F401  (registers `ivrules tariff` and `ivrules settle`)
    cli_serve,  # noqa: F401  (registers `ivrules serve`)
)
