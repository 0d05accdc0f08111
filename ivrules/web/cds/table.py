"""fhir.yaml → ``FhirTable``: which FHIR codes and extensions mean which facts, and the services offered.

The table is read with the project's strict YAML loader, so a mistake in it is
a located Danish diagnostic like any agreement file's (``AgreementError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ivrules.errors import AgreementError, Diagnostics
from ivrules.model.loader import Node, expect, fields, read_yaml, text_of
from ivrules.source import Source

TABLE = Path(__file__).resolve().parent / "fhir.yaml"
HOOKS = ("order-sign", "encounter-discharge")
ORDER_PLACES = ("context.", "prefetch.")
PREFETCH_NEEDED = ("Kaldet skal have prefetch ({keys}) eller fhirServer med fhirAuthorization, så tjenesten "
                   "selv kan hente data; ellers svarer tjenesten 412 (en FHIR-server uden token kun efter aftale "
                   "med hospitalet).")


@dataclass(frozen=True)
class Service:
    """One CDS service as discovery shows it, and where its orders are found in a request."""

    id: str
    hook: str
    title: str
    description: str
    orders: str
    context: tuple[str, ...]
    prefetch: dict[str, str]

    def definition(self) -> dict[str, object]:
        """The discovery entry (CDS Hooks 2.0 §Discovery); the description says what a call must bring."""
        description = f"{self.description} {PREFETCH_NEEDED.format(keys=', '.join(self.prefetch))}" \
            if self.prefetch else self.description
        out: dict[str, object] = {"hook": self.hook, "id": self.id, "title": self.title,
                                  "description": description}
        if self.prefetch:  # the spec: optional fields are left out, never sent empty
            out["prefetch"] = dict(self.prefetch)
        return out


@dataclass(frozen=True)
class FhirTable:
    """The data that maps FHIR resources to facts; see fhir.yaml for what each part means."""

    atc_systems: frozenset[str]
    treatments: tuple[tuple[str, str], ...]  # (ATC prefix, treatment), longest prefix first
    iv_routes: frozenset[tuple[str, str]]
    timing_systems: frozenset[str]
    timing_codes: dict[str, int]
    municipality_extensions: frozenset[str]
    municipality_systems: frozenset[str]
    extensions: dict[str, str]  # extension URL → fact
    unreadable_atc: tuple[str, ...]  # ATC prefixes that mark an unreadable order as meant to be IV
    services: tuple[Service, ...]

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def treatment(self, atc: str) -> str | None:
        """The treatment an ATC code belongs to, by its longest listed prefix."""
        return next((value for prefix, value in self.treatments if atc.upper().startswith(prefix)), None)


@cache
def load_table(path: Path = TABLE) -> FhirTable:
    """Read and check the table; every mistake is raised together as an ``AgreementError``."""
    diags = Diagnostics()
    source = Source(str(path), path.read_text(encoding="utf-8"))
    root = read_yaml(source, diags)
    table = _read(root, diags) if root is not None else None
    if diags or table is None:
        raise AgreementError(list(diags))
    return table


_KEYS = ("atc_systems", "treatments", "iv_routes", "timing_systems", "timing_codes", "municipality_extensions",
         "municipality_systems", "extensions", "unreadable_atc", "services")


def _read(root: Node, diags: Diagnostics) -> FhirTable | None:
    f = fields(root, diags, _KEYS)
    if f is None or any(key not in f for key in _KEYS):
        return None
    treatments = sorted(_text_map(f["treatments"], diags).items(), key=lambda kv: -len(kv[0]))
    return FhirTable(
        atc_systems=frozenset(_texts(f["atc_systems"], diags)),
        treatments=tuple((prefix.upper(), value) for prefix, value in treatments),
        iv_routes=frozenset(_codings(f["iv_routes"], diags)),
        timing_systems=frozenset(_texts(f["timing_systems"], diags)),
        timing_codes=_int_map(f["timing_codes"], diags),
        municipality_extensions=frozenset(_texts(f["municipality_extensions"], diags)),
        municipality_systems=frozenset(_texts(f["municipality_systems"], diags)),
        extensions=_text_map(f["extensions"], diags),
        unreadable_atc=tuple(code.upper() for code in _texts(f["unreadable_atc"], diags)),
        services=tuple(s for s in (_service(n, diags) for n in _items(f["services"], diags)) if s is not None),
    )


def _items(node: Node, diags: Diagnostics) -> list[Node]:
    return list(node.value) if expect(node, list, diags) else []


def _texts(node: Node, diags: Diagnostics) -> list[str]:
    return [t for t in (text_of(item, diags) for item in _items(node, diags)) if t is not None]


def _text_map(node: Node, diags: Diagnostics) -> dict[str, str]:
    if not expect(node, dict, diags):
        return {}
    return {key: value for key, item in node.items() if (value := text_of(item, diags)) is not None}


def _int_map(node: Node, diags: Diagnostics) -> dict[str, int]:
    if not expect(node, dict, diags):
        return {}
    return {key: item.value for key, item in node.items() if expect(item, int, diags)}


def _codings(node: Node, diags: Diagnostics) -> list[tuple[str, str]]:
    out = []
    for item in _items(node, diags):
        f = fields(item, diags, ("system", "code"))
        system, code = (text_of(f.get("system"), diags), text_of(f.get("code"), diags)) if f else (None, None)
        if system and code:
            out.append((system, code))
    return out


def _service(node: Node, diags: Diagnostics) -> Service | None:
    f = fields(node, diags, ("id", "hook", "title", "description", "orders", "context", "prefetch"))
    if f is None or len(f) < 7:
        return None
    hook, orders = text_of(f["hook"], diags), text_of(f["orders"], diags)
    if hook is not None and hook not in HOOKS:
        diags.error(f"ukendt hook '{hook}'", f["hook"].span, expected=", ".join(HOOKS))
    if orders is not None and not orders.startswith(ORDER_PLACES):
        diags.error(f"'{orders}' siger ikke, hvor ordinationerne står", f["orders"].span,
                    expected="context.<felt> eller prefetch.<nøgle>")
    texts = [text_of(f[key], diags) for key in ("id", "title", "description")]
    if hook is None or orders is None or None in texts:
        return None
    service_id, title, description = (str(t) for t in texts)
    return Service(service_id, hook, title, description, orders, tuple(_texts(f["context"], diags)),
                   _text_map(f["prefetch"], diags))
