"""A service's prefetch templates + a call → the FHIR data it needs: prefetched, or fetched from its fhirServer.

CDS Hooks 2.0: a prefetch key the client left out was not satisfied (a key
present with ``null`` means there is no such data). Keys left out are fetched
from the call's ``fhirServer`` with its ``fhirAuthorization`` token, and from
nowhere else. Without a token they are fetched only from a server the calling
EHR's issuer lists as open ("open server" mode); otherwise the call cannot be
answered (``PrefetchMissing``, HTTP 412). A fetch that fails leaves its key out, and the facts it would have
given stay missing, with a note on the card.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from ivrules.web.cds.table import Service

TOKEN = re.compile(r"\{\{\s*context\.(\w+)\s*\}\}")
TIMEOUT = 5.0  # seconds; the spec asks services to answer in about half a second


class PrefetchMissing(Exception):
    """Prefetch keys the call did not satisfy, and no FHIR server access to fetch them."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        super().__init__(", ".join(keys))


def render(template: str, context: Mapping[str, Any]) -> str | None:
    """A prefetch template with its ``{{context.x}}`` tokens filled in; None when a token has no simple value."""
    missing = [m[1] for m in TOKEN.finditer(template) if not isinstance(context.get(m[1]), (str, int))]
    if missing:
        return None
    return TOKEN.sub(lambda m: quote(str(context[m[1]]), safe=""), template)


async def complete(service: Service, prefetch: Mapping[str, Any] | None, context: Mapping[str, Any],
                   server: str | None, token: str | None, notes: list[str],
                   transport: httpx.AsyncBaseTransport | None = None, *, open_server: bool = False
                   ) -> dict[str, Any]:
    """The prefetched data with the service's missing keys fetched; ``PrefetchMissing`` if that is impossible.

    ``open_server``: the configuration lets this client's ``fhirServer`` be read without a token.
    """
    data = dict(prefetch or {})
    missing = [key for key in service.prefetch if key not in data]
    if not missing:
        return data
    if server is None or (token is None and not open_server):
        raise PrefetchMissing(missing)
    headers = {"Accept": "application/fhir+json", **({"Authorization": f"Bearer {token}"} if token else {})}
    async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT, headers=headers) as client:
        for key in missing:
            found = await _fetch(client, server, service.prefetch[key], context)
            if found is None:
                notes.append(f"Data fra journalen ('{key}') kunne ikke hentes.")
            else:
                data[key] = found
    return data


async def _fetch(client: httpx.AsyncClient, server: str, template: str, context: Mapping[str, Any]) -> Any:
    path = render(template, context)
    if path is None:
        return None
    try:
        response = await client.get(f"{server.rstrip('/')}/{path}")
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError):
        return None
