"""vocabulary.yaml and municipalities.yaml (``Node`` trees) → fact declarations, roles and municipalities.

Errors are collected with their spans. The vocabulary itself, the type
environment the rule language checks against, is ``ivrules.lang.vocabulary``.
"""

from __future__ import annotations

from decimal import Decimal

from ivrules.errors import Diagnostics, did_you_mean
from ivrules.lang import units
from ivrules.lang.vocabulary import DERIVATIONS, ROLE_TYPES, TYPES, Fact, Municipality, Roles, Value
from ivrules.model.loader import Node, expect, fields, text_of

# The keys of each mapping, (required, optional): the loader checks them; the editors' JSON Schema and
# completion (ivrules.lsp.format) are made from the same tuples.
VOCABULARY_KEYS = (("facts", "roles"), ("topics",))  # topics: ivrules.model.topics
FACT_KEYS = (("term", "type", "label", "question"), ("unit", "values", "derive", "statement", "negation", "range",
                                                        "whole"))
VALUE_KEYS = (("term", "label"), ())
MUNICIPALITIES_KEYS = (("municipalities",), ())
MUNICIPALITY_KEYS = (("name", "code", "region", "island"), ())


def read_vocabulary(root: Node, diags: Diagnostics) -> tuple[list[Fact], Roles | None]:
    """vocabulary.yaml → fact declarations and the facts' roles (errors collected)."""
    top = fields(root, diags, *VOCABULARY_KEYS)
    if not top or "facts" not in top or not expect(top["facts"], dict, diags):
        return [], None
    facts = [_read_fact(name, node, diags) for name, node in top["facts"].items()]
    known = [f for f in facts if f is not None]
    _check_terms(known, diags)
    for fact in known:
        if fact.type == "number" and fact.limits is None and fact.derive is None:
            diags.error(f"faktum '{fact.name}' af typen number skal have 'range'", fact.span,
                        hint="de plausible værdier, fx range: [0, 130]; et tal udenfor afvises")
    return known, _read_roles(top.get("roles"), {f.name: f for f in known}, diags)


def _read_roles(node: Node | None, facts: dict[str, Fact], diags: Diagnostics) -> Roles | None:
    """``roles:`` → which fact is the start date, the municipality, …; each must name a fact of the right type."""
    f = fields(node, diags, tuple(ROLE_TYPES)) if node is not None else None
    if f is None or not all(role in f for role in ROLE_TYPES):
        return None
    names = {role: text_of(f[role], diags) or "" for role in ROLE_TYPES}
    for role, name in names.items():
        fact = facts.get(name)
        if fact is None:
            diags.error(f"rollen '{role}' peger på det ukendte faktum '{name}'", f[role].span,
                        hint=did_you_mean(name, facts))
        elif fact.type != ROLE_TYPES[role]:
            diags.error(f"rollen '{role}' skal være et faktum af typen {ROLE_TYPES[role]}, men '{name}' er {fact.type}",
                        f[role].span)
    return Roles(**names)


def _read_fact(name: str, node: Node, diags: Diagnostics) -> Fact | None:
    f = fields(node, diags, *FACT_KEYS)
    if f is None:
        return None
    word = text_of(f.get("type"), diags)
    kind = next((t for t in TYPES if t == word), None)
    if word is not None and kind is None:
        diags.error(f"ukendt type '{word}' for faktum '{name}'", f["type"].span,
                    expected=", ".join(TYPES), hint=did_you_mean(word, TYPES))
    unit = text_of(f.get("unit"), diags) if "unit" in f else None
    if unit is not None and unit not in units.BY_NAME:
        diags.error(f"ukendt enhed '{unit}'", f["unit"].span, expected=", ".join(units.NAMES),
                    hint=did_you_mean(unit, units.NAMES))
    values = _read_values(f.get("values"), diags) if "values" in f else ()
    if kind == "enum" and not values:
        diags.error(f"faktum '{name}' af typen enum skal have 'values'", node.span)
    derive = _read_derive(f.get("derive"), diags) if "derive" in f else None
    statement = text_of(f["statement"], diags) if "statement" in f else None
    negation = text_of(f["negation"], diags) if "negation" in f else None
    limits = _read_range(name, kind, f.get("range"), diags)
    whole = _read_whole(name, kind, f.get("whole"), diags)
    return Fact(name, text_of(f.get("term"), diags) or name, kind or "bool", text_of(f.get("label"), diags) or name,
                text_of(f.get("question"), diags) or "", unit, values, derive, statement, negation, node.span, limits,
                whole)


def _read_whole(name: str, kind: str | None, node: Node | None, diags: Diagnostics) -> bool:
    """``whole: true``: a number fact that counts something takes whole numbers only."""
    if node is None:
        return False
    if kind != "number" or not isinstance(node.value, bool):
        diags.error(f"'whole' for '{name}' skal være true eller false og hører kun til et faktum af typen number",
                    node.span, hint="fx whole: true for et antal doser")
        return False
    return node.value


def _read_range(name: str, kind: str | None, node: Node | None,
                diags: Diagnostics) -> tuple[int | Decimal, int | Decimal] | None:
    """``range: [low, high]``: required for a number fact that is asked (not derived), allowed on no other."""
    if node is None:
        return None
    if kind != "number":
        diags.error(f"'range' hører kun til et faktum af typen number, ikke '{name}'", node.span)
        return None
    items = node.value if isinstance(node.value, list) else []
    numbers = [i.value for i in items if isinstance(i.value, (int, float)) and not isinstance(i.value, bool)]
    if len(items) != 2 or len(numbers) != 2 or numbers[0] > numbers[1]:
        diags.error(f"'range' for '{name}' skal være [mindst, højst], to tal i stigende orden", node.span,
                    hint="fx range: [0, 130]")
        return None
    low, high = (Decimal(str(x)) for x in numbers)
    return _plain(low), _plain(high)


def _plain(number: Decimal) -> int | Decimal:
    return int(number) if number == number.to_integral_value() else number


def _read_values(node: Node | None, diags: Diagnostics) -> tuple[Value, ...]:
    if not expect(node, dict, diags):
        return ()
    assert node is not None
    out = []
    for name, item in node.items():
        f = fields(item, diags, *VALUE_KEYS)
        if f:
            out.append(Value(name, text_of(f.get("term"), diags) or name, text_of(f.get("label"), diags) or name))
    return tuple(out)


def _read_derive(node: Node | None, diags: Diagnostics) -> tuple[str, tuple[str, ...]] | None:
    text = text_of(node, diags)
    if text is None or node is None:
        return None
    func, _, rest = text.partition("(")
    args = tuple(a.strip() for a in rest.rstrip(")").split(",") if a.strip())
    if func.strip() not in DERIVATIONS or not rest.endswith(")"):
        diags.error(f"ukendt afledning '{text}'", node.span, expected=", ".join(f"{d}(...)" for d in DERIVATIONS))
        return None
    return func.strip(), args


def _check_terms(facts: list[Fact], diags: Diagnostics) -> None:
    names = {f.name for f in facts}
    seen: dict[str, Fact] = {}
    for fact in facts:
        if fact.term in seen:
            diags.error(f"termen '{fact.term}' bruges af både '{seen[fact.term].name}' og '{fact.name}'", fact.span)
        elif fact.term in names and fact.term != fact.name:  # each spelling names one fact, as term or as alias
            diags.error(f"termen '{fact.term}' for '{fact.name}' er navnet på et andet faktum", fact.span)
        seen[fact.term] = fact
        _check_value_terms(fact, diags)
        for arg in fact.derive[1] if fact.derive else ():
            if arg not in names:
                diags.error(f"'{fact.name}' afledes af det ukendte faktum '{arg}'", fact.span,
                            hint=did_you_mean(arg, names))


def _check_value_terms(fact: Fact, diags: Diagnostics) -> None:
    """Each spelling of a value (its Danish term or its JSON name) names one value of the fact."""
    owner: dict[str, str] = {}
    for value in fact.values:
        for spelling in dict.fromkeys((value.name, value.term)):
            if owner.setdefault(spelling, value.name) != value.name:
                diags.error(f"'{spelling}' er navn på to værdier af '{fact.name}': '{owner[spelling]}' og "
                            f"'{value.name}'", fact.span)


def read_municipalities(root: Node, diags: Diagnostics) -> dict[str, Municipality]:
    """municipalities.yaml → municipalities by name."""
    top = fields(root, diags, *MUNICIPALITIES_KEYS)
    if not top or not expect(top.get("municipalities"), list, diags):
        return {}
    out: dict[str, Municipality] = {}
    for item in top["municipalities"].value:
        f = fields(item, diags, *MUNICIPALITY_KEYS)
        if not f or not all(k in f for k in MUNICIPALITY_KEYS[0]):
            continue
        if expect(f["code"], int, diags) and expect(f["island"], bool, diags):
            name = text_of(f["name"], diags) or ""
            out[name] = Municipality(name, f["code"].value, text_of(f["region"], diags) or "", f["island"].value)
    return out
