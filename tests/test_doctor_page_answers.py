"""The doctors' page finishes the job, in Chromium: answers while typing, accession, price, printing, no agreement.

Reuses the service and browser of ``test_doctor_page_browser``. Each test loads the page afresh.
Screenshots of each kind of answer go to a temporary folder (and to $IVRULES_SCREENSHOTS, if set).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import ivrules
from ivrules import danish
from tests import axe
from tests import test_doctor_page_browser as shared
from tests.conftest import ANTIBIOTICS_COURSE
from tests.test_doctor_page_browser import (
    choose,
    question,
    shown,
    type_in,
    verdict,
    wait,
    wait_verdict,
)

pypdf = pytest.importorskip("pypdf")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

# The same service and browser fixtures, one of each for this module.
pytestmark = shared.pytestmark  # skipped where Chromium is not installed
base_url = shared.base_url
browser = shared.browser
YES, NO, UNDECIDED = "Ja – forløbet kan overdrages", "Nej – forløbet er ikke omfattet", "Uafklaret – der mangler"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("doctor-page-shots")


def snap(browser: WebDriver, folder: Path, name: str, *texts: str) -> None:
    """A screenshot of the page showing ``texts``; checked for the texts, not for looks."""
    page = browser.find_element(By.TAG_NAME, "body").text
    assert all(text in page for text in texts), (texts, page)
    shot = folder / f"{name}.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("IVRULES_SCREENSHOTS"):
        shutil.copy(shot, Path(os.environ["IVRULES_SCREENSHOTS"]) / shot.name)


def start(browser: WebDriver, base_url: str, region: str, date: str) -> None:
    """A fresh page with the region chosen and the date typed (en-US date field: MMDDYYYY)."""
    browser.get(base_url + "/")
    Select(browser.find_element(By.ID, "region")).select_by_value(region)
    type_in(browser, "date", date)


def midtjylland_yes(browser: WebDriver, base_url: str) -> None:
    start(browser, base_url, "midtjylland", "09012020")
    choose(browser, "treatment", "antibiotics")
    shared.answer_an_aarhus_antibiotics_course(browser)


def text_of(browser: WebDriver, element_id: str) -> str:
    found = browser.find_elements(By.ID, element_id)
    return str(found[0].text) if found else ""


def keys_without_leaving(browser: WebDriver, name: str, text: str) -> Any:
    """Replace a field's text key by key, staying in the field: only input events, no change event."""
    field = browser.find_element(By.ID, f"f-{name}")
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text)
    return field


WATCH_GAPS = """
window.gaps = 0; window.verdicts = [];
new MutationObserver(() => {
  const v = document.getElementById("verdict");
  if (!v) window.gaps += 1; else if (window.verdicts.at(-1) !== v.textContent) window.verdicts.push(v.textContent);
}).observe(document.getElementById("answer"), { childList: true, subtree: true, characterData: true });
"""


def test_the_answer_follows_typing_without_leaving_the_field_and_without_flicker(
        browser: WebDriver, base_url: str, shots: Path) -> None:
    midtjylland_yes(browser, base_url)
    snap(browser, shots, "ja", YES)
    browser.execute_script(WATCH_GAPS)
    field = keys_without_leaving(browser, "age_years", "2")
    wait_verdict(browser, "Nej")
    assert browser.switch_to.active_element == field  # no blur, no change event: the input event did it
    snap(browser, shots, "nej", NO, "✗")
    keys_without_leaving(browser, "age_years", "45")
    wait_verdict(browser, "Ja")
    assert browser.execute_script("return window.gaps") == 0  # the old answer stayed until the new one came
    assert [v.split(" ")[0] for v in browser.execute_script("return window.verdicts")] == ["Nej", "Ja"]


DELAY_FIRST = """
window.delayed = "armed"; const plain = window.fetch;
window.fetch = async (url, options) => {
  const response = await plain(url, options);
  if (url === "/page/answer" && window.delayed === "armed") {
    window.delayed = "waiting"; await new Promise((done) => setTimeout(done, 1200)); window.delayed = "arrived";
  }
  return response;
};
"""


def test_an_answer_that_arrives_after_a_newer_one_is_dropped(browser: WebDriver, base_url: str) -> None:
    midtjylland_yes(browser, base_url)
    browser.execute_script(DELAY_FIRST)
    keys_without_leaving(browser, "age_years", "2")  # answered "Nej", but held back for 1.2 s
    wait(browser, lambda d: d.execute_script("return window.delayed") == "waiting")
    keys_without_leaving(browser, "age_years", "45")
    wait(browser, lambda d: d.execute_script("return window.delayed") == "arrived")
    time.sleep(0.2)
    assert verdict(browser).startswith("Ja")


def test_a_missing_fact_is_named_and_the_screenshot_shows_it(browser: WebDriver, base_url: str, shots: Path) -> None:
    start(browser, base_url, "midtjylland", "09012020")
    wait_verdict(browser, "Uafklaret")
    snap(browser, shots, "uafklaret", UNDECIDED, "Mangler", "Behandling")


def test_the_page_asks_whether_the_municipality_has_joined(browser: WebDriver, base_url: str, shots: Path) -> None:
    start(browser, base_url, "syddanmark", "03012025")  # the 2025 revision asks what 2018's did not
    choose(browser, "municipality", "Odense")
    choose(browser, "treatment", "antibiotics")
    choose(browser, "started_in_hospital", "true")
    wait(browser, lambda d: "Svaret afhænger af, om Odense har tilsluttet sig aftalen af 1. oktober 2021"
         in text_of(d, "accession"))
    assert verdict(browser).startswith("Uafklaret")
    wait(browser, lambda d: shown(d, "municipality_joined"))
    legend = question(browser, "municipality_joined").find_element(By.TAG_NAME, "legend")  # type: ignore[attr-defined]
    assert legend.text == "Har Odense tilsluttet sig aftalen af 1. oktober 2021?"
    snap(browser, shots, "tilslutning", UNDECIDED, "Har Odense tilsluttet sig", "Ved ikke")

    browser.find_element(By.ID, "f-municipality_joined-false").click()
    wait(browser, lambda d: text_of(d, "accession").startswith(
        "Odense har ikke tilsluttet sig aftalen af 1. oktober 2021; aftalen af 1. januar 2018 gælder."))
    wait_verdict(browser, "Ja")
    trace = browser.find_element(By.CSS_SELECTOR, ".eligibility .trace").text  # the revision, under the verdict
    assert "aftalen for Region Syddanmark af 1. januar 2018" in trace
    choose(browser, "municipality", "Aabenraa")  # the register still does not list it: still asked
    wait(browser, lambda d: "Aabenraa har ikke tilsluttet sig" in text_of(d, "accession"))

    browser.find_element(By.ID, "f-municipality_joined-ved-ikke").click()  # "Ved ikke" sends nothing
    wait(browser, lambda d: text_of(d, "accession").startswith("Svaret afhænger af"))


def test_start_and_end_dates_give_the_price_of_v1_tariff(
        browser: WebDriver, base_url: str, book: ivrules.Book, shots: Path) -> None:
    midtjylland_yes(browser, base_url)
    type_in(browser, "start_date", "09012020")
    type_in(browser, "end_date", "09102020")
    wait(browser, lambda d: "kan ikke beregnes" in text_of(d, "price"))
    type_in(browser, "days_without_dose", "0")  # asked only now: the price needs them
    type_in(browser, "antibiotics_count", "1")
    facts = {**ANTIBIOTICS_COURSE, "start_date": "2020-09-01", "end_date": "2020-09-10",
             "days_without_dose": 0, "antibiotics_count": 1}
    quote = book.tariff("midtjylland", facts)
    assert quote.status == "computed" and quote.total is not None
    total = f"{danish.number(quote.total, 2)} kr."
    wait(browser, lambda d: total in text_of(d, "price"))
    price = text_of(browser, "price")
    for amount in (quote.region_share, quote.municipality_share, *(line.amount for line in quote.lines)):
        assert f"{danish.number(amount, 2)} kr." in price  # type: ignore[arg-type]
    assert all(line.text in price for line in quote.lines) and "Regionen betaler" in price
    assert verdict(browser).startswith("Ja")  # the eligibility answer stays beside the price
    snap(browser, shots, "pris", YES, "Pris i alt", total)
    assert axe.violations(browser) == []  # WCAG 2.1 A and AA with the price shown too


def test_gem_svaret_prints_one_page_with_the_verdict_and_the_reasons(
        browser: WebDriver, base_url: str, shots: Path) -> None:
    midtjylland_yes(browser, base_url)
    browser.execute_script("window.printed = false; window.print = () => { window.printed = true; };")
    browser.find_element(By.ID, "save").click()
    assert browser.execute_script("return window.printed") is True
    pdf = browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})
    data = base64.b64decode(pdf["data"])
    if os.environ.get("IVRULES_SCREENSHOTS"):
        (Path(os.environ["IVRULES_SCREENSHOTS"]) / "gem-svaret.pdf").write_bytes(data)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    snap(browser, shots, "gem-svaret", "Svar om IV-behandling", YES)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert len(reader.pages) == 1, text
    assert "Ja – forløbet kan overdrages til kommunen." in text
    for reason in browser.find_elements(By.CSS_SELECTOR, ".reasons li .text"):
        assert " ".join(reason.text.split()) in text
    assert "afsnit 3" in text and "indholds-hash" in text and "1. juni 2020" in text
    assert f"Udskrevet {danish.date(dt.date.today())}" in text and "Aarhus" in text
    assert "Kan IV-behandlingen" not in text  # the form is not printed, only the summary


def test_a_date_without_an_agreement_says_so_in_danish(browser: WebDriver, base_url: str) -> None:
    start(browser, base_url, "sjaelland", "03012020")
    wait(browser, lambda d: text_of(d, "no-agreement").startswith(
        "Der gælder ingen aftale for Region Sjælland den 1. marts 2020. "
        "Aftalen gælder fra 6. januar 2021 til 31. december 2021."))
    assert not browser.find_elements(By.ID, "verdict")


def test_a_bad_value_is_marked_invalid_and_points_to_its_message(browser: WebDriver, base_url: str) -> None:
    midtjylland_yes(browser, base_url)
    type_in(browser, "dose_times", "07:00, 25:00")
    field = browser.find_element(By.ID, "f-dose_times")
    wait(browser, lambda d: field.get_attribute("aria-invalid") == "true")
    message = browser.find_element(By.ID, str(field.get_attribute("aria-describedby")))
    assert "klokkeslæt" in message.text
    type_in(browser, "dose_times", "07:00, 15:00, 23:00")
    wait_verdict(browser, "Ja")
    assert field.get_attribute("aria-invalid") is None and field.get_attribute("aria-describedby") is None
