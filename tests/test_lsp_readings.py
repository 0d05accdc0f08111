"""The language server's kept readings (``ivrules.lsp.readings``): an edit reads again only what it can change,
and the findings are the very ones a reading from scratch gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivrules.lsp import readings as readings_module
from ivrules.lsp.analysis import Snapshot, analyse
from ivrules.lsp.readings import Readings
from tests.conftest import AGREEMENTS

MIDT = (AGREEMENTS / "midtjylland" / "2020-06-01.yaml").resolve()
MIDT_2021 = (AGREEMENTS / "midtjylland" / "2021-05-01.yaml").resolve()
VOCABULARY = (AGREEMENTS / "vocabulary.yaml").resolve()
ACCESSION = (AGREEMENTS / "accession.yaml").resolve()


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def findings(snapshot: Snapshot | None) -> dict[str, list[tuple[object, ...]]]:
    assert snapshot is not None
    return {path: [(f.start, f.end, f.message) for f in found] for path, found in snapshot.findings.items() if found}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The agreement files read (``read_file``) while the test runs, in order."""
    seen: list[str] = []
    real = readings_module.read_file

    def counting(path: Path, *args: object, **kw: object) -> object:
        seen.append(Path(path).name if path.parent.name == "" else f"{path.parent.name}/{path.name}")
        return real(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(readings_module, "read_file", counting)
    yield seen


EDITS = [
    pytest.param({MIDT: text(MIDT).replace("rule: alder > 3 år", "rule: aldr > 3 år")}, id="misspelt fact"),
    pytest.param({MIDT: text(MIDT).replace("effective: 2020-06-01\n", "effective: 2020-06-01\nuntil: 2021-05-10\n")},
                 id="overlapping periods"),
    pytest.param({MIDT: text(MIDT).replace("eligible: true", "eligible: false", 1)}, id="wrong example"),
    pytest.param({VOCABULARY: text(VOCABULARY).replace("term: alder", "term: alderen", 1)}, id="vocabulary edit"),
    pytest.param({ACCESSION: text(ACCESSION).replace("municipality: Holbæk", "municipality: Holbk")},
                 id="accession edit"),
    pytest.param({MIDT: "sections: [\x00]\n"}, id="unreadable"),
]


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_on_kept_readings_finds_what_a_reading_from_scratch_finds(edit: dict[Path, str]) -> None:
    kept = Readings()
    path = next(iter(edit))
    assert findings(analyse(MIDT, {}, None, kept)) == findings(analyse(MIDT, {}))  # all is read once
    texts = {str(p): t for p, t in edit.items()}
    fresh = findings(analyse(path, texts))
    assert fresh  # the edit is a mistake, or the test would prove nothing
    assert findings(analyse(path, texts, None, kept)) == fresh
    assert findings(analyse(path, {}, None, kept)) == findings(analyse(path, {}))  # and undone again


def test_an_edit_of_one_agreement_reads_only_that_file_again(reads: list[str]) -> None:
    kept = Readings()
    analyse(MIDT, {}, None, kept)
    assert len(reads) == len(list(AGREEMENTS.glob("*/*.yaml")))
    reads.clear()
    analyse(MIDT, {str(MIDT): text(MIDT).replace("rule: alder > 3 år", "rule: alder > 4 år")}, None, kept)
    assert reads == ["midtjylland/2020-06-01.yaml"]
    reads.clear()
    analyse(MIDT_2021, {}, None, kept)  # another file of the folder, as the disk has it: the edit is gone
    assert reads == ["midtjylland/2020-06-01.yaml"]


def test_an_edit_of_the_vocabulary_reads_every_agreement_again(reads: list[str]) -> None:
    kept = Readings()
    analyse(MIDT, {}, None, kept)
    reads.clear()
    edited = text(VOCABULARY).replace("term: alder", "term: alderen", 1)
    snapshot = analyse(VOCABULARY, {str(VOCABULARY): edited}, None, kept)
    assert len(reads) == len(list(AGREEMENTS.glob("*/*.yaml")))
    assert snapshot is not None and any("ukendt faktum 'alder'" in f.message for f in snapshot.findings[str(MIDT)])
