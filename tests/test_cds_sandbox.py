"""The official CDS Hooks sandbox's order-sign call, replayed: its token, its order, its prefetch.

The sandbox (cds-hooks/sandbox) signs with ES384 and names its JWK Set in ``jku``; ``aud`` is the URL
it calls; its MedicationRequest has ``category`` as one object (FHIR R4 has a list); it fills the
prefetch itself and sends ``fhirServer`` without ``fhirAuthorization`` ("open server"). Here the JWK
Set is served on 127.0.0.1 by a real HTTP server (loopback only), and the FHIR server by a mock.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import ivrules
from ivrules.web.cds.security import Issuer, Settings, key_set
from tests.cds_support import BASE, ORDER_SIGN, assert_valid, client, given, medication_request, order_sign, patient

SANDBOX = "https://sandbox.cds-hooks.org"
KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
SANDBOX_KEY = ec.generate_private_key(ec.SECP384R1())
FHIR_SERVER = "http://127.0.0.1:8080/baseR4"  # the sandbox's local FHIR server (mocked here)
CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                        "code": "outpatient", "display": "Outpatient"}]}


def jwks(key: Any = SANDBOX_KEY) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": KID, "alg": "ES384", "use": "sig"}]}


class JwkSetServer:
    """A JWK Set served over HTTP on 127.0.0.1, counting the requests it answers."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                body = json.dumps(jwks()).encode() if self.path == "/.well-known/jwks.json" else b"{}"
                self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "max-age=600")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.jku = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"


@pytest.fixture(scope="module")
def jwk_server() -> Iterator[JwkSetServer]:
    served = JwkSetServer()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback stays loopback: a proxy from the environment must not carry the key fetch elsewhere."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def sandbox_token(jku: str, key: Any = SANDBOX_KEY, aud: str = BASE + ORDER_SIGN) -> str:
    """The sandbox's JWT: ES384, kid and jku in the header; iss, aud, exp (five minutes), iat, jti."""
    now = int(time.time())
    claims = {"iss": SANDBOX, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm="ES384", headers={"typ": "JWT", "kid": KID, "jku": jku})


def sandbox_order(**changes: Any) -> dict[str, Any]:
    """The order as the sandbox builds it (category a lone object), with the IV details the agreement asks."""
    order = medication_request(id="request-123", category=CATEGORY, authoredOn="2020-09-01", **changes)
    order["dosageInstruction"][0]["doseAndRate"] = {"doseQuantity": {"value": 1.5, "unit": "g"}}  # a lone object
    return order


def sandbox_call(order: dict[str, Any] | None = None, *, prefetch: bool = True) -> dict[str, Any]:
    body = order_sign(order or sandbox_order(), fhirServer=FHIR_SERVER)
    body["context"]["userId"] = "Practitioner/COREPRACTITIONER1"
    if not prefetch:
        del body["prefetch"]
    return body


def post(cds: Any, body: dict[str, Any], token: str) -> httpx.Response:
    assert_valid("Request", body)
    response: httpx.Response = cds.post(ORDER_SIGN, json=body, headers={"Authorization": f"Bearer {token}"})
    return response


def test_the_replayed_sandbox_call_gets_a_card(book: ivrules.Book, jwk_server: JwkSetServer) -> None:
    cds = client(book, Settings({SANDBOX: Issuer(SANDBOX, jku=(jwk_server.jku,))}))
    response = post(cds, sandbox_call(), sandbox_token(jwk_server.jku))
    assert response.status_code == 200, response.text
    assert_valid("Response", response.json())
    (card,) = response.json()["cards"]
    assert card["indicator"] == "info"
    assert card["summary"] == "Cefuroxim 1,5 g: Ja – forløbet kan overdrages til kommunen."
    assert "/.well-known/jwks.json" in jwk_server.requests


def test_the_replayed_sandbox_call_with_an_unreadable_iv_order_gets_an_info_card(
        book: ivrules.Book, jwk_server: JwkSetServer) -> None:
    order = sandbox_order()
    order["dosageInstruction"][0]["timing"]["repeat"]["timeOfDay"] = ["7 om morgenen"]
    cds = client(book, Settings({SANDBOX: Issuer(SANDBOX, jku=(jwk_server.jku,))}))
    response = post(cds, sandbox_call(order), sandbox_token(jwk_server.jku))
    assert response.status_code == 200, response.text
    assert_valid("Response", response.json())
    (card,) = response.json()["cards"]
    assert card["indicator"] == "info"
    assert card["summary"] == "Cefuroxim 1,5 g: Kunne ikke læses – ordinationen er ikke vurderet."
    assert "- `dosageInstruction[0].timing.repeat.timeOfDay[0]` har ikke det format" in card["detail"]
    assert "7 om morgenen" not in card["detail"]


def test_the_sandbox_is_refused_when_its_token_is_signed_by_another_key(book: ivrules.Book,
                                                                        jwk_server: JwkSetServer) -> None:
    cds = client(book, Settings({SANDBOX: Issuer(SANDBOX, jku=(jwk_server.jku,))}))
    impostor = ec.generate_private_key(ec.SECP384R1())
    assert post(cds, sandbox_call(), sandbox_token(jwk_server.jku, impostor)).status_code == 401
    assert post(cds, sandbox_call(), sandbox_token(jwk_server.jku, aud=BASE + "/cds-services")).status_code == 401


# --- "Open server": fhirServer without fhirAuthorization ---------------------------------------------------


def fhir_server(asked: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        if request.url.path == "/baseR4/Patient/p1":
            return httpx.Response(200, json=patient())
        if request.url.path == "/baseR4/MedicationAdministration":
            return httpx.Response(200, json=given())
        return httpx.Response(404)
    return httpx.MockTransport(answer)


def offline_sandbox(*open_servers: str) -> Issuer:
    """The sandbox with its keys agreed out of band (nothing fetched) and these FHIR servers open."""
    return Issuer(SANDBOX, jku=(f"{SANDBOX}/.well-known/jwks.json",), jwks=key_set(jwks()),
                  open_fhir_servers=open_servers)


def test_an_open_fhir_server_the_issuer_lists_is_read_without_a_token(book: ivrules.Book) -> None:
    asked: list[httpx.Request] = []
    cds = client(book, Settings({SANDBOX: offline_sandbox(FHIR_SERVER)}), transport=fhir_server(asked))
    response = post(cds, sandbox_call(prefetch=False), sandbox_token(f"{SANDBOX}/.well-known/jwks.json"))
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    assert card["indicator"] == "info"
    assert [r.url.path for r in asked] == ["/baseR4/Patient/p1", "/baseR4/MedicationAdministration"]
    assert all("authorization" not in r.headers for r in asked)


@pytest.mark.parametrize("open_servers", [(), ("http://127.0.0.1:8080/otherR4",)])
def test_without_a_token_or_an_open_server_the_412_says_what_to_send(book: ivrules.Book,
                                                                     open_servers: tuple[str, ...]) -> None:
    asked: list[httpx.Request] = []
    cds = client(book, Settings({SANDBOX: offline_sandbox(*open_servers)}), transport=fhir_server(asked))
    response = post(cds, sandbox_call(prefetch=False), sandbox_token(f"{SANDBOX}/.well-known/jwks.json"))
    assert response.status_code == 412
    detail = response.json()["detail"]
    assert "patient, administrations" in detail
    assert "fhirServer med fhirAuthorization" in detail and "open_fhir_servers" in detail
    assert asked == []
