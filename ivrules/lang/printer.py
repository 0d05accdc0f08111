"""AST → text: back to rule source (``to_source``) and to a Danish sentence (``to_danish``).

``to_source`` is canonical: parsing its output gives an equal AST, which the
property tests check. With ``words=True`` it writes comparisons as the Danish
reads ("alder er over 3 år", "dato fra og med 2021-05-01"), which parse back
to the same rule too. ``to_danish`` is what the site and the diff show a
reader; it is generated from the rule, never copied from the agreement.
"""

from __future__ import annotations

from ivrules import danish
from ivrules.lang import nodes as n
from ivrules.lang import units
from ivrules.lang.compiler import FLIPPED
from ivrules.lang.vocabulary import Fact, Vocabulary

# Binding strength, loosest first: hvis … så, eller, og, ikke, atoms.
LEVEL = {n.Implies: 0, n.Any_: 1, n.All: 2, n.Not: 3}
OP_WORDS: dict[n.Op, str] = {">": "over", ">=": "mindst", "<": "under", "<=": "højst", "=": "", "!=": "ikke"}
DATE_WORDS: dict[n.Op, str] = {">": "efter", ">=": "den … eller senere", "<": "før", "<=": "den … eller tidligere",
              "=": "den", "!=": "ikke den"}


# Comparisons in words (the grammar's WORD_OP and "er"); dates read as an agreement words a period.
SOURCE_WORDS: dict[n.Op, str] = {">": "er over", ">=": "er mindst", "<": "er under", "<=": "er højst", "=": "er",
                                 "!=": "er ikke"}
SOURCE_DATE_WORDS: dict[n.Op, str] = {">": "efter", ">=": "fra og med", "<": "før", "<=": "til og med", "=": "er",
                                      "!=": "er ikke"}
# Names a comparison in words cannot hold (read as its words): such a comparison is written with its sign.
WORDS_RESERVED = frozenset({"er", "ikke", "over", "under", "mindst", "højst", "efter", "før", "fra", "til", "med"})


def to_source(expr: object, words: bool = False) -> str:
    """The canonical rule text of an AST node; ``words``: comparisons in Danish words, not signs."""
    return _src(expr, 0, words)


def _src(expr: object, outer: int, words: bool = False) -> str:
    level = LEVEL.get(type(expr), 4)
    text = _src_node(expr, words)
    return f"({text})" if level < outer else text


def _src_node(expr: object, words: bool = False) -> str:
    if isinstance(expr, n.Implies):
        return f"hvis {_src(expr.condition, 1, words)} så {_src(expr.then, 0, words)}"
    if isinstance(expr, n.Any_):
        return " eller ".join(_src(item, 2, words) for item in expr.items)
    if isinstance(expr, n.All):
        return " og ".join(_src(item, 3, words) for item in expr.items)
    if isinstance(expr, n.Not):
        return f"ikke {_src(expr.item, 3, words)}"
    if isinstance(expr, n.Compare):
        return f"{_src_node(expr.left)} {_op_text(expr) if words else expr.op} {_src_node(expr.right)}"
    if isinstance(expr, n.Member):
        items = ", ".join(_src_node(item) for item in expr.items)
        return f"{_src_node(expr.operand)} {'ikke i' if expr.negated else 'i'} {{{items}}}"
    if isinstance(expr, n.Window):
        return f"{_src_node(expr.operand)} inden for kl. {danish.clock(expr.start)}-{danish.clock(expr.end)}"
    if isinstance(expr, n.Name):
        return expr.term
    if isinstance(expr, n.Text):
        return f'"{expr.value}"'
    if isinstance(expr, n.Quantity):
        number = f"{expr.value:f}"  # plain digits: never "1E+1"
        return f"{number} {expr.unit}" if expr.unit else number
    if isinstance(expr, n.DateLit):
        return expr.value.isoformat()
    raise TypeError(f"not a rule node: {expr!r}")


def _op_text(expr: n.Compare) -> str:
    """A comparison's sign in words: "er over", "fra og med" (a date); the sign where an operand is named like one
    of the words."""
    if any(isinstance(o, n.Name) and o.term in WORDS_RESERVED for o in (expr.left, expr.right)):
        return expr.op
    dated = isinstance(expr.left, n.DateLit) or isinstance(expr.right, n.DateLit)
    return (SOURCE_DATE_WORDS if dated else SOURCE_WORDS)[expr.op]


def to_danish(expr: object, vocab: Vocabulary) -> str:
    """A Danish sentence for a checked rule, built from the vocabulary's labels."""
    text = _DanishWriter(vocab).write(expr)
    return text[:1].upper() + text[1:] + "."


class _DanishWriter:
    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.subordinate = False  # inside "hvis …": Danish puts "ikke" before the verb

    def _condition(self, expr: object) -> str:
        self.subordinate = True
        try:
            return self.write(expr)
        finally:
            self.subordinate = False

    def _is_not(self) -> str:
        return "ikke er" if self.subordinate else "er ikke"

    def write(self, expr: object) -> str:
        if isinstance(expr, n.Implies):
            return f"hvis {self._condition(expr.condition)}, gælder det, at {self._condition(expr.then)}"
        if isinstance(expr, n.Any_):
            return _join([self._grouped(item) for item in expr.items], "eller")
        if isinstance(expr, n.All):
            return _join([self._grouped(item) for item in expr.items], "og")
        if isinstance(expr, n.Not):
            fact = self._fact(expr.item)
            if fact is not None and fact.negation:
                return fact.negation
            return f"det gælder ikke, at {self.write(expr.item)}"
        if isinstance(expr, n.Name):
            fact = self._fact(expr)
            return fact.statement if fact is not None and fact.statement else f"{self._label(expr.term)} er opfyldt"
        if isinstance(expr, n.Member):
            values = _join([self._value(expr.operand, item) for item in expr.items], "eller")
            return f"{self._label(_term(expr.operand))} {self._is_not() if expr.negated else 'er'} {values}"
        if isinstance(expr, n.Window):
            return (f"{self._label(_term(expr.operand))} ligger i tidsrummet kl. "
                    f"{danish.clock(expr.start)}-{danish.clock(expr.end)}")
        if isinstance(expr, n.Compare):
            return self._compare(expr)
        return _src_node(expr)

    def _grouped(self, expr: object) -> str:
        """Bracket a part of 'og'/'eller' that is itself a list or a condition: the sentence keeps the rule's shape."""
        text = self.write(expr)
        return f"({text})" if isinstance(expr, (n.All, n.Any_, n.Implies)) else text

    def _fact(self, node: object) -> Fact | None:
        return self.vocab.by_term.get(node.term) if isinstance(node, n.Name) else None

    def _label(self, term: str) -> str:
        fact = self.vocab.by_term.get(term)
        label = fact.label if fact else term
        return label[:1].lower() + label[1:] if not label[:3].isupper() else label

    def _value(self, fact_node: object, item: object) -> str:
        fact = self._fact(fact_node)
        word = item.term if isinstance(item, n.Name) else getattr(item, "value", str(item))
        value = fact.value_by_term(str(word)) if fact else None
        return value.label if value is not None else str(word)

    def _compare(self, expr: n.Compare) -> str:
        left_fact, right_fact = self._fact(expr.left), self._fact(expr.right)
        if left_fact is None and right_fact is not None:
            expr = n.Compare(FLIPPED[expr.op], expr.right, expr.left)
            left_fact = right_fact
        subject = self._label(_term(expr.left))
        if left_fact is not None and left_fact.type in ("enum", "municipality"):
            word = "er" if expr.op == "=" else self._is_not()
            return f"{subject} {word} {self._value(expr.left, expr.right)}"
        if isinstance(expr.right, n.DateLit):
            phrase = DATE_WORDS[expr.op]
            when = danish.date(expr.right.value)
            return f"{subject} er {phrase.replace('…', when)}" if "…" in phrase else f"{subject} er {phrase} {when}"
        words = OP_WORDS[expr.op]
        value = self._quantity(expr.right) if isinstance(expr.right, n.Quantity) else self._label(_term(expr.right))
        return f"{subject} er {words + ' ' if words else ''}{value}"

    def _quantity(self, q: n.Quantity) -> str:
        if q.unit is None:
            return danish.number(q.value)
        unit = units.BY_NAME[q.unit]
        if unit.dimension == "money":
            return danish.kroner(q.value)
        return f"{danish.number(q.value)} {unit.singular if q.value == 1 else unit.name}"


def _term(node: object) -> str:
    return node.term if isinstance(node, n.Name) else _src_node(node)


def _join(parts: list[str], word: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]
