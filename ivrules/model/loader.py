"""YAML file → a tree of ``Node`` records that remember where they came from.

Only PyYAML's safe loader is used. Duplicate keys, unknown keys, missing keys
and wrong types become ``Diagnostic``s with the key path, collected, never
raised one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from ivrules.errors import Diagnostics, did_you_mean
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
    """Parse one YAML file into a ``Node`` tree; syntax errors become diagnostics."""
    loader = SAFE_LOADER(source.text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = source.span(mark.index) if mark is not None else None
        diags.error(f"YAML-syntaksfejl: {_yaml_problem(exc)}", span,
                    hint="tjek indrykning, kolon efter nøgler og afsluttende anførselstegn")
        return None
    finally:
        loader.dispose()
    if root is None:
        diags.error("filen er tom", source.span(0))
        return None
    return _Converter(source, loader, diags).convert(root, "")


YAML_PROBLEMS = {
    "expected <block end>": "indrykningen passer ikke med linjerne over",
    "did not find expected '-' indicator": "indrykningen passer ikke med linjerne over",
    "did not find expected key": "indrykningen passer ikke med linjerne over",
    "could not find expected ':'": "der mangler et ':' efter en nøgle",
    "mapping values are not allowed here": "et ':' står et sted, hvor det ikke må stå (sæt teksten i anførselstegn)",
    "found character '\\t'": "tabulatortegn må ikke bruges til indrykning",
    "found unexpected end of stream": "filen slutter midt i en værdi (mangler et afsluttende anførselstegn?)",
    "found undefined alias": "en henvisning (*navn) peger på et anker (&navn), der ikke findes",
}


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = str(exc.problem or exc.context or "")
    return next((danish for english, danish in YAML_PROBLEMS.items() if english in problem), problem)


STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"


class _Converter:
    """yaml nodes → ``Node``s; an anchored node merged many times ("<<: *x") is converted once."""

    def __init__(self, source: Source, loader: yaml.SafeLoader, diags: Diagnostics) -> None:
        self.source, self.loader, self.diags = source, loader, diags
        self.seen: dict[int, Node] = {}

    def convert(self, node: yaml.Node, path: str) -> Node:
        span = Span(self.source, node.start_mark.index, max(node.end_mark.index, node.start_mark.index + 1))
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
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.diags.error(f"værdien kan ikke læses: {exc.problem}", self.source.span(node.start_mark.index),
                             hint="brug almindelige YAML-værdier uden !-mærker")
            return None

    def _mapping(self, node: yaml.MappingNode, path: str, span: Span) -> Node:
        out: dict[str, Node] = {}
        key_spans: dict[str, Span] = {}
        merged: dict[str, tuple[Node, Span]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged.update(self._merge(value_node, path))
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
    if not isinstance(node.value, dict):
        diags.error(f"{node.path or 'filen'} skal være {TYPE_NAMES[dict]}", node.span,
                    expected=f"nøglerne {', '.join(required + optional)}")
        return None
    allowed = required + optional
    for key, key_span in node.key_spans.items():
        if key not in allowed:
            diags.error(f"ukendt nøgle '{key}' i {node.path or 'filen'}", key_span,
                        expected=f"en af {', '.join(allowed)}", hint=did_you_mean(key, allowed))
    for key in required:
        if key not in node.value:
            diags.error(f"nøglen '{key}' mangler i {node.path or 'filen'}", node.span,
                        expected=f"nøglerne {', '.join(required)}")
    return dict(node.value)


def expect(node: Node | None, kind: type, diags: Diagnostics) -> bool:
    """True when the node holds a value of ``kind``; otherwise a located error."""
    if node is None:
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
    for kind, name in TYPE_NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__
