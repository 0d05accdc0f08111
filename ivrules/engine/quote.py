"""Compiled agreement + normalised facts of one course → a ``Quote``: what it costs and who pays.

Order of the questions, each of which can end the answer:

1. Is the course covered? A municipality outside the region, or an
   eligibility requirement that fails on the known facts, gives status
   ``not_covered`` with the reasons. Eligibility that is merely unknown does
   not stop a price: settlement registers rarely carry every clinical fact,
   and the price never depends on them.
2. Billing rules (``tariff.rules``): a rule with effect ``unknown`` makes the
   price unknown with its reason; ``note`` adds a reason; ``flag`` a flag.
3. The first schedule whose ``applies`` holds prices the course: day bands,
   a category table, or registered minutes.
4. The financing split: one share rounded half up to the øre, the other the
   rest, so the shares always add up to the total exactly.

Anything the agreement does not state, or a fact that is missing, gives
status ``unknown`` with the reasons and the missing facts, never a guess.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from ivrules.errors import FactsError
from ivrules.model.tariff import COUNT_DAYS, ØRE, Amount, Financing, Schedule, Tariff

if TYPE_CHECKING:
    from ivrules.engine.runtime import RuleSet
    from ivrules.lang.vocabulary import Vocabulary

Facts = dict[str, Any]
STATUSES = ("computed", "unknown", "not_covered")


def money(value: Decimal | None) -> str | None:
    """An amount as the JSON contract writes it: a decimal string with two decimals ("6999.00")."""
    return None if value is None else f"{value:.2f}"


class Line(NamedTuple):
    """One line of a price: the Danish text, the days it covers (if any) and its amount."""

    text: str
    days: int | None
    amount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "days": self.days, "amount": money(self.amount)}


class Quote(NamedTuple):
    """The price of one course under the revision in force on its start date.

    Immutable, as memoised quotes are shared; a named tuple because one is made
    per question and a frozen dataclass costs several times more to build.
    """

    region: str
    revision: str
    status: str
    total: Decimal | None = None
    region_share: Decimal | None = None
    municipality_share: Decimal | None = None
    lines: tuple[Line, ...] = ()
    flags: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    kind: str = ""  # the schedule that priced the course
    category: int | None = None
    # Set by the book where the agreement is joined municipality by municipality (ivrules.model.accession).
    accession: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract shared by the CLI and the API (``accession`` only where accession decides)."""
        out: dict[str, Any] = {
            "region": self.region, "revision": self.revision, "status": self.status,
            "total": money(self.total), "region_share": money(self.region_share),
            "municipality_share": money(self.municipality_share),
            "lines": [line.to_dict() for line in self.lines], "flags": list(self.flags),
            "missing": list(self.missing), "reasons": list(self.reasons),
        }
        if self.accession is not None:
            out["accession"] = self.accession
        return out


def quote(ruleset: RuleSet, vocab: Vocabulary, facts: Facts) -> Quote:
    """Price one course (normalised facts) under one compiled revision."""
    agreement = ruleset.agreement
    head = (agreement.region, agreement.revision)
    outside = _outside_region(agreement.region, facts, vocab)
    if outside:
        return Quote(*head, "not_covered", reasons=(outside,))
    # Only a failed requirement matters here, so the rules run without building the explanation.
    outcomes = [fn(facts) for fn in ruleset.fns]
    if False in outcomes:
        failed = tuple(r.explain for r, v in zip(ruleset.requirements, outcomes, strict=True) if v is False)
        return Quote(*head, "not_covered", reasons=("Forløbet er ikke omfattet af aftalen.", *failed))
    if agreement.tariff is None:  # the file's unknowns about the tariff say why, where it has any
        said = tuple(u.text for u in agreement.unknowns if u.about in ("tariff", "financing"))
        default = (f"Aftalen (udgaven af {agreement.revision}) angiver ingen takster.",)
        return Quote(*head, "unknown", reasons=said or default)
    return _Pricing(agreement.tariff, facts, vocab).run(head)


def _outside_region(region: str, facts: Facts, vocab: Vocabulary) -> str | None:
    name = facts.get("municipality")
    found = vocab.municipalities.get(name) if name is not None else None
    if found is None or found.region == region:
        return None
    return f"{name} Kommune ligger i region {found.region}; aftalen gælder kommunerne i region {region}."


def course_days(facts: Facts) -> int | None:
    """Days from start to end date, both included; None when a date is missing."""
    start, end = facts.get("start_date"), facts.get("end_date")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        return None
    days = (end - start).days + 1
    if days < 1:
        raise FactsError("end_date", f"slutdatoen {end.isoformat()} ligger før startdatoen {start.isoformat()}")
    without = facts.get("days_without_dose")
    if without is not None and not 0 <= without < days:
        raise FactsError("days_without_dose", f"{without} dage uden dosis passer ikke til et forløb på {days} dage",
                         allowed=[f"0-{days - 1}"])
    return days


class _Pricing:
    """The working state of one quote; ``run`` returns the finished ``Quote`` (a plain class: it is made per quote)."""

    __slots__ = ("category", "facts", "flags", "lines", "missing", "reasons", "tariff", "unknown", "vocab")

    def __init__(self, tariff: Tariff, facts: Facts, vocab: Vocabulary) -> None:
        self.tariff, self.facts, self.vocab = tariff, facts, vocab
        self.lines: list[Line] = []
        self.flags: list[str] = []
        self.missing: list[str] = []
        self.reasons: list[str] = []
        self.unknown: list[str] = []
        self.category: int | None = None

    def run(self, head: tuple[str, str]) -> Quote:
        days = course_days(self.facts)  # checks the dates even where the price does not use them
        self._rules()
        schedule = self._schedule()
        if schedule is not None:
            self.reasons.insert(0, f"Takst: {schedule.title}.")
            self._price(schedule, days)
        if self.missing:
            labels = ", ".join(self.vocab.facts[m].label.lower() for m in self.missing)
            self.unknown.append(f"Der mangler oplysninger: {labels}.")
        kind = schedule.id if schedule else ""
        if self.unknown:  # why it cannot be computed, then which schedule it would have used
            context = [r for r in self.reasons if r.startswith("Takst:")]
            return Quote(*head, "unknown", flags=tuple(self.flags), missing=tuple(self.missing),
                         reasons=tuple(self.unknown + context), kind=kind, category=self.category)
        total = sum((line.amount for line in self.lines), Decimal(0))
        region, kommune = self._financing(schedule).split(total)
        return Quote(*head, "computed", total=total, region_share=region, municipality_share=kommune,
                     lines=tuple(self.lines), flags=tuple(self.flags), reasons=tuple(self.reasons), kind=kind,
                     category=self.category)

    def _need(self, names: list[str]) -> None:
        self.missing.extend(x for x in names if x not in self.missing)

    def _rules(self) -> None:
        for rule in self.tariff.rules:
            holds = rule.when.fn(self.facts)
            if holds is None and rule.effect == "unknown":  # notes and flags never change a price
                self._need(rule.when.needed(self.facts))
            elif holds and rule.effect == "unknown":
                self.unknown.append(rule.text)
            elif holds:
                self.reasons.append(rule.text)
                if rule.flag:
                    self.flags.append(rule.flag)

    def _schedule(self) -> Schedule | None:
        for schedule in self.tariff.schedules:
            applies = True if schedule.applies is None else schedule.applies.fn(self.facts)
            if applies is None and schedule.applies is not None:
                self._need(schedule.applies.needed(self.facts))
                return None
            if applies:
                return schedule
        self.unknown.append("Aftalen angiver ingen takst for et forløb som dette.")
        return None

    def _price(self, schedule: Schedule, days: int | None) -> None:
        if schedule.bands:
            self._bands(schedule, days)
        elif schedule.by is not None:
            self._category(schedule, schedule.by)
        elif schedule.per_minute is not None:
            self._minutes(schedule, schedule.per_minute)
        elif schedule.unknown is not None:
            self._amount(schedule.unknown)

    def _billed_days(self, days: int | None) -> int | None:
        if days is None:
            self._need([k for k in ("start_date", "end_date") if self.facts.get(k) is None])
            return None
        if self.tariff.count_days == "calendar":
            self.reasons.append(f"Der afregnes for {days} dage: {COUNT_DAYS['calendar']}.")
            return days
        without = self.facts.get("days_without_dose")
        if without is None:
            self._need(["days_without_dose"])
            return None
        self.reasons.append(f"Der afregnes for {days - without} dage: {COUNT_DAYS['dose_days']}.")
        return int(days - without)

    def _bands(self, schedule: Schedule, days: int | None) -> None:
        billed = self._billed_days(days)
        if billed is None:
            return
        for band in schedule.bands:
            covered = min(billed, band.to_day) - band.from_day + 1
            if covered <= 0:
                break
            value = self._amount(band.amount)
            if value is not None:
                self.lines.append(Line(band.text, covered, value * covered if band.per_day else value))
        if billed > schedule.last_day:
            self._beyond(billed - schedule.last_day, schedule.last_day)

    def _beyond(self, extra: int, last: int) -> None:
        beyond = self.tariff.beyond
        if beyond is None:
            self.unknown.append(f"Aftalen angiver ingen takst efter dag {last}.")
            return
        self.flags.append(beyond.flag)
        self.reasons.append(beyond.text)
        days = f"Dag {last + 1}" if extra == 1 else f"Dag {last + 1}-{last + extra}"
        self.lines.append(Line(f"{days} er ikke dækket af takstmodellen", extra, Decimal(0)))

    def _category(self, schedule: Schedule, by: str) -> None:
        value = self.facts.get(by)
        if value is None:
            self._need([by])
            return
        found = schedule.category(value)
        if found is None:
            raise FactsError(by, f"kategori {value} findes ikke i aftalen",
                             allowed=[str(c.value) for c in schedule.categories])
        self.category = found.value
        price = self._amount(found.amount)
        if price is not None:
            self.lines.append(Line(found.text, None, price))

    def _minutes(self, schedule: Schedule, per_minute: Amount) -> None:
        minutes = self.facts.get("registered_minutes")
        if minutes is None:
            self._need(["registered_minutes"])
        price = self._amount(per_minute)
        if price is not None and minutes is not None:
            total = (price * minutes).quantize(ØRE, rounding=ROUND_HALF_UP)
            self.lines.append(Line(f"{schedule.title}: {minutes} minutter", None, total))

    def _amount(self, amount: Amount) -> Decimal | None:
        if amount.value is None:
            self.unknown.append(amount.unknown or "Aftalen angiver ikke beløbet.")
        return amount.value

    def _financing(self, schedule: Schedule | None) -> Financing:
        found = schedule.category(self.category) if schedule is not None and self.category is not None else None
        financing = found.financing if found is not None and found.financing is not None else self.tariff.financing
        self.reasons.append(f"Finansiering: regionen {financing.region} %, kommunen {financing.kommune} %.")
        return financing


EXPECT_KEYS = ("status", "total", "region_share", "municipality_share", "flags", "missing", "lines", "reasons", "error")
AMOUNT_KEYS = ("total", "region_share", "municipality_share")


def expectation_problems(answer: dict[str, Any] | None, error: str | None, expected: Any) -> list[str]:
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
    for word in expected.get("reasons") or []:
        if not any(str(word) in reason for reason in answer["reasons"]):
            problems.append(f"tariff.reasons: ingen begrundelse nævner {word!r}; fik {answer['reasons']!r}")
    return problems


def _amount_problems(answer: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    problems = []
    for key in AMOUNT_KEYS:
        if key not in expected:
            continue
        want = expected[key]
        if isinstance(want, float):
            problems.append(f"tariff.{key}: skriv beløbet som tekst, fx \"2999.00\", så det ikke læses som kommatal")
        elif (Decimal(str(want)) if want is not None else None) != (Decimal(answer[key]) if answer[key] else None):
            problems.append(f"tariff.{key}: forventet {want!r}, fik {answer[key]!r}")
    return problems


def _line_problems(lines: list[dict[str, Any]], expected: Any) -> list[str]:
    if expected is None:
        return []
    got = [{"days": line["days"], "amount": Decimal(line["amount"])} for line in lines]
    want = [{"days": item.get("days"), "amount": Decimal(str(item.get("amount")))} for item in expected]
    return [] if got == want else [f"tariff.lines: forventet {expected!r}, fik {lines!r}"]
