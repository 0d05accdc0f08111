"""Re-measure issue 12's hot-reload run: answers asked while a writer damages the agreements folder.

    .venv/bin/python bench/reload_hardening.py [--cycles 250] [--asks 35] [--json]

In process (the service's ``Library`` and app through a test client, the watcher's two-poll check called as
its timer would): each cycle writes the 2021 Midtjylland file half (valid YAML, no tariff yet), then in full;
appends a NUL byte; writes an impossible date; deletes the file; restores it. After every step the watcher
polls (once while the writer is still writing, twice after a finished edit) and ``--asks`` tariff questions
for a June 2021 course are answered. Counted: answers that came from a half-written set, failures that health
did not show, and answers that fell back to the 2020 revision while health did not report the 2021 file as
removed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivrules.web.app import create_app  # noqa: E402
from ivrules.web.reload import Library  # noqa: E402

NEW = Path("midtjylland") / "2021-05-01.yaml"
COURSE = {"start_date": "2021-06-01", "end_date": "2021-06-07", "municipality": "Aarhus",
          "treatment": "antibiotics", "system": "codan_mix_add", "doses_per_day": 3}


def copy_agreements(target: Path) -> Path:
    root = target / "agreements"
    (root / "midtjylland").mkdir(parents=True)
    for name in ("vocabulary.yaml", "municipalities.yaml", "regions.yaml", "midtjylland/2020-06-01.yaml", str(NEW)):
        shutil.copy(ROOT / "agreements" / name, root / name)
    return root


class Run:
    def __init__(self, root: Path, asks: int) -> None:
        self.root, self.asks = root, asks
        self.library = Library.open(root)
        self.client = TestClient(create_app(self.library))
        self.full = (root / NEW).read_text(encoding="utf-8")
        self.counts = {"requests": 0, "server_errors": 0, "half_written_answers": 0, "failures": 0,
                       "failures_not_in_health": 0, "fallback_answers": 0, "silent_fallback_answers": 0}

    def poll(self, times: int) -> None:
        for _ in range(times):  # the watcher's timer: a set is swapped in only when unchanged over two polls
            self.library.check(confirm=True)

    def ask(self, state: str) -> None:
        health = self.client.get("/v1/health").json()
        for _ in range(self.asks):
            response = self.client.post("/v1/tariff", json={"region": "midtjylland", "facts": COURSE})
            self.counts["requests"] += 1
            self.counts["server_errors"] += response.status_code >= 500
            answer: dict[str, Any] = response.json()
            if state == "half" and answer.get("status") == "unknown":
                self.counts["half_written_answers"] += 1
            if answer.get("revision") == "2020-06-01":
                self.counts["fallback_answers"] += 1
                self.counts["silent_fallback_answers"] += not health.get("removed_by_last_reload")
        if state == "broken":
            self.counts["failures"] += 1
            self.counts["failures_not_in_health"] += health.get("last_reload_error") is None

    def step(self, state: str, text: str | None) -> None:
        path = self.root / NEW
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text, encoding="utf-8")
        self.poll(1 if state == "half" else 2)  # a half-written file: the writer is still at it at the next poll
        self.ask(state)

    def cycle(self) -> None:
        self.step("half", self.full[: self.full.index("\ntariff:")])
        self.step("whole", self.full)
        self.step("broken", self.full + "\x00")
        self.step("broken", self.full.replace("effective: 2021-05-01", "effective: 2021-02-30"))
        self.step("whole", self.full)
        self.step("deleted", None)
        self.step("whole", self.full)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=250)
    parser.add_argument("--asks", type=int, default=35)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Run(copy_agreements(Path(tmp)), args.asks)
        for _ in range(args.cycles):
            run.cycle()
    if args.json:
        print(json.dumps(run.counts))
        return
    for key, value in run.counts.items():
        print(f"{key:>24}: {value:,}")


if __name__ == "__main__":
    main()
