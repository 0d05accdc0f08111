"""Tariffs of two revisions → what changed (amounts with per cent), the parts of each case's price,
and what a course register costs under each revision.

Changes are found by comparing the tariff models part by part: financing, how
days are counted, what happens after the last day, billing rules (their
``when`` compared as trees), schedules and their bands, categories and
minute prices. Each change has an id; ``answer_tariff`` records, for a case,
the outcome of every part under those same ids so a case that is priced
differently can be traced to the change that causes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ivrules import danish
from ivrules.diff.model import OUTCOME, WORDING, Change, ChangeKind, Revision
from ivrules.engine.course import quote
from ivrules.engine.quote import Quote, money
from ivrules.errors import FactsError
from ivrules.lang import nodes as n
from ivrules.lang.cases import facts_of
from ivrules.lang.printer import to_danish
from ivrules.lang.vocabulary import Roles, Vocabulary
from ivrules.model.tariff import COUNT_DAYS, Amount, Band, BillingRule, Category, Financing, Schedule, Tariff

EFFECT_WORDS = {"unknown": "prisen kan ikke beregnes", "note": "bemærkning på prisen", "flag": "markering"}


# --- what changed -------------------------------------------------------------------------------------


def tariff_changes(old: Revision, new: Revision) -> list[Change]:
    """Every change in the tariff part, with old and new amounts and the change in per cent."""
    a, b = old.agreement.tariff, new.agreement.tariff
    if a is None and b is None:
        return []
    if a is None or b is None:
        kind: ChangeKind = "added" if b is not None else "removed"
        section = b.section if b is not None else a.section  # type: ignore[union-attr]
        verb = "har nu takster" if kind == "added" else "har ikke længere takster"
        return [Change("tariff", kind, "tariff", f"Aftalen {verb} (afsnit {section}).", OUTCOME, section)]
    out = _setting_changes(a, b)
    out += _billing_rule_changes(a, b, old.vocabulary, new.vocabulary)
    out += _schedule_changes(a, b, old.vocabulary, new.vocabulary)
    return out


def _change(ident: str, kind: ChangeKind, section: str, text: str, effect: str = OUTCOME, before: str | None = None,
            after: str | None = None, amounts: tuple[Decimal | None, Decimal | None] | None = None) -> Change:
    return Change(f"tariff:{ident}", kind, "tariff", text, effect, section, None, before, after,
                  amounts=_amounts(amounts) if amounts else None)


def _amounts(pair: tuple[Decimal | None, Decimal | None]) -> tuple[str | None, str | None, str | None]:
    before, after = pair
    return money(before), money(after), percent(before, after)


def percent(before: Decimal | None, after: Decimal | None) -> str | None:
    """The change from ``before`` to ``after`` in per cent, one decimal ("1.4"); None when not defined."""
    if before is None or after is None or before == 0:
        return None
    return f"{((after - before) * 100 / before).quantize(Decimal('0.1')):f}"


def _percent_text(before: Decimal | None, after: Decimal | None) -> str:
    value = percent(before, after)
    if value is None:
        return ""
    sign = "+" if not value.startswith("-") else ""
    return f" ({sign}{danish.number(Decimal(value), 1)} %)"


def _financing_text(f: Financing) -> str:
    return f"regionen {danish.number(f.region)} %, kommunen {danish.number(f.kommune)} %"


def _setting_changes(a: Tariff, b: Tariff) -> list[Change]:
    out = []
    sec = b.section
    if a.financing != b.financing:
        before, after = _financing_text(a.financing), _financing_text(b.financing)
        out.append(_change("financing", "changed", sec, f"Finansiering: {before} → {after}", OUTCOME, before, after))
    if a.count_days != b.count_days:
        before, after = COUNT_DAYS[a.count_days], COUNT_DAYS[b.count_days]
        out.append(_change("count_days", "changed", sec, f"Dage, der afregnes: {before} → {after}", OUTCOME,
                           before, after))
    if a.beyond != b.beyond:
        before, after = (a.beyond.text if a.beyond else ""), (b.beyond.text if b.beyond else "")
        same_flag = (a.beyond.flag if a.beyond else None) == (b.beyond.flag if b.beyond else None)
        out.append(_change("beyond", _kind(before, after), sec, f"Efter sidste takstdag: {before or 'ingen regel'} → "
                           f"{after or 'ingen regel'}", WORDING if same_flag else OUTCOME, before or None,
                           after or None))
    if a.invoice_date != b.invoice_date:
        out.append(_change("invoice_date", "changed", sec, f"Faktureres efter {a.invoice_date} → {b.invoice_date}",
                           OUTCOME, a.invoice_date, b.invoice_date))
    if a.section != b.section:
        out.append(_change("section", "changed", sec, f"Takstdelen står nu i afsnit {b.section} (før {a.section})",
                           WORDING, a.section, b.section))
    return out


def _kind(before: object, after: object) -> ChangeKind:
    return "added" if not before else "removed" if not after else "changed"


# --- billing rules ---


def _rule_text(rule: BillingRule, vocab: Vocabulary) -> str:
    when = to_danish(rule.when_expr, vocab).rstrip(".") if rule.when_expr is not None else "?"
    return f"Når {when[:1].lower() + when[1:]}: {EFFECT_WORDS[rule.effect]} – {rule.text}"


def _rule_effect(rule: BillingRule) -> str:
    return WORDING if rule.effect == "note" else OUTCOME


def _billing_rule_changes(a: Tariff, b: Tariff, old_vocab: Vocabulary, new_vocab: Vocabulary) -> list[Change]:
    before, after = {r.id: r for r in a.rules}, {r.id: r for r in b.rules}
    paired = _pair_by_when([r for r in a.rules if r.id not in after], [r for r in b.rules if r.id not in before])
    out = []
    for x in a.rules:
        y = after.get(x.id) or paired.get(x.id)
        if y is None:
            text = _rule_text(x, old_vocab)
            out.append(_change(f"rule:{x.id}", "removed", b.section, f"En afregningsregel er fjernet: {text}",
                               _rule_effect(x), text))
        elif (x.when_expr, x.effect, x.flag, x.text, x.id) != (y.when_expr, y.effect, y.flag, y.text, y.id):
            out.append(_changed_rule(x, y, b.section, old_vocab, new_vocab))
    taken = {r.id for r in paired.values()}
    for y in b.rules:
        if y.id not in before and y.id not in taken:
            text = _rule_text(y, new_vocab)
            out.append(_change(f"rule:{y.id}", "added", b.section, f"Ny afregningsregel: {text}",
                               _rule_effect(y), None, text))
    return out


def _pair_by_when(removed: list[BillingRule], added: list[BillingRule]) -> dict[str, BillingRule]:
    """A removed and an added billing rule about the same courses are one rule, changed."""
    out: dict[str, BillingRule] = {}
    for x in removed:
        match = next((y for y in added if y.when_expr == x.when_expr and y not in out.values()), None)
        if match is not None:
            out[x.id] = match
    return out


def _changed_rule(x: BillingRule, y: BillingRule, section: str, old_vocab: Vocabulary,
                  new_vocab: Vocabulary) -> Change:
    before, after = _rule_text(x, old_vocab), _rule_text(y, new_vocab)
    effect = OUTCOME if (x.when_expr, x.effect, x.flag) != (y.when_expr, y.effect, y.flag) else WORDING
    # The id is the old rule's: a case traced to it is traced to what the old revision did.
    return _change(f"rule:{x.id}", "changed", section, f"Afregningsreglen er ændret: {before} → {after}", effect,
                   before, after)


# --- schedules ---


def _schedule_changes(a: Tariff, b: Tariff, old_vocab: Vocabulary, new_vocab: Vocabulary) -> list[Change]:
    before, after = {s.id: s for s in a.schedules}, {s.id: s for s in b.schedules}
    out = []
    common_a = [s.id for s in a.schedules if s.id in after]
    common_b = [s.id for s in b.schedules if s.id in before]
    if common_a != common_b:
        titles = {s.id: f"»{s.title}«" for s in [*a.schedules, *b.schedules]}
        out.append(_change("order", "changed", b.section, f"Takstskemaernes rækkefølge (det første, der passer, "
                           f"gælder): {', '.join(titles[i] for i in common_a)} → "
                           f"{', '.join(titles[i] for i in common_b)}"))
    for ident in [*before, *(i for i in after if i not in before)]:
        x, y = before.get(ident), after.get(ident)
        if x is None or y is None:
            out.append(_one_sided_schedule(x or y, b.section, "added" if x is None else "removed",  # type: ignore[arg-type]
                                           new_vocab if x is None else old_vocab))
        else:
            out += _changed_schedule(x, y, b.section, old_vocab, new_vocab)
    return out


def _applies_text(schedule: Schedule, vocab: Vocabulary) -> str:
    if schedule.applies_expr is None:
        return "alle forløb"
    return to_danish(schedule.applies_expr, vocab).rstrip(".")


def _prices_text(schedule: Schedule) -> str:
    parts = [f"{band.text}: {_amount_text(band.amount)}" for band in schedule.bands]
    parts += [f"{c.text}: {_amount_text(c.amount)}" for c in schedule.categories]
    if schedule.per_minute is not None:
        parts.append(f"pr. minut: {_amount_text(schedule.per_minute)}")
    return "; ".join(parts)


def _amount_text(amount: Amount) -> str:
    return danish.kroner(amount.value) if amount.value is not None else "ukendt beløb"


def _one_sided_schedule(s: Schedule, section: str, kind: ChangeKind, vocab: Vocabulary) -> Change:
    text = f"{s.title}, når {_applies_text(s, vocab)}: {_prices_text(s)}"
    verb = "Nyt takstskema" if kind == "added" else "Takstskemaet er fjernet"
    before, after = (None, text) if kind == "added" else (text, None)
    return _change(f"schedule:{s.id}", kind, section, f"{verb}: {text}", OUTCOME, before, after)


def _changed_schedule(x: Schedule, y: Schedule, section: str, old_vocab: Vocabulary,
                      new_vocab: Vocabulary) -> list[Change]:
    out = []
    if x.applies_expr != y.applies_expr:
        before, after = _applies_text(x, old_vocab), _applies_text(y, new_vocab)
        out.append(_change(f"schedule:{y.id}", "changed", section, f"Takstskemaet »{y.title}« gælder nu, når {after} "
                           f"(før: når {before})", OUTCOME, before, after))
    elif x.title != y.title:
        out.append(_change(f"schedule:{y.id}", "changed", section, f"Takstskemaets navn: {x.title} → {y.title}",
                           WORDING, x.title, y.title))
    out += _band_changes(x, y, section)
    out += _category_changes(x, y, section)
    if x.per_minute != y.per_minute:
        out.append(_price_change(f"schedule:{y.id}:per_minute", section, f"{y.title}, pris pr. minut",
                                 x.per_minute, y.per_minute))
    return out


def _band_key(band: Band) -> str:
    return f"{band.from_day}-{band.to_day}"


def _band_changes(x: Schedule, y: Schedule, section: str) -> list[Change]:
    before, after = {_band_key(b): b for b in x.bands}, {_band_key(b): b for b in y.bands}
    out = []
    for key in [*before, *(k for k in after if k not in before)]:
        p, q = before.get(key), after.get(key)
        ident = f"schedule:{y.id}:band:{key}"
        label = f"{(q or p).text} (dag {key})"  # type: ignore[union-attr]
        if p is None or q is None:
            out.append(_price_change(ident, section, label, p.amount if p else None, q.amount if q else None))
        elif (p.amount, p.per_day) != (q.amount, q.per_day):
            out.append(_price_change(ident, section, label + _per_day_note(p, q), p.amount, q.amount))
        elif p.text != q.text:
            out.append(_change(ident, "changed", section, f"{p.text} → {q.text}", WORDING, p.text, q.text))
    return out


def _per_day_note(p: Band, q: Band) -> str:
    if p.per_day == q.per_day:
        return ""
    return ", nu pr. dag" if q.per_day else ", nu én takst for forløbet"


def _category_changes(x: Schedule, y: Schedule, section: str) -> list[Change]:
    before, after = {c.value: c for c in x.categories}, {c.value: c for c in y.categories}
    out = []
    for value in sorted(set(before) | set(after)):
        p, q = before.get(value), after.get(value)
        ident = f"schedule:{y.id}:category:{value}"
        label = f"{y.title}, kategori {value}"
        if p is None or q is None or p.amount != q.amount:
            out.append(_price_change(ident, section, label, p.amount if p else None, q.amount if q else None))
        if p is not None and q is not None and p.financing != q.financing:
            text = f"{label}, finansiering: {_category_financing(p)} → {_category_financing(q)}"
            out.append(_change(ident + ":financing", "changed", section, text))
    return out


def _category_financing(c: Category) -> str:
    return _financing_text(c.financing) if c.financing else "som aftalens øvrige takster"


def _price_change(ident: str, section: str, label: str, p: Amount | None, q: Amount | None) -> Change:
    """An amount added, removed or changed: old and new amount and the change in per cent."""
    before = _amount_text(p) if p is not None else None
    after = _amount_text(q) if q is not None else None
    values = (p.value if p else None, q.value if q else None)
    kind = _kind(p, q)
    text = f"{label}: {before or 'ingen takst'} → {after or 'ingen takst'}{_percent_text(*values)}"
    return _change(ident, kind, section, text, OUTCOME, before, after, values)


# --- the parts of one case's price --------------------------------------------------------------------


def answer_tariff(rev: Revision, typed: dict[str, Any], summary: dict[str, Any], parts: dict[str, Any]) -> None:
    """Add the price of a case to its summary, and the outcome of each tariff part to ``parts``.

    The schedule (``Quote.kind``) and the price come from the quote; the billed days, the band
    hits and the billing rules that held are still recomputed here, because ``Quote`` does not
    carry them: an ``unknown`` quote drops its lines, a ``Line`` names its band by text only, and a
    rule whose ``when`` is unknown leaves no trace. Once the quote's trace gives, for every status,
    the billed days (or None), the bands hit by (from_day, to_day), each billing rule with its
    three-valued ``holds``, and whether the days beyond the last band applied, this function
    becomes a projection of that trace and ``billed_days`` goes."""
    try:
        priced = quote(rev.ruleset, rev.vocabulary, typed)
    except FactsError as exc:
        summary["tariff"] = f"fejl i {exc.field}"
        return
    summary.update(tariff_summary(priced))
    tariff = rev.agreement.tariff
    parts["tariff"] = tariff is not None
    if tariff is None or priced.status == "not_covered":
        return
    for rule in tariff.rules:
        holds = rule.when.fn(typed)
        if holds or (holds is None and rule.effect == "unknown"):
            parts[f"tariff:rule:{rule.id}"] = (rule.effect, rule.flag, holds)
    schedule = next((s for s in tariff.schedules if s.id == priced.kind), None)
    parts["tariff:order"] = priced.kind
    if schedule is None:
        return
    parts[f"tariff:schedule:{schedule.id}"] = True
    if priced.status == "computed":
        parts["tariff:financing"] = tariff.financing
    _schedule_parts(tariff, schedule, typed, parts, priced.billed_days)


def tariff_summary(priced: Quote) -> dict[str, Any]:
    """What the diff compares of a price: status, amounts and flags."""
    out: dict[str, Any] = {"tariff": priced.status}
    if priced.status == "computed":
        out.update(total=money(priced.total), region_share=money(priced.region_share),
                   municipality_share=money(priced.municipality_share))
    if priced.flags:
        out["flags"] = list(priced.flags)
    return out


def _schedule_parts(tariff: Tariff, schedule: Schedule, typed: dict[str, Any], parts: dict[str, Any],
                    billed: int | None) -> None:
    """Each part of the schedule the price used; the days billed come from the quote's trace."""
    if schedule.bands:
        parts["tariff:count_days"] = billed
        for band in schedule.bands:
            if billed is not None and billed >= band.from_day:
                parts[f"tariff:schedule:{schedule.id}:band:{_band_key(band)}"] = (band.amount, band.per_day)
        if billed is not None and billed > schedule.last_day and tariff.beyond is not None:
            parts["tariff:beyond"] = tariff.beyond.flag
    if schedule.by is not None:
        found = schedule.category(typed.get(schedule.by))
        if found is not None:
            parts[f"tariff:schedule:{schedule.id}:category:{found.value}"] = found.amount
            parts[f"tariff:schedule:{schedule.id}:category:{found.value}:financing"] = found.financing
    if schedule.per_minute is not None:
        parts[f"tariff:schedule:{schedule.id}:per_minute"] = schedule.per_minute




# --- cases around the tariff's limits -----------------------------------------------------------------


def tariff_exprs(rev: Revision) -> list[n.Expr]:
    """The expressions of the tariff (schedules' ``applies``, billing rules' ``when``)."""
    tariff = rev.agreement.tariff
    if tariff is None:
        return []
    exprs = [s.applies_expr for s in tariff.schedules] + [r.when_expr for r in tariff.rules]
    return [e for e in exprs if e is not None]


def tariff_reads(rev: Revision) -> set[str]:
    """Every fact the revision's prices can depend on."""
    tariff = rev.agreement.tariff
    return set(tariff.reads) if tariff is not None else set()


def change_facts(change_id: str, old: Revision, new: Revision) -> set[str]:
    """The facts a case must give for a tariff change to show in its price."""
    roles = new.vocabulary.roles
    out = {roles.start_date, roles.end_date}
    kind, _, rest = change_id.removeprefix("tariff").lstrip(":").partition(":")
    tariffs = [t for t in (old.agreement.tariff, new.agreement.tariff) if t is not None]
    exprs: list[n.Expr | None] = []
    if kind == "count_days":
        out.add(roles.days_without_dose)
    elif kind == "rule":
        exprs = [r.when_expr for t in tariffs for r in t.rules if r.id == rest]
    elif kind == "schedule":
        ident, _, part = rest.partition(":")
        schedules = [s for t in tariffs for s in t.schedules if s.id == ident]
        exprs = [s.applies_expr for s in schedules]
        out |= {s.by for s in schedules if s.by and part.startswith("category")}
        out |= {roles.registered_minutes} if part == "per_minute" else set()
    return out | {f.name for f in facts_of([e for e in exprs if e is not None], new.vocabulary)}


def tariff_cases(old: Revision, new: Revision, bases: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each example moved to every course length around every band edge (with and without days
    without a dose), and to every category and a few minute counts."""
    tariffs = [t for t in (old.agreement.tariff, new.agreement.tariff) if t is not None]
    lengths = sorted({d for t in tariffs for s in t.schedules for b in s.bands
                      for d in (b.from_day - 1, b.from_day, b.to_day, b.to_day + 1) if d >= 1})
    categories = sorted({(s.by, c.value + k) for t in tariffs for s in t.schedules if s.by
                         for c in s.categories for k in (-1, 0, 1) if c.value + k >= 0})
    minutes = [0, 1, 60] if any(s.per_minute for t in tariffs for s in t.schedules) else []
    roles = new.vocabulary.roles
    for base in bases:
        yield from _lengths(base, lengths, roles)
        for fact, value in categories:
            yield {**base, fact: value}
        for count in minutes:
            yield {**base, roles.registered_minutes: count}


def _lengths(base: dict[str, Any], lengths: list[int], roles: Roles) -> Iterator[dict[str, Any]]:
    start = _start(base, roles)
    if start is None:
        return
    for days in lengths:
        end = start + dt.timedelta(days=days - 1)
        for without in sorted({0, 1, days - 1}):
            if without < days:
                yield {**base, roles.start_date: start.isoformat(), roles.end_date: end.isoformat(),
                       roles.days_without_dose: without}


def _start(base: dict[str, Any], roles: Roles) -> dt.date | None:
    for key in (roles.start_date, roles.course_date):
        try:
            return dt.date.fromisoformat(str(base[key]))
        except (KeyError, ValueError):
            continue
    return None


# --- money --------------------------------------------------------------------------------------------


def all_exprs(rev: Revision) -> list[n.Expr]:
    """Every expression of a revision: its rules and its tariff."""
    return [r.expr for r in rev.agreement.rules if r.expr is not None] + tariff_exprs(rev)
