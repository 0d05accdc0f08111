"""Hot reload: edits are picked up and swapped in whole; a bad edit never replaces the good book."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ivrules.cli.main import app as cli
from ivrules.cli.serve import ensure_site, rebuild_site
from ivrules.errors import AgreementError
from ivrules.web.app import create_app
from ivrules.web.reload import Library, content_hash
from tests.conftest import AGREEMENTS, ANTIBIOTICS_COURSE

FILE = Path("midtjylland") / "2020-06-01.yaml"
GOOD_RULE = "rule: alder > 3 år"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A private copy of the vocabulary and one agreement, to edit freely."""
    root = tmp_path / "agreements"
    (root / FILE.parent).mkdir(parents=True)
    for name in ("vocabulary.yaml", "municipalities.yaml", "regions.yaml", str(FILE)):
        shutil.copy(AGREEMENTS / name, root / name)
    return root


def edit(root: Path, old: str, new: str) -> None:
    path = root / FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def health(client: TestClient) -> Any:
    return client.get("/v1/health").json()


def eligibility(client: TestClient, **changes: Any) -> Any:
    facts = {**ANTIBIOTICS_COURSE, **changes}
    response = client.post("/v1/eligibility", json={"region": "midtjylland", "facts": facts})
    assert response.status_code == 200, response.text
    return response.json()


def test_unchanged_files_are_not_reloaded(folder: Path) -> None:
    library = Library.open(folder)
    assert library.current.content_hash == content_hash(folder)
    assert library.check() is False


def test_a_good_edit_is_swapped_in(folder: Path) -> None:
    library = Library.open(folder)
    client = TestClient(create_app(library))
    before = health(client)["content_hash"]
    assert eligibility(client, age_years=4)["eligible"] is True
    edit(folder, GOOD_RULE, "rule: alder > 4 år")
    assert library.check() is True
    after = health(client)
    assert after["content_hash"] != before and after["last_reload_error"] is None
    answer = eligibility(client, age_years=4)
    assert answer["eligible"] is False
    assert answer["content_hash"] == after["agreements"][0]["content_hash"]


def test_a_bad_edit_keeps_the_good_book_and_is_reported(folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    library = Library.open(folder)
    client = TestClient(create_app(library))
    good = health(client)
    edit(folder, GOOD_RULE, "rule: alder >> 3 år")
    with caplog.at_level(logging.ERROR, logger="ivrules.web.reload"):
        assert library.check() is False
    report = health(client)
    assert report["status"] == "degraded"
    assert report["content_hash"] == good["content_hash"]  # still answering from the good files
    error = report["last_reload_error"]
    assert error["content_hash"] == content_hash(folder)
    [diagnostic] = error["diagnostics"]
    assert diagnostic["file"].endswith(str(FILE)) and diagnostic["line"] > 0
    assert "genindlæsning fejlede" in caplog.text and str(FILE) in caplog.text
    answer = eligibility(client)
    assert answer["eligible"] is True and answer["content_hash"] == good["agreements"][0]["content_hash"]


def test_the_same_bad_files_are_reported_once(folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    library = Library.open(folder)
    edit(folder, GOOD_RULE, "rule: alder >> 3 år")
    library.check()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="ivrules.web.reload"):
        assert library.check() is False
    assert caplog.text == ""


def test_fixing_or_reverting_the_bad_edit_clears_the_error(folder: Path) -> None:
    library = Library.open(folder)
    original = (folder / FILE).read_text(encoding="utf-8")
    edit(folder, GOOD_RULE, "rule: alder >> 3 år")
    library.check()
    (folder / FILE).write_text(original, encoding="utf-8")
    assert library.check() is False  # the files are what is already served
    assert library.failure is None
    edit(folder, GOOD_RULE, "rule: alder >> 3 år")
    library.check()
    edit(folder, "alder >> 3 år", "alder > 5 år")
    assert library.check() is True and library.failure is None


def test_a_broken_vocabulary_is_also_kept_out(folder: Path) -> None:
    library = Library.open(folder)
    served = library.book
    (folder / "vocabulary.yaml").write_text("facts: [\n", encoding="utf-8")
    assert library.check() is False
    assert library.book is served
    assert library.failure is not None and "YAML" in library.failure.diagnostics[0].message


def test_the_service_watches_the_folder_by_itself(folder: Path) -> None:
    library = Library.open(folder)
    with TestClient(create_app(library, watch=0.05)) as client:
        before = health(client)["content_hash"]
        edit(folder, GOOD_RULE, "rule: alder > 4 år")
        deadline = time.monotonic() + 10
        while health(client)["content_hash"] == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert health(client)["content_hash"] == content_hash(folder)


def test_answers_during_swaps_come_whole_from_one_version(folder: Path) -> None:
    library = Library.open(folder)
    client = TestClient(create_app(library))
    path = folder / FILE
    original = path.read_text(encoding="utf-8")
    texts = {limit: original.replace(GOOD_RULE, f"rule: alder > {limit} år") for limit in (4, 5)}
    passes: dict[str, bool] = {}  # content hash → does a 5-year-old pass under that version?
    for limit, text in texts.items():
        path.write_text(text, encoding="utf-8")
        library.check()
        passes[library.book.agreements("midtjylland")[0].content_hash] = limit == 4
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            for text in texts.values():
                path.write_text(text, encoding="utf-8")
                library.check()

    worker = threading.Thread(target=swap)
    worker.start()
    try:
        for _ in range(60):
            answer = eligibility(client, age_years=5)
            assert answer["eligible"] is passes[answer["content_hash"]]
    finally:
        stop.set()
        worker.join()


def test_listeners_hear_of_good_swaps_only(folder: Path) -> None:
    library = Library.open(folder)
    heard: list[str] = []
    library.listeners.append(lambda loaded: heard.append(loaded.content_hash))
    library.listeners.append(lambda loaded: 1 / 0)  # a failing listener does not undo the swap
    edit(folder, GOOD_RULE, "rule: alder >> 3 år")
    library.check()
    assert heard == []
    edit(folder, "alder >> 3 år", "alder > 4 år")
    assert library.check() is True
    assert heard == [library.current.content_hash]


def test_a_folder_with_mistakes_cannot_be_served(folder: Path) -> None:
    edit(folder, GOOD_RULE, "rule: alder >> 3 år")
    with pytest.raises(AgreementError):
        Library.open(folder)
    result = CliRunner().invoke(cli, ["serve", "--agreements", str(folder), "--port", "1"])
    assert result.exit_code == 2
    assert f"{FILE}:" in result.stderr


def test_no_site_project_means_the_notice(tmp_path: Path) -> None:
    assert ensure_site(tmp_path / "mkdocs.yml") is None


def test_a_missing_site_is_built_and_rebuilt_on_request(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "index.md"
    page.parent.mkdir()
    page.write_text("# Aftalerne\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: prøve\nsite_dir: build\n", encoding="utf-8")
    built = ensure_site(tmp_path / "mkdocs.yml")
    assert built == tmp_path / "build"
    assert "Aftalerne" in (built / "index.html").read_text(encoding="utf-8")
    page.write_text("# Ny udgave\n", encoding="utf-8")
    rebuild_site(tmp_path / "mkdocs.yml")
    assert "Ny udgave" in (built / "index.html").read_text(encoding="utf-8")


def test_a_broken_site_project_does_not_stop_the_service(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: prøve\nsite_dir: build\nhooks: [missing.py]\n", encoding="utf-8")
    assert ensure_site(tmp_path / "mkdocs.yml") is None
