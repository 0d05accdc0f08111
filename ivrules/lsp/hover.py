"""What the cursor points at, in Danish: a fact, a value, a rule, an interpretation, an unknown."""

from __future__ import annotations

from ivrules.lang.printer import to_danish
from ivrules.lang.vocabulary import Fact, Vocabulary
from ivrules.lsp.cursor import Cursor
from ivrules.lsp.format import DESCRIPTIONS
from ivrules.model.agreement import Agreement, Rule

TYPE_NAMES = {"bool": "ja/nej", "number": "tal", "enum": "en af de tilladte værdier", "date": "dato",
              "times": "klokkeslæt", "municipality": "kommune"}


def hover_text(cursor: Cursor, vocab: Vocabulary | None, agreement: Agreement | None) -> str | None:
    """Markdown for the word under the cursor, or None when it names nothing known."""
    found = cursor.word()
    if found is None:
        return None
    word = found[0]
    key = cursor.key()
    if cursor.on_key() == word and word in DESCRIPTIONS:
        return f"**{word}**: {DESCRIPTIONS[word]}"
    if agreement is not None and (text := _in_agreement(cursor, word, key, agreement, vocab)):
        return text
    return _in_vocabulary(word, vocab, in_rule=cursor.expression() is not None) if vocab else None


def _in_agreement(cursor: Cursor, word: str, key: str | None, agreement: Agreement,
                  vocab: Vocabulary | None) -> str | None:
    top = cursor.top_key()
    in_reasons = top == "examples" and "reasons" in [*cursor.key_path(), key or ""]
    if (key == "id" and top == "sections") or in_reasons:
        rule = next((r for r in agreement.rules if r.id == word), None)
        if rule is not None:
            return rule_text(rule, agreement, vocab)
    interpretation = agreement.interpretations.get(word)
    if interpretation is not None and (top == "interpretations" or key not in (None, "rule")):
        return f"**Fortolkning {interpretation.id}**: {interpretation.title}\n\n{interpretation.reading}"
    unknown = next((u for u in agreement.unknowns if u.id == word), None)
    if unknown is not None:
        where = f" (afsnit {unknown.section})" if unknown.section else ""
        return f"**Ukendt {unknown.id}**{where}: {unknown.text}"
    return None


def rule_text(rule: Rule, agreement: Agreement, vocab: Vocabulary | None) -> str:
    """A rule as the site prints it: the Danish sentence, the section, the explanation."""
    section = next((s for s in agreement.sections if rule in s.rules), None)
    sentence = to_danish(rule.expr, vocab) if rule.expr is not None and vocab is not None else rule.source_text
    where = f"afsnit {section.number} {section.title}" if section else f"afsnit {rule.section}"
    lines = [f"**Regel {rule.id}** ({where})", "", sentence or "", "", rule.explain]
    if rule.interpretations:
        lines += ["", "Fortolkning: " + ", ".join(rule.interpretations)]
    return "\n".join(lines).strip()


def _in_vocabulary(word: str, vocab: Vocabulary, *, in_rule: bool) -> str | None:
    fact = vocab.by_term.get(word) if in_rule else vocab.facts.get(word) or vocab.by_term.get(word)
    if fact is not None:
        return fact_text(fact)
    for candidate in vocab.facts.values():
        value = candidate.value_by_term(word)
        if value is not None:
            of = f"en værdi af {candidate.term} ({candidate.label})"
            return f"**{value.term}** (`{value.name}`): {value.label}\n\n{of}"
    municipality = vocab.municipalities.get(word)
    if municipality is not None:
        region = vocab.regions.get(municipality.region, municipality.region)
        return f"**{municipality.name}** (kommunekode {municipality.code}): {region}"
    return None


def fact_text(fact: Fact) -> str:
    """A fact's Danish label, type, unit and allowed values."""
    lines = [f"**{fact.term}** (`{fact.name}`): {fact.label}", "", f"Type: {TYPE_NAMES.get(fact.type, fact.type)}"]
    if fact.unit:
        lines.append(f"Enhed: {fact.unit}")
    lines.append(f"Spørgsmål: {fact.question}")
    if fact.values:
        lines += ["", "Tilladte værdier:"] + [f"- `{v.term}` (`{v.name}`): {v.label}" for v in fact.values]
    return "\n".join(lines)
