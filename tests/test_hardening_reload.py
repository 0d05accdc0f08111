"""Hardening (issue 12): the service's hot reload reports every failure and never serves a half-written set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import ivrules.web.reload as reload_module
from ivrules.web.app import create_app
from ivrules.web.reload import Library
from tests.conftest import AGREEMENTS

OLD, NEW = Path("midtjylland") / "2020-06-01.yaml", Path("midtjylland") / "2021-05-01.yaml"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "agreements"
    (root / "midtjylland").mkdir(parents=True)
    for name in ("vocabulary.yaml", "municipalities.yaml", "regions.yaml", str(OLD), str(NEW)):
        shutil.copy(AGREEMENTS / name, root / name)
    return root


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize("damage", ["\x00", "\nloop: &loop [a, *loop]\n", "\nx: 2021-02-30\n"])
def test_a_reload_that_fails_shows_in_health(folder: Path, damage: str) -> None:
    library = Library.open(folder)
    client = TestClient(create_app(library))
    _append(folder / NEW, damage)
    assert library.check() is False
    health = client.get("/v1/health").json()
    assert health["status"] == "degraded" and health["last_reload_error"]["message"].endswith("fejl i aftalerne")


def test_an_unexpected_failure_while_loading_shows_in_health(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = Library.open(folder)
    _append(folder / NEW, "\n# an edit\n")

    def broken(root: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(reload_module, "load", broken)
    assert library.check() is False
    health = TestClient(create_app(library)).get("/v1/health").json()
    assert health["status"] == "degraded" and "RuntimeError" in health["last_reload_error"]["message"]


def test_the_watcher_swaps_only_files_unchanged_over_two_polls(folder: Path) -> None:
    library = Library.open(folder)
    before = library.current.content_hash
    text = (folder / NEW).read_text(encoding="utf-8")
    (folder / NEW).write_text(text[: text.index("tariff:")], encoding="utf-8")  # valid, but half-written
    assert library.check(confirm=True) is False and library.current.content_hash == before
    (folder / NEW).write_text(text + "\n# written in full\n", encoding="utf-8")  # the writer finishes
    assert library.check(confirm=True) is False and library.current.content_hash == before
    assert library.check(confirm=True) is True
    assert library.book.agreement("midtjylland", library.book.agreements("midtjylland")[-1].effective).tariff


def test_a_deleted_revision_is_reported_in_health(folder: Path) -> None:
    library = Library.open(folder)
    (folder / NEW).unlink()
    assert library.check() is True
    health = TestClient(create_app(library)).get("/v1/health").json()
    assert health["removed_by_last_reload"] == [
        f"midtjylland 2021-05-01 ({folder / NEW}) er ikke længere indlæst"]


def test_a_revision_that_loses_its_tariff_is_reported_in_health(folder: Path) -> None:
    library = Library.open(folder)
    text = (folder / NEW).read_text(encoding="utf-8")
    start = text.index("\ntariff:")
    end = text.index("\nexamples:")
    examples = text[end:]
    kept = [block for block in examples.split("\n  - name:") if "tariff:" not in block]
    (folder / NEW).write_text(text[:start] + "\n  - name:".join(kept), encoding="utf-8")
    assert library.check() is True, library.failure
    health = TestClient(create_app(library)).get("/v1/health").json()
    assert health["removed_by_last_reload"] == [
        f"midtjylland 2021-05-01 ({folder / NEW}) har ikke længere en takst"]
