"""JWT checks of the CDS Hooks service: every way a call can fail is a bare 401; good calls pass."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

import ivrules
from ivrules.errors import AgreementError
from ivrules.web.cds import install
from ivrules.web.cds.security import Issuer, ReplayCache, Settings, Verifier, cache_lifetime, key_set, read_settings
from tests.cds_support import BASE, ORDER_SIGN, client, order_sign

ISS = "https://ehr.test"
JKU = "https://ehr.test/.well-known/jwks.json"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if alg.startswith(("RS", "PS")) else jwt.algorithms.ECAlgorithm
    public = json.loads(algorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": alg, "use": "sig"}


JWKS = {"keys": [jwk(RSA_KEY, "rsa-1", "RS384"), jwk(EC_KEY, "ec-1", "ES384")]}


def token(aud: str = BASE + ORDER_SIGN, *, key: Any = RSA_KEY, alg: str = "RS384", kid: str = "rsa-1",
          jku: str | None = None, drop: tuple[str, ...] = (), **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISS, "aud": aud, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4()), **claims}
    headers = {"kid": kid, "typ": "JWT", **({"jku": jku} if jku else {})}
    return jwt.encode({k: v for k, v in payload.items() if k not in drop}, key, algorithm=alg, headers=headers)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture(scope="module")
def secured(book: ivrules.Book) -> TestClient:
    issuer = Issuer(ISS, jwks=key_set(JWKS))
    return client(book, Settings({ISS: issuer}))


def post(cds: TestClient, headers: dict[str, str]) -> httpx.Response:
    return cds.post(ORDER_SIGN, json=order_sign(), headers=headers)


def test_a_signed_call_from_a_trusted_issuer_is_answered(secured: TestClient) -> None:
    assert post(secured, bearer(token())).status_code == 200
    assert post(secured, bearer(token(key=EC_KEY, alg="ES384", kid="ec-1"))).status_code == 200


def test_discovery_needs_a_token_for_the_discovery_url(secured: TestClient) -> None:
    assert secured.get("/cds-services").status_code == 401
    assert secured.get("/cds-services", headers=bearer(token(BASE + "/cds-services"))).status_code == 200


def unsigned() -> str:
    return token(key=None, alg="none")


def hmac() -> str:
    return jwt.encode({"iss": ISS, "aud": BASE + ORDER_SIGN, "exp": int(time.time()) + 60, "iat": int(time.time()),
                       "jti": "x"}, "a shared secret of at least thirty-two bytes", algorithm="HS256",
                      headers={"kid": "rsa-1"})


FAILURES = {
    "no header": lambda: {},
    "not bearer": lambda: {"Authorization": "Basic dXNlcjpwYXNz"},
    "garbage": lambda: bearer("not.a.jwt"),
    "alg none": lambda: bearer(unsigned()),
    "alg HS256": lambda: bearer(hmac()),
    "wrong aud": lambda: bearer(token(BASE + "/cds-services/another-service")),
    "aud of discovery": lambda: bearer(token(BASE + "/cds-services")),
    "unknown iss": lambda: bearer(token(iss="https://evil.test")),
    "jku not allow-listed": lambda: bearer(token(jku="https://evil.test/jwks.json")),
    "expired": lambda: bearer(token(exp=int(time.time()) - 120, iat=int(time.time()) - 180)),
    "exp too far ahead": lambda: bearer(token(exp=int(time.time()) + 3600)),
    "no jti": lambda: bearer(token(drop=("jti",))),
    "no exp": lambda: bearer(token(drop=("exp",))),
    "unknown kid": lambda: bearer(token(kid="rotated-away")),
    "signed by another key": lambda: bearer(token(key=OTHER_KEY)),
    "alg differs from key": lambda: bearer(token(key=RSA_KEY, alg="PS384")),
    # RFC 7519 §2: exp, nbf and iat are NumericDates, JSON numbers; PyJWT alone would read "1999999999" as one.
    "exp a string": lambda: bearer(token(exp=str(int(time.time()) + 60))),
    "nbf a string": lambda: bearer(token(nbf=str(int(time.time()) - 10))),
    "iat a string": lambda: bearer(token(iat=str(int(time.time())))),
    "exp true": lambda: bearer(token(exp=True)),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_each_jwt_failure_is_a_bare_401(secured: TestClient, failure: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ivrules.web.cds"):
        response = post(secured, FAILURES[failure]())
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["www-authenticate"] == "Bearer"
    assert any("afvist" in r.getMessage() for r in caplog.records)


def test_without_a_configured_address_no_token_is_trusted_whatever_the_host_header(
        book: ivrules.Book, caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    install(app, lambda: book, None, settings=Settings({ISS: Issuer(ISS, jwks=key_set(JWKS))}))
    cds = TestClient(app, base_url="https://another-deployment.test")
    minted_for_it = bearer(token(aud="https://another-deployment.test" + ORDER_SIGN))
    with caplog.at_level(logging.WARNING, logger="ivrules.web.cds"):
        response = cds.post(ORDER_SIGN, json=order_sign(), headers={**minted_for_it, "X-Forwarded-Host": "x.test"})
    assert response.status_code == 401
    assert any("(base_url) er ikke sat" in r.getMessage() for r in caplog.records)


def test_a_settings_file_with_issuers_needs_the_service_address(tmp_path: Path) -> None:
    config = tmp_path / "cds.yaml"
    config.write_text(f"issuers:\n  - iss: {ISS}\n    jku: [{JKU}]\n", encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        read_settings(config)
    assert "cds.yaml:1:1" in str(caught.value)
    assert "base_url mangler" in str(caught.value)


def test_a_reused_jti_is_refused(secured: TestClient) -> None:
    once = token()
    assert post(secured, bearer(once)).status_code == 200
    assert post(secured, bearer(once)).status_code == 401


def test_keys_are_fetched_from_an_allow_listed_jku_and_cached(book: ivrules.Book) -> None:
    fetched: list[str] = []

    def ehr(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=JWKS)

    cds = client(book, Settings({ISS: Issuer(ISS, jku=(JKU,))}), transport=httpx.MockTransport(ehr))
    assert post(cds, bearer(token(jku=JKU))).status_code == 200
    assert post(cds, bearer(token())).status_code == 200  # no jku header: the issuer's listed set
    assert fetched == [JKU]


def test_an_unreachable_jwk_set_is_a_401(book: ivrules.Book) -> None:
    cds = client(book, Settings({ISS: Issuer(ISS, jku=(JKU,))}),
                 transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    assert post(cds, bearer(token(jku=JKU))).status_code == 401


def test_development_mode_skips_the_jwt_and_says_so_loudly(book: ivrules.Book,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ivrules.web.cds"):
        cds = client(book, Settings(development=True))
        assert post(cds, {}).status_code == 200
    assert any("UDVIKLINGSTILSTAND" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_development_mode_is_off_unless_the_environment_turns_it_on() -> None:
    assert Settings.from_env({}).development is False
    assert Settings.from_env({"IVRULES_CDS_DEVELOPMENT": "1"}).development is True
    assert Settings.from_env({}).issuers == {}


def test_the_replay_cache_forgets_expired_ids_and_refuses_when_full() -> None:
    clock = [0.0]
    cache = ReplayCache(size=2, ttl=100, timer=lambda: clock[0])
    assert not cache.seen(("iss", "a"))
    clock[0] = 50
    assert cache.seen(("iss", "a"))
    assert not cache.seen(("iss", "b"))
    clock[0] = 60
    assert cache.seen(("iss", "c"))  # full of live ids: refuse rather than forget one
    clock[0] = 200
    assert not cache.seen(("iss", "a"))  # a and b expired and were dropped
    assert not cache.seen(("iss", "c"))


def test_settings_file_names_issuers_and_their_keys(tmp_path: Path) -> None:
    (tmp_path / "ehr.jwks.json").write_text(json.dumps(JWKS), encoding="utf-8")
    config = tmp_path / "cds.yaml"
    config.write_text(f"base_url: {BASE}\nissuers:\n  - iss: {ISS}\n    jku: [{JKU}]\n"
                      "    jwks_file: ehr.jwks.json\n", encoding="utf-8")
    settings = Settings.from_env({"IVRULES_CDS_CONFIG": str(config)})
    assert settings.base_url == BASE
    issuer = settings.issuers[ISS]
    assert issuer.jku == (JKU,)
    assert issuer.jwks is not None and {k["kid"] for k in issuer.jwks} == {"rsa-1", "ec-1"}


def test_a_bad_settings_file_gives_located_danish_diagnostics(tmp_path: Path) -> None:
    config = tmp_path / "cds.yaml"
    config.write_text("issuers:\n  - iss: https://ehr.test\n    jwk: x\n", encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        read_settings(config)
    text = str(caught.value)
    assert "cds.yaml:3:5" in text
    assert "ukendt nøgle 'jwk'" in text
    assert "hverken jku eller jwks_file" in text


def no_network(calls: list[str]) -> httpx.MockTransport:
    """A transport that records every request and answers none of them: any key fetch fails."""
    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        raise httpx.ConnectError("ingen netværksforbindelse", request=request)
    return httpx.MockTransport(refuse)


def test_keys_agreed_out_of_band_stand_in_for_the_jku_with_no_network(book: ivrules.Book) -> None:
    calls: list[str] = []
    offline = Issuer(ISS, jku=(JKU,), jwks=key_set(JWKS))
    cds = client(book, Settings({ISS: offline}), transport=no_network(calls))
    assert post(cds, bearer(token(key=EC_KEY, alg="ES384", kid="ec-1", jku=JKU))).status_code == 200
    assert post(cds, bearer(token(jku=JKU))).status_code == 200
    assert calls == []
    assert post(cds, bearer(token(key=EC_KEY, alg="ES384", kid="ec-1", jku="https://evil.test/jwks.json"))
                ).status_code == 401
    stranger = ec.generate_private_key(ec.SECP384R1())
    assert post(cds, bearer(token(key=stranger, alg="ES384", kid="ec-1", jku=JKU))).status_code == 401
    assert calls == []


def test_without_out_of_band_keys_the_same_token_needs_the_network(book: ivrules.Book) -> None:
    calls: list[str] = []
    cds = client(book, Settings({ISS: Issuer(ISS, jku=(JKU,))}), transport=no_network(calls))
    assert post(cds, bearer(token(key=EC_KEY, alg="ES384", kid="ec-1", jku=JKU))).status_code == 401
    assert calls == [JKU]


def test_a_failed_key_fetch_is_logged_in_danish_naming_the_issuer(book: ivrules.Book,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    cds = client(book, Settings({ISS: Issuer(ISS, jku=(JKU,))}), transport=no_network([]))
    with caplog.at_level(logging.WARNING, logger="ivrules.web.cds"):
        assert post(cds, bearer(token(jku=JKU))).status_code == 401
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"JWK Set for udstederen {ISS} kunne ikke hentes fra {JKU}" in m for m in messages), messages


@pytest.mark.parametrize(("headers", "seconds"), [
    ({}, 300), ({"Cache-Control": "public, max-age=60"}, 60), ({"Cache-Control": "max-age=60", "Age": "20"}, 40),
    ({"Cache-Control": "max-age=\"90\""}, 90), ({"Cache-Control": "no-store"}, 0),
    ({"Cache-Control": "max-age=600, no-cache"}, 0), ({"Cache-Control": "max-age=31536000"}, 86_400),
    ({"Cache-Control": "max-age=soon"}, 300), ({"Cache-Control": "max-age=10", "Age": "30"}, 0),
])
def test_the_cache_lifetime_of_a_jwk_set_answer(headers: dict[str, str], seconds: float) -> None:
    assert cache_lifetime(httpx.Headers(headers)) == seconds


def test_a_fetched_jwk_set_is_kept_for_its_http_cache_lifetime() -> None:
    clock, fetched = [0.0], []

    def ehr(request: httpx.Request) -> httpx.Response:
        fetched.append(clock[0])
        return httpx.Response(200, json=JWKS, headers={"Cache-Control": "max-age=60"})

    verifier = Verifier(Settings({ISS: Issuer(ISS, jku=(JKU,))}), transport=httpx.MockTransport(ehr),
                        timer=lambda: clock[0])
    for now in (0.0, 30.0, 59.0, 61.0, 90.0):
        clock[0] = now
        asyncio.run(verifier.verify(f"Bearer {token(jku=JKU)}", BASE + ORDER_SIGN))
    assert fetched == [0.0, 61.0]


def test_a_jwk_set_sent_with_no_store_is_fetched_on_every_call() -> None:
    fetched: list[str] = []

    def ehr(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=JWKS, headers={"Cache-Control": "no-store"})

    verifier = Verifier(Settings({ISS: Issuer(ISS, jku=(JKU,))}), transport=httpx.MockTransport(ehr))
    for _ in range(2):
        asyncio.run(verifier.verify(f"Bearer {token(jku=JKU)}", BASE + ORDER_SIGN))
    assert fetched == [JKU, JKU]


def test_the_settings_file_may_name_open_fhir_servers(tmp_path: Path) -> None:
    config = tmp_path / "cds.yaml"
    config.write_text(f"base_url: {BASE}\nissuers:\n  - iss: {ISS}\n    jku: [{JKU}]\n"
                      "    open_fhir_servers: [http://127.0.0.1:8080/fhir/]\n", encoding="utf-8")
    issuer = read_settings(config).issuers[ISS]
    assert issuer.open_server("http://127.0.0.1:8080/fhir")
    assert not issuer.open_server("http://127.0.0.1:8080/other")
    assert not issuer.open_server(None)
    assert not Issuer(ISS, jku=(JKU,)).open_server("http://127.0.0.1:8080/fhir")
