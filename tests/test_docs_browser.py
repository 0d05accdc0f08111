"""/docs in Debian's headless Chromium with the network off: Swagger UI from the package's own files, in Danish,
with no WCAG 2.1 A/AA violation (axe-core); and the favicon. ``scripts/setup --browser`` installs Chromium,
its driver and axe-core (npm, pinned); every request for a host other than 127.0.0.1 goes to a dead proxy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

import ivrules
from ivrules.cli.serve import banner
from ivrules.web.app import create_app
from tests.axe import violations
from tests.browsers import CHROMEDRIVER, CHROMIUM, chromium, served

pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                                reason="Debian's chromium and chromium-driver are not installed")

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# No network but this machine: a proxy nobody listens on for every other host, and no name lookups.
OFFLINE = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
           "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
FLAGS = ("--window-size=1280,1400", *OFFLINE)


@pytest.fixture(scope="module")
def service(book: ivrules.Book) -> Iterator[tuple[str, FastAPI]]:
    app = create_app(book)
    with served(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), *FLAGS) as driver:
        yield driver


def open_docs(browser: WebDriver, base: str) -> None:
    browser.get(base + "/docs")
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))


def test_the_network_is_really_off(browser: WebDriver) -> None:
    browser.set_page_load_timeout(15)
    for url in ("http://example.org/", "https://1.1.1.1/"):  # a name, and an address needing no lookup
        with pytest.raises(WebDriverException, match="net::ERR_"):
            browser.get(url)


def test_docs_shows_every_operation_offline(browser: WebDriver, service: tuple[str, FastAPI]) -> None:
    base, _ = service
    open_docs(browser, base)
    paths = {e.text.replace("\u200b", "") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/v1/eligibility", "/v1/tariff", "/v1/agreements"} <= paths
    assert "Regionernes aftaler om IV-behandling" in browser.find_element(By.CSS_SELECTOR, ".info").text
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(url.startswith(base) for url in resources), resources


def test_docs_has_no_wcag_violation(browser: WebDriver, service: tuple[str, FastAPI]) -> None:
    base, _ = service
    open_docs(browser, base)
    assert violations(browser) == []
    browser.find_element(By.CSS_SELECTOR, ".opblock-summary").click()  # an operation opened, as a reader would
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-body"))
    assert violations(browser) == []


def test_docs_screenshot(browser: WebDriver, service: tuple[str, FastAPI], tmp_path: object) -> None:
    base, _ = service
    open_docs(browser, base)
    shot = f"{tmp_path}/docs.png"
    assert browser.save_screenshot(shot) and os.path.getsize(shot) > 10_000
    if os.environ.get("IVRULES_SCREENSHOT_DOCS"):
        shutil.copy(shot, os.environ["IVRULES_SCREENSHOT_DOCS"])


def test_favicon_and_banner(service: tuple[str, FastAPI]) -> None:
    base, app = service
    icon = httpx.get(base + "/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    served = {line.split()[0] for line in banner(app, base).splitlines()[1:]}
    expected = {"/", "/aftaler/", "/docs", "/docs/filer/", "/openapi.json", "/cds-services", "/favicon.ico", "/static/",
                *app.openapi()["paths"]}
    assert {base + path for path in expected} <= served
