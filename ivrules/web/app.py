"""HTTP requests → the library → JSON: the doctors' API, their page and the rendered agreements.

``create_app(source)`` builds the application from a compiled ``Book``, a
``Library`` (hot reload) or an agreements folder. Handlers parse, ask the book
and serialise; every error becomes an answer in one place (``_install_errors``):
422 names the field and what is allowed, 404 says in Danish what is missing,
and anything unexpected is a bare 500 that is logged without the request.
"""

import asyncio
import datetime as dt
import json
import logging
import re
import traceback
from collections.abc import Callable, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict, WithJsonSchema, create_model
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ivrules.diff.cases import MAX_CASES, CountsJSON
from ivrules.diff.revisions import DiffJSON, diff, revision_at
from ivrules.engine.book import Book
from ivrules.errors import FactsError, LookupError_, did_you_mean
from ivrules.web import doctor
from ivrules.web import models as m
from ivrules.web.cds import install as install_cds
from ivrules.web.docs import install as install_docs
from ivrules.web.reload import Library, iso_time
from ivrules.web.shapes import schema

log = logging.getLogger("ivrules.web.app")

PACKAGE = Path(__file__).resolve().parent
STATIC = PACKAGE / "static"
SITE_PREFIX = "/aftaler"
INTERNAL_ERROR = "Der skete en intern fejl. Prøv igen, eller kontakt driften, hvis fejlen bliver ved."
HTTP_MESSAGES = {404: "Siden findes ikke.", 405: "Metoden er ikke tilladt her."}
PYDANTIC_MESSAGES = {
    "missing": "feltet mangler",
    "extra_forbidden": "ukendt felt (personoplysninger som navn og CPR-nummer kan ikke sendes)",
    "dict_type": "skal være et JSON-objekt",
    "model_attributes_type": "skal være et JSON-objekt",
    "string_type": "skal være en tekst",
    "json_invalid": "ikke gyldig JSON",
    "date_from_datetime_parsing": "skal være en dato ÅÅÅÅ-MM-DD",
    "date_parsing": "skal være en dato ÅÅÅÅ-MM-DD",
    "date_type": "skal være en dato ÅÅÅÅ-MM-DD",
    "date_from_datetime_inexact": "skal være en dato ÅÅÅÅ-MM-DD",
}
DESCRIPTION = """Regionernes aftaler om IV-behandling i kommunalt regi som regler.

Spørg, om et forløb kan overdrages til kommunen (`POST /v1/eligibility`), og hvad det koster
(`POST /v1/tariff`). Hvert svar nævner den udgave af aftalen og den indholds-hash, det er
beregnet ud fra. Fakta følger ordforrådet (`GET /v1/agreements/{region}/facts`); felter uden for
det afvises, så personoplysninger kan ikke sendes. De læsbare aftaler ligger under `/aftaler/`."""


class Answer(JSONResponse):
    """JSON with Danish letters kept, dates as ISO 8601 and money as exact decimal strings."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=_json_default)
        return text.encode("utf-8", "backslashreplace")  # a lone surrogate becomes its JSON escape, not a 500


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} kan ikke skrives som JSON")


def traced(data: Mapping[str, Any], content_hash: str | None = None) -> Answer:
    """An answer computed from one revision, with that revision and its hash also in the headers."""
    headers = {"X-Ivrules-Revision": str(data.get("revision", "")),
               "X-Ivrules-Content-Hash": content_hash or str(data.get("content_hash", ""))}
    return Answer(data, headers=headers)


def create_app(source: Book | Library | str | Path, *, site_dir: Path | None = None,
               watch: float | None = None) -> FastAPI:
    """The whole service for ``source``; with ``watch`` seconds, agreement files are reloaded as they change."""
    library = source if isinstance(source, Library) else (
        Library.fixed(source) if isinstance(source, Book) else Library.open(source))
    app = FastAPI(title="ivrules", version="1", description=DESCRIPTION, default_response_class=Answer,
                  lifespan=_lifespan(library, watch), responses=_ERROR_RESPONSES, docs_url=None, redoc_url=None)
    app.state.library = library
    _install_errors(app, library)
    _install_api(app, library)
    _install_diff(app, library)
    # CDS Hooks for the EHRs (ivrules.web.cds): JWT-checked, with CORS on /cds-services only.
    install_cds(app, lambda: library.book, site=SITE_PREFIX)
    install_docs(app)  # /docs from the package's own Swagger UI files, and /favicon.ico
    _install_page(app, library, site_dir)
    app.add_middleware(_Guard)
    return app


def _lifespan(library: Library, watch: float | None) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        task = asyncio.create_task(library.watch(watch)) if watch and library.root is not None else None
        yield
        if task is not None:
            task.cancel()

    return lifespan


_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": m.Invalid, "description": "Forespørgslen er forkert; hvert problem nævner feltet."},
    404: {"model": m.NotFound, "description": "Ukendt region, eller ingen aftale gælder på datoen."},
}


OnDate = Annotated[dt.date | None, Query(alias="date", description="Dato ÅÅÅÅ-MM-DD; standard er i dag.")]


def _question_model(book: Book, name: str, date_roles: tuple[str, ...]) -> type[BaseModel]:
    """The request body {"region", "facts"}, its schema drawn from the vocabulary loaded at start; the fact of one
    of ``date_roles`` chooses the revision, so the schema requires it (a question without it is a 422)."""
    region = WithJsonSchema({"type": "string", "enum": book.regions, "title": "Region",
                             "description": "Regionens id, fx som i GET /v1/agreements."})
    dates = tuple(getattr(book.vocabulary.roles, role) for role in date_roles)
    facts = WithJsonSchema(m.facts_schema(book.vocabulary, dates))
    return create_model(name, __config__=ConfigDict(extra="forbid"),
                        region=(Annotated[str, region], ...), facts=(Annotated[dict[str, Any], facts], ...))


def _install_api(app: FastAPI, library: Library) -> None:
    book0 = library.book
    asked: Any = _question_model(book0, "Question", ("course_date",))
    priced: Any = _question_model(book0, "Course", ("start_date", "course_date"))
    Question = Annotated[asked, Body(openapi_examples=m.examples(book0, "eligible"))]  # noqa: N806
    Course = Annotated[priced, Body(openapi_examples=m.examples(book0, "tariff"))]  # noqa: N806

    @app.get("/v1/agreements", response_model=m.Catalogue, tags=["aftaler"],
             summary="Regioner, udgaver og deres gyldighedsperioder")
    async def agreements() -> Answer:
        loaded = library.current
        return Answer(m.catalogue(loaded.book, loaded.content_hash))

    @app.get("/v1/agreements/{region}", response_model=m.AgreementOut, tags=["aftaler"],
             summary="Udgaven, der gælder på datoen, med regler og takster")
    async def agreement(region: str, on: OnDate = None) -> Answer:
        book = library.book
        return traced(m.agreement_json(book.agreement(region, on or dt.date.today()), book))

    @app.get("/v1/agreements/{region}/facts", response_model=list[m.FactOut], tags=["aftaler"],
             summary="Spørgsmålene, der kan stilles, med danske tekster og tilladte værdier")
    async def facts(region: str, on: OnDate = None) -> Answer:
        book = library.book
        region = book.region_id(region)  # its id, or its name: "Region Midtjylland"
        return Answer([m.fact_json(f, book.vocabulary, region) for f in book.facts(region, on)])

    @app.post("/v1/eligibility", response_model=m.EligibilityOut, tags=["svar"],
              summary="Kan forløbet overdrages til kommunen?")
    async def eligibility(question: Question) -> Answer:
        _refuse_surrogates(question.region, question.facts)
        return traced(library.book.eligibility(question.region, question.facts).to_dict())

    @app.post("/v1/tariff", response_model=m.TariffOut, tags=["svar"], summary="Hvad koster forløbet, og hvem betaler?")
    async def tariff(question: Course) -> Answer:
        _refuse_surrogates(question.region, question.facts)
        return _tariff(library.book, question.region, question.facts)

    @app.get("/v1/health", response_model=m.Health, tags=["drift"], summary="Indlæste aftaler og seneste genindlæsning")
    async def health() -> Answer:
        return Answer(_health(library))


def _install_diff(app: FastAPI, library: Library) -> None:
    Day = Annotated[dt.date, Query(description="Udgaven, der gælder på datoen ÅÅÅÅ-MM-DD.")]  # noqa: N806

    # The diff's shapes are named here, not in ``models``: the CDS cards use ``models`` and never load the diff.
    schema(CountsJSON, "DiffCounts")

    @app.get("/v1/diff/{region}", response_model=schema(DiffJSON, "DiffOut"), tags=["aftaler"],
             summary="Hvad er ændret mellem to udgaver, og hvilke forløb får et andet svar?")
    def revision_diff(region: str, old: Day, new: Day) -> Answer:
        # A plain def: FastAPI runs it in a worker thread, as a diff takes a few tenths of a second.
        book = library.book
        result = diff(revision_at(book, region, old), revision_at(book, region, new), limit=MAX_CASES)
        return Answer(result.to_dict())


SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_surrogates(region: str, facts: dict[str, Any]) -> None:
    """A lone surrogate (valid JSON, "\\ud800", but no character) in a name or value is a 422, never a 500."""
    texts = [(("body", "region"), region)] + [(("body", "facts", key), key) for key in facts]
    for key, value in facts.items():
        items = value if isinstance(value, list) else [value]
        texts += [(("body", "facts", key), item) for item in items if isinstance(item, str)]
    for loc, text in texts:
        if SURROGATE.search(text):
            safe_loc = tuple(SURROGATE.sub("\ufffd", part) for part in loc)
            raise RequestValidationError([{"loc": safe_loc, "type": "string_unicode",
                                           "msg": "indeholder et ugyldigt tegn (en enlig surrogat, U+D800-U+DFFF)"}])


def _tariff(book: Book, region: str, facts: dict[str, Any]) -> Answer:
    """The quote as the CLI prints it; the hash of the revision it used goes in the headers."""
    data = book.tariff(region, facts).to_dict()
    used = next((a for a in book.agreements(region) if a.revision == data["revision"]), None)
    return traced(data, used.content_hash if used else None)


def _health(library: Library) -> m.HealthJSON:
    loaded, failure = library.current, library.failure
    files = [m.LoadedJSON(region=a.region, revision=a.revision, content_hash=a.content_hash, path=a.path)
             for r in loaded.book.regions for a in loaded.book.agreements(r)]
    return {"status": "ok" if failure is None else "degraded", "content_hash": loaded.content_hash,
            "loaded_at": iso_time(loaded.loaded_at), "agreements": files,
            "last_reload_error": failure.to_dict() if failure else None,
            "removed_by_last_reload": list(library.removed)}


# --- errors, in one place -------------------------------------------------------------------------------


def _install_errors(app: FastAPI, library: Library) -> None:
    async def facts_error(request: Request, exc: Exception) -> Answer:
        assert isinstance(exc, FactsError)
        return Answer({"detail": [_fact_problem(exc, library.book)]}, status_code=422)

    async def not_found(request: Request, exc: Exception) -> Answer:
        return Answer({"detail": str(exc)}, status_code=404)

    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(FactsError, facts_error)
    app.add_exception_handler(LookupError_, not_found)
    app.add_exception_handler(HTTPException, _http_error)


def _fact_problem(exc: FactsError, book: Book) -> dict[str, Any]:
    known = book.vocabulary.fact(exc.field) is not None  # by its JSON name, or by the Danish term it was given as
    problem: dict[str, Any] = {"loc": ["body", "facts", exc.field], "msg": exc.message,
                               "type": "value_error" if known else "extra_forbidden"}
    if exc.allowed is not None:
        problem["allowed"] = exc.allowed
    # The API's names are English; a misspelt Danish name (the alias people write) is told its Danish name.
    hint = None if known else did_you_mean(exc.field, book.vocabulary.facts) or exc.hint
    if hint:
        problem["hint"] = hint
    return problem


async def _invalid(request: Request, exc: Exception) -> Answer:
    assert isinstance(exc, RequestValidationError)
    return Answer({"detail": [_problem(e) for e in exc.errors()]}, status_code=422)


def _problem(error: Any) -> dict[str, Any]:
    """A pydantic error without the echoed input (it may hold what a doctor typed)."""
    loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
    kind = str(error.get("type", "value_error"))
    out: dict[str, Any] = {"loc": loc, "msg": PYDANTIC_MESSAGES.get(kind, str(error.get("msg", ""))), "type": kind}
    if kind == "extra_forbidden" and loc[:1] == ["body"]:
        out["allowed"] = ["facts", "region"]
    return out


async def _http_error(request: Request, exc: Exception) -> Answer:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:  # a body FastAPI cannot even decode: the same shape as any other bad body
        problem = {"loc": ["body"], "msg": "kan ikke læses som JSON i UTF-8", "type": "json_invalid"}
        return Answer({"detail": [problem]}, status_code=422)
    detail = HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
    return Answer({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


class _Guard:
    """Turns any unexpected exception into a bare 500; logs where it happened, never the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch_start)
        except Exception as exc:
            # The exception's message may quote request data, so only its type and frames are logged.
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("intern fejl (%s) ved %s %s\n%s", type(exc).__name__, scope.get("method"),
                      scope.get("path"), frames)
            if started or scope["type"] != "http":
                return
            await Answer({"detail": INTERNAL_ERROR}, status_code=500)(scope, receive, send)


# --- the doctors' page and the rendered agreements ------------------------------------------------------


# The doctors' page shares the site's Danish words (``site/labels.md.j2``).
_templates = Environment(loader=ChoiceLoader([PackageLoader("ivrules.web", "templates"),
                                              PrefixLoader({"site": PackageLoader("ivrules.site", "templates")})]),
                         undefined=StrictUndefined,
                         autoescape=select_autoescape(["html"]))


def _install_page(app: FastAPI, library: Library, site_dir: Path | None) -> None:
    async def page() -> HTMLResponse:
        labels = _templates.get_template("site/labels.md.j2").module  # the site's Danish words, shared
        names = library.book.vocabulary.regions  # the regions' Danish names (regions.yaml)
        regions = [{"id": r, "name": names[r]} for r in library.book.regions]
        words = {"answers": {json.dumps(k): v for k, v in labels.answers.items()},  # type: ignore[attr-defined]
                 "outcomes": labels.outcomes, "regions": names,  # type: ignore[attr-defined]
                 "quote_statuses": labels.quote_statuses}  # type: ignore[attr-defined]
        html = _templates.get_template("doctor/page.html").render(regions=regions, words=words, site=SITE_PREFIX)
        return HTMLResponse(html)

    async def to_site() -> RedirectResponse:
        return RedirectResponse(f"{SITE_PREFIX}/")

    app.add_api_route("/", page, include_in_schema=False, response_class=HTMLResponse)
    _install_doctor(app, library)
    app.add_api_route(SITE_PREFIX, to_site, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(SITE_PREFIX, SiteFiles(site_dir), name="aftaler")


def _install_doctor(app: FastAPI, library: Library) -> None:
    """The page's own answers (``ivrules.web.doctor``): /v1's answers with the Danish texts the page shows."""

    @app.post("/page/answer", include_in_schema=False)
    async def page_answer(question: doctor.Question) -> Answer:
        _refuse_surrogates(question.region, question.facts)
        book = library.book
        try:
            return Answer(doctor.answer(book, question.region, question.facts))
        except LookupError_ as exc:
            return Answer({"detail": doctor.no_agreement(book, question.region, question.facts, exc)}, status_code=404)

    @app.get("/page/facts/{region}", include_in_schema=False)
    async def page_facts(region: str) -> Answer:
        return Answer(doctor.questions(library.book, region))


class SiteFiles:
    """The built MkDocs site; a Danish notice while it has not been built."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.files = StaticFiles(directory=directory, html=True, check_dir=False) if directory else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.files is None or self.directory is None or not (self.directory / "index.html").is_file():
            html = _templates.get_template("doctor/site_missing.html").render()
            await HTMLResponse(html, status_code=503)(scope, receive, send)
            return
        await self.files(scope, receive, send)

