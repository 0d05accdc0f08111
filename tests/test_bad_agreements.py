"""The corpus of broken agreements: each entry under tests/bad/ and the exact message a secretariat sees.

An entry is a file (``name.yaml``) or a folder of revisions (``name/<region>/<date>.yaml``, for mistakes
between files); ``name.expected`` holds what ``ivrules check`` prints. Every entry is checked the way a
secretariat checks it: ``ivrules check tests/bad/<entry>`` from the project folder (a draft outside the
agreements folder is read against ``agreements/``), which also runs the file's examples.

Re-record after a deliberate change with IVRULES_RECORD=1 and review the diff in git.
"""

from __future__ import annotations

import functools
import os
import re
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ivrules.cli.main import app
from tests.conftest import AGREEMENTS, ROOT

BAD = ROOT / "tests" / "bad"
ENTRIES = sorted([*BAD.glob("*.yaml"), *(p for p in BAD.iterdir() if p.is_dir())])
IDS = [p.stem for p in ENTRIES]
# The classes of mistakes the corpus must hold (issue 12), each by the entries' name prefix.
CLASSES = ["control_", "date_impossible", "alias_recursive_list", "alias_recursive_map", "rule_date_max",
           "rule_date_min", "rule_ikke_deep", "rule_hvis_deep", "section_superscript", "section_huge",
           "date_with_time", "alias_bomb_list", "alias_bomb_map", "until_before_effective",
           "tariff_applies_never_true", "example_wrong_", "encoding_", "revisions_overlap", "revisions_gap",
           "revisions_same_date", "yaml_tab", "yaml_colon_in_", "yaml_two_documents", "yaml_unknown_tag", "rule_nbsp",
           "rule_zero_width", "tariff_course_minus_2999", "section_typo_", "rule_caret_"]


@dataclass(frozen=True)
class Checked:
    """What ``ivrules check`` did with one entry."""

    exit_code: int
    stderr: str
    output: str
    crashed: BaseException | None
    seconds: float
    peak_bytes: int


@functools.cache
def _warm() -> None:
    """Check one good file first: imports and the grammar's tables are built once per process, not per entry."""
    assert CliRunner().invoke(app, ["check", str(AGREEMENTS / "midtjylland" / "2021-05-01.yaml")]).exit_code == 0


@functools.cache
def _check(entry: Path) -> Checked:
    """Run ``ivrules check`` on the entry (from the project folder): once timed, once with its memory traced.

    The time is the process's CPU time, so a busy machine does not fail the test; tracing memory slows
    Python many times over, so it is a run of its own."""
    _warm()
    started = time.process_time()
    result = _invoke(entry)
    seconds = time.process_time() - started
    tracemalloc.start()
    try:
        _invoke(entry)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    crashed = result.exception if not isinstance(result.exception, SystemExit) else None
    return Checked(result.exit_code, result.stderr, result.output, crashed, seconds, peak)


def _invoke(entry: Path) -> Result:
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        return CliRunner().invoke(app, ["check", str(entry.relative_to(ROOT))])
    finally:
        os.chdir(cwd)


def _diagnostics(message: str) -> list[list[str]]:
    """The message's mistakes, each as its lines (the last block is the count)."""
    return [block.splitlines() for block in message.rstrip("\n").split("\n\n")[:-1]]


def test_the_corpus_holds_a_hundred_entries_of_every_class() -> None:
    files = [*BAD.glob("*.yaml"), *BAD.glob("*/*/*.yaml")]
    assert len(files) >= 100
    assert [c for c in CLASSES if not any(name.startswith(c) for name in IDS)] == []
    assert sorted(p.stem for p in BAD.glob("*.expected")) == IDS  # every entry has its message, and no stale one


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_bad_agreement_gives_its_recorded_message(entry: Path) -> None:
    expected_file = entry.with_suffix(".expected")
    message = _check(entry).stderr
    if os.environ.get("IVRULES_RECORD"):
        expected_file.write_text(message, encoding="utf-8")
    assert message == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_bad_entry_exits_2_without_a_traceback(entry: Path) -> None:
    checked = _check(entry)
    assert checked.crashed is None and "Traceback" not in checked.output
    assert checked.exit_code == 2 and checked.stderr.rstrip().endswith("fejl")


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_mistake_is_located_in_the_entry_with_a_caret(entry: Path) -> None:
    for lines in _diagnostics(_check(entry).stderr):
        location, _, rest = lines[0].partition(": fejl: ")
        file, line, column = location.rsplit(":", 2)
        assert Path(file).resolve().is_relative_to(entry.resolve()) and int(line) > 0 and int(column) > 0 and rest
        assert re.fullmatch(r" +\| *[ …]*\^+", lines[2]), lines[:3]  # the caret, under the excerpt's line


# Words of PyYAML's and Python's own messages; a message a secretariat reads has none of them.
ENGLISH = re.compile(r"\b(the|found|expected|could not|while|cannot|error|invalid|NoneType|float|bytes|object|"
                     r"constructor|mapping|scanning|parsing|document|UNREADABLE|None|True|False)\b")


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_message_is_danish_and_says_what_to_do(entry: Path) -> None:
    for lines in _diagnostics(_check(entry).stderr):
        said = [lines[0].partition(": fejl: ")[2], *lines[3:]]  # not the excerpt of the file's own line
        assert not ENGLISH.search(re.sub(r"'[^']*'", "", " ".join(said))), said  # quoted: the file's own words
        assert "Traceback" not in lines[0] and "maximum recursion" not in lines[0]
        assert any(line.lstrip().startswith(("tip:", "forventet:", "bemærk:")) for line in said[1:]), said


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_bad_entry_is_refused_in_under_2_s_and_200_mb(entry: Path) -> None:
    checked = _check(entry)
    assert checked.seconds < 2.0 and checked.peak_bytes < 200_000_000


def test_all_mistakes_of_a_file_are_reported_together() -> None:
    message = _check(BAD / "many_mistakes.yaml").stderr
    assert message.count(": fejl: ") == 3 and message.rstrip().endswith("3 fejl")


@pytest.mark.parametrize(("name", "token"), [("rule_caret_at_end", "codan_mix_ad"), ("unknown_value_in_set", "CVC"),
                                             ("rule_caret_unit_in_middle", "3 år"), ("rule_parens_deep", "aldr")])
def test_the_caret_sits_under_the_bad_token_only(name: str, token: str) -> None:
    lines = _check(BAD / f"{name}.yaml").stderr.splitlines()
    excerpt, caret = lines[1].split("|", 1)[1], lines[2].split("|", 1)[1]
    start = caret.index("^")
    assert caret.count("^") == len(token) and excerpt[start:start + len(token)] == token


@pytest.mark.parametrize("name", ["section_typo_once", "section_typo_huge_gap", "section_unquoted_float",
                                  "yaml_unknown_tag", "example_date_impossible"])
def test_one_mistake_gives_one_error_not_a_cascade(name: str) -> None:
    assert _check(BAD / f"{name}.yaml").stderr.rstrip().endswith("\n1 fejl")
