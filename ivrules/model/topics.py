"""The ``topics:`` section of vocabulary.yaml → the rows the regions' agreements are compared on.

A topic groups facts: a rule belongs to the first topic (in the file's order)
whose ``facts`` it reads, and an agreement's unknown belongs to the topic of
the fact it is ``about``. Three topics catch what no such topic takes
(``catches``): ``negated`` (rules that say "ikke ..."), ``other`` (every other
rule) and ``without_rule`` (a condition with no rule: the municipality's
consent). A topic with ``model`` takes its cells from the tariff model:
``tariff`` (the amounts) or ``financing`` (the split). ``ivrules compare`` and
the site's Sammenligning page show the topics in the file's order.
"""

from __future__ import annotations

from collections.abc import Collection

from ivrules.errors import Diagnostics, did_you_mean
from ivrules.lang.vocabulary import CATCHES, MODEL_PARTS, Topic
from ivrules.model.loader import Node, expect, fields, text_of

TOPIC_OPTIONAL = ("facts", "catches", "model")


def read_topics(root: Node, facts: Collection[str], diags: Diagnostics) -> tuple[Topic, ...]:
    """vocabulary.yaml's ``topics:`` list (optional) → the topics in order; ``facts`` are the declared facts."""
    node = root.value.get("topics") if isinstance(root.value, dict) else None
    if node is None or not expect(node, list, diags):
        return ()
    topics: list[Topic] = []
    for item in node.value:
        topic = _topic(item, facts, diags)
        if topic is None:
            continue
        if any(t.id == topic.id for t in topics):
            diags.error(f"emnet '{topic.id}' står to gange i topics", topic.span)
        topics.append(topic)
    _check_catches(topics, node, diags)
    return tuple(topics)


def _topic(node: Node, facts: Collection[str], diags: Diagnostics) -> Topic | None:
    f = fields(node, diags, ("id", "title"), TOPIC_OPTIONAL)
    if f is None or "id" not in f or "title" not in f:
        return None
    catches = _choice(f.get("catches"), CATCHES, diags)
    model = _choice(f.get("model"), MODEL_PARTS, diags)
    names = tuple(_fact(x, facts, diags) for x in (f["facts"].value if expect(f.get("facts"), list, diags) else []))
    if not (names or catches or model):
        diags.error(f"{node.path} siger ikke, hvad der hører til emnet", node.span,
                    expected="'facts', 'catches' eller 'model'")
    elif model and (names or catches):
        diags.error(f"{node.path}: et emne med 'model' henter alt fra takstmodellen", f["model"].span,
                    hint="slet 'facts' og 'catches' fra emnet")
    return Topic(text_of(f["id"], diags) or "", text_of(f["title"], diags) or "", names, catches, model, node.span)


def _choice(node: Node | None, choices: tuple[str, ...], diags: Diagnostics) -> str | None:
    value = text_of(node, diags) if node is not None else None
    if node is not None and value is not None and value not in choices:
        diags.error(f"ukendt værdi '{value}' i {node.path}", node.span, expected=", ".join(choices),
                    hint=did_you_mean(value, choices))
        return None
    return value


def _fact(node: Node, facts: Collection[str], diags: Diagnostics) -> str:
    name = text_of(node, diags) or ""
    if name and name not in facts:
        diags.error(f"ukendt faktum '{name}' i {node.path}", node.span, expected="et faktum fra 'facts'",
                    hint=did_you_mean(name, facts))
    return name


def _check_catches(topics: list[Topic], node: Node, diags: Diagnostics) -> None:
    """Every rule needs a topic: each of CATCHES is caught by exactly one topic; a model part by at most one."""
    for kind in CATCHES:
        count = sum(t.catches == kind for t in topics)
        if count != 1:
            diags.error(f"{count or 'intet'} emne{'r' if count else ''} har 'catches: {kind}' i topics", node.span,
                        expected=f"præcis ét emne med 'catches: {kind}'")
    for part in MODEL_PARTS:
        if sum(t.model == part for t in topics) > 1:
            diags.error(f"flere emner har 'model: {part}' i topics", node.span, expected="højst ét")
