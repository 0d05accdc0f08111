"""The outline of an agreement file: its sections (number and title) with their rules, then the other parts."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from ivrules.errors import Diagnostics
from ivrules.lsp.analysis import Position, span_range
from ivrules.model.loader import Node, read_yaml
from ivrules.source import Source

PARTS = {"interpretations": "Fortolkninger", "unknowns": "Ukendt", "examples": "Eksempler", "tariff": "Takster"}


@dataclass
class Symbol:
    name: str
    kind: str  # "section", "rule", "part", "item"
    start: Position
    end: Position
    detail: str = ""
    children: list[Symbol] = field(default_factory=list)


def outline(name: str, text: str) -> list[Symbol]:
    """The outline, from the YAML alone (a file with other mistakes still has one); none if it is not YAML."""
    try:
        root = read_yaml(Source(name, text), Diagnostics())
    except yaml.YAMLError:  # a control character: the loader lets the reader's error through
        return []
    if root is None or not isinstance(root.value, dict):
        return []
    out = [_section(item) for item in _items(root.value.get("sections"))]
    for key, title in PARTS.items():
        node = root.value.get(key)
        if node is not None:
            part = _symbol(title, "part", node)
            part.children = [_symbol(_label(item), "item", item) for item in _items(node)]
            out.append(part)
    return [s for s in out if s is not None]


def _items(node: Node | None) -> list[Node]:
    if node is None or not isinstance(node.value, list):
        return []
    return [item for item in node.value if isinstance(item.value, dict)]


def _label(item: Node) -> str:
    for key in ("id", "name"):
        value = item.value.get(key)
        if value is not None and value.value is not None:
            return str(value.value)
    return "?"


def _symbol(name: str, kind: str, node: Node, detail: str = "") -> Symbol:
    start, end = span_range(node.span)
    return Symbol(name or "?", kind, start, end, detail)


def _section(item: Node) -> Symbol:
    number, title = item.value.get("number"), item.value.get("title")
    name = " ".join(str(v.value) for v in (number, title) if v is not None and v.value is not None)
    section = _symbol(name, "section", item)
    for rule in _items(item.value.get("rules")):
        expr = rule.value.get("rule") or rule.value.get("applies")
        section.children.append(_symbol(_label(rule), "rule", rule, str(expr.value) if expr is not None else ""))
    return section
