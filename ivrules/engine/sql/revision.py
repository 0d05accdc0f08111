"""One revision → the SQL expressions of its answer for a course: status, amounts, kind, flags and reason.

The order of the questions is the scalar pricing's (``ivrules.engine.quote``):
the party check, the requirements, a revision without tariff, the course's
days, the billing rules, the first schedule that applies, its bands,
category or minutes, the missing facts, and the financing split (the
region's share rounded half up to the øre, the municipality pays the rest).
``reason`` is the Danish text settlement writes for a row it rejects: the
same text ``ivrules.money.settle.rejection`` makes from the scalar quote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlglot import exp

from ivrules import danish
from ivrules.engine.sql.rules import RuleCompiler, SqlCompileError, and_, is_null, literal, one_of, or_
from ivrules.lang import nodes as n
from ivrules.model.agreement import Agreement
from ivrules.model.tariff import COUNT_DAYS, ØRE, Amount, Financing, Index, Schedule, Tariff

MONEY = exp.DataType.build("DECIMAL(18,2)")
ØRE_TYPE = exp.DataType.build("BIGINT")  # an amount in whole øre: the lines of a price are summed as integers
FACTOR_SCALE = 8  # an index factor ("1.014") has at most eight decimals
FACTOR = exp.DataType.build(f"DECIMAL(18,{FACTOR_SCALE})")
Text = Callable[[str], exp.Expression]  # a number fact's name → its value as the scalar engine writes it
TEXT = exp.DataType.build("VARCHAR")
_Case = tuple[exp.Expression, str, exp.Expression, exp.Expression]  # (when, status, reason, detail)
Stage = tuple[tuple[str, exp.Expression], ...]  # (column name, its expression)


def s(text: str) -> exp.Expression:
    return exp.Literal.string(text)


def join(sep: str, parts: list[exp.Expression]) -> exp.Expression:
    """concat_ws: the parts that are not NULL, joined (the empty string when none is)."""
    if not parts:
        return s("")
    return exp.ConcatWs(expressions=[s(sep), *parts], coalesce=True)


def when(cond: exp.Expression, value: exp.Expression) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=cond, true=value)])


def true(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=exp.paren(e, copy=True), expression=exp.Boolean(this=True))


def false(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=exp.paren(e, copy=True), expression=exp.Boolean(this=False))


def any_of(conds: list[exp.Expression]) -> exp.Expression:
    return exp.paren(or_(*conds), copy=False) if conds else exp.Boolean(this=False)


def øre_of(value: Decimal) -> exp.Expression:
    """An amount of the agreement in whole øre (an agreement states no amount with more than two decimals)."""
    øre = value.scaleb(2)
    if øre != øre.to_integral_value():
        raise ValueError(f"{value} kr. er ikke et helt antal øre")
    return exp.cast(literal(int(øre)), ØRE_TYPE)


def kroner(øre: exp.Expression) -> exp.Expression:
    """Whole øre as DECIMAL(18, 2), exactly: a 16-digit integer times 0.01 is a 64-bit decimal in DuckDB."""
    hundredth = exp.cast(literal(ØRE), exp.DataType.build("DECIMAL(2,2)"))
    return exp.cast(exp.Mul(this=exp.cast(øre, exp.DataType.build("DECIMAL(16,0)")), expression=hundredth), MONEY)


@dataclass
class Answer:
    """The SQL of one revision's answer; ``status`` is computed, unknown, not_covered or error (a facts error)."""

    status: exp.Expression
    reason: exp.Expression
    total: exp.Expression
    region_share: exp.Expression
    municipality_share: exp.Expression
    kind: exp.Expression
    category: exp.Expression
    flags: exp.Expression
    invoice_day: exp.Expression
    # The scalar quote's reasons (but its "Takst: …" line), joined: what an undecided accession's answer quotes.
    detail: exp.Expression
    # Columns the fields read, computed first, stage by stage (each reads the ones before): a large expression
    # (the missing facts, the total, which case holds) is written once, not in every field that needs it.
    stages: tuple[Stage, ...] = ()


@dataclass
class _Work:
    """What the pricing collects, each part guarded by its condition (SQL NULL where it does not apply)."""

    unknown: list[tuple[exp.Expression, str]] = field(default_factory=list)  # (when, Danish text), in the scalar order
    missing: list[tuple[str, exp.Expression]] = field(default_factory=list)  # (fact, when it is missing)
    gaps: list[exp.Expression] = field(default_factory=list)  # where a fact of ``missing`` is missing, one a question
    flags: list[exp.Expression] = field(default_factory=list)
    lines: list[exp.Expression] = field(default_factory=list)  # amounts (NULL where not priced)
    errors: list[tuple[exp.Expression, exp.Expression]] = field(default_factory=list)  # (condition, reason)
    kinds: list[tuple[exp.Expression, str]] = field(default_factory=list)
    category: exp.Expression = field(default_factory=exp.Null)
    financing: list[tuple[exp.Expression, Financing]] = field(default_factory=list)
    notes: list[exp.Expression] = field(default_factory=list)  # a computed price's reasons, in the scalar order
    factor: exp.Expression | None = None  # the index factor of the course's year (NULL: not stated)
    factors: tuple[Decimal, ...] = ()  # the values ``factor`` can take (but NULL)

    def need(self, fact: str, cond: exp.Expression) -> None:
        """``fact`` is missing where ``cond`` holds."""
        self.missing.append((fact, cond))
        self.gaps.append(cond)

    def needs(self, needed: list[tuple[str, exp.Expression]], unknown: exp.Expression) -> None:
        """A rule's ``needed`` facts: one of them is missing exactly where the rule is ``unknown`` (in Kleene's
        logic a rule is unknown only where a fact it reads is missing), the one condition asked a course."""
        self.missing.extend(needed)
        if needed:
            self.gaps.append(unknown)


class RevisionCompiler:
    """Compiles one revision; ``outsider`` is the SQL of 'the municipality is not a party', ``party`` the Danish
    reason why (NULL: it is)."""

    def __init__(self, rules: RuleCompiler, agreement: Agreement, outsider: exp.Expression, party: exp.Expression,
                 text: Text, prefix: str = "ivrules_") -> None:
        self.rc, self.agreement, self.outsider, self.party, self.text = rules, agreement, outsider, party, text
        self.vocab, self.fact, self.roles = rules.vocab, rules.facts, rules.vocab.roles
        self.prefix = prefix  # of the stage columns, so that two revisions' answers can be read in one row
        self._stages: dict[str, tuple[int, exp.Expression]] = {}  # column → (its stage, its expression)
        self._columns: dict[str, str] = {}  # an unnamed stage column's expression (its SQL) → the column

    def label(self, name: str) -> str:
        return self.vocab.facts[name].label

    def once(self, expr: exp.Expression, name: str = "") -> exp.Expression:
        """A stage column computed once a row (in the first stage after the stage columns it reads), to read
        wherever the answer needs ``expr``: a named one is computed the first time it is asked for, an unnamed one
        once for each expression however often it is asked for."""
        column = self.prefix + (name or self._columns.setdefault(expr.sql(), f"x{len(self._stages)}"))
        if column not in self._stages:
            reads = [self._stages[c.name][0] + 1 for c in expr.find_all(exp.Column) if c.name in self._stages]
            self._stages[column] = (max(reads, default=0), expr)
        return exp.column(column, quoted=True)

    def stages(self) -> tuple[Stage, ...]:
        """The stage columns, stage by stage."""
        depth = max((level for level, _ in self._stages.values()), default=-1) + 1
        return tuple(tuple((name, e) for name, (level, e) in self._stages.items() if level == k) for k in range(depth))

    def answer(self) -> Answer:
        agreement, tariff = self.agreement, self.agreement.tariff
        outcomes = [(r, self.rc.rule(r.id, _expr(r.id, r.expr))) for r in agreement.rules
                    if r.kind == "requirement" and r.compiled is not None]
        # Some requirement is false: in Kleene's logic, exactly where their conjunction is (one test, not one each).
        failed = false(and_(*(o for _, o in outcomes))) if outcomes else exp.Boolean(this=False)
        said = join(" ", [when(false(o), s(r.explain)) for r, o in outcomes if not r.explain.startswith("Forløbet er")])
        every = join(" ", [s("Forløbet er ikke omfattet af aftalen."), *(when(false(o), s(r.explain))
                                                                          for r, o in outcomes)])
        cases: list[_Case] = [
            (self.outsider.copy(), "not_covered", _cat(s("ikke omfattet af aftalen: "), self.party.copy()),
             self.party.copy()),
            (failed, "not_covered", _cat(s("ikke omfattet af aftalen: "), said), every)]
        invoice = self.fact(tariff.invoice_date if tariff is not None else self.roles.end_date)
        if tariff is None:
            why = s(self._no_tariff())
            cases.append((exp.Boolean(this=True), "unknown", _cat(s("kan ikke beregnes: "), why), why.copy()))
            none = exp.Null()
            status, reason, detail = self._cased(cases, none)
            return Answer(status, reason, none, none, none, none, none, s(""), invoice, detail, self.stages())
        return self._priced(tariff, cases, invoice)

    def _cased(self, cases: list[_Case], computed: exp.Expression) -> tuple[exp.Expression, exp.Expression,
                                                                             exp.Expression]:
        """(status, reason and detail), read from a stage column naming the case that holds."""
        which = self.once(exp.Case(ifs=[exp.If(this=c, true=literal(k)) for k, (c, *_) in enumerate(cases)]), "case")
        def by_case(values: list[exp.Expression], default: exp.Expression) -> exp.Expression:
            # The cases that give the same value share one WHEN (``one_of`` their numbers).
            same: dict[str, tuple[exp.Expression, list[int]]] = {}
            for k, v in enumerate(values):
                same.setdefault(v.sql(), (v, []))[1].append(k)
            return exp.Case(ifs=[exp.If(this=one_of(which, ks), true=v)
                                 for v, ks in same.values()], default=default)
        return (by_case([s(c[1]) for c in cases], s("computed")), by_case([c[2] for c in cases], exp.Null()),
                by_case([c[3] for c in cases], computed))

    def _priced(self, tariff: Tariff, cases: list[_Case], invoice: exp.Expression) -> Answer:
        work = _Work()
        self._days(work)
        self._rules(tariff, work)
        self._index(tariff, work)
        self._schedules(tariff, work)
        missing = self._missing(work)
        said = [(c, s(text)) for c, text in work.unknown] + missing
        # Whether a reason makes the price unknown is a boolean (an empty text adds none); the Danish text is only
        # joined where one does. Some condition is true exactly where their disjunction is (one test, not one each).
        says = [c for c, text in work.unknown if text] + work.gaps
        unsaid = self.once(exp.Not(this=true(or_(*says))) if says else exp.Boolean(this=True), "unsaid")
        total = self.once(kroner(_sum(work.lines)), "total")
        unknown = self.once(exp.Case(ifs=[exp.If(this=unsaid.copy(), true=exp.Null())],
                                     default=join(" ", [when(c, text) for c, text in said])), "unknown")
        cases += [(c, "error", why, exp.Null()) for c, why in work.errors]
        cases.append((exp.Not(this=unsaid), "unknown", exp.DPipe(this=s("kan ikke beregnes: "), expression=unknown),
                      unknown.copy()))
        region, kommune = _split(total, work.financing, tariff.financing)
        work.notes.append(_financing_note(work.financing, tariff.financing))
        kind = exp.Case(ifs=[exp.If(this=c, true=s(k)) for c, k in work.kinds]) if work.kinds else s("")
        status, reason, detail = self._cased(cases, join(" ", work.notes))
        return Answer(status, reason, total.copy(), region, kommune, kind, work.category, join(";", work.flags),
                      invoice, detail, self.stages())

    def _no_tariff(self) -> str:
        agreement = self.agreement
        said = [u.text for u in agreement.unknowns if u.about in ("tariff", "financing")]
        texts = said or [f"Aftalen (udgaven af {agreement.revision}) angiver ingen takster."]
        return " ".join(t for t in texts if not t.startswith("Takst:"))

    def days(self) -> exp.Expression:
        """Days from start to end date, both included (NULL when a date is missing)."""
        end, start = self.fact(self.roles.end_date), self.fact(self.roles.start_date)
        return self.once(exp.paren(exp.Add(this=exp.paren(exp.Sub(this=end, expression=start)), expression=literal(1))),
                         "days")

    def _days(self, work: _Work) -> None:
        """The scalar ``course_days`` checks: an end before the start, days without a dose outside 0..days-1."""
        roles, days = self.roles, self.days()
        end, start, without = self.fact(roles.end_date), self.fact(roles.start_date), self.fact(roles.days_without_dose)
        iso = exp.DataType.build("VARCHAR")
        before = _cat(s(f"{self.label(roles.end_date)}: slutdatoen "), _danish_date(end),
                      s(" ligger før startdatoen "), _danish_date(start))
        work.errors.append((exp.LT(this=days, expression=literal(1)), before))
        outside = exp.Not(this=exp.paren(and_(exp.GTE(this=without, expression=literal(0)),
                                                  exp.LT(this=without, expression=days))))
        wrong = _cat(s(f"{self.label(roles.days_without_dose)}: "), self.text(roles.days_without_dose),
                     s(" dage uden dosis passer ikke til et forløb på "), exp.cast(days, iso), s(" dage"))
        work.errors.append((true(outside), wrong))

    def _rules(self, tariff: Tariff, work: _Work) -> None:
        for rule in tariff.rules:
            expr = _expr(rule.id, rule.when_expr)
            holds = self.once(self.rc.rule(rule.id, expr))  # three-valued, read as true, unknown and false
            if rule.effect == "unknown":
                work.unknown.append((true(holds), rule.text))
                work.needs(self.rc.needed(expr), is_null(holds))
                continue
            work.notes.append(when(true(holds), s(rule.text)))
            if rule.flag:
                work.flags.append(when(true(holds), s(rule.flag)))

    def _index(self, tariff: Tariff, work: _Work) -> None:
        """The index factor for the year the course starts in: NULL (unknown, with the index's reason) for a year
        the sources give no factor; 1 where the course has no start date (the scalar ``_index``)."""
        index = tariff.index
        if index is None:
            return
        if any(-y.factor.as_tuple().exponent > FACTOR_SCALE for y in index.years):  # type: ignore[operator]
            raise SqlCompileError(f"tariff.index ({self.agreement.region} {self.agreement.revision})",
                                  f"en faktor har mere end {FACTOR_SCALE} decimaler")
        start = exp.Coalesce(this=self.fact(self.roles.start_date), expressions=[self.fact(self.roles.course_date)])
        year = exp.Year(this=start.copy())
        factors = [exp.If(this=is_null(start), true=exp.cast(literal(1), FACTOR)),
                   *(exp.If(this=exp.EQ(this=year.copy(), expression=literal(y.year)),
                            true=exp.cast(literal(y.factor), FACTOR)) for y in index.years)]
        work.factor = self.once(exp.Case(ifs=factors), "factor")
        work.factors = tuple(dict.fromkeys([Decimal(1), *(y.factor for y in index.years)]))
        work.unknown.append((is_null(work.factor), f"{index.title}: {index.unknown}"))
        notes = [exp.If(this=exp.EQ(this=year.copy(), expression=literal(y.year)),
                        true=s(_index_note(index, y.year, y.factor))) for y in index.years if y.factor != 1]
        if notes:
            work.notes.append(exp.Case(ifs=notes))

    def _schedules(self, tariff: Tariff, work: _Work) -> None:
        """The first schedule whose ``applies`` holds prices the course; an unknown ``applies`` stops the search."""
        reached: exp.Expression = exp.Boolean(this=True)
        for schedule in tariff.schedules:
            if schedule.applies is None:
                self._price(tariff, schedule, reached, work)
                return
            expr = _expr(schedule.id, schedule.applies_expr)
            applies = self.once(self.rc.rule(schedule.id, expr))  # three-valued, read as true, unknown and false
            work.needs([(f, and_(reached, c)) for f, c in self.rc.needed(expr)], and_(reached, is_null(applies)))
            self._price(tariff, schedule, self.once(and_(reached, true(applies))), work)
            reached = self.once(and_(reached, false(applies)))
        work.unknown.append((reached, "Aftalen angiver ingen takst for et forløb som dette."))

    def _price(self, tariff: Tariff, schedule: Schedule, chosen: exp.Expression, work: _Work) -> None:
        work.kinds.append((chosen, schedule.id))
        if schedule.bands:
            self._bands(tariff, schedule, chosen, work)
        elif schedule.by is not None:
            self._category(schedule, schedule.by, chosen, work)
        elif schedule.per_minute is not None:
            self._minutes(schedule.per_minute, chosen, work)
        elif schedule.unknown is not None:
            self._amount(schedule.unknown, chosen, work)

    def _billed(self, tariff: Tariff, chosen: exp.Expression, work: _Work) -> exp.Expression:
        roles = self.roles
        for name in (roles.start_date, roles.end_date):
            work.need(name, and_(chosen, is_null(self.fact(name))))
        days = self.days()
        known = and_(chosen, exp.Not(this=is_null(days)))
        if tariff.count_days == "calendar":
            work.notes.append(when(known, _cat(s("Der afregnes for "), exp.cast(days, TEXT),
                                               s(f" dage: {COUNT_DAYS['calendar']}."))))
            return days
        without = self.fact(roles.days_without_dose)
        work.need(roles.days_without_dose, and_(known, is_null(without)))
        billed = _minus_text(days, without, self.text(roles.days_without_dose))
        work.notes.append(when(known.copy(), _cat(s("Der afregnes for "), billed,
                                                  s(f" dage: {COUNT_DAYS['dose_days']}."))))
        return self.once(exp.cast(exp.Floor(this=exp.Sub(this=days, expression=without)), exp.DataType.build("BIGINT")))

    def _bands(self, tariff: Tariff, schedule: Schedule, chosen: exp.Expression, work: _Work) -> None:
        if [b.from_day for b in schedule.bands] != sorted(b.from_day for b in schedule.bands):
            raise SqlCompileError(schedule.id, "dagsintervallerne står ikke i rækkefølge")
        billed = self._billed(tariff, chosen, work)
        have = self.once(and_(chosen, exp.Not(this=is_null(billed))))
        for band in schedule.bands:
            reached = and_(have, exp.GTE(this=billed, expression=literal(band.from_day)))
            # The days the band covers, where it is reached (billed is then at least ``from_day``, never NULL):
            # held within the band wherever the database computes it, so that it is always an INTEGER and the
            # amount times the days stays a DECIMAL(18, 2) (not a 128-bit one).
            within = exp.Least(this=exp.Greatest(this=billed, expressions=[literal(band.from_day)], ignore_nulls=True),
                               expressions=[literal(band.to_day)], ignore_nulls=True)
            covered = exp.cast(exp.Add(this=exp.Sub(this=within, expression=literal(band.from_day)),
                                       expression=literal(1)), exp.DataType.build("INT"))
            value = self._amount(band.amount, reached, work)
            if value is not None:
                line = exp.Mul(this=value, expression=exp.paren(covered)) if band.per_day else value
                work.lines.append(when(reached, line))
        over = and_(have, exp.GT(this=billed, expression=literal(schedule.last_day)))
        if tariff.beyond is None:
            work.unknown.append((over, f"Aftalen angiver ingen takst efter dag {schedule.last_day}."))
        else:
            work.flags.append(when(over, s(tariff.beyond.flag)))
            work.notes.append(when(over.copy(), s(tariff.beyond.text)))

    def _category(self, schedule: Schedule, by: str, chosen: exp.Expression, work: _Work) -> None:
        value = self.fact(by)
        work.need(by, and_(chosen, is_null(value)))
        hits = []
        for category in schedule.categories:
            hit = and_(chosen, exp.EQ(this=value, expression=literal(category.value)))
            hits.append(hit)
            amount = self._amount(category.amount, hit, work)
            if amount is not None:
                work.lines.append(when(hit, amount))
            if category.financing is not None:
                work.financing.append((hit, category.financing))
        work.category = exp.Case(ifs=[exp.If(this=h, true=literal(c.value))
                                      for h, c in zip(hits, schedule.categories, strict=True)])
        none = and_(chosen, exp.Not(this=is_null(value)), exp.Not(this=any_of(hits)))
        work.errors.append((none, _cat(s(f"{self.label(by)}: kategori "), self.text(by), s(" findes ikke i aftalen"))))

    def _minutes(self, per_minute: Amount, chosen: exp.Expression, work: _Work) -> None:
        minutes = self.fact(self.roles.registered_minutes)
        work.need(self.roles.registered_minutes, and_(chosen, is_null(minutes)))
        price = self._amount(per_minute, chosen, work)
        if price is not None:  # øre times minutes rounded to whole øre: kroner times minutes rounded to the øre
            total = exp.Round(this=exp.Mul(this=price, expression=minutes), decimals=literal(0))
            work.lines.append(when(chosen, exp.cast(total, ØRE_TYPE)))

    def _amount(self, amount: Amount, where: exp.Expression, work: _Work) -> exp.Expression | None:
        if amount.value is None:
            work.unknown.append((where, amount.unknown or "Aftalen angiver ikke beløbet."))
            return None
        if work.factor is None:
            return øre_of(amount.value)
        # The scalar ``_amount``: the amount itself for a factor of 1, else times the factor, rounded half up
        # to the øre. The factor is one of a few constants, so each indexed amount is one too, computed here
        # (no decimal product and rounding a row): the amount for the factor the course has (NULL: none).
        ifs = [exp.If(this=exp.cast(literal(f), FACTOR),
                      true=øre_of((amount.value * f).quantize(ØRE, rounding=ROUND_HALF_UP))) for f in work.factors]
        return exp.Case(this=work.factor.copy(), ifs=ifs)

    def _missing(self, work: _Work) -> list[tuple[exp.Expression, exp.Expression]]:
        """(when, 'Der mangler oplysninger: …' naming each missing fact once, in the order the scalar pricing asks);
        none where no fact can be missing."""
        labels = []
        for i, (name, cond) in enumerate(work.missing):
            earlier = [c for f, c in work.missing[:i] if f == name]
            shown = and_(cond, exp.Not(this=any_of(earlier))) if earlier else cond
            labels.append(when(shown, s(self.label(name).lower())))
        if not labels:
            return []
        said = _cat(s("Der mangler oplysninger: "), join(", ", labels), s("."))
        return [(any_of([c for _, c in work.missing]), said)]


def _expr(rule: str, expr: n.Expr | None) -> n.Expr:
    if expr is None:
        raise SqlCompileError(rule, "reglen har intet udtryk")
    return expr


def _danish_date(day: exp.Expression) -> exp.Expression:
    """'1. juni 2020' in SQL (``ivrules.danish.date``)."""
    text = exp.DataType.build("VARCHAR")
    month = exp.Case(ifs=[exp.If(this=exp.EQ(this=exp.Month(this=day.copy()), expression=literal(k + 1)),
                                 true=s(name)) for k, name in enumerate(danish.MONTHS)])
    return _cat(exp.cast(exp.Day(this=day.copy()), text), s(". "), month, s(" "),
                exp.cast(exp.Year(this=day.copy()), text))


def _cat(*parts: exp.Expression) -> exp.Expression:
    out = parts[0]
    for part in parts[1:]:
        out = exp.DPipe(this=out, expression=part)
    return out


def _index_note(index: Index, year: int, factor: Decimal) -> str:
    return f"{index.title} for {year}: beløbene ganges med {factor} og afrundes til hele øre."


def _financing_note(by_category: list[tuple[exp.Expression, Financing]], default: Financing) -> exp.Expression:
    def note(f: Financing) -> exp.Expression:
        return s(f"Finansiering: regionen {f.region} %, kommunen {f.kommune} %.")
    if not by_category:
        return note(default)
    return exp.Case(ifs=[exp.If(this=c, true=note(f)) for c, f in by_category], default=note(default))


def _minus_text(days: exp.Expression, without: exp.Expression, text: exp.Expression) -> exp.Expression:
    """``days - without`` written as Python writes an int minus the fact's number: an integer, or with as many
    decimals as the fact's text has."""
    value = exp.Sub(this=days, expression=without)
    scale = exp.Sub(this=exp.Length(this=text.copy()), expression=exp.StrPosition(this=text.copy(), substr=s(".")))
    fractions = [exp.If(this=exp.EQ(this=scale.copy(), expression=literal(k)), true=exp.cast(
        exp.cast(value.copy(), exp.DataType.build(f"DECIMAL(38,{k})")), TEXT)) for k in range(1, 11)]
    whole = exp.EQ(this=without.copy(), expression=exp.Floor(this=without.copy()))
    return exp.Case(ifs=[exp.If(this=whole, true=exp.cast(exp.cast(value, exp.DataType.build("BIGINT")), TEXT)),
                         *fractions])


def _sum(lines: list[exp.Expression]) -> exp.Expression:
    """The lines (whole øre, NULL where a line does not apply), summed as a BIGINT."""
    out: exp.Expression = exp.cast(literal(0), ØRE_TYPE)
    for line in lines:
        out = exp.Add(this=out, expression=exp.Coalesce(this=line, expressions=[literal(0)]))
    return out


def _share(total: exp.Expression, financing: Financing) -> tuple[exp.Expression, exp.Expression]:
    """(region, municipality): the share that is not the remainder rounded half up to the øre."""
    percent = financing.region if financing.remainder == "kommune" else financing.kommune
    rounded = exp.cast(exp.Round(this=exp.Mul(this=total, expression=literal(percent.scaleb(-2))),
                                 decimals=literal(2)), MONEY)
    rest = exp.cast(exp.Sub(this=total, expression=rounded), MONEY)
    return (rounded, rest) if financing.remainder == "kommune" else (rest, rounded)


def _split(total: exp.Expression, by_category: list[tuple[exp.Expression, Financing]],
           default: Financing) -> tuple[exp.Expression, exp.Expression]:
    pairs = [(c, _share(total, f)) for c, f in by_category]
    region, kommune = _share(total, default)
    if not pairs:
        return region, kommune
    return (exp.Case(ifs=[exp.If(this=c, true=r) for c, (r, _) in pairs], default=region),
            exp.Case(ifs=[exp.If(this=c, true=k) for c, (_, k) in pairs], default=kommune))
