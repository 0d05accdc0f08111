"""A JSON Schema for each kind of file under ``agreements/``, made from the format the loader checks.

``ivrules.lsp.format.FILES`` holds the shape of each kind of file, from the loader's
own key tuples; the schema says which keys each mapping has, which are required,
and that no other key is allowed where the loader allows none, with the Danish
description of each key. An editor's YAML extension validates and completes keys
with it, even without ``ivrules lsp`` (the ``# yaml-language-server: $schema=``
modeline, README). The values themselves are checked by ``ivrules check``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ivrules.lsp.format import FILES, Holds, Shape, descriptions

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def file_name(kind: str) -> str:
    return f"{kind}.schema.json"


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of file (``FILES``: agreement, vocabulary, accession, ...)."""
    file, title, shape = FILES[kind]
    return {"$schema": DRAFT, "$id": file_name(kind), "title": title,
            "description": f"ivrules: {file or '<region>/<ÅÅÅÅ-MM-DD>.yaml'} (genereret af 'ivrules schema')",
            **of_shape(shape, descriptions(kind))}


def of_shape(shape: Shape, described: dict[str, str]) -> dict[str, Any]:
    properties = {}
    for key in shape.keys:
        child = shape.children.get(key)
        prop = holding(*child, described) if child is not None else {}
        if key in described:
            prop = {"description": described[key], **prop}
        properties[key] = prop
    out: dict[str, Any] = {"type": "object", "properties": properties, "required": list(shape.required)}
    if shape.closed:
        out["additionalProperties"] = False
    return out


def holding(holds: Holds, shape: Shape, described: dict[str, str]) -> dict[str, Any]:
    if holds == "object":
        return of_shape(shape, described)
    if holds == "list":
        return {"type": "array", "items": of_shape(shape, described)}
    return {"type": "object", "additionalProperties": of_shape(shape, described)}


def write_schemas(folder: Path) -> list[Path]:
    """Write every kind's schema into ``folder``; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for kind in FILES:
        path = folder / file_name(kind)
        path.write_text(json.dumps(schema(kind), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        out.append(path)
    return out
