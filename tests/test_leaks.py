"""No code on the pages people read: the whole site and every CLI command's human output, scanned for leaks.

A leak is what a secretariat, a doctor or a municipality should never have to read: a raw identifier
(``to_slags_antibiotika``, ``municipality_joined``, a region id such as ``midtjylland``), diff markup
printed literally (``~~``, ``**``), an internal path (``shared/domain/sources/…``), a source's code
word ("W06", "002"), an ISO date where a Danish date belongs, or money not written "18.654,00 kr.".

On the site, code is allowed only inside a toggle (``<details>``: the rule's expression for the
encoders). In a terminal, text in backticks is the marked code (``ivrules facts`` names the keys
to type that way). Two things are quoted as written and so exempt from the money and date checks:
the agreements' own wording, and the source documents the site ships (pages under ``kilder/``).
"""

from __future__ import annotations

import html.parser
import itertools
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import COMMANDS, app
from ivrules.money.register import settle_file
from ivrules.site import build
from ivrules.site.sources import read_sources
from tests.conftest import AGREEMENTS
from tests.test_settle import ROWS, _write

# Identifiers that are also real words, so they may stand in running text. Keep this list short, and say why.
# (An id whose JSON name is its Danish term, such as `tyngdekategori` or `PVK`, is never counted as an id.)
REAL_WORDS = {
    "system",  # the JSON name of the fact "Infusionssystem" is also the Danish word in "åbent system"
}

SNAKE = re.compile(r"(?<![\w/.-])[A-Za-zÆØÅæøå][\wæøå]*_[\wæøå]+")
ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
PATHS = re.compile(r"(?:shared|domain)/\S*|\bsources/\S+|\b\d{3}_[0-9a-f]{16}\b|/work/")
CODE_WORDS = re.compile(r"(?<![\w.,])(?:W\d{2}|00\d)(?![\w.,])")
MARKUP = re.compile(r"~~|\*\*")
MONEY = re.compile(r"-?\d[\d.,]*\s*(?:kr\.|kroner\b)")
GOOD_MONEY = re.compile(r"-?\d{1,3}(?:\.\d{3})*,\d{2} (?:kr\.|kroner\b)")


@dataclass(frozen=True)
class Words:
    """Which words are identifiers, and which text is quoted as written (never reformatted)."""

    ids: frozenset[str]
    quoted: str  # the agreements' own wording, whitespace collapsed


def words_of(book: ivrules.Book) -> Words:
    vocab = book.vocabulary
    ids = {f.name for f in vocab.facts.values() if f.name != f.term}
    ids |= {v.name for f in vocab.facts.values() for v in f.values if v.name != v.term}
    ids |= set(book.regions)
    quoted = []
    for region in book.regions:
        for agreement in book.agreements(region):
            quoted += [agreement.preamble or "", *(s.text for s in agreement.sections),
                       *(i for s in agreement.sections for i in s.items)]
            if agreement.tariff is not None:
                quoted += [b.text for s in agreement.tariff.schedules for b in s.bands]
                quoted += [c.text for s in agreement.tariff.schedules for c in s.categories]
    return Words(frozenset(ids - REAL_WORDS), " ".join(" ".join(quoted).split()))


def leaks(text: str, words: Words, *, code: bool = False, marked: bool = False, verbatim: bool = False) -> list[str]:
    """What in one piece of text is a leak.

    ``code``: code outside a toggle (only ids and paths are checked there); ``marked``: clearly marked code
    (only paths); ``verbatim``: a quoted source (ids and paths)."""
    found = PATHS.findall(text)
    if marked:
        return found
    found += [m for m in SNAKE.findall(text) if m not in REAL_WORDS]
    if code:
        return found
    found += [w for w in re.findall(r"[\wæøå]+", text) if w in words.ids]
    if verbatim:
        return found
    found += CODE_WORDS.findall(text) + MARKUP.findall(text) + ISO_DATE.findall(text)
    found += [m for m in MONEY.findall(text) if not GOOD_MONEY.fullmatch(m) and not _quoted(m, text, words)]
    return found


def _quoted(money: str, text: str, words: Words) -> bool:
    """An amount inside the agreement's own wording is shown as the agreement writes it."""
    at = text.find(money)
    context = " ".join(text[max(0, at - 30):at + len(money)].split())
    return context in words.quoted


# --- the site -------------------------------------------------------------------------------------


class _Article(html.parser.HTMLParser):
    """The text of a page's article, title and menu, each piece with whether it is code and inside a toggle."""

    VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.pieces: list[tuple[str, bool, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if {"article", "title", "nav"} & set(self.stack):  # the page, its title and the menu
            code = "code" in self.stack or "pre" in self.stack
            self.pieces.append((data, code, "details" in self.stack))


def page_leaks(page: str, text: str, words: Words) -> Iterator[str]:
    parser = _Article()
    parser.feed(text)
    verbatim = page.startswith("kilder/")
    for data, code, toggled in parser.pieces:
        if code and (toggled or verbatim):
            continue
        for leak in leaks(data, words, code=code, verbatim=verbatim):
            yield f"{page}: {leak!r} in {' '.join(data.split())[:120]!r}"


@pytest.fixture(scope="module")
def book() -> ivrules.Book:
    return ivrules.load(AGREEMENTS)


@pytest.fixture(scope="module")
def words(book: ivrules.Book) -> Words:
    return words_of(book)


@pytest.fixture(scope="module")
def built_site(book: ivrules.Book, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole site, with one settlement run so the activity page is there too, built strictly."""
    tmp = tmp_path_factory.mktemp("leaks")
    settle_file(book, _write(tmp / "forløb.csv", ROWS), "midtjylland", tmp / "settlements" / "midtjylland" / "2021")
    build.build_site(tmp / "site", agreements=AGREEMENTS, settlements=tmp / "settlements", strict=True)
    return tmp / "site"


def test_no_page_of_the_site_leaks_code(built_site: Path, words: Words) -> None:
    pages = sorted(p for p in built_site.rglob("*.html") if "assets" not in p.parts and p.name != "404.html")
    assert len(pages) > 30
    found = [leak for page in pages
             for leak in page_leaks(page.relative_to(built_site).as_posix(), page.read_text("utf-8"), words)]
    assert not found, f"{len(found)} leaks:\n" + "\n".join(found[:60])


def test_the_site_ships_the_source_texts_it_quotes(built_site: Path, book: ivrules.Book) -> None:
    kept = [s for s in read_sources(AGREEMENTS).values() if s.file is not None]
    assert kept
    for source in kept:
        page = (built_site / "kilder" / source.key / "index.html").read_text("utf-8")
        assert source.heading in page
        assert " ".join(source.text().split()[:8]) in " ".join(page.split())


def test_the_scanner_finds_each_kind_of_leak(words: Words) -> None:
    """The checks above can fail: each kind of leak in a made-up page is found, and clean text is not."""
    bad = ("<title>x</title><article><p>to_slags_antibiotika ~~før~~ **efter** shared/domain/sources/001.txt "
           "(W06) 2020-06-01 2.999 kr. municipality midtjylland</p><code>codan_mix_add</code></article>")
    found = " ".join(page_leaks("x/index.html", bad, words))
    for leak in ("to_slags_antibiotika", "~~", "**", "shared/", "W06", "2020-06-01", "2.999 kr.", "'municipality'",
                 "'midtjylland'", "codan_mix_add"):
        assert leak in found, leak
    good = ("<article><p>Region Midtjylland, 1. juni 2020: 18.654,00 kr. med system.</p>"
            "<details><summary>Kode</summary><code>behandling = antibiotika og system i {codan_mix_add}</code>"
            "</details></article>")
    assert not list(page_leaks("x/index.html", good, words))
    at = words.quoted.index("2.999 kr.")  # the agreement's own wording is quoted as written
    assert not list(page_leaks("x/index.html", f"<article><p>{words.quoted[at - 40:at + 9]}</p></article>", words))


# --- the CLI ---------------------------------------------------------------------------------------

FACTS = {
    "ja": {"date": "2020-09-01", "municipality": "Aarhus", "age_years": 45, "treatment": "antibiotics",
           "doses_per_day": 3, "system": "codan_mix_add", "access": "PVK", "started_in_hospital": True,
           "doses_given_in_hospital": 2, "medically_stable": True, "home_suitable": True,
           "dose_times": ["07:00", "15:00", "23:00"]},
    "nej": {"date": "2020-09-01", "municipality": "Aarhus", "age_years": 2},
    "mangler": {"date": "2020-09-01", "municipality": "Aarhus", "treatment": "antibiotics"},
    "tiltrædelse": {"date": "2021-11-01", "municipality": "Odense", "treatment": "antibiotics"},
    "anden region": {"date": "2021-06-01", "municipality": "Odense", "treatment": "antibiotics"},
    "ingen aftale": {"date": "2019-01-01", "municipality": "Aarhus"},
}
QUOTES = {
    "pris": ("midtjylland", {"start_date": "2021-06-01", "end_date": "2021-06-30", "municipality": "Aarhus",
                             "treatment": "antibiotics", "system": "codan_mix_add", "doses_per_day": 3}),
    "markeret": ("midtjylland", {"start_date": "2021-06-01", "end_date": "2021-08-30", "municipality": "Aarhus",
                                 "treatment": "antibiotics", "system": "codan_mix_add", "doses_per_day": 3}),
    "mangler": ("syddanmark", {"start_date": "2021-11-01", "end_date": "2021-11-05", "municipality": "Odense",
                               "treatment": "antibiotics"}),
    "ikke omfattet": ("midtjylland", {"start_date": "2021-06-01", "end_date": "2021-06-30",
                                      "municipality": "Odense", "treatment": "antibiotics"}),
}
# Commands whose output is not prose for a person, and why.
NOT_PROSE = {
    "sql": "prints an SQL query: the output is code, for a database",
    "serve": "starts a server; its banner lists addresses",
    "lsp": "speaks the Language Server Protocol to an editor on stdin/stdout",
}


def _runs(tmp: Path, book: ivrules.Book) -> Iterator[tuple[str, list[str], str | None]]:
    """(command, arguments, standard input) for each typical use of each command."""
    yield "check", ["agreements"], None  # a copy in the working directory, named as a secretariat would
    for name, facts in FACTS.items():
        region = "syddanmark" if name == "tiltrædelse" else "midtjylland"
        yield "eligibility", ["-r", region, "-f", "-", "-a", str(AGREEMENTS)], json.dumps(facts)
    for region in book.regions:
        yield "facts", ["-r", region, "-a", str(AGREEMENTS)], None
    for on in ("2018-06-01", "2021-11-01", "2025-06-01"):
        yield "compare", ["--date", on, "-a", str(AGREEMENTS)], None
    for region in book.regions:
        revisions = [a.revision for a in book.agreements(region)]
        for old, new in itertools.pairwise(revisions):
            yield "diff", [f"{region}@{old}", f"{region}@{new}", "--search", "2", "-a", str(AGREEMENTS)], None
    for region, facts in QUOTES.values():
        yield "tariff", ["-r", region, "-f", "-", "-a", str(AGREEMENTS)], json.dumps(facts)
    register = _write(tmp / "forløb.csv", ROWS)
    yield "settle", [str(register), "-r", "midtjylland", "-o", str(tmp / "ud"), "-a", str(AGREEMENTS)], None
    yield "schema", ["--out", str(tmp / "skemaer")], None


def cli_leaks(output: str, words: Words) -> Iterator[str]:
    for line in output.splitlines():
        parts = re.split(r"(`[^`]*`)", line)
        for part in parts:
            code = part.startswith("`") and part.endswith("`") and len(part) > 1
            yield from (f"{leak!r} in {line.strip()[:140]!r}" for leak in leaks(part.strip("`"), words, marked=code))


def test_no_human_output_of_the_cli_leaks_code(book: ivrules.Book, words: Words, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(AGREEMENTS, tmp_path / "agreements")  # `check` names the files relative to here
    runner = CliRunner()
    seen: set[str] = set()
    found: list[str] = []
    for command, args, stdin in _runs(tmp_path, book):
        result = runner.invoke(app, [command, *args], input=stdin)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        seen.add(command)
        found += [f"ivrules {command} {' '.join(args[:2])}: {leak}" for leak in cli_leaks(result.output, words)]
    assert seen | set(NOT_PROSE) == {name for name, _ in COMMANDS}
    assert not found, f"{len(found)} leaks:\n" + "\n".join(found[:80])
