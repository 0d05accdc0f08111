"""The doctors' page in Debian's headless Chromium: fill in a Midtjylland course and read the answer.

The service runs on 127.0.0.1 in a thread; the browser is driven by selenium through Debian's
chromedriver. Skipped where Chromium is not installed (``scripts/setup --browser`` installs it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import ivrules
from ivrules.web.app import create_app
from tests import axe
from tests.browsers import CHROMEDRIVER, CHROMIUM, chromium, served

pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                                reason="Debian's chromium and chromium-driver are not installed")

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

FLAGS = ("--lang=en-US", "--window-size=1280,1400")


@pytest.fixture(scope="module")
def base_url(book: ivrules.Book) -> Iterator[str]:
    with served(create_app(book)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), *FLAGS) as driver:
        yield driver


def wait(browser: WebDriver, condition: object, seconds: float = 10) -> None:
    # The answer is redrawn after every change, so an element found a moment ago may be gone.
    WebDriverWait(browser, seconds, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: condition(d))  # type: ignore[operator]


def question(browser: WebDriver, name: str) -> object:
    return browser.find_element(By.CSS_SELECTOR, f'.question[data-fact="{name}"]')


def shown(browser: WebDriver, name: str) -> bool:
    return bool(question(browser, name).is_displayed())  # type: ignore[attr-defined]


def choose(browser: WebDriver, name: str, value: str) -> None:
    wait(browser, lambda d: shown(d, name))
    Select(browser.find_element(By.ID, f"f-{name}")).select_by_value(value)


def type_in(browser: WebDriver, name: str, text: str) -> None:
    wait(browser, lambda d: shown(d, name))
    field = browser.find_element(By.ID, f"f-{name}")
    field.clear()
    field.send_keys(text, Keys.TAB)  # leaving the field fires its change event, as for a person


def verdict(browser: WebDriver) -> str:
    found = browser.find_elements(By.ID, "verdict")
    return str(found[0].text) if found else ""


def wait_verdict(browser: WebDriver, start: str) -> None:
    wait(browser, lambda d: verdict(d).startswith(start))


def answer_an_aarhus_antibiotics_course(browser: WebDriver) -> None:
    """Answer the rest of a Midtjylland antibiotics course in Aarhus (region, date and treatment chosen) until
    the page says yes; on the way it asks whether Aarhus entered the agreement (the sources do not say, 001 §10)."""
    choose(browser, "municipality", "Aarhus")
    type_in(browser, "age_years", "45")
    for name in ("started_in_hospital", "medically_stable", "home_suitable"):
        choose(browser, name, "true")
    choose(browser, "system", "codan_mix_add")
    choose(browser, "access", "PVK")
    type_in(browser, "doses_given_in_hospital", "2")
    type_in(browser, "dose_times", "07:00, 15:00, 23:00")
    wait_verdict(browser, "Uafklaret")
    wait(browser, lambda d: shown(d, "municipality_joined"))
    browser.find_element(By.ID, "f-municipality_joined-true").click()
    wait_verdict(browser, "Ja")


def test_a_midtjylland_course_gets_its_answer(browser: WebDriver, base_url: str) -> None:
    browser.get(base_url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Kan IV-behandlingen")
    Select(browser.find_element(By.ID, "region")).select_by_value("midtjylland")
    type_in(browser, "date", "09012020")  # en-US date field: month, day, year
    wait_verdict(browser, "Uafklaret")
    assert not shown(browser, "doses_per_day")  # asked through the dose times instead

    choose(browser, "treatment", "isotonic_fluids")
    wait(browser, lambda d: not shown(d, "system"))  # fluids need no closed system: not asked
    choose(browser, "treatment", "antibiotics")
    wait(browser, lambda d: shown(d, "system"))

    answer_an_aarhus_antibiotics_course(browser)

    reasons = browser.find_elements(By.CSS_SELECTOR, ".reasons li")
    assert reasons and all(r.get_attribute("class") == "passed" for r in reasons)
    link = browser.find_element(By.CSS_SELECTOR, '.reasons li[data-rule="alder"] a')
    assert link.get_attribute("href") == f"{base_url}/aftaler/midtjylland/2020-06-01/#afsnit-3"
    assert "indholds-hash" in browser.find_element(By.CLASS_NAME, "trace").text


def test_a_failed_requirement_and_a_missing_answer_are_shown(browser: WebDriver, base_url: str) -> None:
    type_in(browser, "age_years", "2")
    wait_verdict(browser, "Nej")
    failed = browser.find_element(By.CSS_SELECTOR, ".reasons li.failed")
    assert failed.get_attribute("data-rule") == "alder" and "afsnit 3" in failed.text

    type_in(browser, "age_years", "45")
    choose(browser, "medically_stable", "")
    wait_verdict(browser, "Uafklaret")
    assert "Stabilt behandlingsforløb" in browser.find_element(By.CLASS_NAME, "missing").text


def test_a_bad_answer_is_shown_at_its_question(browser: WebDriver, base_url: str) -> None:
    choose(browser, "medically_stable", "true")
    type_in(browser, "dose_times", "07:00, 25:00")
    error = question(browser, "dose_times").find_element(By.CLASS_NAME, "error")  # type: ignore[attr-defined]
    wait(browser, lambda d: "klokkeslæt" in error.text)
    field = browser.find_element(By.ID, "f-dose_times")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == error.get_attribute("id")  # type: ignore[attr-defined]
    type_in(browser, "dose_times", "07:00, 15:00, 23:00")
    wait(browser, lambda d: d.find_element(By.ID, "f-dose_times").get_attribute("aria-invalid") is None)


def test_screenshot(browser: WebDriver, base_url: str, tmp_path: Path) -> None:
    """Not an assertion of looks: the page renders to a non-empty image without network access."""
    type_in(browser, "dose_times", "07:00, 15:00, 23:00")
    wait_verdict(browser, "Ja")
    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("IVRULES_SCREENSHOT"):
        shutil.copy(shot, os.environ["IVRULES_SCREENSHOT"])


def test_every_state_of_the_page_has_no_wcag_violation(browser: WebDriver, base_url: str) -> None:
    """axe-core (WCAG 2.1 A and AA) on the page as it is, then after each step a doctor takes."""
    def checked(state: str) -> None:
        assert axe.violations(browser) == [], state

    browser.get(base_url + "/")
    checked("tom side")
    Select(browser.find_element(By.ID, "region")).select_by_value("midtjylland")
    wait(browser, lambda d: shown(d, "date"))
    checked("region valgt")
    type_in(browser, "date", "09012020")
    wait_verdict(browser, "Uafklaret")
    checked("uafklaret med manglende oplysninger")
    for name, value in (("treatment", "antibiotics"), ("municipality", "Aarhus"), ("started_in_hospital", "true"),
                        ("medically_stable", "true"), ("home_suitable", "true"), ("system", "codan_mix_add"),
                        ("access", "PVK")):
        choose(browser, name, value)
    type_in(browser, "age_years", "45")
    type_in(browser, "doses_given_in_hospital", "2")
    type_in(browser, "dose_times", "07:00, 15:00, 23:00")
    wait_verdict(browser, "Uafklaret")
    wait(browser, lambda d: shown(d, "municipality_joined"))
    checked("spørgsmålet om tiltrædelse")
    browser.find_element(By.ID, "f-municipality_joined-true").click()
    wait_verdict(browser, "Ja")
    checked("ja")
    type_in(browser, "dose_times", "07:00, 25:00")
    wait(browser, lambda d: d.find_element(By.ID, "f-dose_times").get_attribute("aria-invalid") == "true")
    checked("forkert værdi")
    type_in(browser, "dose_times", "07:00, 15:00, 23:00")
    type_in(browser, "age_years", "2")
    wait_verdict(browser, "Nej")
    checked("nej")
    browser.find_element(By.ID, "show-all").click()
    checked("alle spørgsmål vist")
