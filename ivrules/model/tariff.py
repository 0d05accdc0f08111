"""The ``tariff:`` part of an agreement file (``Node`` tree) → a typed, compiled tariff model.

A tariff says what a course costs and who pays it. It is written in the rule
language: amounts are quantities (``2999 kr.``, ``70 %``), the schedule that
applies to a course and the billing rules are rule expressions, checked and
compiled like the agreement's other rules. An amount the agreement does not
state is ``{unknown: <id>}``, pointing at one of the file's ``unknowns``; the
engine then says it cannot compute, and why. Every mistake is collected with
its span. ``ivrules.engine.quote`` prices one course with the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Literal, NotRequired, TypedDict, TypeVar, get_args, overload

from ivrules.errors import AgreementError, Diagnostics, did_you_mean
from ivrules.lang import nodes as n
from ivrules.lang import units
from ivrules.lang.compiler import Compiled
from ivrules.lang.parser import parse_amount
from ivrules.lang.printer import to_source
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.loader import Node, expect, fields, text_of

ØRE = Decimal("0.01")
HUNDRED = Decimal(100)
Share = Literal["region", "kommune"]  # a party that pays a share
SHARES: tuple[Share, ...] = get_args(Share)
CountDays = Literal["calendar", "dose_days"]  # how the days of a course are counted
COUNT_DAYS: dict[CountDays, str] = {
    "calendar": "alle dage fra startdato til slutdato, begge medregnet",
    "dose_days": "dage med dosis: forløbets dage minus dage uden dosis",
}
Effect = Literal["unknown", "note", "flag"]  # what a billing rule that holds does
EFFECTS: tuple[Effect, ...] = get_args(Effect)
ScheduleKind = Literal["bands", "categories", "registered_time", "unknown"]
TOP_REQUIRED = ("section", "financing", "schedules", "invoice_date")
TOP_OPTIONAL = ("count_days", "beyond_last_day", "rules", "interpretation", "index")
RULE_KEYS = (("id", "when", "effect", "text"), ("flag", "interpretation"))  # a billing rule (required, optional)



@overload
def money(value: Decimal) -> str: ...
@overload
def money(value: Decimal | None) -> str | None: ...
def money(value: Decimal | None) -> str | None:
    """An amount as the JSON contract writes it: a decimal string with two decimals ("6999.00")."""
    return None if value is None else f"{value:.2f}"


class AmountJSON(TypedDict):
    """Et beløb som decimaltekst ("2999.00"), eller null med det ukendte, der står i stedet."""

    amount: str | None
    unknown: str | None


class FinancingJSON(TypedDict):
    """Fordelingen: regionens og kommunens andel i procent, og hvem der betaler resten."""

    region: str
    kommune: str
    remainder: Share


class BandJSON(AmountJSON):
    """Et dagsinterval med sin takst."""

    from_day: int
    to_day: int
    per_day: bool
    text: str


class CategoryJSON(AmountJSON):
    """En kategori (fx tyngdekategori) med sin takst og evt. egen fordeling."""

    value: int
    text: str
    financing: FinancingJSON | None


class ScheduleJSON(TypedDict):
    """En takstmodel: dagsintervaller, kategorier eller registreret tid."""

    id: str
    title: str
    kind: ScheduleKind
    by: str | None
    applies: str | None
    """Betingelsen for, at modellen gælder, i reglernes sprog; null: altid."""
    bands: list[BandJSON]
    categories: list[CategoryJSON]
    per_minute: AmountJSON | None
    unknown: str | None
    interpretations: list[str]


class BillingRuleJSON(TypedDict):
    """En afregningsregel: hvornår den gælder, og hvad den gør (unknown, note eller flag)."""

    id: str
    effect: Effect
    text: str
    flag: str | None
    interpretations: list[str]


class BeyondJSON(TypedDict):
    """Dage ud over det sidste interval: flaget og teksten."""

    flag: str
    text: str


class IndexYearJSON(TypedDict):
    """Et års fremskrivningsfaktor på aftalens beløb, med kilden."""

    year: int
    factor: str
    source: str


class IndexJSON(TypedDict):
    """Den årlige fremskrivning (fx PL) af aftalens beløb: faktorerne pr. år og det, der gælder andre år."""

    title: str
    text: str
    years: list[IndexYearJSON]
    unknown: str
    """Grunden til, at et år uden faktor ikke kan prisfastsættes."""
    interpretations: list[str]


class TariffJSON(TypedDict):
    """Taksterne som data: modellerne med intervaller eller kategorier, fordelingen og afregningsreglerne."""

    section: str
    financing: FinancingJSON
    count_days: CountDays
    invoice_date: str
    schedules: list[ScheduleJSON]
    beyond_last_day: BeyondJSON | None
    rules: list[BillingRuleJSON]
    interpretations: list[str]
    index: NotRequired[IndexJSON]
    """Den årlige fremskrivning af beløbene; kun hvor aftalen har en."""


# (rule expression node, vocabulary, diagnostics, context) → (AST, compiled rule, source text)
ExpressionReader = Callable[[Node, Vocabulary, Diagnostics, str], "tuple[n.Expr | None, Compiled | None, str]"]
RefsReader = Callable[[Node | None, Diagnostics], tuple[str, ...]]


@dataclass(frozen=True)
class Amount:
    """An amount the agreement states, or the reason it does not (an ``unknowns`` text)."""

    value: Decimal | None
    unknown: str | None = None

    def to_dict(self) -> AmountJSON:
        """Money as an exact decimal string ("2999.00"), or the unknown that stands in its place."""
        return {"amount": money(self.value), "unknown": self.unknown}


@dataclass(frozen=True)
class Financing:
    """Who pays what share, in percent; ``remainder`` takes what is left after rounding."""

    region: Decimal
    kommune: Decimal
    remainder: Share = "kommune"

    def to_dict(self) -> FinancingJSON:
        return {"region": str(self.region), "kommune": str(self.kommune), "remainder": self.remainder}

    @cached_property
    def reason(self) -> str:
        """The split as a quote's reasons list it."""
        return f"Finansiering: regionen {self.region} %, kommunen {self.kommune} %."

    def split(self, total: Decimal) -> tuple[Decimal, Decimal]:
        """(region share, municipality share): one rounded half up to the øre, the other the rest."""
        if self.remainder == "kommune":
            region = (total * self.region / HUNDRED).quantize(ØRE, rounding=ROUND_HALF_UP)
            return region, total - region
        kommune = (total * self.kommune / HUNDRED).quantize(ØRE, rounding=ROUND_HALF_UP)
        return total - kommune, kommune


@dataclass(frozen=True)
class Band:
    """Days ``from_day``–``to_day`` of a course: one course amount, or an amount per day."""

    from_day: int
    to_day: int
    amount: Amount
    per_day: bool
    text: str

    def to_dict(self) -> BandJSON:
        return {"from_day": self.from_day, "to_day": self.to_day, "per_day": self.per_day, "text": self.text,
                **self.amount.to_dict()}


@dataclass(frozen=True)
class Category:
    """One value of a category fact (tyngdekategori) with its flat course amount."""

    value: int
    amount: Amount
    text: str
    financing: Financing | None = None

    def to_dict(self) -> CategoryJSON:
        return {"value": self.value, "text": self.text,
                "financing": self.financing.to_dict() if self.financing else None, **self.amount.to_dict()}


@dataclass(frozen=True)
class Schedule:
    """One way of pricing a course; the first schedule whose ``applies`` holds is used."""

    id: str
    title: str
    applies: Compiled | None
    bands: tuple[Band, ...] = ()
    by: str | None = None  # the category fact's JSON name
    categories: tuple[Category, ...] = ()
    per_minute: Amount | None = None
    interpretations: tuple[str, ...] = ()
    applies_expr: n.Expr | None = None  # the AST of ``applies``, so revisions can be compared (ivrules.diff.revisions)
    # A tariff the agreement has, but whose form and amounts it does not state: ``unknown: <id>``.
    unknown: Amount | None = None

    @property
    def kind(self) -> ScheduleKind:
        if self.categories:
            return "categories"
        if self.unknown is not None:
            return "unknown"
        return "registered_time" if self.per_minute is not None else "bands"

    @property
    def last_day(self) -> int:
        return self.bands[-1].to_day if self.bands else 0

    def category(self, value: object) -> Category | None:
        return next((c for c in self.categories if c.value == value), None)

    def to_dict(self) -> ScheduleJSON:
        return {
            "id": self.id, "title": self.title, "kind": self.kind, "by": self.by,
            "applies": to_source(self.applies_expr) if self.applies_expr is not None else None,
            "bands": [b.to_dict() for b in self.bands], "categories": [c.to_dict() for c in self.categories],
            "per_minute": self.per_minute.to_dict() if self.per_minute else None,
            "unknown": self.unknown.unknown if self.unknown else None,
            "interpretations": list(self.interpretations),
        }


@dataclass(frozen=True)
class BillingRule:
    """A billing rule: when ``when`` holds, the price is unknown, a note is added, or a flag is set."""

    id: str
    when: Compiled
    effect: Effect
    text: str
    flag: str | None = None
    interpretations: tuple[str, ...] = ()
    when_expr: n.Expr | None = None  # the AST of ``when``, so revisions can be compared (ivrules.diff.revisions)

    def to_dict(self) -> BillingRuleJSON:
        return {"id": self.id, "effect": self.effect, "text": self.text, "flag": self.flag,
                "interpretations": list(self.interpretations)}


@dataclass(frozen=True)
class Beyond:
    """What happens to the days after the last band: a flag and a Danish explanation."""

    flag: str
    text: str

    def to_dict(self) -> BeyondJSON:
        return {"flag": self.flag, "text": self.text}


@dataclass(frozen=True)
class IndexYear:
    """The factor on the agreement's amounts for courses starting in ``year``, and where it is stated."""

    year: int
    factor: Decimal
    source: str


@dataclass(frozen=True)
class Index:
    """A yearly index (PL) on the agreement's amounts: each amount is multiplied by its year's factor and
    rounded half up to the øre; a year without a factor cannot be priced (``unknown`` says why)."""

    title: str
    text: str
    years: tuple[IndexYear, ...]
    unknown: str
    interpretations: tuple[str, ...] = ()

    @cached_property
    def _by_year(self) -> dict[int, Decimal]:
        return {y.year: y.factor for y in self.years}

    def factor(self, year: int) -> Decimal | None:
        return self._by_year.get(year)

    def to_dict(self) -> IndexJSON:
        return {"title": self.title, "text": self.text, "unknown": self.unknown,
                "years": [{"year": y.year, "factor": str(y.factor), "source": y.source} for y in self.years],
                "interpretations": list(self.interpretations)}


@dataclass(frozen=True)
class Tariff:
    """The executable tariff of one agreement revision."""

    section: str
    financing: Financing
    schedules: tuple[Schedule, ...]
    invoice_date: str  # the date fact whose quarter a course is invoiced in
    count_days: CountDays = "calendar"
    beyond: Beyond | None = None
    rules: tuple[BillingRule, ...] = ()
    interpretations: tuple[str, ...] = ()
    reads: frozenset[str] = field(default=frozenset())
    index: Index | None = None  # a yearly index on the amounts (Midtjylland's PL), by the course's start year

    def to_dict(self) -> TariffJSON:
        """The tariff as data: schedules with their bands or categories, the split, the billing rules."""
        out: TariffJSON = {
            "section": self.section, "financing": self.financing.to_dict(), "count_days": self.count_days,
            "invoice_date": self.invoice_date, "schedules": [s.to_dict() for s in self.schedules],
            "beyond_last_day": self.beyond.to_dict() if self.beyond else None,
            "rules": [r.to_dict() for r in self.rules], "interpretations": list(self.interpretations),
        }
        if self.index is not None:
            out["index"] = self.index.to_dict()
        return out

    @property
    def needs_days(self) -> bool:
        return any(s.bands for s in self.schedules)


@dataclass(frozen=True)
class ReadContext:
    """What the tariff reader needs from the rest of the agreement file."""

    vocab: Vocabulary
    sections: tuple[str, ...]
    unknowns: Mapping[str, str]  # id → the Danish text
    expression: ExpressionReader
    interpretation_refs: RefsReader


def read_tariff(node: Node, ctx: ReadContext, diags: Diagnostics) -> Tariff | None:
    """Build the tariff model from the ``tariff:`` mapping; mistakes go to ``diags``."""
    f = fields(node, diags, TOP_REQUIRED, TOP_OPTIONAL)
    if f is None or any(k not in f for k in TOP_REQUIRED):
        return None
    section = text_of(f["section"], diags) or ""
    if section and section not in ctx.sections:
        diags.error(f"takstdelen henviser til afsnit {section}, som ikke findes", f["section"].span,
                    expected=", ".join(ctx.sections), hint=did_you_mean(section, ctx.sections))
    context = f"takster, afsnit {section}"
    financing = read_financing(f["financing"], diags, context)
    schedules = _schedules(f["schedules"], ctx, diags, context)
    count_days = _choice(f.get("count_days"), COUNT_DAYS, diags, "calendar")
    tariff = Tariff(
        section=section, financing=financing or Financing(Decimal(0), Decimal(0)), schedules=schedules,
        invoice_date=_date_fact(f["invoice_date"], ctx.vocab, diags), count_days=count_days,
        beyond=_beyond(f.get("beyond_last_day"), diags),
        rules=_rules(f.get("rules"), ctx, diags, context),
        interpretations=ctx.interpretation_refs(f.get("interpretation"), diags),
        index=read_index(f["index"], ctx, diags, f"{context}, fremskrivning") if "index" in f else None,
    )
    _check_days(tariff, node, diags, context)
    return replace(tariff, reads=_reads(tariff, ctx.vocab))


def read_index(node: Node, ctx: ReadContext, diags: Diagnostics, context: str) -> Index | None:
    """``index: {title, text, unknown: <unknowns id>, years: [{year, factor, source}]}``: factors are decimal
    strings ("1.014"), each year once, each with its source."""
    f = fields(node, diags, ("title", "text", "years", "unknown"), ("interpretation",))
    if not f or not all(k in f for k in ("title", "text", "years", "unknown")):
        return None
    unknown = amount(Node({"unknown": f["unknown"]}, f["unknown"].span, f["unknown"].path,
                          key_spans={"unknown": f["unknown"].span}), ctx, diags, context)
    years: list[IndexYear] = []
    for item in _list(f["years"], diags):
        y = fields(item, diags, ("year", "factor", "source"))
        if not y or not all(k in y for k in ("year", "factor", "source")) or not expect(y["year"], int, diags):
            continue
        factor = _factor(y["factor"], diags, context)
        if any(x.year == y["year"].value for x in years):
            diags.error(f"året {y['year'].value} står to gange", y["year"].span, context=context)
        elif factor is not None:
            years.append(IndexYear(y["year"].value, factor, (text_of(y["source"], diags) or "").strip()))
    if unknown is None or unknown.unknown is None:
        return None
    return Index(text_of(f["title"], diags) or "", (text_of(f["text"], diags) or "").strip(),
                 tuple(sorted(years, key=lambda x: x.year)), unknown.unknown,
                 ctx.interpretation_refs(f.get("interpretation"), diags))


def _factor(node: Node, diags: Diagnostics, context: str) -> Decimal | None:
    try:
        value = Decimal(node.value) if isinstance(node.value, str) else None
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        diags.error(f"{node.path} skal være en positiv faktor skrevet som tekst", node.span, context=context,
                    expected='fx "1.014" (1,4 % op)', hint="skriv faktoren i anførselstegn, så den læses præcist")
        return None
    return value


def read_financing(node: Node, diags: Diagnostics, context: str) -> Financing | None:
    """``{region: 70 %, kommune: 30 %, remainder: kommune}``; the shares must add up to 100 %."""
    f = fields(node, diags, SHARES, ("remainder",))
    if f is None or any(k not in f for k in SHARES):
        return None
    shares = [quantity(f[k], units.PERCENT, diags, context) for k in SHARES]
    if shares[0] is None or shares[1] is None:
        return None
    if shares[0] + shares[1] != HUNDRED:
        diags.error(f"andelene giver {shares[0] + shares[1]} %, ikke 100 %", node.span, context=context,
                    hint="regionens og kommunens andel skal tilsammen være 100 %")
    remainder = _choice(f.get("remainder"), {k: k for k in SHARES}, diags, SHARES[1])
    return Financing(shares[0], shares[1], remainder)


def quantity(node: Node, unit: str, diags: Diagnostics, context: str) -> Decimal | None:
    """A quantity in the rule language (``2999 kr.``, ``70 %``), read with the rule parser.

    The value is parsed from the grammar's ``amount`` start symbol, so the
    grammar's own NUMBER and UNIT tokens (and its friendly errors) decide what
    a quantity is, and errors point into the YAML scalar.
    """
    if not isinstance(node.value, str) or node.text is None:
        diags.error(f"{node.path} skal være et beløb med enhed", node.span, context=context,
                    expected=f"fx '{units.example(unit)}'", hint="skriv enheden efter tallet")
        return None
    try:
        value = parse_amount(node.value, node.text)
    except AgreementError as exc:
        diags.extend(replace(d, context=context) for d in exc.diagnostics)
        return None
    return _checked_quantity(value, unit, node, diags, context)


def _checked_quantity(value: n.Quantity, unit: str, node: Node, diags: Diagnostics, context: str) -> Decimal | None:
    if value.unit != unit:
        diags.error(f"enheden skal være '{unit}', ikke '{value.unit or 'ingen'}'", value.span or node.span,
                    context=context, expected=f"fx '{units.example(unit)}'")
        return None
    if unit == units.MONEY and value.value != value.value.quantize(ØRE):
        diags.error(f"beløbet {value.value} kr. har mere end to decimaler", value.span or node.span, context=context,
                    hint="beløb skrives uden tusindtalsskilletegn og med punktum før ører: 2999 kr. eller 333.50 kr.")
        return None
    return value.value


def amount(node: Node, ctx: ReadContext, diags: Diagnostics, context: str) -> Amount | None:
    """An amount: a quantity in kr., or ``{unknown: <id>}`` for an amount the agreement does not state."""
    if isinstance(node.value, dict):
        f = fields(node, diags, ("unknown",))
        ident = text_of(f.get("unknown"), diags) if f else None
        if ident is None:
            return None
        if ident not in ctx.unknowns:
            diags.error(f"ukendt 'unknowns'-id '{ident}'", f["unknown"].span if f else node.span, context=context,
                        expected="et id fra filens 'unknowns'", hint=did_you_mean(ident, ctx.unknowns))
            return None
        return Amount(None, ctx.unknowns[ident])
    value = quantity(node, units.MONEY, diags, context)
    return Amount(value) if value is not None else None


K = TypeVar("K", bound=str)


def _choice(node: Node | None, choices: Mapping[K, str], diags: Diagnostics, default: K) -> K:
    """One of the keys of ``choices`` (a Literal), or ``default`` when absent or misspelt (an error)."""
    word = text_of(node, diags) if node is not None else None
    if node is None or word is None:
        return default
    chosen = next((k for k in choices if k == word), None)
    if chosen is None:
        diags.error(f"ukendt værdi '{word}' for {node.path}", node.span,
                    expected=", ".join(f"{k} ({v})" if k != v else k for k, v in choices.items()),
                    hint=did_you_mean(word, choices))
        return default
    return chosen


def _date_fact(node: Node, vocab: Vocabulary, diags: Diagnostics) -> str:
    term = text_of(node, diags) or ""
    fact = vocab.by_term.get(term) or vocab.facts.get(term)
    if fact is None or fact.type != "date":
        dates = [f.term for f in vocab.facts.values() if f.type == "date"]
        diags.error(f"'{term}' er ikke et datofaktum", node.span, expected=", ".join(dates),
                    hint=did_you_mean(term, dates))
        return vocab.roles.end_date
    return fact.name


def _beyond(node: Node | None, diags: Diagnostics) -> Beyond | None:
    if node is None:
        return None
    f = fields(node, diags, ("flag", "text"))
    if not f or "flag" not in f or "text" not in f:
        return None
    return Beyond(text_of(f["flag"], diags) or "", (text_of(f["text"], diags) or "").strip())


def _list(node: Node | None, diags: Diagnostics) -> list[Node]:
    if node is None or not expect(node, list, diags):
        return []
    return list(node.value)


def _schedules(node: Node, ctx: ReadContext, diags: Diagnostics, context: str) -> tuple[Schedule, ...]:
    out: list[Schedule] = []
    for item in _list(node, diags):
        schedule = _schedule(item, ctx, diags, context)
        if schedule is not None and any(s.id == schedule.id for s in out):
            diags.error(f"takstskemaet '{schedule.id}' står to gange", item.span, context=context)
        elif schedule is not None:
            out.append(schedule)
    if node.value == []:
        diags.error("takstdelen har ingen takstskemaer", node.span, context=context)
    return tuple(out)


def _schedule(node: Node, ctx: ReadContext, diags: Diagnostics, context: str) -> Schedule | None:
    f = fields(node, diags, ("id", "title"),
               ("applies", "bands", "by", "categories", "per_minute", "unknown", "interpretation"))
    if not f or "id" not in f or "title" not in f:
        return None
    ident = text_of(f["id"], diags) or "?"
    context = f"{context}, takstskema {ident}"
    kinds = [k for k in ("bands", "categories", "per_minute", "unknown") if k in f]
    if len(kinds) != 1:
        diags.error("et takstskema skal have præcis én af 'bands', 'categories', 'per_minute' og 'unknown'", node.span,
                    context=context, hint=f"fik {', '.join(kinds) or 'ingen'}")
        return None
    applies_expr, applies = None, None
    if "applies" in f:
        applies_expr, applies, _ = ctx.expression(f["applies"], ctx.vocab, diags, context)
    return Schedule(
        id=ident, title=text_of(f["title"], diags) or "", applies=applies, applies_expr=applies_expr,
        bands=_bands(f.get("bands"), ctx, diags, context),
        by=_category_fact(f, ctx.vocab, diags, context),
        categories=_categories(f.get("categories"), ctx, diags, context),
        per_minute=amount(f["per_minute"], ctx, diags, context) if "per_minute" in f else None,
        interpretations=ctx.interpretation_refs(f.get("interpretation"), diags),
        unknown=_unknown_schedule(f["unknown"], ctx, diags, context) if "unknown" in f else None,
    )


def _unknown_schedule(node: Node, ctx: ReadContext, diags: Diagnostics, context: str) -> Amount | None:
    """``unknown: <id>``: the agreement has this tariff, but the id's text says what it does not state."""
    if isinstance(node.value, str):
        node = Node({"unknown": node}, node.span, node.path, key_spans={"unknown": node.span})
    return amount(node, ctx, diags, context)


def _bands(node: Node | None, ctx: ReadContext, diags: Diagnostics, context: str) -> tuple[Band, ...]:
    out: list[Band] = []
    items = _list(node, diags)
    for item in items:
        band = _band(item, ctx, diags, context)
        if band is not None:
            out.append(band)
    if len(out) == len(items):  # a band that could not be read would only cause follow-on errors
        _check_contiguous(out, items, diags, context)
    return tuple(out)


def _band(item: Node, ctx: ReadContext, diags: Diagnostics, context: str) -> Band | None:
    f = fields(item, diags, ("from_day", "to_day", "text"), ("course", "per_day"))
    if not f or not all(k in f for k in ("from_day", "to_day", "text")):
        return None
    priced = [k for k in ("course", "per_day") if k in f]
    if len(priced) != 1:
        diags.error("et dagsinterval skal have enten 'course' (én takst for forløbet) eller 'per_day'",
                    item.span, context=context)
        return None
    value = amount(f[priced[0]], ctx, diags, context)
    days = [f[k].value if expect(f[k], int, diags) else None for k in ("from_day", "to_day")]
    if value is None or days[0] is None or days[1] is None:
        return None
    return Band(days[0], days[1], value, priced[0] == "per_day", (text_of(f["text"], diags) or "").strip())


def _check_contiguous(bands: list[Band], items: list[Node], diags: Diagnostics, context: str) -> None:
    """Bands start at day 1 and follow each other without gaps or overlaps."""
    expected = 1
    for band, item in zip(bands, items, strict=True):
        if band.from_day != expected or band.to_day < band.from_day:
            diags.error(f"dagsintervallet {band.from_day}-{band.to_day} passer ikke; forventede et interval fra dag "
                        f"{expected}", item.value["from_day"].span, context=context,
                        hint="intervallerne skal starte på dag 1 og følge hinanden uden huller eller overlap")
            return
        expected = band.to_day + 1


def _category_fact(f: dict[str, Node], vocab: Vocabulary, diags: Diagnostics, context: str) -> str | None:
    if "categories" not in f and "by" not in f:
        return None
    if "by" not in f or "categories" not in f:
        diags.error("'by' og 'categories' hører sammen", (f.get("by") or f["categories"]).span, context=context,
                    hint="skriv 'by: tyngdekategori' over 'categories'")
        return None
    term = text_of(f["by"], diags) or ""
    fact = vocab.by_term.get(term)
    if fact is None or fact.type != "number" or fact.unit is not None:
        numbers = [x.term for x in vocab.facts.values() if x.type == "number" and x.unit is None]
        diags.error(f"'{term}' er ikke et kategorifaktum (et tal uden enhed)", f["by"].span, context=context,
                    expected=", ".join(numbers), hint=did_you_mean(term, numbers))
        return None
    return fact.name


def _categories(node: Node | None, ctx: ReadContext, diags: Diagnostics, context: str) -> tuple[Category, ...]:
    out: list[Category] = []
    for item in _list(node, diags):
        f = fields(item, diags, ("category", "course", "text"), ("financing",))
        if not f or not all(k in f for k in ("category", "course", "text")) or not expect(f["category"], int, diags):
            continue
        value = f["category"].value
        if any(c.value == value for c in out):
            diags.error(f"kategori {value} står to gange", f["category"].span, context=context)
            continue
        price = amount(f["course"], ctx, diags, context)
        financing = read_financing(f["financing"], diags, context) if "financing" in f else None
        if price is not None:
            out.append(Category(value, price, (text_of(f["text"], diags) or "").strip(), financing))
    return tuple(out)


def _rules(node: Node | None, ctx: ReadContext, diags: Diagnostics, context: str) -> tuple[BillingRule, ...]:
    out: list[BillingRule] = []
    for item in _list(node, diags):
        f = fields(item, diags, *RULE_KEYS)
        if not f or not all(k in f for k in RULE_KEYS[0]):
            continue
        ident = text_of(f["id"], diags) or "?"
        rule_context = f"{context}, afregningsregel {ident}"
        when_expr, compiled, _ = ctx.expression(f["when"], ctx.vocab, diags, rule_context)
        effect = _choice(f["effect"], {e: e for e in EFFECTS}, diags, "note")
        flag = text_of(f["flag"], diags) if "flag" in f else None
        if (effect == "flag") != (flag is not None):
            diags.error("'flag' skal angives, når og kun når effect er 'flag'", item.span, context=rule_context)
        if compiled is not None:
            out.append(BillingRule(ident, compiled, effect, (text_of(f["text"], diags) or "").strip(), flag,
                                   ctx.interpretation_refs(f.get("interpretation"), diags), when_expr))
    return tuple(out)


def _check_days(tariff: Tariff, node: Node, diags: Diagnostics, context: str) -> None:
    if tariff.beyond is not None and not tariff.needs_days:
        diags.error("'beyond_last_day' kræver takstskemaer med dagsintervaller ('bands')", node.span, context=context)
    ends = {s.last_day for s in tariff.schedules if s.bands}
    if tariff.beyond is not None and len(ends) > 1:
        diags.error(f"skemaerne slutter på forskellige dage ({', '.join(map(str, sorted(ends)))}), "
                    "men 'beyond_last_day' gælder dem alle", node.span, context=context)


def _reads(tariff: Tariff, vocab: Vocabulary) -> frozenset[str]:
    """Every fact a price can depend on: the expressions' facts, the days, categories and minutes."""
    out: set[str] = set()
    compiled = [s.applies for s in tariff.schedules if s.applies] + [r.when for r in tariff.rules]
    for item in compiled:
        out |= item.all_reads()
    roles = vocab.roles
    if tariff.needs_days:
        out |= {roles.start_date, roles.end_date}
        out |= {roles.days_without_dose} if tariff.count_days == "dose_days" else set()
    out.update(s.by for s in tariff.schedules if s.by)
    if any(s.per_minute is not None for s in tariff.schedules):
        out.add(roles.registered_minutes)
    out.add(tariff.invoice_date)
    return frozenset(x for x in out if x in vocab.facts)

