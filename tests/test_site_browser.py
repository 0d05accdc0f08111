"""The built site in a real headless browser: Debian's Chromium, driven by Selenium through chromedriver.

The site is built with ``mkdocs build --strict`` semantics from the project's agreements and served on
127.0.0.1 only. Search runs in JavaScript (a web worker with the Danish lunr index), so only a browser
can show that it works. ``scripts/setup --browser`` installs Chromium and its driver from Debian.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from ivrules.site import build
from tests import axe
from tests.browsers import CHROMEDRIVER, CHROMIUM, chromium
from tests.conftest import AGREEMENTS

REVISION = "midtjylland/2020-06-01/"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("site")
    build.build_site(out, agreements=AGREEMENTS, strict=True)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    assert not missing, f"{', '.join(missing)} mangler: kør scripts/setup --browser"
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def visible_text(driver: WebDriver) -> str:
    return " ".join(driver.find_element(By.TAG_NAME, "article").text.split()).lower()


def test_midtjylland_page_shows_the_rule_and_the_tariff_table(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + REVISION)
    assert "de to første doser gives i hospitalsregi" in visible_text(browser)
    tables = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "article table")]
    tariff = next(t for t in tables if t.startswith("Takstskema"))
    assert re.search(r"Standardforløb.*dag 1–6 2\.999,00 kr\. for forløbet", tariff)
    assert "1.000,00 kr. pr. dag" in tariff


def test_a_rule_shows_its_sentence_and_folds_its_code_away(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + REVISION)
    text = visible_text(browser)
    assert "regel: alder (fyldte år) er over 3 år." in text and "alder > 3 år" not in text
    toggle = browser.find_element(By.CSS_SELECTOR, "article .admonition.note details")
    toggle.find_element(By.TAG_NAME, "summary").click()
    WebDriverWait(browser, 5).until(lambda driver: "alder > 3 år" in visible_text(driver))


def test_the_source_text_is_a_page_of_the_site(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + REVISION)
    browser.find_element(By.LINK_TEXT, "Aftaleteksten fra Region Midtjylland").click()
    WebDriverWait(browser, 5).until(lambda driver: "/kilder/001/" in driver.current_url)
    assert "samarbejdsaftale for iv-behandling" in visible_text(browser)


def test_section_anchor_lands_on_the_section(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + REVISION + "#afsnit-7-1")
    heading = browser.find_element(By.ID, "afsnit-7-1")
    assert heading.text.startswith("7.1 Regionen")


def test_search_finds_elastomerisk(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + "?q=elastomerisk")
    wait = WebDriverWait(browser, 20)
    items = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
    assert any("Region Midtjylland" in item.text for item in items)
    links = [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, ".md-search-result a")]
    assert any(REVISION in link for link in links)
    assert "resultat" in browser.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text  # Danish UI


def test_nothing_is_loaded_from_the_internet(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + REVISION)
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources, "the page loaded no scripts or styles at all"
    assert all(url.startswith(base_url) for url in resources), resources


# One page of each kind the site has, and the search with its results open.
PAGE_KINDS = {
    "forside": "", "region": "midtjylland/", "udgave": REVISION, "eksempler": REVISION + "eksempler/",
    "ændringer": "midtjylland/2021-05-01/aendringer/", "sammenligning": "sammenligning/",
    "sammenligning på en dato": "sammenligning/2021-05-01/", "søgning": "?q=elastomerisk",
}


@pytest.mark.parametrize("page", PAGE_KINDS.values(), ids=PAGE_KINDS.keys())
def test_every_page_kind_has_no_wcag_violation(browser: WebDriver, base_url: str, page: str) -> None:
    browser.get(base_url + page)
    if "?q=" in page:
        WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item"))
    assert axe.violations(browser) == []


def test_links_in_running_text_are_underlined(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + REVISION + "eksempler/")
    links = browser.find_elements(By.CSS_SELECTOR, "article p a:not(.headerlink), article li a, article td a")
    assert links
    for link in links:
        assert "underline" in link.value_of_css_property("text-decoration-line"), link.text


def test_screenshots_of_an_agreement_page_and_its_changes_show_their_danish_text(
        browser: WebDriver, base_url: str, tmp_path: Path) -> None:
    """What a secretariat sees: the revision's page and its Ændringer page, saved as images (copied to
    ``$IVRULES_SCREENSHOTS`` when set) and read for the texts a reader looks for."""
    browser.set_window_size(1280, 1600)
    pages = {"aftale": (REVISION, ["aftalen af 1. juni 2020", "fra 1. juni 2020 til og med 30. april 2021"]),
             "aendringer": ("midtjylland/2021-05-01/aendringer/", ["1. maj 2021"])}
    for name, (page, texts) in pages.items():
        browser.get(base_url + page)
        shot = tmp_path / f"{name}.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000, name
        text = visible_text(browser)
        assert all(t in text for t in texts), (name, [t for t in texts if t not in text])
        target = os.environ.get("IVRULES_SCREENSHOTS")
        if target:
            shutil.copy(shot, Path(target) / shot.name)
