"""Agreements folder → the whole site: every page generator, listed once, and the MkDocs build.

``render_site(folder)`` loads the agreements and runs the generators in ``PAGES``
in order (the menu follows that order). A broken agreement file gives pages
with its located diagnostics instead, at every address the agreement pages
would have had, so a live preview never shows a stale agreement.
``build_site(out_dir)`` runs MkDocs on ``SITE_CONFIG`` (``site/mkdocs.yml``),
whose hook calls ``render_site``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import jinja2

from ivrules.engine.book import load
from ivrules.errors import AgreementError, Diagnostic, IvrulesError
from ivrules.model.load import agreement_files
from ivrules.money.settled import locate, read_settlements
from ivrules.site import activity, diff, render
from ivrules.site.render import EXAMPLES, Context, Page, PageGenerator, Site, environment, tidy
from ivrules.site.sources import read_sources

# The one MkDocs project of the site, found from the package (the repository's site/ folder).
SITE_CONFIG = Path(__file__).resolve().parents[2] / "site" / "mkdocs.yml"

# Every kind of page, in menu order.
PAGES: tuple[PageGenerator, ...] = (
    render.home_page,
    render.region_pages,
    render.agreement_pages,
    render.example_pages,
    render.comparison_pages,
    activity.activity_pages,
    diff.change_pages,
    render.source_pages,
)


class SiteError(IvrulesError):
    """The site could not be built (in strict mode: any warning, such as a broken agreement)."""


def render_site(agreements: str | Path, settlements: str | Path | None = None,
                pages: Sequence[PageGenerator] = PAGES) -> Site:
    """Every page of the site from the agreements folder, or error pages if any file has mistakes.

    Settlement results are read from ``settlements``, else ``$IVRULES_SETTLEMENTS``, else the
    ``settlements`` folder beside the agreements; none there means no activity pages.
    """
    root = _display_path(Path(agreements))
    env = environment()
    try:
        book = load(root)
        sources = read_sources(root)
    except AgreementError as exc:
        return error_site(env, root, exc.diagnostics)
    folder, named = locate(root, settlements)
    found = read_settlements(_display_path(folder), named, book.regions)
    ctx = Context(book, env, found.runs, sources)
    return Site([page for generator in pages for page in generator(ctx)], warnings=found.warnings)


def _display_path(path: Path) -> Path:
    """A path under the working directory as a relative one, so diagnostics read 'agreements/…'."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path.resolve()


# --- Error pages --------------------------------------------------------------------


def error_site(env: jinja2.Environment, root: Path, diagnostics: list[Diagnostic]) -> Site:
    """The error page, at the home page and at every address an agreement page would have."""
    content = tidy(env.get_template("error.md.j2").render(diagnostics=diagnostics, root=root.as_posix()))
    paths = ["index.md"]
    for file in agreement_files(root):
        region, revision = file.parent.name, file.stem
        paths += [f"{region}/index.md", f"{region}/{revision}/index.md", f"{region}/{revision}/{EXAMPLES}/index.md"]
    unique = list(dict.fromkeys(paths))
    return Site([Page(path, content, ("Fejl i aftalerne",) if path == "index.md" else ()) for path in unique],
                list(diagnostics))


# --- Building the site -------------------------------------------------------------


def build_site(out_dir: str | Path, *, agreements: str | Path | None = None, strict: bool = False,
               config: str | Path = SITE_CONFIG, settlements: str | Path | None = None) -> None:
    """Build the MkDocs site into ``out_dir`` (``SiteError`` in strict mode when anything warns).

    Without ``strict`` a broken agreement gives the error pages, as ``mkdocs serve`` does.
    ``settlements`` names the folder of settlement results (see ``render_site``).
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    cfg = load_config(str(config), site_dir=str(Path(out_dir).resolve()), strict=strict)
    if agreements is not None:
        cfg.extra["agreements"] = os.fspath(Path(agreements).resolve())
    if settlements is not None:
        cfg.extra["settlements"] = os.fspath(Path(settlements).resolve())
    try:
        build(cfg)
    except Abort as exc:
        raise SiteError(str(exc)) from None

# Registers the "Aktivitet og udgifter" and "Ændringer" pages (each module imports this one).
from ivrules.site import diff as diff_site  # noqa: E402, F401
