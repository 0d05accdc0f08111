"""Rule text → AST (``ivrules.lang.nodes``), with friendly, located syntax errors.

The grammar is ``grammar/rules.lark`` (LALR) plus the ``UNIT`` terminal built
from ``ivrules.lang.units``. It has two start symbols: ``start``, a rule, and
``amount``, a tariff amount such as ``2999 kr.``. No ``lark.Tree`` leaves this
module: the transformer turns every rule into frozen dataclasses whose spans
point into the agreement file.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from lark import Lark, Token, Transformer, Tree, UnexpectedCharacters, UnexpectedInput, v_args
from lark.exceptions import VisitError

from ivrules.errors import AgreementError, Diagnostic, shown
from ivrules.lang import nodes as n
from ivrules.lang import units
from ivrules.source import ScalarText, Source, Span

# A comparison in words (the grammar's WORD_OP, "alder er over 3 år") → the sign it means.
WORD_OPS: dict[str, n.Op] = {"over": ">", "mindst": ">=", "under": "<", "højst": "<=", "efter": ">", "før": "<",
                             "fra og med": ">=", "til og med": "<="}
Start = Literal["start", "amount"]  # the grammar's start symbols: a rule, a tariff amount
TOKEN_NAMES = {
    "COMPARE": "en sammenligning (=, !=, <, <=, >, >=)",
    "NAME": "et navn", "NUMBER": "et tal",
    "DATE": "en dato (ÅÅÅÅ-MM-DD)", "TIME": "et klokkeslæt (07 eller 07:30)", "UNIT": "en enhed",
    "STRING": "et navn i anførselstegn", "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('", "RPAR": "')'",
    "COMMA": "','", "MINUS": "'-'", "IKKE": "'ikke'", "OG": "'og'", "ELLER": "'eller'", "HVIS": "'hvis'",
    "SÅ": "'så'", "I": "'i'", "INDEN": "'inden for'", "FOR": "'for'", "KL": "'kl.'", "$END": "slutningen af reglen",
    "_ER": "'er'", "WORD_OP": "en sammenligning i ord (over, mindst, under, højst, fra og med …)",
    "<END-OF-FILE>": "slutningen af teksten",
}

# Friendly messages for common mistakes, matched by the parser state they end in
# (lark's match_examples). Each label is tested by tests/test_parser.py.
SYNTAX_ERRORS: dict[str, tuple[str, list[str]]] = {
    "mangler en værdi efter sammenligningen": (
        "skriv værdien efter tegnet eller ordet, fx 'alder > 3 år' eller 'alder er over 3 år'",
        ["alder >", "alder > og startet_på_hospital", "doser_pr_døgn <= )", "alder er over", "alder mindst",
         "dato fra og med", "behandling er", "behandling er ikke"]),
    "to betingelser uden 'og' eller 'eller' imellem": (
        "bind betingelserne sammen med 'og' eller 'eller'",
        ["alder > 3 år startet_på_hospital", "startet_på_hospital stabil", "(alder > 3 år) (stabil)"]),
    "'hvis' uden 'så'": (
        "skriv 'hvis <betingelse> så <krav>'",
        ["hvis behandling = antibiotika system i {a}", "hvis stabil", "hvis stabil og"]),
    "mængden mangler sit afsluttende '}'": (
        "afslut listen af værdier med '}'", ["system i {a, b", "system i {a b}", "system i {a,"]),
    "parentesen mangler sin afsluttende ')'": (
        "hver '(' skal have en ')'", ["(alder > 3 år", "(stabil og (hjem_egnet)"]),
    "'i' skal efterfølges af en mængde i krøllede parenteser": (
        "skriv fx 'adgang i {PVK, CVK}'", ["adgang i PVK", "adgang ikke i PVK"]),
    "sammenligningen mangler sin venstre side": (
        "start med et faktum, fx 'alder > 3 år'", ["> 3 år", "= antibiotika", "<= 5 doser"]),
    "efter et tal forventes en enhed eller 'og'/'eller'": (
        f"enhederne er {units.spoken_list()}",
        ["alder > 3 years", "alder > 3 aar", "alder > 3 stabil"]),
    "et tidsrum skrives 'inden for kl. TT-TT'": (
        "fx 'doseringstidspunkter inden for kl. 07-00'",
        ["doseringstidspunkter inden for 07-00", "doseringstidspunkter inden for kl. 07",
         "doseringstidspunkter inden kl. 07-00"]),
}


# Friendly messages for mistakes in a tariff amount (start symbol ``amount``), as SYNTAX_ERRORS.
AMOUNT_ERRORS: dict[str, tuple[str, list[str]]] = {
    "et beløb kan ikke være negativt": (
        "skriv beløbet uden minus, fx '2999 kr.'; hvem der betaler, står under 'financing'", ["-2999 kr.", "- 70 %"]),
    "efter et tal forventes en enhed": (f"enhederne er {units.spoken_list()}", ["2999 kroner", "70 procent"]),
    "et beløb skrives som et tal med enhed": ("fx '2999 kr.' eller '70 %'", ["kr. 2999", "ca. 2999 kr.", ""]),
    "efter beløbets enhed må der ikke stå mere": (
        "skriv kun tallet og enheden, fx '2999 kr.'", ["2999 kr. og stabil", "70 % 30 %"]),
}
ERRORS: dict[Start, dict[str, tuple[str, list[str]]]] = {"start": SYNTAX_ERRORS, "amount": AMOUNT_ERRORS}


@lru_cache(maxsize=1)
def grammar_parser() -> Lark:
    """The LALR parser of the rule language, built once per process."""
    return Lark(grammar_text(), start=["start", "amount"], parser="lalr", propagate_positions=True,
                maybe_placeholders=False)


def grammar_text() -> str:
    """The grammar file with the ``UNIT`` terminal of the units table."""
    return _grammar_path().read_text(encoding="utf-8") + "\n" + units.grammar_terminal() + "\n"


def _grammar_path() -> Path:
    # ivrules/grammar is a link to the top-level grammar/ folder, so the source
    # tree and an installed wheel find the same file.
    return Path(__file__).parent / "grammar" / "rules.lark"


def parse_rule(text: str, where: ScalarText | None = None) -> n.Expr:
    """Parse one rule; raise ``AgreementError`` with a located diagnostic on a mistake."""
    scalar = where or _standalone(text)
    if not text.strip():
        empty = Diagnostic("reglen er tom", scalar.span(0, 1), expected="et udtryk, fx 'alder > 3 år'")
        raise AgreementError([empty])
    if len(text) > MAX_RULE_CHARS:  # parsing time grows with the text: a 100,000-character rule takes seconds
        long = Diagnostic(f"reglen er for lang ({len(text):,} tegn; højst {MAX_RULE_CHARS:,})".replace(",", "."),
                          scalar.span(MAX_RULE_CHARS, MAX_RULE_CHARS + 1),
                          hint="del reglen i flere regler; en regel fylder normalt et par linjer")
        raise AgreementError([long])
    result: n.Expr = _parse(text, scalar, "start")
    return result


def parse_amount(text: str, where: ScalarText | None = None) -> n.Quantity:
    """Parse a tariff amount (``2999 kr.``, ``70 %``): a number with an optional unit, located like a rule."""
    result: n.Quantity = _parse(text, where or _standalone(text), "amount")
    return result


MAX_RULE_CHARS = 5_000  # the longest rule in the agreements has about 150
MAX_NESTING = 50  # 'ikke', 'hvis … så' and '(' inside each other; a real rule nests 3 deep
MAX_DIGITS = 15  # a number in a rule: enough for any amount in øre, bounded before Decimal/int conversion


class BadValue(ValueError):
    """A value the grammar accepts but the model cannot hold, with the span of the offending token."""

    def __init__(self, message: str, span: Span | None, hint: str | None = None) -> None:
        super().__init__(message)
        self.span, self.hint = span, hint


def _parse(text: str, scalar: ScalarText, start: Start) -> Any:
    try:
        tree = grammar_parser().parse(text, start=start)
    except UnexpectedInput as exc:
        raise AgreementError([_syntax_diagnostic(exc, text, scalar, start)]) from None
    _check_nesting(tree, scalar)
    try:
        return _Builder(scalar).transform(tree)
    except VisitError as exc:  # a value the grammar accepts but the model cannot hold
        span = getattr(exc.orig_exc, "span", None) or scalar.span(0, len(text))
        raise AgreementError([Diagnostic(str(exc.orig_exc), span, hint=getattr(exc.orig_exc, "hint", None))]) from None
    except RecursionError:  # not reached below MAX_NESTING; kept so no rule text can end in a traceback
        raise AgreementError([Diagnostic("reglen er for indviklet", scalar.span(0, len(text)))]) from None


def _check_nesting(tree: Tree[Token], scalar: ScalarText) -> None:
    """Refuse rules nested deeper than MAX_NESTING, without recursion (the transformer recurses)."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            start = getattr(node.meta, "start_pos", 0) or 0
            raise AgreementError([Diagnostic(
                f"reglen er indlejret for dybt (mere end {MAX_NESTING} niveauer af 'ikke', 'hvis' og parenteser)",
                scalar.span(start, start + 1), hint="skriv reglen enklere, eller del den i flere regler")])
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _standalone(text: str) -> ScalarText:
    return ScalarText(text, Source("<regel>", text), 0, len(text))


def _syntax_diagnostic(exc: UnexpectedInput, text: str, scalar: ScalarText, start: Start) -> Diagnostic:
    pos = min(getattr(exc, "pos_in_stream", None) or 0, max(len(text) - 1, 0))
    if isinstance(exc, UnexpectedCharacters):
        bad = text[pos]
        invisible = shown(bad).startswith("U+")
        hint = "et usynligt tegn (ofte fra kopiering); slet det og skriv et mellemrum" if invisible else None
        return Diagnostic(f"tegnet {shown(bad)} hører ikke til regelsproget", scalar.span(pos, pos + 1),
                          expected=_expected(exc), hint=hint or _char_hint(text, pos))
    token = getattr(exc, "token", None)
    if isinstance(token, Token) and token.type != "$END":
        end = pos + len(str(token))
        found = f"'{token}'"
    else:
        pos, end, found = len(text.rstrip()), len(text.rstrip()) + 1, "slutningen af reglen"
    label = _match_label(exc, start)
    message = label or f"uventet {found}"
    hint = _char_hint(text, pos) or (ERRORS[start][label][0] if label else None)
    span = scalar.span(min(pos, max(len(text) - 1, 0)), max(end, pos + 1))
    return Diagnostic(message, span, expected=_expected(exc), hint=hint)


def _match_label(exc: UnexpectedInput, start: Start) -> str | None:
    """The label of ``ERRORS[start]`` whose examples fail in the same parser state.

    The same idea as lark's ``UnexpectedInput.match_examples`` (which, in lark
    1.3, formats a debug message that raises TypeError for LALR states).
    """
    exact: str | None = None
    for label, (_, examples) in ERRORS[start].items():
        for example in examples:
            other = _failure(example, start)
            if other is None or other.state != exc.state:
                continue
            if getattr(other, "accepts", None) != getattr(exc, "accepts", None):
                continue
            if getattr(other, "token", None) == getattr(exc, "token", None):
                return label
            exact = exact or label
    return exact


@lru_cache(maxsize=256)
def _failure(example: str, start: Start) -> UnexpectedInput | None:
    try:
        grammar_parser().parse(example, start=start)
    except UnexpectedInput as exc:
        return exc
    return None


def _expected(exc: UnexpectedInput) -> str | None:
    tokens = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or []
    names = sorted({TOKEN_NAMES.get(t, t) for t in tokens if not t.startswith("__")})
    return ", ".join(names) or None


def _char_hint(text: str, pos: int) -> str | None:
    around = text[max(pos - 1, 0) : pos + 2]
    if any(bad in around for bad in ("=>", "=<", "==", "<>")):
        return "sammenligninger skrives =, !=, <, <=, > og >="
    if text[pos : pos + 1] == "'":
        return "navne i mængder skrives med dobbelte anførselstegn: {\"Lyngby-Taarbæk\"}"
    if text[pos : pos + 1] in (",", "."):
        return "decimaltal skrives med punktum (2.5); tusindtalsskilletegn bruges ikke (2999 kr.)"
    return None


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    """Lark tree → ``ivrules.lang.nodes``; every method sets the node's file span."""

    def __init__(self, scalar: ScalarText) -> None:
        super().__init__()
        self.scalar = scalar

    def _span(self, meta: Any) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return self.scalar.span(meta.start_pos, meta.end_pos)

    def _tok_span(self, tok: Token) -> Span:
        start = tok.start_pos or 0
        return self.scalar.span(start, tok.end_pos if tok.end_pos is not None else start + 1)

    def implies(self, meta: Any, items: list[Any]) -> n.Implies:
        return n.Implies(items[0], items[1], self._span(meta))

    def any_of(self, meta: Any, items: list[Any]) -> n.Any_:
        return n.Any_(tuple(items), self._span(meta))

    def all_of(self, meta: Any, items: list[Any]) -> n.All:
        return n.All(tuple(items), self._span(meta))

    def negation(self, meta: Any, items: list[Any]) -> n.Not:
        return n.Not(items[0], self._span(meta))

    def comparison(self, meta: Any, items: list[Any]) -> n.Compare:
        left, op, right = items
        sign = WORD_OPS.get(" ".join(str(op).split()), str(op))  # "fra og med" → ">="
        return n.Compare(next(o for o in n.OPS if o == sign), left, right, self._span(meta))

    def equal(self, meta: Any, items: list[Any]) -> n.Compare:
        return n.Compare("=", items[0], items[1], self._span(meta))

    def not_equal(self, meta: Any, items: list[Any]) -> n.Compare:
        return n.Compare("!=", items[0], items[1], self._span(meta))

    def member(self, meta: Any, items: list[Any]) -> n.Member:
        return n.Member(items[0], tuple(items[1]), False, self._span(meta))

    def not_member(self, meta: Any, items: list[Any]) -> n.Member:
        return n.Member(items[0], tuple(items[1]), True, self._span(meta))

    def window(self, meta: Any, items: list[Any]) -> n.Window:
        operand, start, end = items
        return n.Window(operand, _minutes(start, False, self._tok_span(start)),
                        _minutes(end, True, self._tok_span(end)), self._span(meta))

    def set(self, meta: Any, items: list[Any]) -> list[Any]:
        return [item for item in items if item is not None]

    def name(self, meta: Any, items: list[Token]) -> n.Name:
        return n.Name(str(items[0]), self._tok_span(items[0]))

    def string(self, meta: Any, items: list[Token]) -> n.Text:
        return n.Text(str(items[0])[1:-1], self._tok_span(items[0]))

    def quantity(self, meta: Any, items: list[Token]) -> n.Quantity:
        unit = units.canonical(str(items[1])) if len(items) > 1 else None
        number = str(items[0])
        if len(number.replace(".", "")) > MAX_DIGITS or not number.replace(".", "").isascii():
            shown = number if len(number) <= 20 else number[:19] + "…"
            raise BadValue(f"tallet '{shown}' kan ikke bruges (højst {MAX_DIGITS} cifre, kun 0-9)",
                           self._tok_span(items[0]), hint="skriv tallet, som aftalen skriver det, fx '2999 kr.'")
        return n.Quantity(Decimal(number), unit, self._span(meta))

    def date(self, meta: Any, items: list[Token]) -> n.DateLit:
        try:
            value = dt.date.fromisoformat(str(items[0]))
        except ValueError:
            raise BadValue(f"'{items[0]}' er ikke en gyldig dato (ÅÅÅÅ-MM-DD)", self._tok_span(items[0]),
                           hint="skriv en dag, der findes, fx 2021-02-28") from None
        return n.DateLit(value, self._tok_span(items[0]))


def _minutes(token: Token, end: bool, span: Span) -> int:
    hours, _, minutes = str(token).partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if value > 24 * 60 or int(minutes or 0) >= 60:
        raise BadValue(f"'{token}' er ikke et klokkeslæt", span)
    return 24 * 60 if end and value == 0 else value
