"""``ivrules compare``: the regions' agreements side by side, topic by topic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ivrules.cli.common import AgreementsOpt, JsonOpt, dump, guard
from ivrules.engine.book import load
from ivrules.errors import FactsError
from ivrules.site.compare import compare
from ivrules.site.sources import read_sources


def _date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FactsError("date", f"skal være en dato ÅÅÅÅ-MM-DD, fik {text!r}") from None


def compare_command(
    as_json: JsonOpt = False,
    date: Annotated[str | None, typer.Option("--date", "-d", help="Datoen, der vælger udgaverne (standard: i dag).")]
    = None,
    agreements: AgreementsOpt = Path("agreements"),
) -> None:
    """Regionerne side om side: alder, doser, tidsrum, systemer, adgang, undtagelser, takster og fordeling."""
    with guard():
        book = load(agreements)
        result = compare(book, _date(date))
        if as_json:
            dump(result.to_dict())
        else:
            typer.echo(result.to_text(book.vocabulary.regions, read_sources(book.root)))
