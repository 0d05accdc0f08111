"""What the server keeps between edits: each folder's vocabulary and each agreement file's reading, by text.

An edit changes one buffer. Reading every file again for it (``read_model``) costs
the whole folder; here each reading is kept with the text it was made from:

- the vocabulary (vocabulary.yaml, municipalities.yaml, regions.yaml) is read again
  only when one of those texts changed, and then every agreement file is read again
  too (each was checked against it);
- an agreement file is read again only when its own text changed;
- the checks between files (periods, the accession register) are cheap and are
  done on every reading, exactly as ``read_model`` does them.

The texts are the editor's buffers (``texts``, resolved path → text) laid over
the files on disk, as ``ivrules.model.load.overlay`` lays them for the loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ivrules.engine.book import Book
from ivrules.engine.scenarios import run_example
from ivrules.errors import Diagnostic, Diagnostics
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.accession import Accession
from ivrules.model.agreement import Agreement, Example
from ivrules.model.load import (
    MUNICIPALITIES,
    VOCABULARY,
    Model,
    check_periods,
    load_vocabulary,
    overlay,
    read_accession_file,
    read_file,
)
from ivrules.model.regions import FILE as REGIONS
from ivrules.source import Source

Key = str | bytes | None  # a file's text as the editor holds it, its bytes on disk, or None: no such file
VOCABULARY_FILES = (VOCABULARY, MUNICIPALITIES, REGIONS)  # what the vocabulary is read from
ExampleProblems = list[tuple[Example, list[str]]]  # each example of a revision with what is wrong with it
UNREADABLE = ("filen kan ikke læses som YAML: den indeholder et tegn, YAML ikke tillader (et styretegn?)",
              "fjern tegnet, eller åbn den rigtige fil")


def key_of(path: Path, texts: Mapping[str, str]) -> Key:
    """What a file says now: the editor's buffer if it is open, else its bytes on disk."""
    name = str(path.resolve())
    if name in texts:
        return texts[name]
    try:
        return path.read_bytes()
    except OSError:
        return None


@dataclass
class Reading:
    """One agreement file read against the folder's vocabulary: the agreement (if any) and its mistakes."""

    key: Key
    agreement: Agreement | None
    diagnostics: list[Diagnostic]


@dataclass
class Folder:
    """The kept readings of one agreements folder."""

    vocabulary_key: tuple[Key, ...] | None = None
    vocabulary: Vocabulary | None = None
    vocabulary_diagnostics: list[Diagnostic] = field(default_factory=list)
    files: dict[str, Reading] = field(default_factory=dict)
    examples: dict[str, tuple[object, ExampleProblems]] = field(default_factory=dict)

    def vocabulary_for(self, root: Path, texts: Mapping[str, str]) -> Vocabulary:
        """The vocabulary, read again (and every file's reading dropped) only when one of its files changed."""
        key = tuple(key_of(root / name, texts) for name in VOCABULARY_FILES)
        if self.vocabulary is None or key != self.vocabulary_key:
            diags = Diagnostics()
            with overlay(texts):
                self.vocabulary = load_vocabulary(root, diags)
            self.vocabulary_key, self.vocabulary_diagnostics, self.files = key, list(diags), {}
        return self.vocabulary

    def reading(self, path: Path, texts: Mapping[str, str], *, check_name: bool) -> Reading:
        """One agreement file's reading, made again only when its text changed since the last one."""
        name = str(path)
        key = key_of(path, texts)
        kept = self.files.get(name)
        if kept is not None and kept.key == key:
            return kept
        assert self.vocabulary is not None
        diags = Diagnostics()
        try:
            with overlay(texts):
                agreement = read_file(path, self.vocabulary, diags, check_name=check_name)
        except yaml.YAMLError as exc:  # the loader lets a reader error (a control character) through
            agreement = None
            diags.append(unreadable(name, key if isinstance(key, str) else "", exc))
        self.files[name] = Reading(key, agreement, list(diags))
        return self.files[name]


def unreadable(name: str, text: str, exc: yaml.YAMLError) -> Diagnostic:
    """A file YAML cannot even read (a NUL byte, a binary file opened by mistake): said at the first bad character."""
    index = min(int(getattr(exc, "position", 0) or 0), len(text))
    message, hint = UNREADABLE
    return Diagnostic(message, Source(name, text).span(index), hint=hint)


@dataclass
class Readings:
    """The kept readings of every folder the server has been asked about."""

    folders: dict[Path, Folder] = field(default_factory=dict)

    def model(self, root: Path, files: list[Path], texts: Mapping[str, str],
              *, whole: bool) -> tuple[Model, Diagnostics]:
        """What ``read_model`` gives for ``files`` under ``root`` (``whole``: the folder), from the kept readings."""
        folder = self.folders.setdefault(root, Folder())
        vocab = folder.vocabulary_for(root, texts)
        diags = Diagnostics(folder.vocabulary_diagnostics)
        readings = [folder.reading(p, texts, check_name=p.parent.parent == root) for p in files]
        agreements = [r.agreement for r in readings if r.agreement is not None]
        for r in readings:
            diags.extend(r.diagnostics)
        check_periods(agreements, diags)
        with overlay(texts):
            accession = read_accession_file(root, vocab, agreements, diags) if whole else None
        return Model(root, vocab, tuple(agreements), accession or Accession()), diags


def example_problems(folder: Folder, book: Book, agreement: Agreement, accession: Key) -> ExampleProblems:
    """Each example of ``agreement`` with its problems, run again only when what it can read changed:
    the vocabulary, the accession register or a revision of the same region."""
    region = tuple((a.path, folder.files[a.path].key if a.path in folder.files else None)
                   for a in book.agreements(agreement.region))
    key = (folder.vocabulary_key, accession, region)
    kept = folder.examples.get(agreement.path)
    if kept is not None and kept[0] == key:
        return kept[1]
    problems = [(example, run_example(book, agreement, example)) for example in agreement.examples]
    folder.examples[agreement.path] = (key, problems)
    return problems
