"""A ``Diff`` → Danish text for the terminal, or Markdown for the site and for review.

Both say the same, in the same order: the changes in text and rules (those
that can change an outcome first), the cases that answer differently grouped
by the change that causes them, and the money when a course register was given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ivrules import danish
from ivrules.diff.cases import Case, CountsJSON
from ivrules.diff.revisions import OUTCOME, Change, Diff, Revision, render_words, rule_name, short
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.tariff import Tariff

Escape = Callable[[str], str]
SHOWN = 3  # cases shown per cause; the JSON has them all (up to --max-cases)
WORDS_SHOWN = 40  # of an added or removed text in the Markdown table; the JSON has it whole
VERDICT = {True: "ja", False: "nej", None: "uafklaret"}
EFFECT = {OUTCOME: "kan ændre udfaldet", "wording": "kun ordlyd"}
PRICE_WORDS = {"unknown": "kan ikke beregnes", "not_covered": "ikke omfattet"}
TARIFF_NAMES = {"count_days": "optællingen af dage, der afregnes", "financing": "finansieringen",
                "beyond": "reglen for dage efter sidste takstdag", "invoice_date": "faktureringsdatoen",
                "order": "takstskemaernes rækkefølge", "section": "takstdelens afsnit", "": "takstdelen"}
AGREEMENT_NAMES = {"title": "titlen", "preamble": "indledningen", "source": "kilden", "termination": "opsigelsen",
                   "until": "gyldighedsperioden"}
AMOUNT_LABELS: tuple[tuple[Literal["total", "region_share", "municipality_share"], str], ...] = (
    ("total", "i alt"), ("region_share", "region"), ("municipality_share", "kommune"))
PART_WORDS = {"band": "dag", "category": "kategori", "per_minute": "pris pr. minut"}


def title(d: Diff) -> str:
    return f"Ændringer fra {_name(d.old)} til {_name(d.new)}"


def _name(rev: Revision) -> str:
    """'Region Midtjylland, aftalen af 1. juni 2020'; a side read from elsewhere keeps its label beside it."""
    region = rev.vocabulary.regions.get(rev.agreement.region, rev.agreement.region)
    name = f"{region}, aftalen af {danish.date(rev.agreement.effective)}"
    standard = f"{rev.agreement.region}@{rev.agreement.revision}"
    return name if rev.label == standard else f"{name} ({rev.label})"


def ordered(changes: list[Change]) -> list[Change]:
    """Changes that can alter an outcome first, each kind in the agreement's order."""
    return sorted(changes, key=lambda c: c.effect != OUTCOME)


def change_lines(d: Diff) -> list[str]:
    count = len(d.outcome_changes)
    if not d.changes:
        return ["Ingen ændringer: de to udgaver siger det samme."]
    return [f"{len(d.changes)} ændringer, heraf {count} der kan ændre udfaldet for et forløb."]


def facts_text(facts: dict[str, Any], vocab: Vocabulary) -> str:
    """A case's facts as a reader would say them: 'alder (fyldte år) 3, behandling antibiotika'."""
    if not facts:
        return "ingen oplysninger"
    order = {name: i for i, name in enumerate(vocab.facts)}
    keys = sorted(facts, key=lambda k: order.get(k, len(order)))
    return "; ".join(f"{_label(vocab, k)}: {_value(vocab, k, facts[k])}" for k in keys)


def highlights(cases: list[Case], shown: int) -> list[Case]:
    """The smallest case, the smallest one both revisions decide, then the next smallest."""
    decided = next((c for c in cases if _decided(c)), None)
    picks = cases[:1] + ([decided] if decided is not None and decided not in cases[:1] else [])
    picks += [c for c in cases if c not in picks]
    return sorted(picks[:shown], key=lambda c: c.size)


def _label(vocab: Vocabulary, name: str) -> str:
    fact = vocab.fact(name)
    if fact is None:
        return name
    return fact.label if fact.label[:3].isupper() else fact.label[:1].lower() + fact.label[1:]


def _value(vocab: Vocabulary, name: str, value: Any) -> str:
    fact = vocab.fact(name)
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, dt.date) or (fact is not None and fact.type == "date" and isinstance(value, str)):
        return _date(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "ingen"
    found = fact.value_by_term(str(value)) if fact is not None and fact.values else None
    return found.label if found is not None else str(value)


def _date(value: dt.date | str) -> str:
    try:
        return danish.date(value if isinstance(value, dt.date) else dt.date.fromisoformat(value))
    except ValueError:
        return str(value)


def answer_text(answer: dict[str, Any], rev: Revision | None = None) -> str:
    """'nej' or 'ja, takst 2.999,00 kr.' — the parts of an answer the diff compares.

    A flag the price carries is named by what the revision ``rev`` says about it."""
    text = VERDICT[answer.get("eligible")]
    if "tariff" in answer:
        text += f", takst {_price(answer, flag_words(rev) if rev is not None else {})}"
    return text


def _price(answer: dict[str, Any], flags: dict[str, str]) -> str:
    status = answer["tariff"]
    price = _kr(answer["total"]) if status == "computed" else PRICE_WORDS.get(status, status)
    return price + "".join(f" ({short(flags[f]) if f in flags else 'markeret'})" for f in answer.get("flags", ()))


def flag_words(rev: Revision) -> dict[str, str]:
    """What each flag of a revision's tariff means, in the agreement file's words."""
    tariff = rev.agreement.tariff
    if tariff is None:
        return {}
    words = {rule.flag: rule.text for rule in tariff.rules if rule.flag}
    return words | ({tariff.beyond.flag: tariff.beyond.text} if tariff.beyond is not None else {})


def _because(d: Diff, because: tuple[str, ...]) -> str:
    by_id = {c.id: c for c in d.changes}
    names = [change_name(by_id[i], d) if i in by_id else i for i in because]
    return " og ".join(names) if names else "en ændring uden for reglerne"


def change_name(change: Change, d: Diff) -> str:
    """A short Danish name for what changed, by what it says: 'reglen »…« (afsnit 3)', 'takstskemaet »…«'."""
    head, _, rest = change.id.partition(":")
    agreements = (d.new.agreement, d.old.agreement)
    if head == "rule":
        rule = next((r for a in agreements for r in a.rules if r.id == rest), None)
        return rule_name(rule) if rule is not None else f"en regel i afsnit {change.section}"
    if head == "tariff":
        return _tariff_name(rest, [a.tariff for a in agreements if a.tariff is not None])
    if head == "interpretation":
        found = next((a.interpretations[rest] for a in agreements if rest in a.interpretations), None)
        return f"fortolkningen »{found.title}«" if found is not None else "en fortolkning"
    if head == "unknown":
        text = next((u.text for a in agreements for u in a.unknowns if u.id == rest), "")
        return f"det ukendte »{short(text)}«"
    names = {"section": f"afsnit {change.section}", "agreement": AGREEMENT_NAMES.get(rest, "aftalen")}
    return names.get(head, "aftalen")


def _tariff_name(rest: str, tariffs: list[Tariff]) -> str:
    head, _, tail = rest.partition(":")
    if head == "rule":
        text = next((r.text for t in tariffs for r in t.rules if r.id == tail), "")
        return f"afregningsreglen »{short(text)}«"
    if head != "schedule":
        return TARIFF_NAMES.get(head, "takstdelen")
    parts = tail.split(":")
    title = next((s.title for t in tariffs for s in t.schedules if s.id == parts[0]), "")
    name = f"takstskemaet »{title}«"
    if len(parts) >= 3:
        name += f", {PART_WORDS.get(parts[1], parts[1])} {parts[2]}"
    elif len(parts) == 2:
        name += f", {PART_WORDS.get(parts[1], parts[1])}"
    return name


def to_text(d: Diff, shown: int = SHOWN) -> str:
    """The diff as Danish text for the terminal."""
    lines = [title(d), "", *change_lines(d)]
    for change in ordered(d.changes):
        mark = "!" if change.effect == OUTCOME else "~"
        lines.append(f"  {mark} {change.text}")
    lines += _cases_text(d, shown)
    lines += _cost_text(d)
    return "\n".join(lines)


def _cases_text(d: Diff, shown: int) -> list[str]:
    report = d.cases
    if report is None:
        return []
    lines = ["", f"Forløb med et andet svar: {count_text(report.counts())} afprøvede."]
    vocab = d.new.vocabulary
    for because, cases in report.groups:
        lines.append(f"  På grund af {_because(d, because)}: {len(cases)} forløb, fx")
        for case in highlights(cases, shown):
            lines.append(f"    - {facts_text(case.facts, vocab)}")
            lines.append(f"      før: {answer_text(case.before, d.old)}; efter: {answer_text(case.after, d.new)}")
    return lines


def count_text(counts: CountsJSON) -> str:
    """"597 af 3179": the changed cases of the cases tried, the same words in text and Markdown."""
    return f"{counts['changed']} af {counts['tried']}"


def _cost_text(d: Diff) -> list[str]:
    if d.cost is None:
        return []
    data = d.cost.to_dict()
    lines = ["", f"Økonomi for {data['courses']} forløb i registret (før → efter, forskel):"]
    for row in [data["total"], *data["municipalities"]]:
        lines.append(f"  {row['name']}: " + "; ".join(
            f"{label} {_kr(row['before'][key])} → {_kr(row['after'][key])} ({_signed(row['difference'][key])})"
            for key, label in AMOUNT_LABELS))
    return lines


def _kr(amount: str) -> str:
    from decimal import Decimal

    return danish.kroner(Decimal(amount))


def _signed(amount: str) -> str:
    text = _kr(amount)
    return text if text.startswith("-") else f"+{text}"


def _decided(case: Case) -> bool:
    """Both revisions price it, or both give a ja/nej: the case shows the change, not a missing fact."""
    if case.before.get("tariff") == case.after.get("tariff") == "computed":
        return True
    return case.before.get("eligible") is not None and case.after.get("eligible") is not None \
        and case.before.get("eligible") != case.after.get("eligible")


# --- Markdown -------------------------------------------------------------------------------------------


def _pipes(text: str) -> str:
    """Plain text in a table cell: only the cell separator needs escaping."""
    return text.replace("|", "\\|")


def to_markdown(d: Diff, shown: int = SHOWN, heading: str = "#", escape: Escape = _pipes,
                title_text: str | None = None) -> str:
    """The diff as Markdown: for the site's "Ændringer" pages and for a review.

    ``escape`` makes agreement wording safe inside a table cell (the site passes its own escaping)."""
    md = _Markdown(escape)
    lines = [f"{heading} {title_text or escape(title(d))}", "", *change_lines(d), ""]
    if d.changes:
        lines += ["Overstreget tekst er fjernet, understreget tekst er tilføjet.", "",
                  "| Hvad | Ændring | Virkning |", "|---|---|---|"]
        lines += [f"| {md.where(c, d)} | {md.change(c)} | {EFFECT[c.effect]} |" for c in ordered(d.changes)]
    lines += md.cases(d, shown, heading + "#")
    lines += _cost_markdown(d, heading + "#", escape)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Markdown:
    escape: Escape

    def cell(self, text: str) -> str:
        return self.escape(text).replace("\n", " ")

    def where(self, change: Change, d: Diff) -> str:
        name = change_name(change, d)
        return self.cell(name[:1].upper() + name[1:])

    def change(self, change: Change) -> str:
        # The row's first column names what changed; this one says how, in a sentence of its own.
        if change.words:  # removed and added words as HTML, which Markdown shows struck through and underlined
            return "Ændret: " + render_words(change.words, ("<del>", "</del>", "<ins>", "</ins>"), escape=self.cell)
        if change.subject == "rule" and change.kind == "changed" and change.effect == OUTCOME:
            return self.cell(f"{change.before} → {change.after}")
        if change.kind != "changed" and change.subject != "tariff" and (change.before or change.after):
            said = " ".join(str(change.after or change.before).split()[:WORDS_SHOWN])
            return self.cell(f"{'Tilføjet' if change.kind == 'added' else 'Fjernet'}: {said}"
                             + (" …" if len(str(change.after or change.before).split()) > WORDS_SHOWN else ""))
        return self.cell(change.text)

    def cases(self, d: Diff, shown: int, heading: str) -> list[str]:
        report = d.cases
        if report is None:
            return []
        lines = ["", f"{heading} Forløb med et andet svar", "",
                 f"{count_text(report.counts())} afprøvede forløb får et andet svar.", ""]
        vocab = d.new.vocabulary
        for because, cases in report.groups:
            name = _because(d, because)
            lines += [f"**{self.cell(name[:1].upper() + name[1:])}** ({len(cases)} forløb)", "",
                      "| Forløb | Før | Efter |", "|---|---|---|"]
            lines += [f"| {self.cell(facts_text(c.facts, vocab))} | {self.cell(answer_text(c.before, d.old))} | "
                      f"{self.cell(answer_text(c.after, d.new))} |" for c in highlights(cases, shown)]
            lines.append("")
        return lines


def _cost_markdown(d: Diff, heading: str, escape: Escape) -> list[str]:
    if d.cost is None:
        return []
    data = d.cost.to_dict()
    lines = ["", f"{heading} Økonomi", "", f"{data['courses']} forløb i registret.", "",
             "| Kommune | I alt før | I alt efter | Forskel | Region før | Region efter | Kommune før "
             "| Kommune efter |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for row in [data["total"], *data["municipalities"]]:
        b, a, diff = row["before"], row["after"], row["difference"]
        lines.append(f"| {escape(row['name'])} | {_kr(b['total'])} | {_kr(a['total'])} | {_signed(diff['total'])} | "
                     f"{_kr(b['region_share'])} | {_kr(a['region_share'])} | {_kr(b['municipality_share'])} | "
                     f"{_kr(a['municipality_share'])} |")
    return lines
