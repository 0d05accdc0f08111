"""Agreement sources as an editor holds them → every mistake, placed on its file, line and column.

``analyse`` reads the agreements folder (or one draft kept elsewhere) with the
editor's unsaved buffers laid over the files on disk (``ivrules.model.load.overlay``),
exactly as ``ivrules check`` reads it, and then runs the examples of every
revision that has no mistake of its own (``ivrules.engine.scenarios.run_example``).
Given the ``Readings`` of earlier calls, it reads again only the files whose text
changed and runs again only the examples whose region changed (``ivrules.lsp.readings``).
Nothing here knows of the protocol: positions are 0-based (line, column) pairs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ivrules.engine.book import Book, build
from ivrules.errors import Diagnostic, IvrulesError
from ivrules.lsp.readings import Folder, Key, Readings, example_problems, key_of, unreadable
from ivrules.model.accession import FILE as ACCESSION
from ivrules.model.agreement import Agreement, Example
from ivrules.model.load import VOCABULARY, Model, agreement_files, find_root, source_files
from ivrules.source import Span

Position = tuple[int, int]  # 0-based line and column
SUGGESTION = re.compile(r"mente du '(.+)'\?")


@dataclass(frozen=True)
class Finding:
    """One mistake, ready for an editor: where, the Danish text, and the "mente du" word if there is one."""

    path: str
    start: Position
    end: Position
    message: str
    suggestion: str | None = None
    missing: tuple[str, ...] = ()  # an example's: the facts its answer lacks, which it neither gives nor expects


@dataclass
class Snapshot:
    """What one reading of the sources gave: the model (when there is one) and the findings per file."""

    root: Path
    model: Model | None
    book: Book | None
    findings: dict[str, list[Finding]] = field(default_factory=dict)

    def agreement(self, path: str) -> Agreement | None:
        if self.model is None:
            return None
        return next((a for a in self.model.agreements if a.path == path), None)


def agreements_root(path: Path, fallback: Path | None) -> Path | None:
    """The agreements folder a file belongs to, or ``fallback`` (the workspace's) for a draft kept elsewhere."""
    root = find_root(path)
    if (root / VOCABULARY).is_file():
        return root.resolve()
    return fallback.resolve() if fallback is not None and (fallback / VOCABULARY).is_file() else None


def analyse(path: Path, texts: Mapping[str, str], fallback: Path | None = None,
            readings: Readings | None = None) -> Snapshot | None:
    """Check the sources ``path`` belongs to, reading ``texts`` (resolved path → text) before the disk.

    ``readings`` keeps what earlier calls read (the server passes its own): only what changed is read again.
    """
    path = path.resolve()
    root = agreements_root(path, fallback)
    if root is None or (not _inside(path, root) and not looks_like_agreement(texts.get(str(path), ""))):
        return None
    readings = readings if readings is not None else Readings()
    whole = _inside(path, root)
    try:
        model, diags = readings.model(root, agreement_files(root) if whole else [path], texts, whole=whole)
    except yaml.YAMLError as exc:  # a shared file YAML cannot read at all (a control character)
        return Snapshot(root, None, None, {str(path): [_finding(unreadable(str(path), texts.get(str(path), ""), exc))]})
    files = {str(p) for p in source_files(root)} | {str(path)}
    snapshot = Snapshot(root, model, None)
    for diagnostic in diags:
        for finding in findings_of(diagnostic, files, texts, str(path)):
            snapshot.findings.setdefault(finding.path, []).append(finding)
    snapshot.book = _examples(model, snapshot, readings.folders[root], key_of(root / ACCESSION, texts))
    return snapshot


def _finding(diagnostic: Diagnostic) -> Finding:
    assert diagnostic.span is not None
    return Finding(diagnostic.span.source.name, *span_range(diagnostic.span), message_of(diagnostic))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def looks_like_agreement(text: str) -> bool:
    return re.search(r"^sections:", text, re.MULTILINE) is not None


def message_of(diagnostic: Diagnostic) -> str:
    """The text ``ivrules check`` prints for a mistake, without the place (the editor shows that)."""
    return "\n".join([diagnostic.message, *diagnostic.advice()])


def findings_of(diagnostic: Diagnostic, files: set[str], texts: Mapping[str, str], current: str) -> list[Finding]:
    """Where a mistake is shown: on its span, or, for one between files, on each file it names."""
    message = message_of(diagnostic)
    found = SUGGESTION.search(diagnostic.hint or "")
    suggestion = found.group(1) if found else None
    if diagnostic.span is not None:
        start, end = span_range(diagnostic.span)
        return [Finding(diagnostic.span.source.name, start, end, message, suggestion)]
    said = f"{diagnostic.message} {diagnostic.context or ''}"
    named = sorted((said.index(f), f) for f in files if f in said)
    if not named:
        return [Finding(current, (0, 0), (0, 0), message, suggestion)]
    out = []
    for index, (_, name) in enumerate(named):
        line = _key_line(_text(name, texts), ("until", "effective") if index == 0 else ("effective",))
        out.append(Finding(name, (line, 0), (line, len(_text(name, texts).split("\n")[line])), message, suggestion))
    return out


def span_range(span: Span) -> tuple[Position, Position]:
    line, column = span.source.position(span.start)
    end_line, end_column = span.source.position(span.end)
    return (line - 1, column - 1), (end_line - 1, end_column - 1)


def _text(name: str, texts: Mapping[str, str]) -> str:
    if name in texts:
        return texts[name]
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _key_line(text: str, keys: tuple[str, ...]) -> int:
    """The line of the first of ``keys`` at the top of a YAML file, or 0."""
    for key in keys:
        found = re.search(rf"^{key}:", text, re.MULTILINE)
        if found:
            return text.count("\n", 0, found.start())
    return 0


def missing_facts(book: Book, agreement: Agreement, example: Example) -> tuple[str, ...]:
    """The facts the example's answer lacks that the example neither gives (not even as null) nor expects missing."""
    try:
        answer = book.eligibility(agreement.region, example.facts).to_dict()
    except IvrulesError:
        return ()
    expected = example.expect.get("missing") or []
    return tuple(f for f in answer["missing"] if f not in example.facts and f not in expected)


def _examples(model: Model, snapshot: Snapshot, folder: Folder, accession: Key) -> Book | None:
    """Run the examples of every revision without mistakes of its own; a wrong expectation is a finding."""
    book = build(model)
    paths = {a.path for a in model.agreements}
    if any(path not in paths for path in snapshot.findings):  # a shared file is wrong: the answers would be too
        return book
    for agreement in model.agreements:
        if snapshot.findings.get(agreement.path):
            continue
        for example, problems in example_problems(folder, book, agreement, accession):
            if problems and example.span is not None:
                start, _ = span_range(example.span)
                line = example.span.source.line_text(start[0] + 1)
                message = f"eksemplet '{example.name}' holder ikke:\n" + "\n".join(problems)
                finding = Finding(agreement.path, start, (start[0], len(line)), message,
                                  missing=missing_facts(book, agreement, example))
                snapshot.findings.setdefault(agreement.path, []).append(finding)
    return book
