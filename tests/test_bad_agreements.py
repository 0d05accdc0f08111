"""The corpus of broken agreements: each file under tests/bad/ and the exact message a secretariat sees.

Re-record after a deliberate change with IVRULES_RECORD=1 and review the diff in git.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

from ivrules.engine.book import load
from ivrules.errors import AgreementError
from tests.conftest import AGREEMENTS, ROOT

BAD = sorted((ROOT / "tests" / "bad").glob("*.yaml"))


def _message(path: Path) -> str:
    relative = path.relative_to(ROOT)
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        load(relative, root=AGREEMENTS)
    except AgreementError as exc:
        return str(exc) + "\n"
    finally:
        os.chdir(cwd)
    return "NO ERROR\n"


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_agreement_gives_its_recorded_message(path: Path) -> None:
    expected_file = path.with_suffix(".expected")
    message = _message(path)
    if os.environ.get("IVRULES_RECORD"):
        expected_file.write_text(message, encoding="utf-8")
    assert message == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_every_message_is_located(path: Path) -> None:
    first = _message(path).splitlines()[0]
    location, _, rest = first.partition(": fejl: ")
    file, line, column = location.rsplit(":", 2)
    assert file.endswith(path.name) and int(line) > 0 and int(column) > 0 and rest


def test_all_mistakes_of_a_file_are_reported_together() -> None:
    message = _message(ROOT / "tests" / "bad" / "many_mistakes.yaml")
    assert message.count(": fejl: ") == 3 and message.rstrip().endswith("3 fejl")


RESOURCE_HUNGRY = ["alias_bomb_list", "alias_bomb_map", "alias_recursive_list", "section_huge", "rule_ikke_deep",
                   "rule_hvis_deep", "nesting_very_deep", "rule_huge_number"]


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_every_bad_file_is_refused_fast(path: Path) -> None:
    started = time.perf_counter()
    _message(path)
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("name", RESOURCE_HUNGRY)
def test_resource_bombs_are_refused_in_little_memory(name: str) -> None:
    tracemalloc.start()
    try:
        message = _message(ROOT / "tests" / "bad" / f"{name}.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000_000 and "1 fejl" in message
