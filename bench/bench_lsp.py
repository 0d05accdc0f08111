"""``ivrules lsp`` driven over stdio as an editor drives it: diagnostics after an edit, completion, hover.

Starts the real server (``ivrules lsp`` of this checkout) as a subprocess, opens the largest agreement file
and then times, from the moment the client writes the message to the moment it reads the answer:

- diagnostics after an edit: ``didChange`` (the whole text, one number changed) → ``publishDiagnostics``
  for that file (the server's debounce included);
- completion: ``textDocument/completion`` after ``behandling = `` in a rule;
- hover: ``textDocument/hover`` on a fact name.

Prints median and p99 in milliseconds (``--json`` for a machine-readable line).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AGREEMENTS = ROOT / "agreements"
COMMAND = [sys.executable, "-c",
           f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.argv = ['ivrules', 'lsp']; "
           "from ivrules.cli import main; main()"]


class Client:
    """A minimal JSON-RPC client over the server's stdin/stdout (Content-Length framing)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while line := self.process.stdout.readline().strip():
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        message: dict[str, Any] = json.loads(self.process.stdout.read(length))
        return message

    def wait_for(self, found: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        while not found(message := self.receive()):
            if "id" in message and "method" in message:  # a request from the server: answer it
                self.send({"id": message["id"], "result": None})
        return message

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        mine = self.next_id
        self.send({"id": mine, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == mine and "method" not in m).get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def close(self) -> None:
        self.request("shutdown", {})
        self.notify("exit", {})
        self.process.wait(timeout=10)


def published(uri: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri


def timed(run: Callable[[int], object], times: int) -> dict[str, float]:
    samples = []
    for i in range(times):
        start = time.perf_counter()
        run(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"median": statistics.median(samples), "p99": samples[max(0, int(len(samples) * 0.99) - 1)]}


def start(path: Path, text: str) -> Client:
    """A server initialised on this checkout with ``path`` open, its first diagnostics received."""
    client = Client()
    client.request("initialize", {"processId": None, "rootUri": ROOT.as_uri(), "capabilities": {}})
    client.notify("initialized", {})
    document = {"uri": path.as_uri(), "languageId": "yaml", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": document})
    client.wait_for(published(path.as_uri()))
    return client


def measure(client: Client, path: Path, text: str, times: int) -> dict[str, dict[str, float]]:
    uri = path.as_uri()
    edits = [text.replace("rule: alder > 3 år", f"rule: alder > {i % 9 + 1} år") for i in range(times)]

    def edit(i: int) -> None:
        change = {"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": edits[i]}]}
        client.notify("textDocument/didChange", change)
        client.wait_for(published(uri))

    out = {"diagnostics after an edit": timed(edit, times)}
    typed = text.replace("rule: alder > 3 år", "rule: behandling = ")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": times + 2},
                                             "contentChanges": [{"text": typed}]})
    client.wait_for(published(uri))
    row = typed.split("\n").index("        rule: behandling = ")
    where = {"textDocument": {"uri": uri}, "position": {"line": row, "character": 27}}
    out["completion"] = timed(lambda i: client.request("textDocument/completion", where), times * 5)
    hover_row = text.split("\n").index("        rule: alder > 3 år")
    where = {"textDocument": {"uri": uri}, "position": {"line": hover_row, "character": 16}}
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": times + 3},
                                             "contentChanges": [{"text": text}]})
    client.wait_for(published(uri))
    out["hover"] = timed(lambda i: client.request("textDocument/hover", where), times * 5)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--times", type=int, default=100, help="edits to time (requests: five times as many)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    path = max(AGREEMENTS.glob("*/*.yaml"), key=lambda p: p.stat().st_size).resolve()
    text = path.read_text(encoding="utf-8")
    client = start(path, text)
    try:
        figures = measure(client, path, text, args.times)
    finally:
        client.close()
    if args.json:
        print(json.dumps({"file": str(path.relative_to(ROOT)), **figures}))
        return
    print(f"{path.relative_to(ROOT)} ({len(text)} tegn), over stdio")
    for name, figure in figures.items():
        print(f"{name}: median {figure['median']:.1f} ms, p99 {figure['p99']:.1f} ms")


if __name__ == "__main__":
    main()
