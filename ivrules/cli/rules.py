"""``ivrules check``, ``ivrules eligibility`` and ``ivrules facts``: the agreements and one course's eligibility."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ivrules.cli.common import (
    AgreementsOpt,
    FactsOpt,
    JsonOpt,
    RegionOpt,
    dump,
    fact_labels,
    guard,
    read_facts,
    revision_name,
)
from ivrules.engine.book import Book, load
from ivrules.engine.runtime import EligibilityJSON
from ivrules.engine.scenarios import all_examples, run_example
from ivrules.errors import AgreementError, Diagnostic
from ivrules.model.load import find_root
from ivrules.site.sources import read_sources

FilesArg = Annotated[list[Path] | None, typer.Argument(metavar="FILER", help="Aftalefiler eller mapper.")]


def check(paths: FilesArg = None) -> None:
    """Tjek aftalerne: alle fejl med fil:linje:kolonne. Exit 0 når alt er i orden."""
    with guard():
        asked = paths or [Path("agreements")]
        books = _load_each(asked)
        _run_examples([_in_context(path, book) for path, book in zip(asked, books, strict=True)])
        count = sum(len(b.agreements(r)) for b in books for r in b.regions)
        typer.echo(f"OK: {count} aftale{'r' if count != 1 else ''} uden fejl.")


def _load_each(paths: list[Path]) -> list[Book]:
    """Each path on its own (a folder, or a file against its folder's vocabulary); every mistake raised together."""
    books: list[Book] = []
    mistakes: list[Diagnostic] = []
    for path in paths:
        try:
            books.append(load(path))
            read_sources(path if path.is_dir() else None)  # kilder.yaml, which the pages cite sources by
        except AgreementError as exc:
            mistakes.extend(exc.diagnostics)
    if mistakes:
        raise AgreementError(mistakes)
    return books


def _in_context(path: Path, book: Book) -> tuple[Book, Path | None]:
    """The book a file's examples run in: the whole agreements folder it lies in (its other revisions and the
    accession register decide some answers), or the file alone when that folder does not load."""
    if not path.is_file():
        return book, None
    root = find_root(path)
    if path.resolve().parent.parent != root.resolve():
        return book, None  # a draft outside the folder: its own revisions only
    try:
        return load(root), path.resolve()
    except AgreementError:
        return book, None


def _run_examples(books: list[tuple[Book, Path | None]]) -> None:
    """Every example of every loaded revision (of ``only``, where given), run as the tests run it; a wrong
    expectation is a located mistake."""
    mistakes = [Diagnostic(f"eksemplet '{example.name}' passer ikke: {problem}", example.span,
                           hint="ret det forventede svar under 'expect', eller reglen, hvis den er forkert",
                           context=agreement.path)
                for book, only in books for agreement, example in all_examples(book)
                if only is None or Path(agreement.path).resolve() == only
                for problem in run_example(book, agreement, example)]
    if mistakes:
        raise AgreementError(mistakes)


def eligibility(region: RegionOpt, facts: FactsOpt, as_json: JsonOpt = False,
                agreements: AgreementsOpt = Path("agreements")) -> None:
    """Kan forløbet overdrages til kommunen? Ja, nej eller hvad der mangler."""
    with guard():
        book = load(agreements)
        data = book.eligibility(region, read_facts(facts)).to_dict()
        if as_json:
            dump(data)
            return
        _print_eligibility(book, data)


def _print_eligibility(book: Book, data: EligibilityJSON) -> None:
    verdict = {True: "JA - forløbet kan overdrages til kommunen", False: "NEJ - forløbet er ikke omfattet",
               None: "UAFKLARET - der mangler oplysninger"}[data["eligible"]]
    typer.echo(f"{revision_name(book, data['region'], data['revision'])}: {verdict}")
    marks = {"passed": "✓", "failed": "✗", "unknown": "?"}
    for reason in data["reasons"]:
        where = f"afsnit {reason['section']}: " if reason["section"] else ""  # the party check has no section
        typer.echo(f"  {marks[reason['outcome']]} {where}{reason['text']}")
    if data["missing"]:
        typer.echo(f"Mangler: {fact_labels(book, data['missing'])}")
    for condition in data["conditions"]:
        typer.echo(f"Betingelse: {condition}")
    if data["accession"]:
        typer.echo(f"Tiltrædelse: {data['accession']['text']}")


def facts(region: RegionOpt, as_json: JsonOpt = False, agreements: AgreementsOpt = Path("agreements")) -> None:
    """De spørgsmål, motoren kan stille for en region."""
    with guard():
        items = [f.to_dict() for f in load(agreements).facts(region)]
        if as_json:
            dump(items)
            return
        for item in items:  # what to write in a --facts file is code: in backticks, beside the Danish
            typer.echo(f"{item['label']} (`{item['term']}`): {item['question']}")
            if "values" in item and item["type"] != "municipality":
                typer.echo("    " + "; ".join(f"{v['label']} (`{v['term']}`)" for v in item["values"]))
