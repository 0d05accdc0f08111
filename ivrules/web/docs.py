"""``/docs``: Swagger UI from the package's own files, in Danish and accessible; and the favicon.

Swagger UI's script and style come from ``fastapi-offline`` (its copy of swagger-ui-dist), so the page
works on a hospital network without internet. ``docs.css`` lifts the stock colours to WCAG AA contrast.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

DOCS = "/docs"
ASSETS = "/docs/filer"  # Swagger UI's own files
FAVICON = Path(__file__).resolve().parent / "static" / "favicon.ico"

_templates = Environment(loader=PackageLoader("ivrules.web", "templates"), undefined=StrictUndefined,
                         autoescape=select_autoescape(["html"]))


def swagger_ui_files() -> Path:
    """The folder with swagger-ui-bundle.js and swagger-ui.css, as installed with the ``web`` extra."""
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI) -> None:
    """Serve /docs, its files and /favicon.ico on ``app`` (built with ``docs_url=None``)."""
    async def docs() -> HTMLResponse:
        html = _templates.get_template("docs/page.html").render(title=app.title, assets=ASSETS,
                                                                openapi=app.openapi_url)
        return HTMLResponse(html)

    async def favicon() -> FileResponse:
        return FileResponse(FAVICON, media_type="image/x-icon")

    app.add_api_route(DOCS, docs, include_in_schema=False, response_class=HTMLResponse)
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_files()), name="swagger-ui")
