"""Loaded agreements → the readable agreements: Danish Markdown pages for the MkDocs site.

The page generators here (home, regions, agreements, examples, comparison) each
take a ``Context`` and yield ``Page``s; ``ivrules.site.build`` lists every
generator of the site in one place and runs them. The templates live in
``ivrules/site/templates`` and use ``StrictUndefined``: a value a template
names but does not get is an error, never an empty string.

Addresses other parts rely on: ``<region>/`` (the region's revisions),
``<region>/<revision>/`` (the agreement), ``<region>/<revision>/eksempler/``
and, on an agreement page, ``#afsnit-7-1`` for section 7.1; ``kilder/<key>/`` is the text of a
source the agreement files quote (``ivrules.site.sources``). Settlement results
(``ivrules.money.settled``: ``settlements/<region>/<name>/``) give ``<region>/aktivitet/``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.engine.quote import Quote
from ivrules.engine.runtime import EligibilityJSON
from ivrules.errors import Diagnostic, FactsError, IvrulesError
from ivrules.lang.printer import to_danish
from ivrules.lang.vocabulary import Fact
from ivrules.model.agreement import Agreement, Example, Interpretation, Rule, Section, Unknown
from ivrules.model.tariff import COUNT_DAYS, Amount, Schedule, Tariff
from ivrules.site.compare import compare
from ivrules.site.sources import FOLDER, Source, address, cite, kept, source_of

if TYPE_CHECKING:  # settlement runs are handed in by the site build; the CDS cards never load money
    from ivrules.money.settled import Run

EXAMPLES = "eksempler"


@dataclass(frozen=True)
class Page:
    """One generated file under the site's docs folder; ``nav`` is its place in the menu (empty: none)."""

    path: str
    content: str | bytes
    nav: tuple[str, ...] = ()


@dataclass(frozen=True)
class Site:
    """Every generated page, or the error pages and the diagnostics that caused them."""

    pages: list[Page]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # in Danish: what was shown incompletely, and why

    def page(self, path: str) -> Page:
        """The page generated at ``path`` (KeyError when there is none)."""
        for page in self.pages:
            if page.path == path:
                return page
        raise KeyError(path)

    def nav(self) -> list[Any]:
        """The menu in MkDocs' ``nav`` form, in the order the generators produced the pages."""
        tree: dict[str, Any] = {}
        for page in self.pages:
            if page.nav:
                node = tree
                for title in page.nav[:-1]:
                    node = node.setdefault(title, {})
                node[page.nav[-1]] = page.path
        return _nav_list(tree)


def _nav_list(tree: dict[str, Any]) -> list[Any]:
    return [{title: item if isinstance(item, str) else _nav_list(item)} for title, item in tree.items()]


@dataclass
class Context:
    """What a page generator gets: the loaded agreements, the templates and each region's settlement runs."""

    book: Book
    env: jinja2.Environment
    settlements: dict[str, list[Run]] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)  # what the files cite by a key ("W06")

    @property
    def labels(self) -> Any:
        """The Danish words for ids in the data (``labels.md.j2``)."""
        return self.env.get_template("labels.md.j2").module

    def render(self, template: str, root: str | None = None, **values: Any) -> str:
        """Render one template; a missing value raises ``jinja2.UndefinedError``.

        ``root`` leads from the page up to the site ("../../"): the ``md`` filters then link each source
        a text cites to its address; without it they write the source's name only."""
        return tidy(self.env.get_template(template).render(labels=self.labels, sources=self.sources, root=root,
                                                           **values))

    def region_name(self, region: str) -> str:
        """The region's Danish name (``regions.yaml``)."""
        return self.book.vocabulary.regions[region]


PageGenerator = Callable[[Context], Iterable[Page]]


def environment() -> jinja2.Environment:
    """The templates, strict: an undefined name or attribute raises instead of rendering empty."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ivrules.site", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is Markdown; ``md`` escapes agreement text for it
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        # Markdown attribute lists ({#afsnit-7-1}) would otherwise open Jinja comments.
        comment_start_string="{##", comment_end_string="##}",
    )
    env.filters.update(md=_cited(markdown_text), md_inline=_cited(markdown_inline), dato=_date, kroner=danish.kroner,
                       tal=danish.number, kvartal=danish.quarter, anchor=section_anchor, fenced=fenced)
    return env


def _cited(escape: Callable[[str], str]) -> Callable[..., str]:
    """A Markdown filter that also names the sources the text cites by key, linked when the page has a ``root``."""
    @jinja2.pass_context
    def markdown(context: jinja2.runtime.Context, text: str) -> str:
        sources, root = context.get("sources") or {}, context.get("root")
        return cite(escape(text), sources, None if root is None else lambda source: address(source, root))
    return markdown


def _date(value: dt.date | str) -> str:
    """A date (or an ISO date string, as revisions are named) in Danish: '1. juni 2020'."""
    return danish.date(value if isinstance(value, dt.date) else dt.date.fromisoformat(value))


# --- Markdown helpers ------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|])")
# What opens a block at the start of a line: headings, quotes, lists, rules, admonitions, setext underlines.
_MD_LINE_START = re.compile(r"^(?:([#>+\-!])|(\d+)\.(?=\s|$)|(=))", re.MULTILINE)


def markdown_text(text: str) -> str:
    """Agreement wording → Markdown that shows exactly that wording (no accidental emphasis, lists or code).

    Lines are soft-wrapped prose: their indentation would make code blocks, so it goes.
    """
    lines = "\n".join(line.strip() for line in text.splitlines())
    return _MD_LINE_START.sub(_escape_line_start, markdown_inline(lines))


def markdown_inline(text: str) -> str:
    """Wording inside a line (a table cell, a title): emphasis, code, links, attributes, pipes and HTML escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;"))


def _escape_line_start(match: re.Match[str]) -> str:
    mark, digits, _ = match.groups()
    if mark:
        return "\\" + mark
    return f"{digits}\\." if digits else "&#61;"


def fenced(text: str) -> str:
    """Plain text shown as written, in a fenced block whose fence no line of the text can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def tidy(markdown: str) -> str:
    """At most one blank line in a row and one newline at the end: templates stay readable, output stable."""
    return re.sub(r"\n{3,}", "\n\n", markdown).strip("\n") + "\n"


def section_anchor(number: str) -> str:
    """Section '7.1' → 'afsnit-7-1', the anchor the doctors' page links reasons to."""
    return "afsnit-" + number.replace(".", "-")


def revision_path(agreement: Agreement, *parts: str) -> str:
    """The docs path of an agreement's page (or a page under it): 'midtjylland/2020-06-01/index.md'."""
    return "/".join([agreement.region, agreement.revision, *parts, "index.md"])


# --- Pages -----------------------------------------------------------------------


def home_page(ctx: Context) -> Iterator[Page]:
    regions = [(region, ctx.region_name(region), ctx.book.agreements(region)) for region in ctx.book.regions]
    yield Page("index.md", ctx.render("home.md.j2", root="", regions=regions), ("Forside",))


def region_pages(ctx: Context) -> Iterator[Page]:
    for region in ctx.book.regions:
        name = ctx.region_name(region)
        revisions = [(a, ctx.book.validity(a)) for a in ctx.book.agreements(region)]
        yield Page(f"{region}/index.md", ctx.render("region.md.j2", root="../", name=name, revisions=revisions,
                                                    activity=region in ctx.settlements), (name, "Udgaver"))


def agreement_pages(ctx: Context) -> Iterator[Page]:
    for region in ctx.book.regions:
        for agreement in ctx.book.agreements(region):
            yield Page(revision_path(agreement), render_agreement(ctx, agreement),
                       (ctx.region_name(region), revision_title(agreement), "Aftalen"))


def example_pages(ctx: Context) -> Iterator[Page]:
    for region in ctx.book.regions:
        for agreement in ctx.book.agreements(region):
            if agreement.examples:
                yield Page(revision_path(agreement, EXAMPLES), render_examples(ctx, agreement),
                           (ctx.region_name(region), revision_title(agreement), "Eksempler"))


def comparison_pages(ctx: Context) -> Iterator[Page]:
    """The regions side by side (``ivrules.site.compare``) on the newest revision's day and each earlier change."""
    dates = sorted({a.effective for region in ctx.book.regions for a in ctx.book.agreements(region)}, reverse=True)
    for i, on in enumerate(dates):
        path = "sammenligning/index.md" if i == 0 else f"sammenligning/{on.isoformat()}/index.md"
        up = "../" if i == 0 else "../../"
        content = ctx.render("compare.md.j2", root=up, comparison=compare(ctx.book, on), dates=dates, up=up,
                             sections_of=_sections_of(ctx.book), names=ctx.book.vocabulary.regions)
        yield Page(path, content, ("Sammenligning",) if i == 0 else ())


def _sections_of(book: Book) -> Callable[[str, str, list[str]], list[str]]:
    """(region, revision, rule ids) → the sections stating those rules, once each, for links from the comparison."""
    found = {(a.region, a.revision): {r.id: r.section for r in a.rules}
             for region in book.regions for a in book.agreements(region)}

    def sections(region: str, revision: str, rules: list[str]) -> list[str]:
        return list(dict.fromkeys(found[region, revision][rule] for rule in rules))
    return sections


def source_pages(ctx: Context) -> Iterator[Page]:
    """The source texts the agreement files quote, each as a page of its own, and a page listing every source."""
    if not ctx.sources:
        return
    yield Page(f"{FOLDER}/index.md", ctx.render("sources.md.j2", root="../", cited=sorted(ctx.sources.values(),
                                                key=lambda s: s.key)), ("Kilder", "Oversigt"))
    for source in kept(ctx.sources):
        yield Page(f"{FOLDER}/{source.key}/index.md", ctx.render("source.md.j2", root="../../", source=source),
                   ("Kilder", source.heading))


def _kept_source(ctx: Context, agreement: Agreement) -> Source | None:
    """The source whose text the agreement file names (``source.file``), when the site ships it."""
    file = agreement.source.get("file")
    return source_of(file, ctx.sources) if file else None


def revision_title(agreement: Agreement) -> str:
    return f"Udgave {danish.date(agreement.effective)}"


# --- The agreement page --------------------------------------------------------------


@dataclass(frozen=True)
class RuleView:
    """A rule as the page shows it: the generated Danish sentence beside the encoders' explanation."""

    rule: Rule
    sentence: str | None
    interpretations: list[Interpretation]


@dataclass(frozen=True)
class TariffView:
    """The tariff as the page shows it, with a worked split of one course price between the payers."""

    tariff: Tariff
    applies: dict[str, str]  # schedule id → when it applies, as a Danish sentence
    when: dict[str, str]  # billing rule id → when it applies, as a Danish sentence
    interpretations: list[Interpretation]
    unknown_amounts: list[str]
    split_example: tuple[Decimal, Decimal, Decimal] | None  # (price, region's share, municipality's share)


@dataclass(frozen=True)
class SectionView:
    section: Section
    level: int
    rules: list[RuleView]
    unknowns: list[Unknown]
    responsibilities: list[Section]  # shown as one table before this section
    tariff: TariffView | None = None


def render_agreement(ctx: Context, agreement: Agreement) -> str:
    """One revision's page, reading like the agreement: its sections in order, rules under each."""
    sections = section_views(ctx, agreement)
    used = {i.id for view in sections for r in view.rules for i in r.interpretations}
    used |= {i.id for view in sections if view.tariff for i in view.tariff.interpretations}
    return ctx.render(
        "agreement.md.j2", root="../../", agreement=agreement, source=_kept_source(ctx, agreement),
        web_source=next((s for s in ctx.sources.values() if s.url and s.url == agreement.source.get("url")), None),
        region_name=ctx.region_name(agreement.region),
        validity=ctx.book.validity(agreement), sections=sections, file=_file_name(agreement, ctx.book),
        other_interpretations=[i for k, i in agreement.interpretations.items() if k not in used],
        loose_unknowns=[u for u in agreement.unknowns if u.section is None],
        labels_of=_fact_labels(ctx), count_days=COUNT_DAYS[agreement.tariff.count_days] if agreement.tariff else "",
    )


def section_views(ctx: Context, agreement: Agreement) -> list[SectionView]:
    parties = [s for s in agreement.sections if s.party]
    first_party = parties[0].number if parties else None
    views = []
    for section in agreement.sections:
        rules = [rule_view(ctx, agreement, rule) for rule in section.rules]
        unknowns = [u for u in agreement.unknowns if u.section == section.number]
        tariff = agreement.tariff if agreement.tariff and agreement.tariff.section == section.number else None
        views.append(SectionView(section, section.number.count(".") + 2, rules, unknowns,
                                 parties if section.number == first_party else [],
                                 tariff_view(ctx, agreement, tariff) if tariff else None))
    return views


def tariff_view(ctx: Context, agreement: Agreement, tariff: Tariff) -> TariffView:
    vocab = ctx.book.vocabulary
    ids = dict.fromkeys([*tariff.interpretations, *(i for s in tariff.schedules for i in s.interpretations),
                         *(i for r in tariff.rules for i in r.interpretations)])
    amounts = [amount for schedule in tariff.schedules for amount in tariff_amounts(schedule)]
    unknown = list(dict.fromkeys(a.unknown for a in amounts if a.unknown))
    courses = [b.amount.value for s in tariff.schedules for b in s.bands if not b.per_day and b.amount.value]
    courses += [c.amount.value for s in tariff.schedules for c in s.categories if c.amount.value and not c.financing]
    price = max(courses, default=None)
    return TariffView(
        tariff, {s.id: to_danish(s.applies_expr, vocab) for s in tariff.schedules if s.applies_expr is not None},
        {r.id: to_danish(r.when_expr, vocab) for r in tariff.rules if r.when_expr is not None},
        [agreement.interpretations[i] for i in ids], unknown,
        (price, *tariff.financing.split(price)) if price is not None else None)


def tariff_amounts(schedule: Schedule) -> list[Amount]:
    """Every amount a schedule states (or marks unknown): bands, categories, the rate per minute."""
    amounts = [b.amount for b in schedule.bands] + [c.amount for c in schedule.categories]
    return amounts + [a for a in (schedule.per_minute, schedule.unknown) if a is not None]


def rule_view(ctx: Context, agreement: Agreement, rule: Rule) -> RuleView:
    sentence = to_danish(rule.expr, ctx.book.vocabulary) if rule.expr is not None else None
    return RuleView(rule, sentence, [agreement.interpretations[i] for i in rule.interpretations])


def _file_name(agreement: Agreement, book: Book) -> str:
    """The agreement file as the secretariat finds it: 'agreements/midtjylland/2020-06-01.yaml'."""
    path = Path(agreement.path).resolve()
    if book.root is not None:
        root = book.root.resolve()
        return f"{root.name}/{path.relative_to(root).as_posix()}"
    return path.name


# --- The examples page ---------------------------------------------------------------


@dataclass(frozen=True)
class ExampleView:
    """An example case and what the engine answers for it now: eligibility, price, or both."""

    example: Example
    facts: list[tuple[str, str]]
    answer: EligibilityJSON | None = None
    error: str | None = None
    quote: Quote | None = None
    quote_error: str | None = None


def render_examples(ctx: Context, agreement: Agreement) -> str:
    """The agreement's example cases, each run through ``Book.eligibility`` (and ``Book.tariff`` if priced)."""
    views = [example_view(ctx, agreement, example) for example in agreement.examples]
    return ctx.render("examples.md.j2", root="../../../", agreement=agreement,
                      region_name=ctx.region_name(agreement.region), examples=views, labels_of=_fact_labels(ctx),
                      flags={a.revision: flag_texts(a) for a in ctx.book.agreements(agreement.region)})


def example_view(ctx: Context, agreement: Agreement, example: Example) -> ExampleView:
    order = {name: i for i, name in enumerate(ctx.book.vocabulary.facts)}
    vocab = ctx.book.vocabulary
    facts = vocab.json_names(example.facts)  # written in Danish; labelled by the declared facts
    given = sorted(facts.items(), key=lambda item: order.get(item[0], len(order)))
    view = ExampleView(example, [(vocab.label(name), fact_value(ctx, name, value)) for name, value in given])
    if "tariff" in example.expect:
        try:
            view = replace(view, quote=ctx.book.tariff(agreement.region, example.facts))
        except IvrulesError as exc:
            view = replace(view, quote_error=error_text(ctx, exc))
    if set(example.expect) == {"tariff"}:
        return view  # a pricing example: its eligibility is not what it is about
    try:
        return replace(view, answer=ctx.book.eligibility(agreement.region, example.facts).to_dict())
    except IvrulesError as exc:
        return replace(view, error=error_text(ctx, exc))


def error_text(ctx: Context, exc: IvrulesError) -> str:
    """The engine's refusal for a reader: a fact named by its Danish label, not by its key."""
    if isinstance(exc, FactsError):
        return f"{ctx.book.vocabulary.label(exc.field)}: {exc.message}"
    return str(exc)


def flag_texts(agreement: Agreement) -> dict[str, str]:
    """What each tariff flag of a revision means, in the agreement file's own words."""
    tariff = agreement.tariff
    if tariff is None:
        return {}
    texts = {rule.flag: rule.text for rule in tariff.rules if rule.flag}
    if tariff.beyond is not None:
        texts[tariff.beyond.flag] = tariff.beyond.text
    return texts


def _date_or_text(value: dt.date | str) -> str:
    """A date in Danish; text that is not an ISO date (a mistake an example shows) stays as written."""
    try:
        return _date(value)
    except ValueError:
        return str(value)


def _fact_labels(ctx: Context) -> dict[str, str]:
    return {name: fact.label for name, fact in ctx.book.vocabulary.facts.items()}


def fact_value(ctx: Context, name: str, value: Any) -> str:
    """A fact's value as a reader writes it: labels for codes, Danish dates and numbers with units."""
    fact: Fact | None = ctx.book.vocabulary.fact(name)
    words = ctx.labels
    if value is None:
        return str(words.unset)
    if fact is None:
        return str(value)
    if fact.type == "bool":
        return str(words.yes if value else words.no)
    if fact.type == "enum":
        known = fact.value_by_term(str(value))
        return known.label if known else str(value)
    if fact.type == "date" and isinstance(value, dt.date | str):
        return _date_or_text(value)
    if fact.type == "times" and isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(str(v) for v in value)
    if fact.type == "number" and not isinstance(value, bool):
        return f"{danish.number(Decimal(str(value)))} {fact.unit or ''}".strip()
    return str(value)


