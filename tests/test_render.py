"""The readable agreements: pages rendered from the agreement files, checked against reviewed golden files.

Re-record the golden files after a reviewed change with ``IVRULES_UPDATE_GOLDEN=1 pytest tests/test_render.py``
and read the diff in git before committing it.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
from pathlib import Path

import jinja2
import markdown
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import ivrules
from ivrules.lang.printer import to_danish
from ivrules.site import build, render, sources
from tests.conftest import AGREEMENTS, examples

GOLDEN = Path(__file__).parent / "golden"
REVISION = "midtjylland/2020-06-01"
EXTENSIONS = ["attr_list", "admonition", "pymdownx.details", "tables", "toc"]  # as in site/mkdocs.yml


def isolated(tmp: Path, *parts: str) -> Path:
    """tmp/agreements: the vocabulary, the municipalities and the given regions or files, and nothing else."""
    root = tmp / "agreements"
    root.mkdir()
    for name in ("vocabulary.yaml", "municipalities.yaml", "regions.yaml", "kilder.yaml", "kilder", *parts):
        if (AGREEMENTS / name).is_dir():
            shutil.copytree(AGREEMENTS / name, root / name)
        else:
            (root / name).parent.mkdir(exist_ok=True)
            shutil.copy(AGREEMENTS / name, root / name)
    # The accession register's lines for these regions, so the examples are answered as on the real site.
    regions = {Path(part).parts[0] for part in parts}
    register = yaml.safe_load((AGREEMENTS / "accession.yaml").read_text(encoding="utf-8"))
    lines = [line for line in register["accessions"] if line["region"] in regions]
    (root / "accession.yaml").write_text(yaml.safe_dump({"accessions": lines}, allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def midtjylland(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return isolated(tmp_path_factory.mktemp("agreements"), "midtjylland")


@pytest.fixture()
def one_revision(tmp_path: Path) -> Path:
    """Only the 2020 revision: tests of the region page and the menu do not change when revisions are added."""
    return isolated(tmp_path, f"{REVISION}.yaml")


@pytest.fixture(scope="module")
def site(midtjylland: Path) -> render.Site:
    rendered = build.render_site(midtjylland)
    assert not rendered.diagnostics, "\n".join(d.render() for d in rendered.diagnostics)
    return rendered


@pytest.fixture(scope="module")
def book(midtjylland: Path) -> ivrules.Book:
    return ivrules.load(midtjylland)


def shown(md: str) -> str:
    """The text a reader sees when Markdown is rendered, whitespace collapsed."""
    out = markdown.markdown(md, extensions=EXTENSIONS)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", out)).split())


# --- golden files ----------------------------------------------------------------


@pytest.mark.parametrize(("path", "golden"), [
    (f"{REVISION}/index.md", "midtjylland-2020-06-01.md"),
    (f"{REVISION}/eksempler/index.md", "midtjylland-2020-06-01-eksempler.md"),
])
def test_page_matches_reviewed_golden_file(site: render.Site, path: str, golden: str) -> None:
    content = site.page(path).content
    assert isinstance(content, str)
    target = GOLDEN / golden
    if os.environ.get("IVRULES_UPDATE_GOLDEN") == "1":
        target.write_text(content, encoding="utf-8")
    assert target.exists(), f"{target} mangler: kør med IVRULES_UPDATE_GOLDEN=1 og gennemse filen"
    assert content == target.read_text(encoding="utf-8"), (
        f"{path} afviger fra {target}; gennemse ændringen og optag igen med IVRULES_UPDATE_GOLDEN=1")


# --- what every agreement page must show ------------------------------------------


def test_pages_live_at_the_addresses_others_link_to(site: render.Site) -> None:
    paths = {page.path for page in site.pages}
    assert {"index.md", "midtjylland/index.md", f"{REVISION}/index.md", f"{REVISION}/eksempler/index.md"} <= paths
    assert all(path.endswith("/index.md") or path == "index.md" for path in paths if path.endswith(".md"))


def test_every_section_has_its_anchor_in_order(site: render.Site, book: ivrules.Book) -> None:
    agreement = book.agreements("midtjylland")[0]
    page = str(site.page(f"{REVISION}/index.md").content)
    positions = [page.index("{#" + render.section_anchor(s.number) + "}") for s in agreement.sections]
    assert positions == sorted(positions)
    assert "{#afsnit-7-1}" in page


def test_rules_are_generated_sentences_beside_their_explanation(site: render.Site, book: ivrules.Book) -> None:
    agreement = book.agreements("midtjylland")[0]
    page = shown(str(site.page(f"{REVISION}/index.md").content))
    for rule in agreement.rules:
        assert rule.expr is not None
        assert " ".join(to_danish(rule.expr, book.vocabulary).split()) in page
        assert " ".join(rule.explain.split()) in page


def test_interpretations_and_unknowns_are_marked(site: render.Site, book: ivrules.Book) -> None:
    agreement = book.agreements("midtjylland")[0]
    page = str(site.page(f"{REVISION}/index.md").content)
    cited_by_key = sources.read_sources(book.root)

    def cited(text: str) -> str:  # a source the text cites by key is named and linked instead
        return sources.cite(text, cited_by_key, lambda source: sources.address(source, "../../"))
    for interpretation in agreement.interpretations.values():
        assert f'!!! warning "Fortolkning: {cited(render.markdown_inline(interpretation.title))}"' in page
    for unknown in agreement.unknowns:
        assert f"!!! question \"Det afgør aftalen ikke\"\n    {cited(render.markdown_text(unknown.text))}" in page
    assert "003 punkt" not in page and "(W04)" not in page


def test_responsibilities_form_one_table(site: render.Site) -> None:
    page = str(site.page(f"{REVISION}/index.md").content)
    table = page[page.index("| Part | Ansvar | Afsnit |"):]
    rows = table[:table.index("\n\n")].splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == ["| Regionen", "| Kommunen", "| Almen praksis"]
    assert rows[0].endswith("[7.1](#afsnit-7-1) |")


def test_tariff_table_in_danish_money_and_the_split(site: render.Site) -> None:
    page = str(site.page(f"{REVISION}/index.md").content)
    section = page[page.index("{#afsnit-8-2}"):page.index("{#afsnit-9}")]
    assert "| Standardforløb med op til 3 behandlinger pr. dag | dag 1–6 | 2.999,00 kr. for forløbet |" in section
    assert "333,00 kr. pr. dag" in section
    assert "regionen betaler 70 % og kommunen 30 %" in section
    assert "regionen 2.099,30 kr. og kommunen 899,70 kr." in section


def test_validity_and_source_are_shown(site: render.Site, book: ivrules.Book) -> None:
    page = str(site.page(f"{REVISION}/index.md").content)
    later = [a for a in book.agreements("midtjylland") if a.revision > REVISION[-10:]]
    end = later[0].effective - dt.timedelta(days=1) if later else None
    until = f"til og med {render.danish.date(end)}" if end else "og indtil videre"
    assert f"**Gælder:** fra 1. juni 2020 {until}" in page
    assert "**Aftalefil:** `agreements/midtjylland/2020-06-01.yaml`" in page
    assert "**Kildedokument:** Samarbejdsaftale for IV-behandling i nærområdet" in page


def test_region_page_lists_revisions_with_their_periods(one_revision: Path) -> None:
    root = one_revision
    text = (root / "midtjylland/2020-06-01.yaml").read_text(encoding="utf-8")
    later = text.replace("effective: 2020-06-01", "effective: 2022-01-01").replace("date: 2020-", "date: 2022-")
    (root / "midtjylland/2022-01-01.yaml").write_text(later, encoding="utf-8")
    site = build.render_site(root)
    page = str(site.page("midtjylland/index.md").content)
    assert "| [1. juni 2020](2020-06-01/index.md) | fra 1. juni 2020 til og med 31. december 2021 |" in page
    assert "| [1. januar 2022](2022-01-01/index.md) | fra 1. januar 2022 og indtil videre |" in page


def test_examples_show_the_engines_answers(site: render.Site, book: ivrules.Book) -> None:
    agreement = book.agreements("midtjylland")[0]
    page = str(site.page(f"{REVISION}/eksempler/index.md").content)
    assert page.count("\n## ") == len(agreement.examples)
    samsø = page[page.index("## Samsø er en ø"):]
    samsø = samsø[:samsø.index("\n## ")]
    assert "**Svar:** Nej – forløbet er ikke omfattet af aftalen." in samsø
    assert "[10](../index.md#afsnit-10) | ikke opfyldt |" in samsø
    assert "**Pris:** 2.999,00 kr., heraf regionen 2.099,30 kr. og kommunen 899,70 kr." in page


# --- the menu and adding pages -----------------------------------------------------


def test_nav_follows_the_generators_and_a_new_generator_adds_a_page(one_revision: Path) -> None:
    def changes(ctx: render.Context) -> list[render.Page]:
        return [render.Page("midtjylland/aendringer/index.md", "# Ændringer\n", ("Region Midtjylland", "Ændringer"))]

    site = build.render_site(one_revision, pages=(*build.PAGES, changes))
    kept = sources.kept(sources.read_sources(one_revision))
    assert site.nav()[-1] == {"Kilder": [{"Oversigt": "kilder/index.md"},
                                         *({s.heading: f"kilder/{s.key}/index.md"} for s in kept)]}
    assert site.nav()[:-1] == [
        {"Forside": "index.md"},
        {"Region Midtjylland": [
            {"Udgaver": "midtjylland/index.md"},
            {"Udgave 1. juni 2020": [{"Aftalen": f"{REVISION}/index.md"},
                                     {"Eksempler": f"{REVISION}/eksempler/index.md"}]},
            {"Ændringer": "midtjylland/aendringer/index.md"},
        ]},
        {"Sammenligning": "sammenligning/index.md"},
    ]


def test_comparison_page_links_each_cell_to_its_section(one_revision: Path) -> None:
    page = str(build.render_site(one_revision).page("sammenligning/index.md").content)
    assert page.startswith("---\nhide:\n  - toc\n---\n# Regionernes aftaler den 1. juni 2020")
    row = next(line for line in page.splitlines() if line.startswith("| **Aldersgrænse**"))
    assert "Alder (fyldte år) er over 3 år.<br>([afsnit 3](../midtjylland/2020-06-01/index.md#afsnit-3))" in row


# --- failing loudly ----------------------------------------------------------------


def test_a_template_naming_a_missing_value_is_an_error(book: ivrules.Book) -> None:
    ctx = render.Context(book, render.environment())
    with pytest.raises(jinja2.UndefinedError):
        ctx.render("region.md.j2", name="Region Midtjylland")  # no revisions given
    with pytest.raises(jinja2.UndefinedError):
        render.environment().from_string("{{ agreement.no_such_field }}").render(agreement=object())


def test_a_broken_agreement_gives_its_located_error_at_every_page_address(one_revision: Path) -> None:
    root = one_revision
    path = root / "midtjylland/2020-06-01.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("rule: alder > 3 år", "rule: alder > 3 åå"),
                    encoding="utf-8")
    site = build.render_site(root)
    assert site.diagnostics
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "3 åå" in text)
    for address in ("index.md", "midtjylland/index.md", f"{REVISION}/index.md", f"{REVISION}/eksempler/index.md"):
        page = str(site.page(address).content)
        assert page.startswith("# Fejl i aftalerne")
        assert f"midtjylland/2020-06-01.yaml:{line}:" in page
        assert "^" in page
    assert site.nav() == [{"Fejl i aftalerne": "index.md"}]


# --- Markdown escaping --------------------------------------------------------------

TEXT = st.lists(st.sampled_from([*"abcæøå 123.-#>*_`[](){}|!=+:\\<&;\n\t", "  ", "\n\n", "1. ", "- ", "    "]),
                max_size=30).map("".join)


@settings(max_examples=examples(300), deadline=None)
@given(TEXT)
def test_agreement_wording_is_shown_exactly_as_written(text: str) -> None:
    assert shown(render.markdown_text(text)) == " ".join(text.split())


def test_anchor_of_a_subsection() -> None:
    assert render.section_anchor("7.1") == "afsnit-7-1"
    assert render.section_anchor("10") == "afsnit-10"


# --- the MkDocs site ----------------------------------------------------------------


def test_site_is_danish_searchable_offline_and_watches_the_agreements() -> None:
    from mkdocs.config import load_config

    config = load_config(str(build.SITE_CONFIG))
    assert config.theme["language"] == "da"
    assert config.theme["font"] is False
    assert config.plugins["material/search"].config.lang == ["da"]
    assert "material/offline" in config.plugins
    agreements = (build.SITE_CONFIG.parent / config.extra["agreements"]).resolve()
    assert agreements == AGREEMENTS.resolve()
    assert str(agreements) in {str(Path(w).resolve()) for w in config.watch}


def test_strict_build_fails_on_a_broken_agreement_and_plain_build_shows_the_error(
        one_revision: Path, tmp_path: Path) -> None:
    path = one_revision / f"{REVISION}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("rule: alder > 3 år", "rule: alder > 3 åå"),
                    encoding="utf-8")
    with pytest.raises(build.SiteError):
        build.build_site(tmp_path / "strict", agreements=one_revision, strict=True)
    build.build_site(tmp_path / "serve", agreements=one_revision)
    page = (tmp_path / "serve" / REVISION / "index.html").read_text(encoding="utf-8")
    assert "Fejl i aftalerne" in page
    assert "2020-06-01.yaml:" in page
    assert "efter et tal forventes en enhed" in page


def test_every_tariff_amount_is_shown_in_danish_money_or_marked_unknown() -> None:
    book = ivrules.load(AGREEMENTS)
    site = build.render_site(AGREEMENTS)
    tariffs = [a for region in book.regions for a in book.agreements(region) if a.tariff is not None]
    assert tariffs
    for agreement in tariffs:
        assert agreement.tariff is not None
        page = str(site.page(render.revision_path(agreement)).content)
        for schedule in agreement.tariff.schedules:
            start = f"| {render.markdown_inline(schedule.title)} |"
            rows = [line for line in page.splitlines() if line.startswith(start)]
            assert rows, f"{agreement.path}: no row for {schedule.id}"
            for amount in render.tariff_amounts(schedule):
                if amount.value is None:
                    assert any("*ukendt*" in row for row in rows)
                    assert f"- {render.markdown_inline(str(amount.unknown))}" in page
                else:
                    assert any(render.danish.kroner(amount.value) in row for row in rows)


def test_a_mistake_in_the_sources_file_is_located_and_gives_the_error_pages(one_revision: Path) -> None:
    (one_revision / "kilder.yaml").write_text("kilder:\n  W04:\n    title: Regionens side\n    urll: x\n",
                                             encoding="utf-8")
    site = build.render_site(one_revision)
    messages = [d.render() for d in site.diagnostics]
    assert any("ukendt nøgle 'urll'" in m and "mente du 'url'?" in m and "kilder.yaml:4:5" in m for m in messages)
    assert str(site.page(f"{REVISION}/index.md").content).startswith("# Fejl i aftalerne")
