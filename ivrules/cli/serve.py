"""``ivrules serve``: the API, the doctors' page and the rendered agreements on one port.

The agreements are compiled before the server starts (a broken file stops it
with the located diagnostics, as ``ivrules check`` would); after that, edits
are picked up while it runs. The MkDocs site is built first if it is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ivrules.cli.common import AgreementsOpt, guard
from ivrules.site.build import SITE_CONFIG

log = logging.getLogger("ivrules.serve")


def serve(
    host: Annotated[str, typer.Option(help="Adressen, der lyttes på.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Porten.")] = 8000,
    agreements: AgreementsOpt = Path("agreements"),
    site: Annotated[Path, typer.Option(help="MkDocs-konfigurationen for de læsbare aftaler.")] = SITE_CONFIG,
    build_site: Annotated[bool, typer.Option("--build-site", help="Byg de læsbare aftaler, også hvis de findes.")]
    = False,
    reload_every: Annotated[float, typer.Option(help="Sekunder mellem tjek for ændrede aftaler; 0 slår det fra.")]
    = 1.0,
) -> None:
    """Start tjenesten: API'et, lægernes side og de læsbare aftaler."""
    import uvicorn

    from ivrules.web.app import create_app
    from ivrules.web.reload import Library

    logging.basicConfig(level=logging.INFO, format="%(levelname)-9s %(name)s: %(message)s")
    with guard():
        library = Library.open(agreements)
    site_dir = ensure_site(site, force=build_site)
    if site_dir is not None:
        library.listeners.append(lambda loaded: rebuild_site(site))  # the readable text follows the rules
    with guard():  # a broken CDS settings file (IVRULES_CDS_CONFIG) stops here with its diagnostics
        service = create_app(library, site_dir=site_dir, watch=reload_every or None)
    typer.echo(banner(service, f"http://{host}:{port}"))
    uvicorn.run(service, host=host, port=port, log_level="info")


# What a person looks for at a path; the other paths the service answers on are listed by path alone.
PATH_NAMES = {"/": "Lægernes side", "/aftaler/": "De læsbare aftaler", "/docs": "API'ets dokumentation",
              "/openapi.json": "API'ets beskrivelse (OpenAPI)", "/cds-services": "CDS Hooks"}


def banner(service: Any, base: str) -> str:
    """Every path the service answers on, one a line, the people's pages first: no path left unsaid."""
    paths = list(dict.fromkeys(served_paths(service.routes)))
    order = list(PATH_NAMES)
    paths.sort(key=lambda p: order.index(p) if p in order else len(order))
    return "\n".join(["ivrules svarer på:", *(f"  {base}{p:<40} {PATH_NAMES.get(p, '')}".rstrip() for p in paths)])


def served_paths(routes: list[Any], prefix: str = "") -> Iterator[str]:
    """The path of each route; a mounted folder ends in '/', an included router's routes are walked."""
    from starlette.routing import Mount  # the web extra, imported on use as uvicorn is

    for route in routes:
        if hasattr(route, "original_router"):  # a router added with include_router (the CDS service)
            yield from served_paths(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            yield f"{prefix}{route.path}/"
        elif hasattr(route, "path"):
            yield prefix + route.path


def rebuild_site(config: Path) -> None:
    """Build the site again after the agreements changed (from the watcher's thread)."""
    _build(_settings(config))
    log.info("de læsbare aftaler er bygget igen")


def ensure_site(config: Path, force: bool = False) -> Path | None:
    """The built site's folder, building it first when it is missing; None when there is no site project."""
    if not config.is_file():
        typer.echo(f"advarsel: {config} findes ikke; /aftaler/ viser en besked i stedet for aftalerne.", err=True)
        return None
    site_dir: Path | None = None
    try:
        settings = _settings(config)
        site_dir = Path(settings["site_dir"])
        if force or not (site_dir / "index.html").is_file():
            typer.echo(f"Bygger de læsbare aftaler i {site_dir} …")
            _build(settings)
    except Exception as exc:  # a broken site must not keep the API and the page from starting
        typer.echo(f"advarsel: de læsbare aftaler kunne ikke bygges: {exc}", err=True)
    return site_dir


# mkdocs is imported on use: every other ivrules command starts without it.
def _settings(config: Path) -> Any:
    from mkdocs.config import load_config

    return load_config(config_file=str(config))


def _build(settings: Any) -> None:
    from mkdocs.commands.build import build

    build(settings)
