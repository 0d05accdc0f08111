"""The rendered agreement is the agreement: every sentence of Midtjylland's source text is in the file.

The source (``001_7bd0d4708cdce166.txt``) is the PDF's text: lines broken mid-word, bullets, footnote
numbers glued to the word they annotate, and a template's ``[NAVN] kommune``. Both sides are reduced to
lower-case words before a sentence is looked for, so only a lost or changed word fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import AGREEMENTS, ROOT

SOURCE = ROOT.parent / "shared" / "domain" / "sources" / "001_7bd0d4708cdce166.txt"
FILES = sorted((AGREEMENTS / "midtjylland").glob("*.yaml"))
HEADING = re.compile(r"^\s*(\d+\.\s|\d+\.\d+\s|Baggrund\s*$)")  # "1. Parter i aftalen", "8.1 Omfang"
FOOTNOTE = re.compile(r"^\s*(\d)\s(?=\S)")  # "2 IV-behandling i kommunalt regi kan ske ..."
WORD = re.compile(r"[0-9a-zæøåé]+(?:[-'][0-9a-zæøåé]+)*")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def source_sentences(text: str) -> list[str]:
    """The agreement's text from 'Baggrund' on, without headings, as sentences on one line each."""
    lines = text.split("\n")
    body = lines[next(i for i, line in enumerate(lines) if line.strip() == "Baggrund"):]
    # A bullet, a sub-bullet ("o ") and a footnote each start a new piece: they need not end with a full stop.
    kept = [FOOTNOTE.sub("|", line) for line in body if not HEADING.match(line)]
    joined = re.sub(r"-\s*\n\s*", "-", "\n".join(kept))  # a word broken at the end of a line
    joined = re.sub(r"(?<=[a-zæøå.])\d\b", "", joined)  # footnote markers: "behandling1", "team.2"
    joined = joined.replace("[NAVN] kommune", "kommunen").replace("•", "|").replace("\no ", "\n|")
    pieces = (re.sub(r"\s+", " ", piece).strip() for piece in joined.split("|"))
    return [s for piece in pieces for s in re.split(r"(?<=[.!?])\s+", piece) if len(words(s)) > 2]


def file_words(path: Path) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    parts = [data.get("preamble", "")]
    for section in data["sections"]:
        parts += [section["text"], *section.get("items", [])]
    return " " + " ".join(" ".join(words(p)) for p in parts) + " "


@pytest.mark.skipif(not SOURCE.exists(), reason="the shared sources are not on this machine")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_sentence_of_the_source_is_in_the_file(path: Path) -> None:
    stream = file_words(path)
    lost = [s for s in source_sentences(SOURCE.read_text(encoding="utf-8"))
            if " " + " ".join(words(s)) + " " not in stream]
    assert not lost, "sætninger fra aftalen, som filen ikke har:\n" + "\n".join(lost)
