"""YAML file → a tree of ``Node`` records that remember where they came from.

Only PyYAML's safe loader is used. Duplicate keys, unknown keys, missing keys
and wrong types become ``Diagnostic``s with the key path, collected, never
raised one at a time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from ivrules.errors import Diagnostic, Diagnostics, code_point, did_you_mean, shown
from ivrules.source import ScalarText, Source, Span

# libyaml's safe loader when PyYAML was built with it: same safe subset, ~10x faster.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

TYPE_NAMES = {
    dict: "en tabel (nøgle: værdi)",
    list: "en liste",
    str: "en tekst",
    int: "et heltal",
    bool: "ja/nej (true/false)",
}

# What else a YAML value can be, as a message names it (datetime before date: it is one).
OTHER_TYPE_NAMES = {
    float: "et decimaltal",
    dt.datetime: "en dato med klokkeslæt",
    dt.date: "en dato",
}


@dataclass
class Node:
    """A YAML value with its span; mappings keep their keys' spans too."""

    value: Any
    span: Span
    path: str
    text: ScalarText | None = None
    key_spans: dict[str, Span] = field(default_factory=dict)

    def items(self) -> Iterator[tuple[str, Node]]:
        assert isinstance(self.value, dict)
        return iter(self.value.items())

    def plain(self) -> Any:
        """The value with the position records stripped (for facts and examples)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def read_yaml(source: Source, diags: Diagnostics) -> Node | None:
    """Parse one YAML file into a ``Node`` tree; syntax errors and oversized input become diagnostics."""
    if not check_text(source, diags):
        return None
    loader = SAFE_LOADER(source.text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        diags.append(_yaml_diagnostic(exc, source))
        return None
    finally:
        loader.dispose()
    if root is None:
        diags.error("filen er tom", source.span(0),
                    hint="en aftalefil har mindst region, title, effective, source og sections; se de andre filer")
        return None
    if not bounded(root, source, diags):
        return None
    return _Converter(source, loader, diags).convert(root, "")


MAX_CHARS = 2_000_000  # a real agreement is about 30 kB
MAX_DEPTH = 40  # tables and lists inside each other; a real agreement nests 6 deep
MAX_NODES = 100_000  # values after expanding every "*alias"; a real agreement has a few thousand
# What YAML does not allow in a file: control characters (but tab and line breaks), U+FFFE/U+FFFF, surrogates.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff\ud800-\udfff]")


def check_text(source: Source, diags: Diagnostics) -> bool:
    """The text is small enough and holds only characters YAML accepts; otherwise one located error."""
    if len(source.text) > MAX_CHARS:
        diags.error(f"filen er for stor ({_thousands(len(source.text))} tegn; højst {_thousands(MAX_CHARS)})",
                    source.span(0), hint="en aftalefil fylder normalt under 100.000 tegn; er det den rigtige fil?")
        return False
    bad = FORBIDDEN.search(source.text)
    if bad is None:
        return True
    count = len(FORBIDDEN.findall(source.text))
    diags.error(f"tegnet {code_point(bad.group())} må ikke stå i en aftalefil", source.span(bad.start()),
                hint="slet tegnet (det kommer ofte med ved kopiering fra Word eller PDF)",
                context=f"{count} sådanne tegn i filen" if count > 1 else None)
    return False


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


INDENT_HINT = "tjek indrykningen: nøgler på samme niveau skal stå lige under hinanden"
CLOSE_HINT = "adskil værdierne med ',' og luk med det tegn, der mangler; sæt en tekst med ',' i anførselstegn"
QUOTE_HINT = ("skriv en værdi, og sæt den i anførselstegn, når den begynder med et af tegnene "
              "[ ] { } , : ? & * ! | > % @ `")
# PyYAML's (English) problems → a Danish message and a hint.
YAML_PROBLEMS = {
    "expected <block end>": ("indrykningen passer ikke med linjerne over", INDENT_HINT),
    "did not find expected '-' indicator": ("indrykningen passer ikke med linjerne over", INDENT_HINT),
    "did not find expected key": ("indrykningen passer ikke med linjerne over", INDENT_HINT),
    "could not find expected ':'": ("der mangler et ':' efter en nøgle", "skriv 'nøgle: værdi'"),
    "mapping values are not allowed": (
        "et ':' står et sted, hvor det ikke må stå",
        "sæt teksten i anførselstegn, når den selv indeholder ': ', fx title: \"Bilag: takster\""),
    "found character '\\t'": ("tabulatortegn må ikke bruges til indrykning", "indryk med mellemrum"),
    "found character that cannot start any token": (
        "et tegn, der ikke kan begynde en værdi (ofte et tabulatortegn)", "indryk med mellemrum, ikke tabulator"),
    "found unexpected end of stream": ("filen slutter midt i en værdi", "mangler et afsluttende anførselstegn?"),
    "found undefined alias": ("en henvisning (*navn) peger på et anker (&navn), der ikke findes",
                              "skriv ankeret (&navn) før henvisningen, eller ret navnet"),
    "but found another document": ("filen indeholder mere end ét YAML-dokument",
                                   "en linje med '---' eller '...' deler filen; slet den"),
    "did not find expected <document start>": ("filen fortsætter efter en linje med '...', der afslutter den",
                                               "slet linjen med '...' (eller teksten efter den)"),
    "exceeded maximum nesting depth": ("værdierne er indlejret for dybt",
                                       "en aftale har kun nogle få niveauer af tabeller og lister"),
    "found unknown escape character": ("ukendt escape-sekvens (\\) i en tekst i dobbelte anførselstegn",
                                       "skriv \\\\ for en omvendt skråstreg, eller brug enkelte anførselstegn"),
    "found duplicate anchor": ("to ankre har samme navn (&navn)", "giv hvert anker sit eget navn"),
    "did not find expected ',' or ']'": ("en liste i [...] er ikke lukket med ']'", CLOSE_HINT),
    "did not find expected ',' or '}'": ("en tabel i {...} er ikke lukket med '}'", CLOSE_HINT),
    "did not find expected node content": ("der mangler en værdi her", QUOTE_HINT),
    "alphabetic or numeric character": (
        "et anker (&navn) eller en henvisning (*navn) mangler sit navn",
        "skriv navnet lige efter & eller *, eller sæt teksten i anførselstegn, når '&' eller '*' skal stå i den"),
    "directive": ("en linje, der begynder med '%', er ikke gyldig her",
                  "slet linjen, eller sæt teksten i anførselstegn"),
    "found incompatible YAML document": ("en linje, der begynder med '%', er ikke gyldig her",
                                         "slet linjen, eller sæt teksten i anførselstegn"),
    "found undefined tag handle": ("et YAML-mærke (et ord med '!') er ukendt",
                                   "slet mærket, eller sæt værdien i anførselstegn"),
    "indentation indicator": ("tallet efter '|' eller '>' skal være 1-9",
                              "skriv blot '|' eller '>' foran tekstblokken"),
    "block sequence entries are not allowed": ("en liste ('- ') står et sted, hvor den ikke må stå", INDENT_HINT),
    "found a tab character": ("tabulatortegn må ikke bruges til indrykning", "indryk med mellemrum"),
    "did not find expected comment or line break": (
        "der står mere på linjen efter en afsluttet værdi",
        "sæt hele teksten i anførselstegn, eller slet det, der står efter det afsluttende anførselstegn"),
}


def _yaml_diagnostic(exc: yaml.YAMLError, source: Source) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    span = source.span(min(mark.index, max(len(source.text) - 1, 0))) if mark is not None else source.span(0)
    problem = f"{getattr(exc, 'context', None) or ''} {getattr(exc, 'problem', None) or ''}"
    char = source.text[mark.index : mark.index + 1] if mark is not None else ""
    if char == "\t":
        problem = "found character '\\t'"
    elif "cannot start any token" in problem and char:
        return Diagnostic(f"YAML-syntaksfejl: en værdi kan ikke begynde med tegnet {shown(char)}", span,
                          hint="sæt værdien i anførselstegn, fx title: \"@ og % i en titel\"")
    opened = _unclosed_quote(source.text, mark.index) if mark is not None and "expected" in problem else None
    started = getattr(exc, "context_mark", None)
    if "quoted scalar" in problem and "end of stream" in problem and started is not None:
        opened = started.index
    if opened is not None:
        return Diagnostic(f"YAML-syntaksfejl: anførselstegnet {source.text[opened]} lukkes ikke på sin linje",
                          source.span(opened), hint="luk teksten med samme anførselstegn, før linjen slutter")
    for english, (danish, hint) in YAML_PROBLEMS.items():
        if english in problem:
            if hint == INDENT_HINT and mark is not None and _mid_line(source.text, mark.index):
                danish, hint = YAML_PROBLEMS["did not find expected comment or line break"]
            return Diagnostic(f"YAML-syntaksfejl: {danish}", span, hint=hint)
    # PyYAML's message is English and names its parser's states: the secretariat gets the place and a hint.
    return Diagnostic("YAML-syntaksfejl: filen kan ikke læses fra dette sted", span,
                      hint="tjek indrykning, kolon efter nøgler og afsluttende anførselstegn")


def _unclosed_quote(text: str, index: int) -> int | None:
    """Where a quote opened on an earlier line starts, when the parser stopped just after the quote closing it
    (``title: "En aftale`` … ``number: "1"``: the text ran on to the next '"')."""
    start = text.rfind("\n", 0, index) + 1
    before = text[start:index]
    for quote in "\"'":
        if before.count(quote) % 2 and before.endswith(quote):
            opened = text.rfind(quote, 0, start)
            return opened if opened >= 0 else None
    return None


def _mid_line(text: str, index: int) -> bool:
    """Whether the parser stopped after something on its line (``title: "En" aftale``), not at its indentation."""
    return bool(text[text.rfind("\n", 0, index) + 1 : index].strip())


def bounded(root: yaml.Node, source: Source, diags: Diagnostics) -> bool:
    """The tree is acyclic, at most MAX_DEPTH deep and MAX_NODES big with every alias expanded (alias bombs)."""
    try:
        _size(root, {}, set(), 0)
    except _TooBig as exc:
        diags.error(exc.message, source.span(exc.node.start_mark.index), hint=exc.hint)
        return False
    return True


class _TooBig(Exception):
    def __init__(self, node: yaml.Node, message: str, hint: str) -> None:
        super().__init__(message)
        self.node, self.message, self.hint = node, message, hint


def _size(node: yaml.Node, sizes: dict[int, int], open_: set[int], depth: int) -> int:
    """The node's size with aliases expanded (memoised by identity: linear in the file)."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_:
        raise _TooBig(node, "en henvisning (*navn) peger ind i sig selv", "et anker kan ikke indeholde sig selv")
    if depth > MAX_DEPTH:
        raise _TooBig(node, f"værdierne er indlejret for dybt (mere end {MAX_DEPTH} niveauer)",
                      "en aftale har kun nogle få niveauer af tabeller og lister")
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [c for pair in node.value for c in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    open_.add(id(node))
    total = 1 + sum(_size(child, sizes, open_, depth + 1) for child in children)
    open_.discard(id(node))
    if total > MAX_NODES:
        raise _TooBig(node, f"henvisningerne (*navn) folder sig ud til mere end {_thousands(MAX_NODES)} værdier",
                      "en liste af henvisninger til lister af henvisninger ganger størrelsen op; skriv værdierne ud")
    sizes[id(node)] = total
    return total


YAML_TAG = "tag:yaml.org,2002:"
STR_TAG, MAP_TAG, SEQ_TAG = YAML_TAG + "str", YAML_TAG + "map", YAML_TAG + "seq"
# The scalars an agreement is written with; !!binary, !!set, !!python/… and the rest are refused.
SCALAR_TAGS = frozenset(YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "merge"))


class _Unreadable:
    """A value that could not be constructed; its error is reported once, never again as a wrong type."""

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE: Any = _Unreadable()


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
MERGE_TAG = YAML_TAG + "merge"


class _Converter:
    """yaml nodes → ``Node``s; an anchored node merged many times ("<<: *x") is converted once."""

    def __init__(self, source: Source, loader: yaml.SafeLoader, diags: Diagnostics) -> None:
        self.source, self.loader, self.diags = source, loader, diags
        self.seen: dict[int, Node] = {}

    def convert(self, node: yaml.Node, path: str) -> Node:
        span = Span(self.source, node.start_mark.index, max(node.end_mark.index, node.start_mark.index + 1))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in (MAP_TAG, SEQ_TAG):
            self._refuse_tag(node.tag, span)
            return Node(UNREADABLE, span, path)
        if isinstance(node, yaml.MappingNode):
            found = self.seen.get(id(node))
            if found is None:
                found = self.seen[id(node)] = self._mapping(node, path, span)
            return found
        if isinstance(node, yaml.SequenceNode):
            return Node([self.convert(child, f"{path}[{i}]") for i, child in enumerate(node.value)], span, path)
        value = self.scalar(node)
        text = None
        if isinstance(value, str):
            text = ScalarText(value, self.source, node.start_mark.index, node.end_mark.index,
                              getattr(node, "style", None))
        return Node(value, span, path, text=text)

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == STR_TAG:  # most scalars: no constructor needed
            return node.value
        span = Span(self.source, node.start_mark.index, max(node.end_mark.index, node.start_mark.index + 1))
        if node.tag not in SCALAR_TAGS:
            self._refuse_tag(node.tag, span)
            return UNREADABLE
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            what = "en gyldig dato" if node.tag.endswith(":timestamp") else "en gyldig værdi"
            self.diags.error(f"'{_cut(str(node.value))}' er ikke {what}", span,
                             hint="datoer skrives ÅÅÅÅ-MM-DD med en dag, der findes, fx 2021-02-28")
            return UNREADABLE

    def _refuse_tag(self, tag: str, span: Span) -> None:
        """A tag beyond plain text, numbers, dates, tables and lists: never constructed, one error."""
        short = "!!" + tag.removeprefix(YAML_TAG) if tag.startswith(YAML_TAG) else tag
        what = "bruges ikke i aftalefiler" if tag.startswith(YAML_TAG) else "er ukendt"
        self.diags.error(f"YAML-mærket '{_cut(short)}' {what}", span,
                         hint="slet mærket (ordet med '!' foran); skriv værdien som almindelig tekst, tal, dato, "
                              "tabel eller liste")

    def _mapping(self, node: yaml.MappingNode, path: str, span: Span) -> Node:
        out: dict[str, Node] = {}
        key_spans: dict[str, Span] = {}
        merged: dict[str, tuple[Node, Span]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged.update(self._merge(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):  # "? [a, b]": a table or list as a key
                self.diags.error("en nøgle skal være et ord, ikke en tabel eller liste",
                                 Span(self.source, key_node.start_mark.index, key_node.end_mark.index),
                                 hint="skriv 'nøgle: værdi' med et ord som nøgle")
                continue
            key = str(self.scalar(key_node))
            key_span = Span(self.source, key_node.start_mark.index, key_node.end_mark.index)
            if key in out:
                first = key_spans[key]
                self.diags.error(f"nøglen '{key}' står to gange i {path or 'filen'}", key_span,
                                 hint=f"den første står i linje {first.line}; slet eller omdøb den ene")
                continue
            key_spans[key] = key_span
            out[key] = self.convert(value_node, f"{path}.{key}" if path else key)
        for key, (value, key_span) in merged.items():  # "<<: *anchor" gives defaults; written keys win
            if key not in out:
                out[key], key_spans[key] = value, key_span
        return Node(out, span, path, key_spans=key_spans)

    def _merge(self, value_node: yaml.Node, path: str) -> dict[str, tuple[Node, Span]]:
        parts = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        out: dict[str, tuple[Node, Span]] = {}
        for part in parts:
            converted = self.convert(part, path)
            if isinstance(converted.value, dict):
                out.update({k: (v, converted.key_spans[k]) for k, v in converted.value.items() if k not in out})
            else:
                self.diags.error("'<<' kan kun flette en tabel ind", converted.span)
        return out


def fields(node: Node, diags: Diagnostics, required: tuple[str, ...],
           optional: tuple[str, ...] = ()) -> dict[str, Node] | None:
    """Check a mapping's keys strictly and return its fields, or None when it is not a mapping."""
    if node.value is UNREADABLE:  # its error is reported already
        return None
    if not isinstance(node.value, dict):
        diags.error(f"{node.path or 'filen'} skal være {TYPE_NAMES[dict]}", node.span,
                    expected=f"nøglerne {', '.join(required + optional)}")
        return None
    allowed = required + optional
    for key, key_span in node.key_spans.items():
        if key not in allowed:
            diags.error(f"ukendt nøgle '{_cut(key)}' i {node.path or 'filen'}", key_span,
                        expected=f"en af {', '.join(allowed)}", hint=did_you_mean(key, allowed) or _split_hint(key))
    for key in required:
        if key not in node.value:
            diags.error(f"nøglen '{key}' mangler i {node.path or 'filen'}", node.span,
                        expected=f"nøglerne {', '.join(required)}")
    return dict(node.value)


def _split_hint(key: str) -> str | None:
    """A "key" that starts with a digit is the rest of a value a comma cut in two inside {...}."""
    if key[:1].isdigit():
        return ("inde i {...} deler et komma værdien; skriv beløb med decimalpunktum og uden tusindtalsskilletegn, "
                "fx 2999.00 kr., eller sæt værdien i anførselstegn")
    return None


def expect(node: Node | None, kind: type, diags: Diagnostics) -> bool:
    """True when the node holds a value of ``kind``; otherwise a located error."""
    if node is None or node.value is UNREADABLE:
        return False
    ok = isinstance(node.value, kind) and not (kind is int and isinstance(node.value, bool))
    if not ok:
        diags.error(f"{node.path} skal være {TYPE_NAMES.get(kind, kind.__name__)}", node.span,
                    hint=f"fik {_describe(node.value)}")
    return ok


def text_of(node: Node | None, diags: Diagnostics) -> str | None:
    """A scalar that must be text; numbers and dates are not silently turned into text."""
    if node is None or not expect(node, str, diags):
        return None
    return str(node.value)


def _describe(value: Any) -> str:
    if value is None:
        return "ingen værdi (der står intet efter ':')"
    if isinstance(value, bool):
        return TYPE_NAMES[bool]
    for kind, name in OTHER_TYPE_NAMES.items():
        if isinstance(value, kind):
            return name
    return next((name for kind, name in TYPE_NAMES.items() if isinstance(value, kind)), "en anden slags værdi")
