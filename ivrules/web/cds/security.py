"""A CDS Hooks call's ``Authorization`` header → trusted or not (CDS Hooks 2.0, "Trusting CDS Clients").

Every call carries a JWT signed with the EHR's private key. ``Verifier.verify``
accepts it only when: the algorithm is asymmetric (never ``none``, never HMAC),
``iss`` is a configured issuer, the ``jku`` header (if any) is on that issuer's
allow-list, the signature checks against the key named by ``kid`` (from the
issuer's out-of-band ``jwks_file`` when it has one, else fetched from the
``jku`` and cached for the answer's HTTP cache lifetime), ``aud`` is
the URL of the endpoint being called, ``exp`` has not passed and lies at most
five minutes ahead, and the ``jti`` has not been seen before. Anything else is
an ``AuthError``; the router answers it with a bare 401 and logs only the reason.

Settings come from a YAML file named by ``IVRULES_CDS_CONFIG``; development mode
(``IVRULES_CDS_DEVELOPMENT=1``, off by default) skips the check and says so loudly.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cachetools import TLRUCache, TTLCache

from ivrules.errors import AgreementError, Diagnostics
from ivrules.model.loader import Node, expect, fields, read_yaml, text_of
from ivrules.source import Source

log = logging.getLogger("ivrules.web.cds")

# Asymmetric algorithms only: the spec forbids "none" and every shared-secret (HMAC) algorithm.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
MAX_LIFETIME = 300  # seconds: the spec has exp at most five minutes ahead
LEEWAY = 30  # seconds of clock skew between the EHR and us
JWKS_TTL = 300  # seconds a fetched JWK Set is kept when its answer gives no cache lifetime
JWKS_TTL_MAX = 86_400  # seconds: a longer HTTP cache lifetime is cut to a day, so a revoked key goes in time
CONFIG_ENV = "IVRULES_CDS_CONFIG"
DEVELOPMENT_ENV = "IVRULES_CDS_DEVELOPMENT"
DEVELOPMENT_WARNING = (
    "UDVIKLINGSTILSTAND: CDS Hooks-kald godkendes UDEN at tjekke JWT. "
    f"Må aldrig bruges med rigtige patientdata; fjern {DEVELOPMENT_ENV} i drift."
)


KeySet = tuple[dict[str, Any], ...]  # the JWKs of a JWK Set, as published


class AuthError(Exception):
    """The call is not from a trusted CDS client; the message is the reason, for the log only."""


@dataclass(frozen=True)
class Issuer:
    """A trusted CDS client: its ``iss``, the JWK Set URLs it may name, and keys agreed out of band.

    ``jwks`` (from ``jwks_file``) stands in for every ``jku``: the keys come from the file and
    nothing is fetched, while a ``jku`` in a token must still be on the list. ``open_fhir_servers``
    are FHIR servers this EHR may hand over without a token ("open server" mode).
    """

    iss: str
    jku: tuple[str, ...] = ()
    jwks: KeySet | None = None
    open_fhir_servers: tuple[str, ...] = ()

    def open_server(self, url: str | None) -> bool:
        """May a missing prefetch be fetched from ``url`` without a token?"""
        return url is not None and url.rstrip("/") in {s.rstrip("/") for s in self.open_fhir_servers}


DEVELOPMENT_ISSUER = Issuer("development")  # development mode: nothing is checked, no server is open


@dataclass(frozen=True)
class Settings:
    """Who is trusted, the service's public base URL (for ``aud`` and links), and development mode."""

    issuers: dict[str, Issuer] = field(default_factory=dict)
    base_url: str | None = None
    development: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from ``IVRULES_CDS_CONFIG`` (a YAML file) and ``IVRULES_CDS_DEVELOPMENT``."""
        development = environ.get(DEVELOPMENT_ENV, "").strip().lower() in ("1", "true", "ja", "yes")
        path = environ.get(CONFIG_ENV)
        settings = read_settings(Path(path)) if path else cls()
        return Settings(settings.issuers, settings.base_url, development)


def read_settings(path: Path) -> Settings:
    """The CDS settings file; its mistakes are raised together as located diagnostics."""
    diags = Diagnostics()
    try:
        root = read_yaml(Source(str(path), path.read_text(encoding="utf-8")), diags)
    except OSError:
        diags.error(f"filen {path} kan ikke læses", None, hint=f"tjek stien i {CONFIG_ENV}")
        root = None
    f = fields(root, diags, ("issuers",), ("base_url",)) if root is not None else None
    issuers: dict[str, Issuer] = {}
    if f is not None and expect(f.get("issuers"), list, diags):
        for node in f["issuers"].value:
            issuer = _issuer(node, path.parent, diags)
            if issuer is not None:
                issuers[issuer.iss] = issuer
    base_url = text_of(f["base_url"], diags) if f and "base_url" in f else None
    if issuers and base_url is None and root is not None:
        diags.error("base_url mangler: uden tjenestens offentlige adresse kan et JWT's aud ikke kontrolleres",
                    root.span, hint="tilføj 'base_url: https://…' med den adresse, EPJ-systemet kalder tjenesten på")
    if diags:
        raise AgreementError(list(diags))
    return Settings(issuers, base_url)


def _issuer(node: Node, folder: Path, diags: Diagnostics) -> Issuer | None:
    f = fields(node, diags, ("iss",), ("jku", "jwks_file", "open_fhir_servers"))
    iss = text_of(f.get("iss"), diags) if f else None
    if f is None or iss is None:
        return None
    jku, servers = (_text_list(f[key], diags) if key in f else () for key in ("jku", "open_fhir_servers"))
    jwks = _jwks_file(f["jwks_file"], folder, diags) if "jwks_file" in f else None
    if not jku and jwks is None:
        diags.error(f"udstederen '{iss}' har hverken jku eller jwks_file", node.span,
                    hint="angiv de JWK Set-adresser, EPJ må henvise til, eller en fil med nøglerne")
    return Issuer(iss, jku, jwks, servers)


def _text_list(node: Node, diags: Diagnostics) -> tuple[str, ...]:
    if not expect(node, list, diags):
        return ()
    return tuple(t for t in (text_of(n, diags) for n in node.value) if t)


def _jwks_file(node: Node, folder: Path, diags: Diagnostics) -> KeySet | None:
    name = text_of(node, diags)
    if name is None:
        return None
    try:
        return key_set(json.loads((folder / name).read_text(encoding="utf-8")))
    except (OSError, ValueError, jwt.PyJWTError) as exc:
        diags.error(f"JWK Set-filen '{name}' kan ikke bruges ({type(exc).__name__})", node.span,
                    hint="filen skal være et JSON-objekt {\"keys\": [...]} med offentlige nøgler")
        return None


# A jti must be remembered while its token can still pass: exp is at most MAX_LIFETIME (+ LEEWAY)
# ahead of now, and the token is accepted until exp + LEEWAY.
REPLAY_TTL = MAX_LIFETIME + 2 * LEEWAY


class ReplayCache:
    """JWT ids seen in the last ``ttl`` seconds; bounded, and full means refuse rather than forget."""

    def __init__(self, size: int = 10_000, ttl: float = REPLAY_TTL,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self._seen: TTLCache[tuple[str, str], bool] = TTLCache(maxsize=size, ttl=ttl, timer=timer)
        self._lock = threading.Lock()

    def seen(self, key: tuple[str, str]) -> bool:
        """True if ``key`` was seen before (or there is no room to remember it); else remember it."""
        with self._lock:
            self._seen.expire()
            if key in self._seen or self._seen.currsize >= self._seen.maxsize:
                # Forgetting a live jti (TTLCache would evict the oldest) would let its token be replayed.
                return True
            self._seen[key] = True
            return False


class Verifier:
    """Checks the JWT of each call; fetched JWK Sets are cached for their HTTP cache lifetime."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                 replays: ReplayCache | None = None, timer: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.replays = replays or ReplayCache()
        self._transport = transport
        self._keysets: TLRUCache[str, tuple[KeySet, float]] = TLRUCache(
            maxsize=64, ttu=lambda _url, value, now: now + value[1], timer=timer)
        if settings.development:
            log.warning(DEVELOPMENT_WARNING)

    async def allows(self, authorization: str | None, audience: str | None) -> bool:
        """True when the call may be answered; a refusal is logged with its reason (never the token)."""
        return await self.trusted(authorization, audience) is not None

    async def trusted(self, authorization: str | None, audience: str | None) -> Issuer | None:
        """The issuer of a trusted call, None for any other (logged with its reason, never the token);
        ``audience`` None: the service's own address is not configured, so no token can be checked for it."""
        if self.settings.development:
            log.warning("UDVIKLINGSTILSTAND: kald til %s er ikke godkendt med JWT", audience)
            return DEVELOPMENT_ISSUER
        if audience is None:
            log.warning("CDS Hooks-kald afvist: %s", NO_BASE_URL)
            return None
        try:
            claims = await self.verify(authorization, audience)
        except AuthError as exc:
            log.warning("CDS Hooks-kald afvist: %s", exc)
            return None
        return self.settings.issuers[claims["iss"]]

    async def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The verified claims of the call's JWT; ``AuthError`` when it is not to be trusted."""
        token = _bearer(authorization)
        header, unverified = _peek(token)
        for claim in NUMERIC_DATES:  # RFC 7519 §2: a NumericDate is a JSON number; PyJWT would take "1999999999"
            value = unverified.get(claim)
            if claim in unverified and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise AuthError(f"{claim} er ikke et tal (NumericDate, RFC 7519)")
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise AuthError(f"algoritmen {alg!r} er ikke tilladt")
        if not isinstance(kid, str):
            raise AuthError("kid mangler i JWT-headeren")
        iss = unverified.get("iss")
        issuer = self.settings.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthError(f"udstederen {iss!r} er ikke betroet")
        key = await self._key(issuer, header.get("jku"), kid, str(alg))
        claims = _decode(token, key, str(alg), audience, issuer.iss)
        self._check_fresh(issuer, claims)
        return claims

    def _check_fresh(self, issuer: Issuer, claims: dict[str, Any]) -> None:
        if float(claims["exp"]) > time.time() + MAX_LIFETIME + LEEWAY:
            raise AuthError("exp ligger mere end fem minutter ude i fremtiden")
        if self.replays.seen((issuer.iss, str(claims["jti"]))):
            raise AuthError("jti er brugt før")

    async def _key(self, issuer: Issuer, jku: Any, kid: str, alg: str) -> Any:
        if jku is not None and jku not in issuer.jku:
            raise AuthError(f"jku {jku!r} er ikke på listen for udstederen {issuer.iss}")
        found = next((jwk for keyset in await self._keysets_of(issuer, jku) for jwk in keyset
                      if jwk.get("kid") == kid), None)
        if found is None:
            raise AuthError(f"ingen offentlig nøgle med kid {kid!r} hos udstederen {issuer.iss}")
        if found.get("alg", alg) != alg:
            raise AuthError(f"nøglen {kid!r} er til {found.get('alg')!r}, ikke {alg!r}")
        try:
            return jwt.PyJWK(found, algorithm=alg).key  # fails for a key of another type (an HMAC secret too)
        except jwt.PyJWTError as exc:
            raise AuthError(f"nøglen {kid!r} passer ikke til {alg} ({type(exc).__name__})") from None

    async def _keysets_of(self, issuer: Issuer, jku: str | None) -> list[KeySet]:
        """Keys agreed out of band stand in for every jku (nothing is fetched); else the named or listed sets."""
        if issuer.jwks is not None:
            return [issuer.jwks]
        return [await self._fetch(issuer, url) for url in ([jku] if jku is not None else issuer.jku)]

    async def _fetch(self, issuer: Issuer, url: str) -> KeySet:
        cached = self._keysets.get(url)
        if cached is not None:
            return cached[0]
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=5.0) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
                response.raise_for_status()
                keyset = key_set(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            raise AuthError(f"JWK Set for udstederen {issuer.iss} kunne ikke hentes fra {url} "
                            f"({type(exc).__name__})") from None
        lifetime = cache_lifetime(response.headers)
        if lifetime > 0:
            self._keysets[url] = (keyset, lifetime)
        return keyset


def cache_lifetime(headers: Mapping[str, str]) -> float:
    """Seconds a response may be reused, from ``Cache-Control`` (max-age less Age; no-store/no-cache: 0).

    Without a lifetime ``JWKS_TTL``; never more than ``JWKS_TTL_MAX``.
    """
    directives = {}
    for part in headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    try:
        max_age = int(directives["max-age"])
        age = int(headers.get("age", "0"))
    except (KeyError, ValueError):
        return float(JWKS_TTL)
    return float(max(0, min(max_age - age, JWKS_TTL_MAX)))


def key_set(data: Any) -> KeySet:
    """A JWK Set's keys, checked to hold at least one key PyJWT can use (``PyJWKSetError`` if not)."""
    if not isinstance(data, dict):
        raise jwt.PyJWKSetError("a JWK Set is a JSON object")
    jwt.PyJWKSet.from_dict(data)
    return tuple(k for k in data["keys"] if isinstance(k, dict))


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization: Bearer <JWT> mangler")
    return token.strip()


NUMERIC_DATES = ("exp", "nbf", "iat")
NO_BASE_URL = ("tjenestens offentlige adresse (base_url) er ikke sat i indstillingerne, så JWT'ens aud kan ikke "
               "kontrolleres; sæt base_url i filen, som IVRULES_CDS_CONFIG peger på")


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before the signature is checked: only to choose the issuer and the key."""
    try:
        return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AuthError("JWT kan ikke læses") from None


def _decode(token: str, key: Any, alg: str, audience: str, iss: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[alg], audience=audience, issuer=iss, leeway=LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]})
    except jwt.PyJWTError as exc:
        raise AuthError(f"JWT afvist ({type(exc).__name__})") from None
    return claims
