"""Hardening (issue 12): mistakes between files, and wrong examples, are located for the secretariat."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrules.cli.main import app
from ivrules.engine.book import load
from ivrules.errors import AgreementError
from tests.conftest import AGREEMENTS

runner = CliRunner()


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "agreements"
    shutil.copytree(AGREEMENTS, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _mistakes(root: Path) -> str:
    with pytest.raises(AgreementError) as caught:
        load(root)
    return str(caught.value)


def _effective(path: Path) -> str:
    """Where a file's ``effective:`` value starts, as ``file:line:column`` ends it."""
    lines = path.read_text(encoding="utf-8").split("\n")
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("effective:"))
    return f"{path.parent.name}/{path.name}:{line}:12"


def test_overlapping_revisions_point_at_both_effective_lines(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "midtjylland" / "2020-06-01.yaml", "effective: 2020-06-01", "effective: 2020-06-01\nuntil: 2021-12-31")
    message = _mistakes(root)
    assert f"{_effective(root / 'midtjylland' / '2021-05-01.yaml')}: fejl: udgaven træder i kraft 2021-05-01" in message
    assert "den tidligere: " in message and _effective(root / "midtjylland" / "2020-06-01.yaml") in message


def test_a_gap_between_revisions_points_at_both_files(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "midtjylland" / "2020-06-01.yaml", "effective: 2020-06-01", "effective: 2020-06-01\nuntil: 2021-01-31")
    message = _mistakes(root)
    later = _effective(root / "midtjylland" / "2021-05-01.yaml")
    assert f"{later}: fejl: udgaven træder først i kraft 2021-05-01" in message
    assert _effective(root / "midtjylland" / "2020-06-01.yaml") in message


def test_two_revisions_on_the_same_day_point_at_both_files(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shutil.copy(root / "midtjylland" / "2021-05-01.yaml", root / "midtjylland" / "2021-05-01b.yaml")
    message = _mistakes(root)
    assert "træder i kraft samme dag (2021-05-01)" in message and "den anden: " in message
    assert message.count("midtjylland/2021-05-01") >= 2


def test_check_runs_the_examples_and_locates_a_wrong_expectation(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    target = root / "midtjylland" / "2021-05-01.yaml"
    text = target.read_text(encoding="utf-8")
    first = text.index("examples:")
    expect_at = text.index("eligible: true", first)
    target.write_text(text[:expect_at] + "eligible: false" + text[expect_at + len("eligible: true"):], encoding="utf-8")
    result = runner.invoke(app, ["check", str(root)])
    assert result.exit_code == 2
    name_at = text.rfind("name:", first, expect_at)  # the example's mapping starts at its name
    line, column = text.count("\n", 0, name_at) + 1, name_at - text.rfind("\n", 0, name_at)
    name = text[name_at + len("name:"):text.index("\n", name_at)].strip()
    assert f"2021-05-01.yaml:{line}:{column}: fejl: eksemplet '{name}'" in result.output
    assert "passer ikke: eligible: forventet" in result.output and "Traceback" not in result.output
