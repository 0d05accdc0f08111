"""HTTP → a CDS Hooks 2.0 answer: ``GET /cds-services`` (discovery) and ``POST /cds-services/{id}``.

``cds_router(book)`` is a FastAPI ``APIRouter`` for any app; ``install(app, book)``
also adds the CORS that browser-based EHR clients need. Each call is checked in
this order: the JWT (a bare 401), the body (422 naming the field), the prefetch
(412 when data is missing and cannot be fetched); then the orders are read as
facts, judged by the book in force, and answered as cards. The book is asked for
on every call (a callable), so a reloaded agreement is used at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from ivrules.engine.book import Book
from ivrules.web.cds.cards import Cards, Links
from ivrules.web.cds.fetch import PrefetchMissing, complete
from ivrules.web.cds.fhir_facts import read_call
from ivrules.web.cds.models import DISCOVERY_RESPONSES, SERVICE_RESPONSES, HookCall
from ivrules.web.cds.security import Issuer, Settings, Verifier
from ivrules.web.cds.table import FhirTable, Service, load_table

PREFIX = "/cds-services"
UNKNOWN_SERVICE = "Ukendt CDS-tjeneste. Se GET /cds-services for de tjenester, der findes."


def cds_router(book: Callable[[], Book], base_url: str | None = None, *, settings: Settings | None = None,
               site: str = "/aftaler", table: FhirTable | None = None,
               today: Callable[[], dt.date] = dt.date.today,
               transport: httpx.AsyncBaseTransport | None = None) -> APIRouter:
    """The CDS Hooks endpoints; ``base_url`` is the public address (else the settings', else the request's)."""
    settings = settings if settings is not None else Settings.from_env()
    endpoints = _Endpoints(book, base_url or settings.base_url, settings, site,
                           table if table is not None else load_table(), today, transport)
    router = APIRouter(prefix=PREFIX, tags=["CDS Hooks"])
    router.get("", summary="CDS Hooks discovery: tjenesterne og deres prefetch",
               responses=DISCOVERY_RESPONSES)(endpoints.discovery)
    router.post("/{service_id}", summary="Et CDS Hooks-kald: kort om IV-behandling i kommunalt regi",
                responses=SERVICE_RESPONSES, openapi_extra={"requestBody": {"required": True, "content": {
                    "application/json": {"schema": HookCall.model_json_schema(by_alias=True)}}}})(endpoints.call)
    return router


class _Endpoints:
    """The two CDS Hooks endpoints over one book, key configuration and FHIR data table."""

    def __init__(self, book: Callable[[], Book], base_url: str | None, settings: Settings, site: str,
                 table: FhirTable, today: Callable[[], dt.date], transport: httpx.AsyncBaseTransport | None) -> None:
        self.book, self.base_url, self.site, self.table = book, base_url, site, table
        self.today, self.transport = today, transport
        self.verifier = Verifier(settings, transport=transport)

    def public(self, request: Request) -> str:
        """The address links in cards point to: the configured one, else the one the request came to."""
        return (self.base_url or str(request.base_url)).rstrip("/")

    def audience(self, request: Request, path: str) -> str | None:
        """The ``aud`` a token must carry: from configuration only — never from the ``Host`` or ``X-Forwarded-*``
        headers, which the caller writes (a token minted for another deployment would pass). None: not configured."""
        if self.base_url is not None:
            return self.base_url.rstrip("/") + path
        return self.public(request) + path if self.verifier.settings.development else None

    async def discovery(self, request: Request) -> Response:
        if not await self.verifier.allows(request.headers.get("authorization"), self.audience(request, PREFIX)):
            return unauthorized()
        return JSONResponse({"services": [s.definition() for s in self.table.services]})

    async def call(self, service_id: str, request: Request) -> Response:
        endpoint = self.audience(request, f"{PREFIX}/{service_id}")
        issuer = await self.verifier.trusted(request.headers.get("authorization"), endpoint)
        if issuer is None:
            return unauthorized()
        service = self.table.service(service_id)
        if service is None:
            return JSONResponse({"detail": UNKNOWN_SERVICE}, status_code=404)
        hook = parse_call(await request.body(), service)
        notes: list[str] = []
        try:
            prefetch = await self._prefetch(service, hook, issuer, notes)
        except PrefetchMissing as exc:
            return JSONResponse({"detail": missing_prefetch(exc.keys)}, status_code=412)
        return self._cards(request, service, hook, prefetch, notes)

    async def _prefetch(self, service: Service, hook: HookCall, issuer: Issuer, notes: list[str]) -> dict[str, Any]:
        """The prefetch, completed from the client's FHIR server: with its token, or open when configured so."""
        token = hook.fhir_authorization.access_token if hook.fhir_authorization else None
        server = str(hook.fhir_server) if hook.fhir_server else None
        return await complete(service, hook.prefetch, hook.context, server, token, notes, self.transport,
                              open_server=token is None and issuer.open_server(server))

    def _cards(self, request: Request, service: Service, hook: HookCall, prefetch: dict[str, Any],
               notes: list[str]) -> Response:
        current = self.book()
        reading = read_call(self.table, current.vocabulary, orders_of(service, hook.context, prefetch), prefetch,
                            self.today())
        cards = Cards(current, Links(self.public(request), self.site), notes + reading.notes)
        answers = [cards.card(course) for course in reading.courses] + [cards.unreadable(u) for u in reading.unreadable]
        return JSONResponse({"cards": answers})


def install(app: FastAPI, book: Callable[[], Book], base_url: str | None = None, **options: Any) -> None:
    """Serve the CDS Hooks endpoints on ``app``, with CORS for browser-based EHR clients on them only."""
    app.include_router(cds_router(book, base_url, **options))
    app.add_middleware(CdsCors)


class CdsCors:
    """CORS for ``/cds-services`` alone: any origin may call, with its JWT in ``Authorization``.

    No cookies are involved (``allow_credentials`` stays off), so allowing every
    origin grants nothing a caller without a trusted JWT could use.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                                   allow_headers=["Authorization", "Content-Type"], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        target = self.cors if path == PREFIX or path.startswith(PREFIX + "/") else self.app
        await target(scope, receive, send)


def unauthorized() -> Response:
    """The spec's answer to an untrusted call: 401 and nothing else."""
    return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})


def parse_call(body: bytes, service: Service) -> HookCall:
    """The request body checked against the spec and the service; ``RequestValidationError`` names the field."""
    try:
        hook = HookCall.model_validate_json(body or b"null")
    except ValidationError as exc:
        raise RequestValidationError(_problems(exc)) from None
    problems = []
    if hook.hook != service.hook:
        problems.append(_problem(("hook",), f"tjenesten svarer på '{service.hook}', ikke '{hook.hook}'"))
    for key in service.context:
        if key not in hook.context or hook.context[key] is None:
            problems.append(_problem(("context", key), "feltet mangler", "missing"))
    if problems:
        raise RequestValidationError(problems)
    return hook


def _problems(exc: ValidationError) -> list[dict[str, Any]]:
    # Without the input: it may hold patient data, and error answers are sometimes logged.
    return [_problem(tuple(e["loc"]), e["msg"], e["type"])
            for e in exc.errors(include_url=False, include_context=False, include_input=False)]


def _problem(loc: tuple[Any, ...], msg: str, kind: str = "value_error") -> dict[str, Any]:
    return {"type": kind, "loc": ("body", *loc), "msg": msg}


def orders_of(service: Service, context: dict[str, Any], prefetch: dict[str, Any]) -> Any:
    """The orders to judge: from the hook context (order-sign's draftOrders) or from a prefetch key."""
    place, _, key = service.orders.partition(".")
    return (context if place == "context" else prefetch).get(key)


def missing_prefetch(keys: list[str]) -> str:
    """The 412 explanation, in Danish."""
    return (f"Kaldet mangler data fra journalen ({', '.join(keys)}) og giver ikke adgang til at hente dem. "
            "EPJ skal sende prefetch som angivet i GET /cds-services, eller fhirServer med fhirAuthorization "
            "(et adgangstoken), så tjenesten selv kan hente dem. En FHIR-server uden token bruges kun, "
            "når hospitalet har skrevet den under open_fhir_servers for EPJ'ens udsteder i tjenestens indstillinger.")

