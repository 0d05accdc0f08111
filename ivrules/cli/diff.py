"""``ivrules diff OLD NEW``: what changed between two revisions, which cases, and what it costs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ivrules.cli.common import AgreementsOpt, JsonOpt, dump, guard, require_sql
from ivrules.diff.cases import MAX_CASES, SEARCH_EXAMPLES
from ivrules.diff.report import SHOWN, to_markdown, to_text
from ivrules.diff.revisions import diff, resolve_pair
from ivrules.site.sources import cite, read_sources

REVISION_HELP = ("region@ÅÅÅÅ-MM-DD, en aftalefil, eller fil@git-revision "
                 "(fx agreements/midtjylland/2021-05-01.yaml@HEAD~1).")


def diff_command(
    old: Annotated[str, typer.Argument(metavar="FRA", help=f"Den gamle udgave: {REVISION_HELP}")],
    new: Annotated[str, typer.Argument(metavar="TIL", help=f"Den nye udgave: {REVISION_HELP}")],
    as_json: JsonOpt = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Svar som Markdown.")] = False,
    courses: Annotated[Path | None, typer.Option("--courses", help="Forløbsregister (CSV) at regne økonomien på.")]
    = None,
    search: Annotated[int, typer.Option("--search", help="Forløb pr. ændring i søgningen (0: ingen).")]
    = SEARCH_EXAMPLES,
    max_cases: Annotated[int, typer.Option("--max-cases", help="Forløb pr. årsag i JSON.")] = MAX_CASES,
    shown: Annotated[int, typer.Option("--shown", help="Forløb pr. årsag i tekst og Markdown.")] = SHOWN,
    agreements: AgreementsOpt = Path("agreements"),
) -> None:
    """Hvad er ændret mellem to udgaver: tekst, regler, forløb med et andet svar og økonomi."""
    if courses is not None:
        require_sql("ivrules diff --courses")  # the register is priced on DuckDB: the `sql` extra
    with guard():
        before, after = resolve_pair(old, new, agreements)
        result = diff(before, after, search=search, limit=max_cases, courses=courses)
        sources = read_sources(Path(agreements))  # the texts cite their sources by key: name them instead
        if as_json:
            dump(result.to_dict())
        elif markdown:
            typer.echo(cite(to_markdown(result, shown), sources), nl=False)
        else:
            typer.echo(cite(to_text(result, shown), sources))

