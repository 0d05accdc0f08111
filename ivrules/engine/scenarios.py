"""Example cases in agreement files → run them and compare with what they expect.

An example names facts and the expected answer (``eligible``, ``missing``,
``conditions``, ``reasons`` as {rule id: outcome}, or ``error`` for a
question that must be refused). ``run_example`` returns the differences as
readable lines; an empty list means the example holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ivrules.engine.book import Book
from ivrules.engine.runtime import EligibilityJSON
from ivrules.errors import IvrulesError, did_you_mean
from ivrules.model.agreement import Agreement, Example


@dataclass(frozen=True)
class Outcome:
    """What running one example gave: the answer's JSON, or the error it raised."""

    answer: EligibilityJSON | None
    error: str | None


def run_example(book: Book, agreement: Agreement, example: Example) -> list[str]:
    """The differences between what the example expects and what the engine answers."""
    expected = _json_names(example.expect, book.vocabulary.names)
    outcome = _ask(book, agreement, example)
    if outcome.error is not None:
        if "error" in expected and str(expected["error"]) in outcome.error:
            return []
        return [f"fejl: forventede {expected.get('error', 'et svar')!r}, fik fejlen {outcome.error!r}"]
    if "error" in expected:
        return [f"fejl: forventede fejlen {expected['error']!r}, fik et svar"]
    assert outcome.answer is not None
    return _compare_answer(expected, outcome.answer) + _check_tariff(book, agreement, example, expected)


def _json_names(expected: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The expectation with the facts in ``missing`` (written by their Danish terms) as the answers name them."""
    out = dict(expected)
    if isinstance(out.get("missing"), list):
        out["missing"] = [names.get(str(name), name) for name in out["missing"]]
    if isinstance(out.get("tariff"), dict):
        out["tariff"] = _json_names(out["tariff"], names)
    return out


def _check_tariff(book: Book, agreement: Agreement, example: Example, expected: dict[str, Any]) -> list[str]:
    """``expect: {tariff: {...}}``: the course's quote (``Book.tariff``) against what the example states."""
    if "tariff" not in expected:
        return []
    try:
        answer = book.tariff(agreement.region, example.facts)
    except IvrulesError as exc:
        return expectation_problems(None, str(exc), expected["tariff"])
    if answer.revision != agreement.revision:
        return [f"tariff: eksemplet blev prissat efter udgaven {answer.revision}, ikke {agreement.revision}"]
    return expectation_problems(answer.to_dict(), None, expected["tariff"])


def _ask(book: Book, agreement: Agreement, example: Example) -> Outcome:
    try:
        answer = book.eligibility(agreement.region, example.facts)
    except IvrulesError as exc:
        return Outcome(None, str(exc))
    if answer.revision != agreement.revision:
        return Outcome(None, f"eksemplet blev besvaret af udgaven {answer.revision}, ikke {agreement.revision}")
    return Outcome(answer.to_dict(), None)


def _compare_answer(expected: dict[str, Any], answer: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in ("eligible", "missing", "conditions"):
        if key in expected and _norm(expected[key]) != _norm(answer[key]):
            problems.append(f"{key}: forventet {_shown(expected[key])}, fik {_shown(answer[key])}")
    reasons = expected.get("reasons") or {}
    if not isinstance(reasons, dict):
        return [*problems, "reasons: skal være en tabel {regel-id: passed, failed eller unknown}"]
    outcomes = {r["rule"]: r["outcome"] for r in answer["reasons"]}
    for rule, want in reasons.items():
        if rule not in outcomes:
            close = did_you_mean(str(rule), outcomes)
            problems.append(f"reasons.{rule}: der er ingen regel med id '{rule}'" + (f"; {close}" if close else ""))
        elif outcomes[rule] != want:
            problems.append(f"reasons.{rule}: forventet {_shown(want)}, fik {_shown(outcomes[rule])}")
    return problems


def _shown(value: Any) -> str:
    """A value as the YAML file writes it: true, false, null, [a, b]."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _norm(value: Any) -> Any:
    return sorted(value, key=str) if isinstance(value, list) else value


def all_examples(book: Book) -> list[tuple[Agreement, Example]]:
    """Every example of every loaded agreement, in file order."""
    return [(a, e) for region in book.regions for a in book.agreements(region) for e in a.examples]


EXPECT_KEYS = ("status", "total", "region_share", "municipality_share", "flags", "missing", "lines", "reasons", "error")
AMOUNT_KEYS = ("total", "region_share", "municipality_share")


def expectation_problems(answer: Mapping[str, Any] | None, error: str | None, expected: Any) -> list[str]:
    """How a quote (its JSON, or the error it raised) differs from an example's ``expect: {tariff: ...}``.

    Amounts compare as decimals ("2999" = "2999.00"); ``reasons`` lists words each
    reason must contain somewhere; ``lines`` lists {days, amount} in order.
    """
    if not isinstance(expected, dict):
        return ["tariff: forventningen skal være en tabel, fx {status: computed, total: \"2999.00\"}"]
    allowed = ", ".join(EXPECT_KEYS)
    problems = [f"tariff.{k}: ukendt nøgle (tilladt: {allowed})" for k in expected if k not in EXPECT_KEYS]
    if error is not None or answer is None:
        if "error" in expected and str(expected["error"]) in (error or ""):
            return problems
        return [*problems, f"tariff: forventede {expected.get('error', 'et svar')!r}, fik fejlen {error!r}"]
    if "error" in expected:
        return [*problems, f"tariff: forventede fejlen {expected['error']!r}, fik status {answer['status']!r}"]
    for key in ("status", "flags", "missing"):
        if key in expected and expected[key] != answer[key]:
            problems.append(f"tariff.{key}: forventet {expected[key]!r}, fik {answer[key]!r}")
    problems.extend(_amount_problems(answer, expected))
    problems.extend(_line_problems(answer["lines"], expected.get("lines")))
    words = expected.get("reasons") or []
    for word in words if isinstance(words, list) else [words]:
        if not any(str(word) in reason for reason in answer["reasons"]):
            problems.append(f"tariff.reasons: ingen begrundelse nævner {word!r}; fik {answer['reasons']!r}")
    return problems


def _amount_problems(answer: Mapping[str, Any], expected: dict[str, Any]) -> list[str]:
    problems = []
    for key in AMOUNT_KEYS:
        if key not in expected:
            continue
        want = expected[key]
        if isinstance(want, float):
            problems.append(f"tariff.{key}: skriv beløbet som tekst, fx \"2999.00\", så det ikke læses som kommatal")
        elif want is not None and _amount(want) is None:
            problems.append(f"tariff.{key}: {want!r} er ikke et beløb; skriv det med punktum, fx \"2999.00\"")
        elif (_amount(want) if want is not None else None) != (Decimal(answer[key]) if answer[key] else None):
            problems.append(f"tariff.{key}: forventet {want!r}, fik {answer[key]!r}")
    return problems


def _amount(value: Any) -> Decimal | None:
    """An expected amount as a decimal, or None when it is not one ("2.999,00", "abc", "NaN")."""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() and not isinstance(value, bool) else None


def _line_problems(lines: list[dict[str, Any]], expected: Any) -> list[str]:
    if expected is None:
        return []
    if not isinstance(expected, list) or not all(isinstance(item, dict) for item in expected):
        return ["tariff.lines: skriv en liste af {days: ..., amount: \"...\"}"]
    got = [{"days": line["days"], "amount": Decimal(line["amount"])} for line in lines]
    want = [{"days": item.get("days"), "amount": _amount(item.get("amount"))} for item in expected]
    return [] if got == want else [f"tariff.lines: forventet {expected!r}, fik {lines!r}"]
