"""Benchmark: the CDS Hooks order-sign call, in process (no network), with and without the JWT check.

Run:  .venv/bin/python bench/bench_cds.py [--calls 500]

Three timings, each over ``--calls`` calls after a warm-up: reading the FHIR resources as facts
(``read_call``), a whole POST /cds-services/ivrules-iv-order-sign through the ASGI app in
development mode, and the same with an ES256 JWT verified on every call (a fresh jti each time).
The call is the test suite's eligible Midtjylland course. CDS Hooks asks for answers in about
half a second; this shows how much of that the service itself uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ivrules  # noqa: E402
from ivrules.web.cds import Settings, install  # noqa: E402
from ivrules.web.cds.fhir_facts import read_call  # noqa: E402
from ivrules.web.cds.security import Issuer, key_set  # noqa: E402
from ivrules.web.cds.table import load_table  # noqa: E402
from tests.cds_support import BASE, ORDER_SIGN, TODAY, given, medication_request, order_sign, patient  # noqa: E402

WARMUP = 20


def app(book: ivrules.Book, settings: Settings) -> FastAPI:
    service = FastAPI()
    install(service, lambda: book, BASE, settings=settings, today=lambda: TODAY)
    return service


def report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"{name:<34} median {statistics.median(ms):7.3f} ms   p95 {ms[int(len(ms) * 0.95) - 1]:7.3f} ms   "
          f"({len(ms)} calls)")


def timed(calls: int, step: Callable[[], object]) -> list[float]:
    out = []
    for i in range(WARMUP + calls):
        start = time.perf_counter()
        step()
        if i >= WARMUP:
            out.append(time.perf_counter() - start)
    return out


async def timed_async(calls: int, step: Callable[[], Awaitable[httpx.Response]]) -> list[float]:
    out = []
    for i in range(WARMUP + calls):
        start = time.perf_counter()
        response = await step()
        assert response.status_code == 200, response.text
        if i >= WARMUP:
            out.append(time.perf_counter() - start)
    return out


async def posts(service: FastAPI, calls: int, headers: Callable[[], dict[str, str]]) -> list[float]:
    body = json.dumps(order_sign()).encode()
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        return await timed_async(calls, lambda: client.post(ORDER_SIGN, content=body, headers={
            "Content-Type": "application/json", **headers()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    calls = parser.parse_args().calls
    book = ivrules.load(ROOT / "agreements")
    table, orders = load_table(), {"resourceType": "Bundle", "entry": [{"resource": medication_request()}]}
    prefetch = {"patient": patient(), "administrations": given()}
    report("read_call (FHIR → facts)", timed(calls, lambda: read_call(table, book.vocabulary, orders, prefetch, TODAY)))

    report("POST, development mode", asyncio.run(posts(app(book, Settings(development=True)), calls, dict)))

    key = ec.generate_private_key(ec.SECP256R1())
    public = {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())), "kid": "k", "alg": "ES256"}
    trusted = Settings({"https://ehr": Issuer("https://ehr", jwks=key_set({"keys": [public]}))})

    def signed() -> dict[str, str]:
        now = int(time.time())
        claims = {"iss": "https://ehr", "aud": BASE + ORDER_SIGN, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
        return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k"})}

    report("POST, ES256 JWT checked", asyncio.run(posts(app(book, trusted), calls, signed)))


if __name__ == "__main__":
    main()
