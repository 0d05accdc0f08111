"""One evaluated course (``ivrules.engine.course.Course``) → a ``Quote``: what it costs and who pays.

Order of the questions, each of which can end the answer:

1. Is the course covered? A municipality outside the region, or an
   eligibility requirement that fails on the known facts, gives status
   ``not_covered`` with the reasons — read from the course's evaluation, the
   same outcomes its eligibility shows. Eligibility that is merely unknown
   does not stop a price: settlement registers rarely carry every clinical
   fact, and the price never depends on them.
2. Billing rules (``tariff.rules``): a rule with effect ``unknown`` makes the
   price unknown with its reason; ``note`` adds a reason; ``flag`` a flag.
3. The first schedule whose ``applies`` holds prices the course: day bands,
   a category table, or registered minutes.
4. The financing split: one share rounded half up to the øre, the other the
   rest, so the shares always add up to the total exactly.

Anything the agreement does not state, or a fact that is missing, gives
status ``unknown`` with the reasons and the missing facts, never a guess.
The facts a price reads (start and end date, days without a dose, registered
minutes) are found through the vocabulary's roles.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NotRequired, TypedDict

from ivrules import danish
from ivrules.errors import FactsError
from ivrules.model.accession import AccessionJSON
from ivrules.model.tariff import COUNT_DAYS, ØRE, Amount, Financing, Schedule, Tariff
from ivrules.model.tariff import money as money  # re-exported: settlement and the diff write amounts with it

ZERO, ONE = Decimal(0), Decimal(1)

if TYPE_CHECKING:
    from ivrules.engine.course import Course
    from ivrules.lang.vocabulary import Vocabulary

Facts = dict[str, Any]
Status = Literal["computed", "unknown", "not_covered"]


class LineJSON(TypedDict):
    """En linje i prisen: teksten, de dage, den dækker (eller null), og beløbet."""

    text: str
    days: int | None
    amount: str
    """Beløbet som decimaltekst med to decimaler, fx "6999.00"."""


class QuoteJSON(TypedDict):
    """Hvad forløbet koster, og hvem der betaler (det samme som ``ivrules tariff --json``)."""

    region: str
    revision: str
    """Udgaven af aftalen, der gælder på forløbets startdato."""
    status: Status
    """computed: beregnet; unknown: et faktum mangler, eller aftalen angiver ikke beløbet;
    not_covered: forløbet er ikke omfattet."""
    total: str | None
    region_share: str | None
    municipality_share: str | None
    lines: list[LineJSON]
    flags: list[str]
    missing: list[str]
    reasons: list[str]
    accession: NotRequired[AccessionJSON]
    """Tiltrædelsen; kun hvor aftalen tiltrædes kommune for kommune."""


class Line(NamedTuple):
    """One line of a price: the Danish text, the days it covers (if any) and its amount."""

    text: str
    days: int | None
    amount: Decimal

    def to_dict(self) -> LineJSON:
        return {"text": self.text, "days": self.days, "amount": money(self.amount)}


class Quote(NamedTuple):
    """The price of one course under the revision in force on its start date.

    Immutable: a view of one evaluation that no caller can change; a named tuple because one is made
    per question and a frozen dataclass costs several times more to build.
    """

    region: str
    revision: str
    status: Status
    total: Decimal | None = None
    region_share: Decimal | None = None
    municipality_share: Decimal | None = None
    lines: tuple[Line, ...] = ()
    flags: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    kind: str = ""  # the schedule that priced the course
    category: int | None = None
    # The trace of the price: the course's days (start to end, both included) and the days billed.
    days: int | None = None
    billed_days: int | None = None
    billing_rules: tuple[str, ...] = ()  # ids of the billing rules that held
    # Set by the book where the agreement is joined municipality by municipality (ivrules.model.accession).
    accession: AccessionJSON | None = None

    def to_dict(self) -> QuoteJSON:
        """The JSON contract shared by the CLI and the API (``accession`` only where accession decides)."""
        out: QuoteJSON = {
            "region": self.region, "revision": self.revision, "status": self.status,
            "total": money(self.total), "region_share": money(self.region_share),
            "municipality_share": money(self.municipality_share),
            "lines": [line.to_dict() for line in self.lines], "flags": list(self.flags),
            "missing": list(self.missing), "reasons": list(self.reasons),
        }
        if self.accession is not None:  # a copy: a book shares one accession answer among its courses
            out["accession"] = self.accession.copy()
        return out


def price(course: Course) -> Quote:
    """Price one evaluated course under its revision."""
    agreement, accession = course.ruleset.agreement, course.accession
    head = (agreement.region, agreement.revision)
    if course.party is not None:
        return _not_covered(head, (course.party,), accession)
    if False in course.outcomes:
        failed = [text for text, outcome in zip(course.ruleset.explains, course.outcomes, strict=True)
                  if outcome is False]
        return _not_covered(head, ("Forløbet er ikke omfattet af aftalen.", *failed), accession)
    if agreement.tariff is None:  # the file's unknowns about the tariff say why, where it has any
        said = tuple(u.text for u in agreement.unknowns if u.about in ("tariff", "financing"))
        default = (f"Aftalen (udgaven af {agreement.revision}) angiver ingen takster.",)
        return Quote(*head, "unknown", reasons=said or default, accession=accession)
    return _Pricing(agreement.tariff, course.facts, course.vocab).run(head, accession)


def _not_covered(head: tuple[str, str], reasons: tuple[str, ...], accession: AccessionJSON | None) -> Quote:
    """``Quote(*head, "not_covered", reasons=reasons, accession=accession)``, built from every field in order: most
    courses a register or a benchmark asks about are not covered, and a call by keyword costs twice as much
    (tests/test_tariff.py checks that the two agree)."""
    return _make((head[0], head[1], "not_covered", None, None, None, (), (), (), reasons, "", None, None, None, (),
                  accession))


_make = Quote._make


def course_days(facts: Facts, vocab: Vocabulary) -> int | None:
    """Days from start to end date, both included; None when a date is missing."""
    roles = vocab.roles
    start, end = facts.get(roles.start_date), facts.get(roles.end_date)
    if start is None or end is None:
        return None
    days: int = (end - start).days + 1
    if days < 1:
        raise FactsError(roles.end_date, f"slutdatoen {danish.date(end)} ligger før startdatoen {danish.date(start)}")
    without = facts.get(roles.days_without_dose)
    if without is not None and not 0 <= without < days:
        raise FactsError(roles.days_without_dose,
                         f"{without} dage uden dosis passer ikke til et forløb på {days} dage",
                         allowed=[f"0-{days - 1}"])
    return days


class _Pricing:
    """The working state of one quote; ``run`` returns the finished ``Quote`` (a plain class: it is made per quote)."""

    __slots__ = (
        "billed",
        "category",
        "factor",
        "facts",
        "flags",
        "held",
        "lines",
        "missing",
        "reasons",
        "roles",
        "tariff",
        "unknown",
        "vocab",
    )

    def __init__(self, tariff: Tariff, facts: Facts, vocab: Vocabulary) -> None:
        self.tariff, self.facts, self.vocab, self.roles = tariff, facts, vocab, vocab.roles
        self.held: list[str] = []  # billing rules that held
        self.billed: int | None = None
        self.lines: list[Line] = []
        self.flags: list[str] = []
        self.missing: list[str] = []
        self.reasons: list[str] = []
        self.unknown: list[str] = []
        self.category: int | None = None
        self.factor: Decimal | None = ONE  # the index factor for the course's year (None: not stated)

    def run(self, head: tuple[str, str], accession: AccessionJSON | None = None) -> Quote:
        days = course_days(self.facts, self.vocab)  # checks the dates even where the price does not use them
        self._rules()
        self._index()
        schedule = self._schedule()
        if schedule is not None:
            self.reasons.insert(0, f"Takst: {schedule.title}.")
            self._price(schedule, days)
        if self.missing:
            labels = ", ".join(self.vocab.facts[m].label.lower() for m in self.missing)
            self.unknown.append(f"Der mangler oplysninger: {labels}.")
        kind, trace = schedule.id if schedule else "", (self.category, days, self.billed, tuple(self.held), accession)
        if self.unknown:  # why it cannot be computed, then which schedule it would have used
            context = [r for r in self.reasons if r.startswith("Takst:")]
            return _make((*head, "unknown", None, None, None, (), tuple(self.flags), tuple(self.missing),
                          tuple(self.unknown + context), kind, *trace))
        total = sum([line.amount for line in self.lines], ZERO)
        region, kommune = self._financing(schedule).split(total)
        return _make((*head, "computed", total, region, kommune, tuple(self.lines), tuple(self.flags), (),
                      tuple(self.reasons), kind, *trace))

    def _need(self, names: list[str]) -> None:
        self.missing.extend(x for x in names if x not in self.missing)

    def _rules(self) -> None:
        for rule in self.tariff.rules:
            holds = rule.when.fn(self.facts)
            if holds is None and rule.effect == "unknown":  # notes and flags never change a price
                self._need(rule.when.needed(self.facts))
            elif holds and rule.effect == "unknown":
                self.held.append(rule.id)
                self.unknown.append(rule.text)
            elif holds:
                self.held.append(rule.id)
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
            self._need([k for k in (self.roles.start_date, self.roles.end_date) if self.facts.get(k) is None])
            return None
        if self.tariff.count_days == "calendar":
            self.reasons.append(f"Der afregnes for {days} dage: {COUNT_DAYS['calendar']}.")
            self.billed = days
            return days
        without = self.facts.get(self.roles.days_without_dose)
        if without is None:
            self._need([self.roles.days_without_dose])
            return None
        self.reasons.append(f"Der afregnes for {days - without} dage: {COUNT_DAYS['dose_days']}.")
        self.billed = int(days - without)
        return self.billed

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
        minutes = self.facts.get(self.roles.registered_minutes)
        if minutes is None:
            self._need([self.roles.registered_minutes])
        price = self._amount(per_minute)
        if price is not None and minutes is not None:
            total = (price * minutes).quantize(ØRE, rounding=ROUND_HALF_UP)
            self.lines.append(Line(f"{schedule.title}: {minutes} minutter", None, total))

    def _index(self) -> None:
        """The index factor for the year the course starts in (a yearly index such as Midtjylland's PL)."""
        index = self.tariff.index
        start = self.facts.get(self.roles.start_date) or self.facts.get(self.roles.course_date)
        if index is None or start is None:
            return
        self.factor = index.factor(start.year)
        if self.factor is None:
            self.unknown.append(f"{index.title}: {index.unknown}")
        elif self.factor != 1:
            self.reasons.append(f"{index.title} for {start.year}: beløbene ganges med {self.factor} "
                                "og afrundes til hele øre.")

    def _amount(self, amount: Amount) -> Decimal | None:
        if amount.value is None:
            self.unknown.append(amount.unknown or "Aftalen angiver ikke beløbet.")
            return None
        if self.factor is None:
            return None
        if self.factor == 1:
            return amount.value
        return (amount.value * self.factor).quantize(ØRE, rounding=ROUND_HALF_UP)

    def _financing(self, schedule: Schedule | None) -> Financing:
        found = schedule.category(self.category) if schedule is not None and self.category is not None else None
        financing = found.financing if found is not None and found.financing is not None else self.tariff.financing
        self.reasons.append(financing.reason)
        return financing
