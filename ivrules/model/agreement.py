"""Agreement YAML (``Node`` tree) → the agreement model, checked and compiled.

An agreement file is metadata, interpretations, unknowns, the agreement's
sections in order with the rules each section states, and example cases.
Every mistake is collected with its span; the caller raises them together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal, TypedDict, get_args

from ivrules.errors import AgreementError, Diagnostics, FactsError, did_you_mean
from ivrules.lang import nodes as n
from ivrules.lang.cases import constants_by_fact, facts_of, grid
from ivrules.lang.checker import Checker
from ivrules.lang.compiler import Compiled, compile_rule
from ivrules.lang.parser import parse_rule
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.loader import UNREADABLE, Node, expect, fields, text_of
from ivrules.model.regions import check_region
from ivrules.model.tariff import ReadContext, Tariff, TariffJSON, read_tariff
from ivrules.source import Span

Party = Literal["region", "kommune", "almen_praksis"]  # who a section is about
PARTIES: tuple[Party, ...] = get_args(Party)
RuleKind = Literal["requirement", "condition"]  # a requirement must hold; a condition is to be agreed on
ABOUT_PARTS = ("tariff", "financing")  # parts of the model an unknown may be about, besides facts
TOP_REQUIRED = ("region", "title", "effective", "source", "sections")
TOP_OPTIONAL = ("preamble", "until", "no_agreement_after", "interpretations", "unknowns", "examples", "termination",
                "tariff", "parties", "in_force_unknown")
# ``in_force_unknown``: the period in which the sources do not say whether this revision was in force yet (or still).
WINDOW_KEYS = (("from", "to", "fact", "unknown"), ())
# The keys of each mapping inside a revision, (required, optional): the loader checks them; the editors'
# JSON Schema and completion (ivrules.lsp.format) are made from the same tuples.
SOURCE_KEYS = (("document",), ("file", "url", "note"))
TERMINATION_KEYS = (("notice",), ("section",))
SECTION_KEYS = (("number", "title", "text"), ("rules", "party", "items"))
RULE_KEYS = (("id",), ("rule", "explain", "condition", "applies", "interpretation"))
INTERPRETATION_KEYS = (("id", "title", "reading", "rationale"), ())
UNKNOWN_KEYS = (("id", "text"), ("section", "about"))
EXAMPLE_KEYS = (("name", "facts", "expect"), ("description",))
PARTIES_KEYS = (("section",), ())


class InterpretationJSON(TypedDict):
    """En fortolkning, hvor aftalen er flertydig eller tavs: læsningen og begrundelsen."""

    id: str
    title: str
    reading: str
    rationale: str


class UnknownJSON(TypedDict):
    """Noget, aftalen ikke siger; svarene siger det i stedet for at gætte."""

    id: str
    text: str
    section: str | None


class RuleJSON(TypedDict):
    """Et krav (requirement) eller en betingelse, der skal aftales (condition)."""

    id: str
    kind: RuleKind
    rule: str | None
    """Reglen i reglernes sprog."""
    explain: str
    condition: str | None
    interpretations: list[str]


class SectionJSON(TypedDict):
    """Et afsnit af aftalen: nummer, titel, aftalens egen tekst og afsnittets regler."""

    number: str
    title: str
    text: str
    party: Party | None
    items: list[str]
    rules: list[RuleJSON]


class RevisionJSON(TypedDict):
    """En udgave af aftalen: hvornår den gælder, og hash'en af dens fil."""

    revision: str
    title: str
    effective: str
    until: str | None
    period: str
    """Gyldighedsperioden, fx "2020-06-01 – 2021-04-30"."""
    content_hash: str


class AgreementJSON(RevisionJSON):
    """En udgave i sin helhed: afsnit med regler, fortolkninger, det ukendte og taksterne."""

    region: str
    source: dict[str, str]
    sections: list[SectionJSON]
    interpretations: list[InterpretationJSON]
    unknowns: list[UnknownJSON]
    tariff: TariffJSON | None


@dataclass(frozen=True)
class Interpretation:
    """A reading the encoders chose where the agreement is ambiguous or silent."""

    id: str
    title: str
    reading: str
    rationale: str
    span: Span | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> InterpretationJSON:
        return {"id": self.id, "title": self.title, "reading": self.reading, "rationale": self.rationale}


@dataclass(frozen=True)
class Unknown:
    """Something the agreement does not state; answers say so instead of guessing."""

    id: str
    text: str
    section: str | None = None
    about: str | None = None  # the fact (or ABOUT_PARTS entry) the agreement is silent about, for comparisons

    def to_dict(self) -> UnknownJSON:
        return {"id": self.id, "text": self.text, "section": self.section}


@dataclass(frozen=True)
class Rule:
    """A requirement (``rule``) or a condition to agree on (``condition``), in one section."""

    id: str
    section: str
    explain: str
    expr: n.Expr | None
    source_text: str
    kind: RuleKind = "requirement"
    condition: str | None = None
    interpretations: tuple[str, ...] = ()
    compiled: Compiled | None = field(default=None, compare=False, repr=False)
    span: Span | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> RuleJSON:
        return {"id": self.id, "kind": self.kind, "rule": self.source_text or None, "explain": self.explain,
                "condition": self.condition, "interpretations": list(self.interpretations)}


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    text: str
    rules: tuple[Rule, ...] = ()
    party: Party | None = None
    items: tuple[str, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)  # the section's number in the file

    def to_dict(self) -> SectionJSON:
        return {"number": self.number, "title": self.title, "text": self.text, "party": self.party,
                "items": list(self.items), "rules": [r.to_dict() for r in self.rules]}


@dataclass(frozen=True)
class Example:
    name: str
    facts: dict[str, Any]
    expect: dict[str, Any]
    span: Span | None = field(default=None, compare=False, repr=False)
    description: str = ""


@dataclass(frozen=True)
class Window:
    """A period in which the sources do not say whether a revision was in force (a date stated only roughly,
    "ultimo 2021"): an answer there is decided only where this revision and what applies otherwise agree."""

    start: dt.date
    end: dt.date
    fact: str  # the yes/no fact a question may state to decide it ("was it in force on the course's date?")
    unknown: Unknown  # the file's ``unknowns`` entry that says what the sources do not give
    span: Span | None = field(default=None, compare=False, repr=False)

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass
class Agreement:
    """One region's agreement in one revision, compiled."""

    region: str
    title: str
    effective: dt.date
    until: dt.date | None
    source: dict[str, str]
    sections: list[Section]
    interpretations: dict[str, Interpretation]
    unknowns: list[Unknown]
    examples: list[Example]
    termination: dict[str, Any]
    path: str
    content_hash: str
    preamble: str = ""
    # Why no agreement applies after ``until`` (a gap the file declares, not an omission).
    no_agreement_after: str = ""
    tariff: Tariff | None = None  # what a course costs and who pays (ivrules.model.tariff)
    effective_span: Span | None = field(default=None, compare=False, repr=False)  # where 'effective' is written
    # The section that says who the parties are (``parties: {section: "1"}``); the party check cites it.
    parties: dict[str, str] = field(default_factory=dict)
    in_force_unknown: Window | None = None

    @cached_property  # read by every answer: written out once
    def revision(self) -> str:
        return self.effective.isoformat()

    @property
    def rules(self) -> list[Rule]:
        return [rule for section in self.sections for rule in section.rules]

    def revision_dict(self, period: str) -> RevisionJSON:
        """The revision's identity: when it applies (``period``: its validity, from the book) and its file's hash."""
        return {"revision": self.revision, "title": self.title, "effective": self.revision,
                "until": self.until.isoformat() if self.until else None, "period": period,
                "content_hash": self.content_hash}

    def to_dict(self, period: str) -> AgreementJSON:
        """The revision in full: its sections with their rules, interpretations, unknowns and tariff."""
        return {
            "region": self.region, **self.revision_dict(period), "source": dict(self.source),
            "sections": [s.to_dict() for s in self.sections],
            "interpretations": [i.to_dict() for i in self.interpretations.values()],
            "unknowns": [u.to_dict() for u in self.unknowns],
            "tariff": self.tariff.to_dict() if self.tariff else None,
        }

    def reads(self, *, price: bool = True) -> set[str]:
        """Every fact this revision can read: its rules' facts and (with ``price``) all its price depends on."""
        out: set[str] = set().union(*(rule.compiled.all_reads() for rule in self.rules if rule.compiled is not None))
        return out | (self.tariff.reads if price and self.tariff is not None else set())


def read_agreement(root: Node, vocab: Vocabulary, path: str, text: str, diags: Diagnostics) -> Agreement | None:
    """Build one agreement from its YAML tree; mistakes go to ``diags``."""
    top = fields(root, diags, TOP_REQUIRED, TOP_OPTIONAL)
    if top is None or any(k not in top for k in TOP_REQUIRED):
        return None
    region = check_region(top["region"], vocab.regions, diags)
    effective = _date(top["effective"], diags)
    interpretations = _interpretations(top.get("interpretations"), diags)
    sections = _sections(top["sections"], vocab, interpretations, diags)
    agreement = Agreement(
        region=region, title=text_of(top["title"], diags) or "", effective=effective or dt.date.min,
        until=_date(top["until"], diags) if "until" in top else None,
        source=_strings(top["source"], diags, *SOURCE_KEYS),
        sections=sections, interpretations=interpretations,
        unknowns=_unknowns(top.get("unknowns"), vocab, diags),
        examples=_examples(top.get("examples"), vocab, diags),
        termination=_strings(top["termination"], diags, *TERMINATION_KEYS) if "termination" in top else {},
        path=path, content_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
        preamble=(text_of(top["preamble"], diags) or "").strip() if "preamble" in top else "",
        no_agreement_after=_no_agreement_after(top, diags), effective_span=top["effective"].span,
        parties=_strings(top["parties"], diags, *PARTIES_KEYS) if "parties" in top else {},
    )
    _check_until(agreement, top, diags)
    if "in_force_unknown" in top:
        agreement.in_force_unknown = _window(top["in_force_unknown"], agreement, vocab, diags)
    _check_section_refs(agreement, top, diags)
    if "tariff" in top:
        agreement.tariff = read_tariff(top["tariff"], _tariff_context(agreement, vocab), diags)
        _check_tariff_never_true(agreement, vocab, diags)
    return agreement


def _tariff_context(agreement: Agreement, vocab: Vocabulary) -> ReadContext:
    return ReadContext(vocab, tuple(s.number for s in agreement.sections), {u.id: u.text for u in agreement.unknowns},
                       _expression, lambda node, d: _interpretation_refs(node, agreement.interpretations, d))


def _date(node: Node, diags: Diagnostics) -> dt.date | None:
    if isinstance(node.value, dt.datetime):
        diags.error(f"{node.path} skal være en dato uden klokkeslæt", node.span,
                    hint=f"skriv {node.value.date().isoformat()}")
        return None
    if isinstance(node.value, dt.date):
        return node.value
    if node.value is UNREADABLE:
        return None
    diags.error(f"{node.path} skal være en dato", node.span, expected="ÅÅÅÅ-MM-DD, fx 2020-06-01")
    return None


def _check_until(agreement: Agreement, top: dict[str, Node], diags: Diagnostics) -> None:
    if agreement.until is not None and agreement.effective != dt.date.min and agreement.until < agreement.effective:
        diags.error(f"'until' ({agreement.until}) ligger før 'effective' ({agreement.effective})", top["until"].span,
                    hint="'until' er den sidste dag, aftalen gælder; den kan ikke ligge før første dag")


def _window(node: Node, agreement: Agreement, vocab: Vocabulary, diags: Diagnostics) -> Window | None:
    """``in_force_unknown: {from, to, fact, unknown}`` → the period whose answers depend on whether this revision
    was in force; it must reach the revision's first day, ask a yes/no fact, and name one of the file's unknowns."""
    f = fields(node, diags, *WINDOW_KEYS)
    if not f or any(k not in f for k in WINDOW_KEYS[0]):
        return None
    start, end = _date(f["from"], diags), _date(f["to"], diags)
    fact, ident = text_of(f["fact"], diags) or "", text_of(f["unknown"], diags) or ""
    unknown = next((u for u in agreement.unknowns if u.id == ident), None)
    if unknown is None:
        diags.error(f"'{ident}' står ikke under 'unknowns'", f["unknown"].span,
                    hint=did_you_mean(ident, [u.id for u in agreement.unknowns]))
    found = vocab.facts.get(fact)
    if found is None or found.type != "bool":
        diags.error(f"'{fact}' er ikke et ja/nej-faktum i vocabulary.yaml", f["fact"].span,
                    hint=did_you_mean(fact, [k for k, v in vocab.facts.items() if v.type == "bool"]))
    if start is None or end is None or unknown is None or found is None:
        return None
    if not start <= agreement.effective <= end + dt.timedelta(days=1):
        diags.error(f"perioden {start} – {end} skal nå frem til udgavens første dag {agreement.effective}", node.span,
                    hint="'from' ligger på eller før 'effective', og 'to' tidligst dagen før")
        return None
    return Window(start, end, fact, unknown, node.span)


def _strings(node: Node, diags: Diagnostics, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, str]:
    f = fields(node, diags, required, optional) or {}
    return {k: str(text_of(v, diags) or "") for k, v in f.items() if k in required + optional}


def _list(node: Node | None, diags: Diagnostics) -> list[Node]:
    if node is None or not expect(node, list, diags):
        return []
    return list(node.value)


def _interpretations(node: Node | None, diags: Diagnostics) -> dict[str, Interpretation]:
    out: dict[str, Interpretation] = {}
    for item in _list(node, diags):
        f = fields(item, diags, *INTERPRETATION_KEYS)
        if f and all(k in f for k in ("id", "title", "reading", "rationale")):
            ident = text_of(f["id"], diags) or ""
            if ident in out:
                diags.error(f"fortolkningen '{ident}' er defineret to gange", f["id"].span)
            out[ident] = Interpretation(ident, text_of(f["title"], diags) or "", text_of(f["reading"], diags) or "",
                                        text_of(f["rationale"], diags) or "", item.span)
    return out


def _unknowns(node: Node | None, vocab: Vocabulary, diags: Diagnostics) -> list[Unknown]:
    out = []
    for item in _list(node, diags):
        f = fields(item, diags, *UNKNOWN_KEYS)
        if f and "id" in f and "text" in f:
            section = text_of(f["section"], diags) if "section" in f else None
            about = text_of(f["about"], diags) if "about" in f else None
            if about is not None and about not in vocab.facts and about not in ABOUT_PARTS:
                choices = [*ABOUT_PARTS, *vocab.facts]
                diags.error(f"ukendt faktum '{about}' i 'about'", f["about"].span,
                            expected=f"{', '.join(ABOUT_PARTS)} eller et faktum fra vocabulary.yaml",
                            hint=did_you_mean(about, choices))
            out.append(Unknown(text_of(f["id"], diags) or "", text_of(f["text"], diags) or "", section, about))
    return out


def _no_agreement_after(top: dict[str, Node], diags: Diagnostics) -> str:
    if "no_agreement_after" not in top:
        return ""
    if "until" not in top:
        diags.error("'no_agreement_after' kræver 'until'", top["no_agreement_after"].span,
                    hint="angiv den sidste dag, aftalen gælder, i 'until'")
    return (text_of(top["no_agreement_after"], diags) or "").strip()


def _sections(node: Node, vocab: Vocabulary, interpretations: dict[str, Interpretation],
              diags: Diagnostics) -> list[Section]:
    sections: list[Section] = []
    rule_ids: dict[str, Span | None] = {}
    for item in _list(node, diags):
        section = _section(item, vocab, interpretations, rule_ids, diags)
        if section is not None:
            sections.append(section)
    if node.value == []:
        diags.error("aftalen har ingen afsnit", node.span,
                    hint="skriv aftalens afsnit under 'sections', hvert med number, title og text")
    _check_numbering(sections, node, diags)
    _check_never_true([r for s in sections for r in s.rules], vocab, diags)
    return sections


def _section(node: Node, vocab: Vocabulary, interpretations: dict[str, Interpretation],
             rule_ids: dict[str, Span | None], diags: Diagnostics) -> Section | None:
    f = fields(node, diags, *SECTION_KEYS)
    if not f or not all(k in f for k in ("number", "title", "text")):
        return None
    number = _section_number(f["number"], diags)
    title = text_of(f["title"], diags) or ""
    word = text_of(f["party"], diags) if "party" in f else None
    party = next((p for p in PARTIES if p == word), None)
    if word is not None and party is None:
        diags.error(f"ukendt part '{word}'", f["party"].span, expected=", ".join(PARTIES))
    items = tuple(text_of(i, diags) or "" for i in _list(f.get("items"), diags))
    rules = tuple(r for r in (_rule(i, number, title, vocab, interpretations, rule_ids, diags)
                              for i in _list(f.get("rules"), diags)) if r is not None)
    return Section(number, title, (text_of(f["text"], diags) or "").strip(), rules, party, items, f["number"].span)


def _section_number(node: Node, diags: Diagnostics) -> str:
    """The number as text; a bare number (``1.10`` is the float 1.1) is one error, asking for quotes."""
    if isinstance(node.value, int | float) and not isinstance(node.value, bool):
        written = node.span.source.text[node.span.start:node.span.end].strip()
        diags.error("afsnitsnummeret skal stå i anførselstegn", node.span,
                    hint=f'skriv number: "{written[:20]}" (uden anførselstegn bliver 7.10 til tallet 7.1)')
        return UNREAD_NUMBER
    return text_of(node, diags) or UNREAD_NUMBER


UNREAD_NUMBER = "?"  # a section number whose mistake is reported already


def _rule(node: Node, section: str, title: str, vocab: Vocabulary, interpretations: dict[str, Interpretation],
          rule_ids: dict[str, Span | None], diags: Diagnostics) -> Rule | None:
    f = fields(node, diags, *RULE_KEYS)
    if not f or "id" not in f:
        return None
    ident = text_of(f["id"], diags) or "?"
    context = f"afsnit {section} {title}, regel {ident}"
    if ident in rule_ids:
        first = rule_ids[ident]
        diags.error(f"regel-id '{ident}' bruges to gange", f["id"].span, context=context,
                    hint="giv hver regel sit eget id" + (f"; det første står i linje {first.line}" if first else ""))
    rule_ids[ident] = f["id"].span
    kind: RuleKind = "condition" if "condition" in f else "requirement"
    _require_one_of(node, f, diags, context)
    expr_node = f.get("rule") if kind == "requirement" else f.get("applies")
    expr, compiled, text = _expression(expr_node, vocab, diags, context) if expr_node else (None, None, "")
    refs = _interpretation_refs(f.get("interpretation"), interpretations, diags)
    explain = text_of(f["explain"], diags) if "explain" in f else None
    if kind == "requirement" and not explain:
        diags.error(f"regel '{ident}' mangler 'explain'", node.span, context=context,
                    hint="skriv en kort dansk sætning, der forklarer reglen for en læge")
    condition = text_of(f["condition"], diags) if kind == "condition" else None
    return Rule(ident, section, explain or condition or "", expr, text, kind, condition, refs, compiled, node.span)


def _require_one_of(node: Node, f: dict[str, Node], diags: Diagnostics, context: str) -> None:
    if ("rule" in f) == ("condition" in f):
        diags.error("en regel skal have enten 'rule' (et krav) eller 'condition' (en betingelse)", node.span,
                    context=context)
    if "applies" in f and "rule" in f:
        diags.error("'applies' hører til en betingelse ('condition'), ikke et krav", f["applies"].span,
                    context=context, hint="skriv kravet som 'hvis ... så ...'")


def _expression(node: Node, vocab: Vocabulary, diags: Diagnostics,
                context: str) -> tuple[n.Expr | None, Compiled | None, str]:
    text = text_of(node, diags)
    if text is None or node.text is None:
        return None, None, ""
    try:
        expr = parse_rule(text, node.text)
    except AgreementError as exc:
        diags.extend(replace(d, context=context) for d in exc.diagnostics)
        return None, None, text
    if not Checker(vocab, diags).check(expr, context):
        return expr, None, text
    return expr, compile_rule(expr, vocab), text


def _interpretation_refs(node: Node | None, known: dict[str, Interpretation], diags: Diagnostics) -> tuple[str, ...]:
    if node is None:
        return ()
    items = node.value if isinstance(node.value, list) else [node]
    refs = []
    for item in items:
        ident = text_of(item, diags)
        if ident is not None and ident not in known:
            diags.error(f"ukendt fortolkning '{ident}'", item.span, expected="et id fra 'interpretations'",
                        hint=did_you_mean(ident, known))
        elif ident is not None:
            refs.append(ident)
    return tuple(refs)


def _examples(node: Node | None, vocab: Vocabulary, diags: Diagnostics) -> list[Example]:
    out = []
    for item in _list(node, diags):
        f = fields(item, diags, *EXAMPLE_KEYS)
        if not f or not all(k in f for k in EXAMPLE_KEYS[0]):
            continue
        if expect(f["facts"], dict, diags) and expect(f["expect"], dict, diags):
            _check_example_facts(f["facts"], vocab, diags)
            description = (text_of(f["description"], diags) or "") if "description" in f else ""
            out.append(Example(text_of(f["name"], diags) or "", f["facts"].plain(), f["expect"].plain(), item.span,
                               description))
    return out


def _check_example_facts(node: Node, vocab: Vocabulary, diags: Diagnostics) -> None:
    """An example's facts are written as people write them: by the Danish names, and acceptable to the engine."""
    _check_danish_names(node, vocab, diags)
    readable = {k: v.plain() for k, v in node.items() if v.value is not UNREADABLE}  # the rest are reported
    try:
        vocab.normalise(readable)
    except FactsError as exc:
        key = exc.field if exc.field in node.value else vocab.term(exc.field)  # a merged-in key names the fact
        where = node.value.get(key)
        span = node.key_spans.get(key) if where is None or exc.message.startswith("ukendt faktum") else where.span
        diags.error(f"eksemplets faktum '{key}': {exc.message}", span or node.span,
                    hint=exc.hint or "ret faktummet under eksemplets 'facts', som et spørgsmål til motoren ville "
                                     "skrive det")


def _check_danish_names(node: Node, vocab: Vocabulary, diags: Diagnostics) -> None:
    """A fact or value written by its English name (the API's alias) in an agreement file is a mistake."""
    for key, value in node.value.items() if isinstance(node.value, dict) else ():
        fact, at = vocab.fact(key), node.key_spans.get(key)
        if fact is None or (at is not None and not node.span.start <= at.start < node.span.end):
            continue  # merged in from an anchor (<<: *antibiotika): told where it is written
        if key != fact.term:
            diags.error(f"eksemplets faktum '{key}' skrives med sit danske navn", at or node.span,
                        hint=f"mente du '{fact.term}'?")
        word = value.value if isinstance(value.value, str) else None
        found = fact.value_by_term(word) if word is not None and fact.values else None
        if found is not None and found.term != word:
            diags.error(f"værdien '{word}' for '{fact.term}' skrives med sit danske navn", value.span,
                        hint=f"mente du '{found.term}'?")


SECTION_NUMBER = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3})*")  # ASCII digits only: "9²".isdigit() is True


def _check_numbering(sections: list[Section], node: Node, diags: Diagnostics) -> None:
    """Top-level sections run 1, 2, 3 …; subsections 7.1, 7.2 … follow their parent. One error per mistake."""
    expected_top, seen = 1, set()
    for section in sections:
        where = section.span or node.span
        if not SECTION_NUMBER.fullmatch(section.number):
            if section.number != UNREAD_NUMBER:
                diags.error(f"afsnitsnummeret '{section.number[:20]}' skal være tal, fx '3' eller '7.1'", where,
                            hint="brug cifrene 0-9 og punktum, højst 999 i hvert led")
            if "." not in section.number:  # taken as the next number: no follow-on "afsnit N mangler"
                expected_top += 1
            continue
        parts = section.number.split(".")
        if section.number in seen:
            diags.error(f"afsnit {section.number} står to gange", where,
                        hint="giv hvert afsnit sit eget nummer, eller flet de to afsnit sammen")
        seen.add(section.number)
        if len(parts) == 1:
            if int(parts[0]) > expected_top:
                last = int(parts[0]) - 1
                missing = str(expected_top) if last == expected_top else f"{expected_top}-{last}"
                diags.error(f"afsnit {missing} mangler (før afsnit {section.number} {section.title})", where,
                            hint="aftalens afsnit skal stå i rækkefølge uden huller; er nummeret en tastefejl?")
            expected_top = max(expected_top, int(parts[0]) + 1)
        elif ".".join(parts[:-1]) not in seen:
            diags.error(f"afsnit {section.number} står uden sit overafsnit {'.'.join(parts[:-1])}", where)


def _check_never_true(rules: list[Rule], vocab: Vocabulary, diags: Diagnostics) -> None:
    checks = [(f"reglen '{r.id}'", r.expr, r.compiled, f"afsnit {r.section}, regel {r.id}") for r in rules]
    _never_true(checks, vocab, diags)


NeverTrueCheck = tuple[str, n.Expr | None, Compiled | None, str]  # what, the expression, compiled, the context


def _never_true(checks: list[NeverTrueCheck], vocab: Vocabulary, diags: Diagnostics) -> None:
    """Each expression must hold for some case of the boundary grid of the constants they all mention."""
    constants = constants_by_fact([expr for _, expr, _, _ in checks if expr is not None], vocab)
    for what, expr, compiled, context in checks:
        if compiled is None or expr is None:
            continue
        cases = grid(facts_of([expr], vocab), constants, vocab)
        if cases is not None and not any(compiled.fn(case) for case in cases):
            diags.error(f"{what} kan aldrig være opfyldt", expr.span, context=context,
                        hint="to betingelser udelukker hinanden; tjek grænserne og 'og'/'eller'")


def _check_tariff_never_true(agreement: Agreement, vocab: Vocabulary, diags: Diagnostics) -> None:
    """A schedule whose ``applies`` can never hold never prices anything (the rules' constants give the grid)."""
    if agreement.tariff is None:
        return
    checks: list[NeverTrueCheck] = [(f"takstens 'applies' i '{s.id}'", s.applies_expr, s.applies, f"tarif {s.id}")
                                    for s in agreement.tariff.schedules]
    checks += [("", r.expr, None, "") for r in agreement.rules]  # their constants only: rules are checked above
    _never_true(checks, vocab, diags)


def _check_section_refs(agreement: Agreement, top: dict[str, Node], diags: Diagnostics) -> None:
    numbers = [s.number for s in agreement.sections]
    refs = [(u.section, "unknowns") for u in agreement.unknowns]
    refs.append((agreement.termination.get("section"), "termination"))
    refs.append((agreement.parties.get("section"), "parties"))
    for ref, key in refs:
        if ref and ref not in numbers:
            diags.error(f"henvisning til afsnit {ref}, som ikke findes", top[key].span,
                        expected=", ".join(numbers), hint=did_you_mean(ref, numbers))
