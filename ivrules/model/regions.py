"""regions.yaml → the regions the agreements are made with: id and Danish name, in display order.

The file is the one place a region is named. Everything else refers to a
region by its id — an agreement's ``region:``, each municipality in
``municipalities.yaml``, each line of ``accession.yaml`` — and an id the file
does not declare is a located error with a "mente du". Which municipalities
belong to a region is said once, at each municipality.
"""

from __future__ import annotations

from collections.abc import Mapping

from ivrules.errors import Diagnostics, did_you_mean
from ivrules.model.loader import Node, expect, fields, text_of

FILE = "regions.yaml"
REGIONS_TOP = ("regions",)
REGION_KEYS = ("id", "name")


def read_regions(root: Node, diags: Diagnostics) -> dict[str, str]:
    """The ``regions:`` list → Danish name by region id, in the file's order (mistakes go to ``diags``)."""
    top = fields(root, diags, REGIONS_TOP)
    if not top or not expect(top.get("regions"), list, diags):
        return {}
    out: dict[str, str] = {}
    spans: dict[str, Node] = {}
    for item in top["regions"].value:
        f = fields(item, diags, REGION_KEYS)
        if not f or not all(k in f for k in REGION_KEYS):
            continue
        ident, name = text_of(f["id"], diags), text_of(f["name"], diags)
        if ident is None or name is None:
            continue
        if ident in spans:
            diags.error(f"regionen '{ident}' står to gange i regions.yaml", f["id"].span,
                        hint=f"den første står i linje {spans[ident].span.line}; slet eller omdøb den ene")
            continue
        if not name.strip():
            diags.error(f"regionen '{ident}' har intet navn", f["name"].span, expected="fx 'Region Midtjylland'")
        spans[ident], out[ident] = f["id"], name
    return out


def check_region(node: Node, regions: Mapping[str, str], diags: Diagnostics, where: str = "") -> str:
    """The region id ``node`` holds; one regions.yaml does not declare is a located error."""
    region = text_of(node, diags) or ""
    if region and region not in regions:
        diags.error(f"ukendt region '{region}'{where}", node.span,
                    expected=", ".join(regions) or "en region fra regions.yaml",
                    hint=did_you_mean(region, regions) or "regionerne står i regions.yaml")
    return region


def check_municipalities(root: Node, regions: Mapping[str, str], diags: Diagnostics) -> None:
    """Each municipality in municipalities.yaml names a region regions.yaml declares."""
    top = root.value if isinstance(root.value, dict) else {}
    listed = top.get("municipalities")
    for item in listed.value if listed is not None and isinstance(listed.value, list) else []:
        if isinstance(item.value, dict) and "region" in item.value and isinstance(item.value["region"].value, str):
            check_region(item.value["region"], regions, diags)
