"""Benchmark: POST /v1/eligibility over HTTP with keep-alive, against `ivrules serve` on 127.0.0.1.

Run:  .venv/bin/python bench/bench_api.py [--requests 3000] [--seconds 60] [--json]

The server is the real command (`ivrules serve`, access log on, hot reload on) in its own
process on a free loopback port; the client is http.client on one kept-alive connection, one
request at a time, as the OpenFisca baseline measures POST /calculate
(../shared/bench/openfisca/bench.py). Bodies are the agreements' own example cases, in turn;
every answer is checked against the library's answer for the same case. Bounded: at most
``--requests`` timed requests and ``--seconds`` of wall time; the server is stopped by its PID.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ivrules  # noqa: E402

WARMUP = 50
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def cases(book: ivrules.Book) -> list[tuple[bytes, dict[str, Any]]]:
    """(request body, expected answer) for every eligibility example of every agreement."""
    out = []
    for region in book.regions:
        for agreement in book.agreements(region):
            for example in agreement.examples:
                if "eligible" not in example.expect:
                    continue
                facts = json.loads(json.dumps(example.facts, default=str))
                expected = book.eligibility(region, facts).to_dict()
                out.append((json.dumps({"region": region, "facts": facts}).encode(), expected))
    return out


def start_server(port: int, log: Any) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).with_name("ivrules")), "serve", "--port", str(port),
               "--agreements", str(ROOT / "agreements"), "--site", str(ROOT / "no-site" / "mkdocs.yml")]
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def wait_ready(conn: http.client.HTTPConnection, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"ivrules serve exited with {server.returncode}")
        try:
            conn.request("GET", "/v1/health")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
        except OSError:
            conn.close()
        time.sleep(0.1)
    raise RuntimeError("ivrules serve did not start in time")


def post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, bytes, str | None]:
    conn.request("POST", "/v1/eligibility", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read(), response.getheader("Connection")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), to see the server's own cost under load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(conn: http.client.HTTPConnection, work: list[tuple[bytes, dict[str, Any]]], requests: int,
            seconds: float, pid: int) -> dict[str, Any]:
    for body, expected in work:  # every answer right, once, untimed
        status, payload, _ = post(conn, body)
        assert status == 200 and json.loads(payload) == expected, payload[:300]
    samples: list[int] = []
    closes = 0
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    for i in range(WARMUP + requests):
        if time.monotonic() > deadline:
            break
        body = work[i % len(work)][0]
        t0 = time.perf_counter_ns()
        status, _, connection = post(conn, body)
        elapsed = time.perf_counter_ns() - t0
        assert status == 200
        closes += connection == "close"
        if i >= WARMUP:
            samples.append(elapsed)
    wall = time.perf_counter() - started
    result = summary(samples, wall, closes)
    result["server_cpu_us_per_request"] = round((cpu_seconds(pid) - cpu) / (WARMUP + len(samples)) * 1e6, 1)
    return result


def summary(samples: list[int], wall: float, closes: int) -> dict[str, Any]:
    us = sorted(s / 1000 for s in samples)
    return {
        "requests": len(us), "median_us": round(statistics.median(us), 1),
        "p99_us": round(us[min(len(us) - 1, int(0.99 * len(us)))], 1), "mean_us": round(statistics.fmean(us), 1),
        "max_us": round(us[-1], 1), "requests_per_s": round(len(us) / sum(us) * 1e6, 0),
        "wall_s": round(wall, 2), "connection_closed": closes,
        "note": "one kept-alive http.client connection, one request at a time, against `ivrules serve`",
    }


def run(requests: int, seconds: float) -> dict[str, Any]:
    work = cases(ivrules.load(ROOT / "agreements"))
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="ivrules-serve-", suffix=".log") as log:
        server = start_server(port, log)
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            wait_ready(conn, server, timeout=60)
            return {"cases": len(work), **measure(conn, work, requests, seconds, server.pid)}
        finally:
            conn.close()
            stop(server)


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server this script started, by its PID only."""
    if server.poll() is None:
        os.kill(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    result = run(args.requests, args.seconds)
    if args.json:
        print(json.dumps(result))
        return
    print(f"POST /v1/eligibility, {result['requests']} requests over {result['cases']} example cases, keep-alive:")
    print(f"  median {result['median_us'] / 1000:.3f} ms   p99 {result['p99_us'] / 1000:.3f} ms   "
          f"mean {result['mean_us'] / 1000:.3f} ms   max {result['max_us'] / 1000:.3f} ms")
    print(f"  {result['requests_per_s']:.0f} requests/s (one client, one connection); "
          f"server CPU {result['server_cpu_us_per_request'] / 1000:.3f} ms a request")
    print("  target: median < 1 ms, p99 < 3 ms; OpenFisca POST /calculate on this machine: 2.51 ms, 4.64 ms")


if __name__ == "__main__":
    main()
