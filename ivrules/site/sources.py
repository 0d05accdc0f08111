"""kilder.yaml → the sources the agreement files cite by a code word, and those code words made readable.

The agreement files name their sources with short keys ("(W06)", "kilde 002",
"003 punkt 10"). A page or a message for a person never shows the key: ``cite``
writes the source's Danish name instead, as a link to its public address or
to the site's own page with the source's text (``kilder/<key>/``), which
``source_pages`` makes from the texts kept in ``agreements/kilder/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ivrules.errors import AgreementError, Diagnostics
from ivrules.model.loader import Node, expect, fields, read_yaml, text_of
from ivrules.source import Source as SourceText

FILE = "kilder.yaml"
FOLDER = "kilder"  # the site's pages of the source texts, and the texts' folder beside the agreements
TOP_KEYS = ("kilder",)
SOURCE_KEYS = ("title",)
SOURCE_OPTIONAL = ("url", "file")
# A key as the files write it: "W06", "002"; never part of a number ("1.002", "2002") or a word.
KEY = re.compile(r"(?<![\w.,])(W\d{2}|\d{3})(?![\w]|[.,]\d)")


@dataclass(frozen=True)
class Source:
    """One cited source: its Danish name (fit for the middle of a sentence), public address or kept text."""

    key: str
    title: str
    url: str | None = None
    file: Path | None = None  # the source's text, kept beside the agreements

    @property
    def heading(self) -> str:
        return self.title[:1].upper() + self.title[1:]

    def text(self) -> str:
        """The kept text as written (an empty string when the source has none)."""
        return self.file.read_text(encoding="utf-8") if self.file is not None else ""


def read_sources(root: Path | None) -> dict[str, Source]:
    """The sources of the agreements folder ``root``, by key; none when the folder has no kilder.yaml."""
    if root is None or not (root / FILE).is_file():
        return {}
    diags = Diagnostics()
    node = read_yaml(SourceText(str(root / FILE), (root / FILE).read_text(encoding="utf-8")), diags)
    found = _sources(node, root, diags) if node is not None else {}
    if diags:
        raise AgreementError(list(diags))
    return found


def _sources(node: Node, root: Path, diags: Diagnostics) -> dict[str, Source]:
    top = fields(node, diags, TOP_KEYS)
    if not top or not expect(top.get("kilder"), dict, diags):
        return {}
    out: dict[str, Source] = {}
    for key, item in top["kilder"].items():
        f = fields(item, diags, SOURCE_KEYS, SOURCE_OPTIONAL)
        title = text_of(f.get("title"), diags) if f else None
        if f is None or title is None:
            continue
        url, file = text_of(f.get("url"), diags) if "url" in f else None, _file(f.get("file"), root, diags)
        if url is None and file is None:
            diags.error(f"kilden '{key}' har hverken 'url' eller 'file'", item.span,
                        hint="skriv kildens offentlige adresse eller stien til dens tekst under kilder/")
        out[str(key)] = Source(str(key), title, url, file)
    return out


def _file(node: Node | None, root: Path, diags: Diagnostics) -> Path | None:
    name = text_of(node, diags) if node is not None else None
    if node is None or name is None:
        return None
    path = root / name
    if not path.is_file():
        diags.error(f"kildeteksten {name} findes ikke", node.span, hint=f"læg teksten i {root / FOLDER}")
        return None
    return path


def source_of(file: str, sources: Mapping[str, Source]) -> Source | None:
    """The source whose kept text an agreement's ``source.file`` names (matched by file name)."""
    name = Path(file).name
    return next((s for s in sources.values() if s.file is not None and s.file.name == name), None)


def cite(text: str, sources: Mapping[str, Source], link: Callable[[Source], str] | None = None) -> str:
    """Each known key in ``text`` → the source's name, as a Markdown link when ``link`` gives its address."""
    def name(match: re.Match[str]) -> str:
        source = sources.get(match.group(1))
        if source is None:
            return match.group(0)
        return f"[{source.title}]({link(source)})" if link is not None else source.title
    return KEY.sub(name, text)


def address(source: Source, root: str) -> str:
    """Where a link to the source goes: its public address, else its page on the site (``root``: up to the site)."""
    return source.url if source.url is not None else f"{root}{FOLDER}/{source.key}/index.md"


def kept(sources: Mapping[str, Source]) -> Iterator[Source]:
    """The sources whose text the site ships as a page, in key order."""
    return (s for _, s in sorted(sources.items()) if s.file is not None)
