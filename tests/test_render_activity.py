"""The site's "Aktivitet og udgifter" page: settlement results in settlements/<region>/<name>/ shown per region."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ivrules
from ivrules import danish
from ivrules.money.register import settle_file
from ivrules.money.settle import Settlement
from ivrules.money.settled import ENV, locate, read_run, read_settlements
from ivrules.site import build, render
from ivrules.site.activity import plot_names
from tests.conftest import AGREEMENTS
from tests.test_settle import ROWS, _write  # a register with good rows and every kind of rejected row

PAGE = "midtjylland/aktivitet/index.md"


@pytest.fixture(autouse=True)
def _no_settlements_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)


@pytest.fixture(scope="module")
def agreements(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One revision of two regions (no change pages: each render stays fast); no settlements folder beside them.

    The register is settled against all the agreements; the site only reads the files settle wrote.
    """
    root = tmp_path_factory.mktemp("aftaler") / "agreements"
    for name in ("vocabulary.yaml", "municipalities.yaml", "regions.yaml", "midtjylland/2021-05-01.yaml",
                 "nordjylland/2022-01-01.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(AGREEMENTS / name, root / name)
    return root


@pytest.fixture(scope="module")
def settled(book: ivrules.Book, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settlement, Path]:
    """A tiny register settled into <tmp>/settlements/midtjylland/2021 by the library, as `ivrules settle` does."""
    tmp = tmp_path_factory.mktemp("afregning")
    root = tmp / "settlements"
    return settle_file(book, _write(tmp / "forløb.csv", ROWS), "midtjylland", root / "midtjylland" / "2021"), root


@pytest.fixture(scope="module")
def site(agreements: Path, settled: tuple[Settlement, Path]) -> render.Site:
    return build.render_site(agreements, settlements=settled[1])


def _copy(settled: tuple[Settlement, Path], tmp_path: Path) -> Path:
    root = tmp_path / "settlements"
    shutil.copytree(settled[1], root)
    return root


def test_page_shows_the_period_the_activity_and_the_invoice_totals(site: render.Site) -> None:
    page = str(site.page(PAGE).content)
    assert page.startswith("# Aktivitet og udgifter: Region Midtjylland\n")
    assert "## Afregning 2021\n\n**Periode:** fra 3. kvartal 2020 til og med 2. kvartal 2021\n" in page
    assert "| 3. kvartal 2020 | Pumpe og væske med 1 behandling pr. dag | 1 | 1.000,00 kr. |" in page
    assert "| 2. kvartal 2021 | Standardforløb med op til 3 behandlinger pr. dag | 2 | 28.998,00 kr. |" in page
    assert "| **I alt** | | **4** | **31.997,00 kr.** |" in page
    assert "| 2. kvartal 2021 | 2 | 3 | 30.997,00 kr. | 21.697,90 kr. | 9.299,10 kr. |" in page
    assert "| **I alt** | **3** | **4** | **31.997,00 kr.** | **22.397,90 kr.** | **9.599,10 kr.** |" in page
    assert "Rækker læst: 11\n" in page and "Afvist: 7 rækker" in page
    assert not site.warnings


def test_tables_add_up_to_what_the_settlement_computed(site: render.Site, settled: tuple[Settlement, Path]) -> None:
    result = settled[0]
    total, region, kommune = result.totals()
    page = str(site.page(PAGE).content)
    invoices_row = next(line for line in page.splitlines() if line.startswith("| **I alt** | **"))
    assert invoices_row.endswith(" | ".join(f"**{danish.kroner(x)}**" for x in (total, region, kommune)) + " |")
    for (quarter, kind), (courses, expense) in result.activity().items():
        assert f"| {danish.quarter(quarter)} | {kind} | {courses} | {danish.kroner(expense)} |" in page


def test_the_plot_is_copied_beside_the_page(site: render.Site, settled: tuple[Settlement, Path]) -> None:
    svg = settled[1] / "midtjylland" / "2021" / "activity.svg"
    assert site.page("midtjylland/aktivitet/2021.svg").content == svg.read_bytes()
    assert "![Antal forløb og samlet udgift pr. kvartal, afregning 2021](2021.svg)" in str(site.page(PAGE).content)


def test_region_page_links_to_the_activity_only_where_there_is_some(site: render.Site) -> None:
    assert "[Aktivitet og udgifter](aktivitet/index.md)" in str(site.page("midtjylland/index.md").content)
    assert "aktivitet" not in str(site.page("nordjylland/index.md").content)
    assert not any(page.path.startswith("nordjylland/aktivitet/") for page in site.pages)
    midt = next(item["Region Midtjylland"] for item in site.nav() if "Region Midtjylland" in item)
    assert midt[-1] == {"Aktivitet og udgifter": PAGE}


def test_no_settlements_means_no_page_and_no_warning(agreements: Path, tmp_path: Path) -> None:
    site = build.render_site(agreements)  # the default folder, beside the agreements, does not exist
    assert not [page.path for page in site.pages if "/aktivitet/" in page.path]
    assert "aktivitet" not in str(site.page("midtjylland/index.md").content)
    assert not site.warnings
    (tmp_path / "midtjylland" / "tom").mkdir(parents=True)  # a folder with no settlement in it
    assert read_settlements(tmp_path, True, ["midtjylland"]).runs == {}


def test_only_what_the_run_wrote_is_shown(agreements: Path, settled: tuple[Settlement, Path], tmp_path: Path) -> None:
    root = _copy(settled, tmp_path)
    for name in ("invoices.csv", "activity.csv", "summary.txt"):
        (root / "midtjylland" / "2021" / name).unlink()
    site = build.render_site(agreements, settlements=root)
    page = str(site.page(PAGE).content)
    assert "](2021.svg)" in page
    assert "Periode" not in page and "### " not in page
    assert not site.warnings


def test_an_unreadable_file_is_a_located_warning_and_the_rest_is_shown(
        agreements: Path, settled: tuple[Settlement, Path], tmp_path: Path) -> None:
    root = _copy(settled, tmp_path)
    activity = root / "midtjylland" / "2021" / "activity.csv"
    activity.write_text(activity.read_text(encoding="utf-8").replace("1999.00", "19x9"), encoding="utf-8")
    (root / "midtjyland").mkdir()
    site = build.render_site(agreements, settlements=root)
    assert site.warnings == ["settlements/midtjyland: ukendt region 'midtjyland'; mente du 'midtjylland'?",
                             "settlements/midtjylland/2021/activity.csv:3: '19x9' er ikke et beløb i kroner "
                             "(fx 2999.00)"]
    page = str(site.page(PAGE).content)
    assert '!!! warning "Kunne ikke læses"\n    settlements/midtjylland/2021/activity.csv:3:' in page
    assert "### Fakturaer" in page and "### Forløb og udgift" not in page


def test_invoices_and_activity_from_different_runs_are_flagged(
        settled: tuple[Settlement, Path], tmp_path: Path) -> None:
    root = _copy(settled, tmp_path)
    invoices = root / "midtjylland" / "2021" / "invoices.csv"
    invoices.write_text(invoices.read_text(encoding="utf-8").replace("1000.00", "1001.00", 1), encoding="utf-8")
    run = read_run(root / "midtjylland" / "2021", "midtjylland")
    assert run is not None
    assert run.problems == ["settlements/midtjylland/2021: fakturaerne (31.998,00 kr.) og aktiviteten (31.997,00 kr.) "
                            "har ikke samme beløb i alt; er filerne fra samme afregning?"]


def test_the_folder_is_the_argument_then_the_environment_then_beside_the_agreements(
        monkeypatch: pytest.MonkeyPatch) -> None:
    agreements = Path("/data/agreements")
    assert locate(agreements) == (Path("/data/settlements"), False)
    monkeypatch.setenv(ENV, "/srv/afregninger")
    assert locate(agreements) == (Path("/srv/afregninger"), True)
    assert locate(agreements, "/tmp/x") == (Path("/tmp/x"), True)


def test_a_named_folder_that_is_missing_is_a_warning_and_the_default_is_not(tmp_path: Path) -> None:
    missing = tmp_path / "findes-ikke"
    assert read_settlements(missing, True, ["midtjylland"]).warnings == [
        f"{missing}: mappen med afregninger findes ikke"]
    assert read_settlements(missing, False, ["midtjylland"]).warnings == []


def test_plot_names_are_safe_in_a_url_and_unique() -> None:
    assert plot_names(["2022 Q1", "2022-Q1", "æøå", "2021"]) == ["2022-Q1.svg", "2022-Q1-2.svg", "afregning.svg",
                                                                  "2021.svg"]


def test_the_summary_is_shown_as_written_even_with_backticks() -> None:
    assert render.fenced("a\n```\nb\n") == "````text\na\n```\nb\n````"


def test_strict_site_build_with_settlements(agreements: Path, settled: tuple[Settlement, Path], tmp_path: Path) -> None:
    build.build_site(tmp_path / "site", agreements=agreements, settlements=settled[1], strict=True)
    page = (tmp_path / "site" / "midtjylland" / "aktivitet" / "index.html").read_text(encoding="utf-8")
    assert 'src="2021.svg"' in page and "21.697,90 kr." in page
    assert (tmp_path / "site" / "midtjylland" / "aktivitet" / "2021.svg").read_bytes().startswith(b"<?xml")
