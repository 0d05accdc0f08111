"""MkDocs hook: render the agreement pages from the agreements folder at build time.

The folder is ``extra.agreements`` in mkdocs.yml (relative to that file). A
broken agreement file is logged as an error, so ``mkdocs build --strict`` fails,
while ``mkdocs serve`` shows the error pages instead of the last good ones.
Settlement results come from ``extra.settlements`` if set (``build_site`` sets
it), else as ``ivrules.money.settled.locate`` finds them; an unreadable one is a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files, InclusionLevel

from ivrules.money.settled import locate
from ivrules.site.build import render_site

log = logging.getLogger("mkdocs.hooks.ivrules")


@event_priority(-100)  # after the offline plugin, which adds a script from the internet
def on_config(config: Any) -> Any:
    """Nothing is loaded from the internet: drop remote polyfills the offline plugin adds."""
    config.extra["polyfills"] = [url for url in config.extra.get("polyfills", []) if "://" not in url]
    return config


def _sources(config: Any) -> tuple[Path, Path | None]:
    """The agreements folder and the settlements folder named in the config (None: the default), from mkdocs.yml."""
    here = Path(config.config_file_path).parent
    settlements = config.extra.get("settlements")
    return here / config.extra["agreements"], here / settlements if settlements else None


def on_files(files: Files, config: Any) -> Files:
    """Add every generated page and set the menu to match them."""
    site = render_site(*_sources(config))
    for diagnostic in site.diagnostics:
        log.error("fejl i aftalerne:\n%s", diagnostic.render())
    for warning in site.warnings:
        log.warning("afregninger: %s", warning)
    for page in site.pages:
        inclusion = InclusionLevel.UNDEFINED if page.nav else InclusionLevel.NOT_IN_NAV
        files.append(File.generated(config, page.path, content=page.content, inclusion=inclusion))
    config.nav = site.nav()
    return files


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """The live preview also follows the settlement results (mkdocs.yml's ``watch`` holds only fixed paths)."""
    folder, _ = locate(*_sources(config))
    if folder.is_dir():
        server.watch(str(folder))
    return server
