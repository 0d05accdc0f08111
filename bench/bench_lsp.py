"""The language server's work per keystroke, in process: diagnostics after an edit, completion, hover.

Measures what ``ivrules lsp`` does for each request (``analyse`` of the agreements folder with the edited
buffer laid over the disk; ``choices``; ``hover_text``) on the largest agreement file; the JSON-RPC
round trip over stdio is not included. Prints median and p99 in milliseconds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from ivrules.lsp.analysis import analyse
from ivrules.lsp.complete import choices
from ivrules.lsp.cursor import Cursor
from ivrules.lsp.hover import hover_text

AGREEMENTS = Path(__file__).resolve().parent.parent / "agreements"


def timed(run: Callable[[int], object], times: int) -> str:
    samples = []
    for i in range(times):
        start = time.perf_counter()
        run(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return f"median {statistics.median(samples):.1f} ms, p99 {samples[int(len(samples) * 0.99) - 1]:.1f} ms"


def main() -> None:
    path = max(AGREEMENTS.glob("*/*.yaml"), key=lambda p: p.stat().st_size).resolve()
    text = path.read_text(encoding="utf-8")
    edits = [text.replace("rule: alder > 3 år", f"rule: alder > {i % 9 + 1} år") for i in range(100)]
    print(f"{path.name} ({path.parent.name}, {len(text)} tegn)")
    print("diagnostics after an edit:", timed(lambda i: analyse(path, {str(path): edits[i]}), 100))
    snapshot = analyse(path, {})
    assert snapshot is not None and snapshot.model is not None
    vocab, agreement = snapshot.model.vocabulary, snapshot.agreement(str(path))
    typed = text.replace("rule: alder > 3 år", "rule: behandling = ")
    row = typed.split("\n").index("        rule: behandling = ")
    print("completion:", timed(lambda i: choices(Cursor.at(typed, row, 27), vocab, typed), 1000))
    row = text.split("\n").index("        rule: alder > 3 år")
    print("hover:", timed(lambda i: hover_text(Cursor.at(text, row, 16), vocab, agreement), 1000))


if __name__ == "__main__":
    main()
