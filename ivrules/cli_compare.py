"""``ivrules compare``: the regions' agreements side by side, topic by topic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ivrules.book import load
from ivrules.cli import AgreementsOpt, JsonOpt, _guard, app, dump
from ivrules.compare import compare
from ivrules.errors import FactsError


def _date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FactsError("date", f"skal være en dato ÅÅÅÅ-MM-DD, fik {text!r}") from None


@app.command("compare")
def compare_command(
    as_json: JsonOpt = False,
    date: Annotated[str | None, typer.Option("--date", "-d", help="Datoen, der vælger udgaverne (standard: i dag).")]
    = None,
    agreements: AgreementsOpt = Path("agreements"),
) -> None:
    """Regionerne side om side: alder, doser, tidsrum, systemer, adgang, undtagelser, takster og fordeling."""
    with _guard():
        result = compare(load(agreements), _date(date))
        if as_json:
            dump(result.to_dict())
        else:
            typer.echo(result.to_text())
