"""AST + vocabulary → diagnostics: names, types and units of one rule.

Every mistake is collected into the caller's ``Diagnostics``; a rule with
mistakes is not compiled. A rule that is well-typed but can never be true is
found by ``ivrules.lang.cases`` and reported here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ivrules.errors import Diagnostics, did_you_mean
from ivrules.lang import nodes as n
from ivrules.lang.vocabulary import Fact, FactType, Vocabulary

# What an operand can be: a fact's type, or a named value of an enumerated fact or a municipality.
OperandType = FactType | Literal["value"]
TYPE_WORDS: dict[OperandType, str] = {
    "bool": "ja/nej", "number": "et tal", "enum": "en af faste værdier", "date": "en dato",
    "times": "en liste af klokkeslæt", "municipality": "en kommune", "value": "en navngiven værdi",
}


@dataclass(frozen=True)
class Typed:
    """What an operand is: its type and unit, and the fact behind it if any."""

    type: OperandType
    unit: str | None = None
    fact: Fact | None = None


class Checker:
    """Checks rules against one vocabulary; ``context`` ends each message."""

    def __init__(self, vocab: Vocabulary, diags: Diagnostics) -> None:
        self.vocab = vocab
        self.diags = diags
        self.context: str | None = None

    def check(self, expr: n.Expr, context: str | None = None) -> bool:
        """True when the rule has no mistakes (mistakes go to the diagnostics)."""
        self.context = context
        before = len(self.diags)
        self._condition(expr)
        return len(self.diags) == before

    def _error(self, message: str, node: object, **kw: str | None) -> None:
        self.diags.error(message, getattr(node, "span", None), context=self.context, **kw)

    def _condition(self, expr: n.Expr) -> None:
        if isinstance(expr, (n.All, n.Any_)):
            for item in expr.items:
                self._condition(item)
        elif isinstance(expr, n.Not):
            self._condition(expr.item)
        elif isinstance(expr, n.Implies):
            self._condition(expr.condition)
            self._condition(expr.then)
        elif isinstance(expr, n.Name):
            self._bare_name(expr)
        elif isinstance(expr, n.Compare):
            self._compare(expr)
        elif isinstance(expr, n.Member):
            self._member(expr)
        elif isinstance(expr, n.Window):
            self._window(expr)

    def _fact(self, name: n.Name) -> Fact | None:
        return self.vocab.by_term.get(name.term)

    def _unknown_name(self, name: n.Name) -> None:
        """A name that is no fact's Danish term; its English name (``age_years``) is told the Danish (``alder``)."""
        self._error(f"ukendt faktum '{name.term}'", name, expected="et faktum fra ordforrådet",
                    hint=self.vocab.suggest(name.term) or "se agreements/vocabulary.yaml")

    def _bare_name(self, name: n.Name) -> None:
        fact = self._fact(name)
        if fact is None:
            self._unknown_name(name)
        elif fact.type != "bool":
            self._error(f"'{name.term}' er {TYPE_WORDS[fact.type]}, ikke ja/nej", name,
                        hint=f"sammenlign den med en værdi, fx '{name.term} = ...'")

    def _operand(self, op: n.Operand, other: n.Operand) -> Typed | None:
        if isinstance(op, n.Quantity):
            return Typed("number", op.unit)
        if isinstance(op, n.DateLit):
            return Typed("date")
        fact = self._fact(op)
        if fact is not None:
            return Typed(fact.type, fact.unit, fact)
        partner = self._fact(other) if isinstance(other, n.Name) else None
        if partner is not None and partner.type in ("enum", "municipality"):
            return Typed("value")
        if partner is None and isinstance(other, n.Name) and self._is_value(op.term):
            return None  # 'treatment = antibiotika': the unknown fact is the mistake, told once
        self._unknown_name(op)
        return None

    def _is_value(self, word: str) -> bool:
        """Whether ``word`` is a named value of some fact, or a municipality."""
        return word in self.vocab.municipalities or any(f.value_with_term(word) for f in self.vocab.facts.values())

    def _compare(self, cmp: n.Compare) -> None:
        left, right = self._operand(cmp.left, cmp.right), self._operand(cmp.right, cmp.left)
        if left is None or right is None:
            return
        if left.fact is None and right.fact is None:
            self._error("sammenligningen har intet faktum", cmp, hint="en af siderne skal være et faktum, fx 'alder'")
            return
        fact_side, fact_typed, other_node, other = (
            (cmp.left, left, cmp.right, right) if left.fact else (cmp.right, right, cmp.left, left))
        assert fact_typed.fact is not None
        fact = fact_typed.fact
        if fact.type in ("enum", "municipality"):
            self._compare_named(cmp, fact, other_node, other)
        elif fact.type in ("bool", "times"):
            self._error(f"'{fact.term}' kan ikke sammenlignes med '{cmp.op}'", fact_side,
                        hint=f"skriv blot '{fact.term}' eller 'ikke {fact.term}'" if fact.type == "bool"
                        else f"skriv '{fact.term} inden for kl. 07-00'")
        elif other.type != fact.type:
            self._error(f"'{fact.term}' er {TYPE_WORDS[fact.type]}, men sammenlignes med {TYPE_WORDS[other.type]}",
                        other_node, expected=TYPE_WORDS[fact.type])
        elif fact.type == "number":
            self._units(fact, other, other_node)

    def _units(self, fact: Fact, other: Typed, node: object) -> None:
        if other.unit == fact.unit:
            return
        if other.fact is None and other.unit is None:
            self._error(f"tallet mangler en enhed; '{fact.term}' måles i {fact.unit}", node,
                        expected=f"et tal med enheden '{fact.unit}'", hint=f"skriv fx '3 {fact.unit}'")
        elif fact.unit is None:
            self._error(f"'{fact.term}' har ingen enhed, men tallet har enheden '{other.unit}'", node,
                        hint="fjern enheden")
        else:
            self._error(f"enheden '{other.unit}' passer ikke til '{fact.term}', som måles i {fact.unit}", node,
                        expected=f"enheden '{fact.unit}'")

    def _compare_named(self, cmp: n.Compare, fact: Fact, node: object, other: Typed) -> None:
        if cmp.op not in ("=", "!="):
            self._error(f"'{fact.term}' har faste værdier og kan kun sammenlignes med = og !=", cmp,
                        hint=f"brug '{fact.term} i {{...}}' for flere værdier")
        elif other.type == "value" and isinstance(node, n.Name):
            self._value(fact, node)
        elif other.fact is None or other.fact.type != fact.type:
            self._error(f"'{fact.term}' sammenlignes med {TYPE_WORDS[other.type]}", node,
                        expected=f"en af værdierne for '{fact.term}'")

    def _value(self, fact: Fact, item: n.Name | n.Text) -> None:
        word = item.term if isinstance(item, n.Name) else item.value
        if fact.type == "municipality":
            if word not in self.vocab.municipalities:
                self._error(f"ukendt kommune '{word}'", item, hint=did_you_mean(word, self.vocab.municipalities))
        elif fact.value_with_term(word) is None:
            terms = [v.term for v in fact.values]
            self._error(f"ukendt værdi '{word}' for '{fact.term}'", item, expected=", ".join(terms),
                        hint=fact.suggest_value(word))

    def _member(self, member: n.Member) -> None:
        if not isinstance(member.operand, n.Name):
            self._error("kun et faktum kan stå foran 'i'", member.operand)
            return
        fact = self._fact(member.operand)
        if fact is None:
            self._unknown_name(member.operand)
        elif fact.type not in ("enum", "municipality"):
            self._error(f"'{fact.term}' er {TYPE_WORDS[fact.type]} og har ingen faste værdier at vælge imellem",
                        member.operand)
        elif not member.items:
            self._error("mængden er tom", member, hint="skriv mindst én værdi i {...}")
        else:
            for item in member.items:
                self._value(fact, item)

    def _window(self, window: n.Window) -> None:
        fact = self._fact(window.operand) if isinstance(window.operand, n.Name) else None
        if fact is None or fact.type != "times":
            self._error("'inden for kl.' kræver et faktum med klokkeslæt", window.operand,
                        expected="fx 'doseringstidspunkter'")
        elif window.start >= window.end:
            self._error("tidsrummet er tomt", window, hint="skriv starttidspunktet før sluttidspunktet, fx 07-00")
