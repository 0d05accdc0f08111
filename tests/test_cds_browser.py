"""A browser-based CDS client in Debian's headless Chromium calls the service across origins.

The full app (``create_app``) runs on one port with its settings read from ``IVRULES_CDS_CONFIG``
(a trusted issuer with keys made here); a tiny EHR page on another port signs nothing itself: it
gets a JWT made by the test and POSTs an order-sign call with ``fetch``, so the browser sends a
CORS preflight first. The card's Markdown detail is then rendered as Markdown renderers do
(python-markdown, as MkDocs uses) and its links must point at the agreement site.
Skipped where Chromium is not installed (``scripts/setup --browser`` installs it).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import jwt
import markdown
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

import ivrules
from ivrules.web.app import create_app
from tests import test_doctor_page_browser as doctor_page
from tests.browsers import free_port, served
from tests.cds_support import ORDER_SIGN, order_sign

# The doctors' page tests' headless Chromium, here the fixture "chromium"; skipped with them where it is missing.
pytestmark = doctor_page.pytestmark
chromium = doctor_page.browser
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ISS = "https://ehr.test"
KEY = ec.generate_private_key(ec.SECP256R1())
CLIENT_PAGE = """<!doctype html><meta charset="utf-8"><title>EPJ</title><pre id="result"></pre>
<script>
const call = JSON.parse(document.getElementById("call").textContent);
fetch(call.url, {method: "POST", body: JSON.stringify(call.body),
                 headers: {"Authorization": "Bearer " + call.token, "Content-Type": "application/json"}})
  .then(async r => { document.getElementById("result").textContent = JSON.stringify(
      {status: r.status, body: await r.json()}); })
  .catch(e => { document.getElementById("result").textContent = JSON.stringify({error: String(e)}); });
</script>"""


@pytest.fixture(scope="module")
def cds_url(book: ivrules.Book, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("cds")
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    (folder / "ehr.jwks.json").write_text(json.dumps({"keys": [{**public, "kid": "k1", "alg": "ES256"}]}))
    port = free_port()  # the service's address is configured: the audience is never taken from the Host header
    (folder / "cds.yaml").write_text(f"base_url: http://127.0.0.1:{port}\nissuers:\n  - iss: {ISS}\n"
                                     "    jwks_file: ehr.jwks.json\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IVRULES_CDS_CONFIG", str(folder / "cds.yaml"))
        patch.delenv("IVRULES_CDS_DEVELOPMENT", raising=False)
        app = create_app(book)
    with served(app, port) as url:
        yield url


def ehr_page(call: dict[str, Any]) -> Starlette:
    data = json.dumps(call).replace("</", "<\\/")

    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse(f'<script type="application/json" id="call">{data}</script>' + CLIENT_PAGE)

    return Starlette(routes=[Route("/", page)])


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def test_a_browser_client_on_another_origin_gets_cards_that_render(chromium: WebDriver, cds_url: str) -> None:
    endpoint = cds_url + ORDER_SIGN
    now = int(time.time())
    token = jwt.encode({"iss": ISS, "aud": endpoint, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())},
                       KEY, algorithm="ES256", headers={"kid": "k1", "typ": "JWT"})
    # Another port is another origin: with its Authorization header, the browser must ask (preflight) first.
    with served(ehr_page({"url": endpoint, "token": token, "body": order_sign()})) as ehr:
        chromium.get(ehr + "/")
        WebDriverWait(chromium, 15).until(lambda d: d.find_element(By.ID, "result").text)
        result = json.loads(chromium.find_element(By.ID, "result").text)
    assert result.get("status") == 200, result
    card = result["body"]["cards"][0]
    assert card["indicator"] in ("info", "warning", "critical")
    html = Links()
    html.feed(markdown.markdown(card["detail"], extensions=["tables"]))
    assert {"strong", "a", "table"} <= html.tags
    assert html.hrefs and all(href.startswith(f"{cds_url}/aftaler/") for href in html.hrefs)

