"""One changed-case search for every front end: the CLI's text, JSON and Markdown, the site's
"Ændringer" page and the API report the same "X af Y afprøvede" for every pair of revisions,
from run to run, without hypothesis."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app
from ivrules.diff.cases import SEARCH_EXAMPLES, canonical
from ivrules.diff.revisions import Revision, diff, resolve, revision_pairs
from ivrules.site.diff import change_pages
from ivrules.site.render import Context, environment
from ivrules.web.app import create_app
from tests.conftest import AGREEMENTS, ROOT

runner = CliRunner()
COUNT = re.compile(r"(\d+) af (\d+) afprøvede")
BOOK = ivrules.load(AGREEMENTS)
PAIRS = [(old.label, new.label) for region in BOOK.regions for old, new in revision_pairs(BOOK, region)]


def counted(text: str) -> tuple[int, int]:
    [found] = COUNT.findall(text)
    return int(found[0]), int(found[1])


def pair(labels: tuple[str, str]) -> tuple[Revision, Revision]:
    return resolve(labels[0], AGREEMENTS, lambda: BOOK), resolve(labels[1], AGREEMENTS, lambda: BOOK)


@pytest.fixture(scope="module")
def site_counts() -> dict[str, tuple[int, int]]:
    pages = change_pages(Context(BOOK, environment()))
    return {page.path: counted(page.content) for page in pages}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(BOOK))


def test_every_region_with_two_revisions_has_pairs() -> None:
    regions = {label.partition("@")[0] for labels in PAIRS for label in labels}
    assert regions == {r for r in BOOK.regions if len(BOOK.agreements(r)) > 1}
    assert len(PAIRS) == sum(len(BOOK.agreements(r)) - 1 for r in BOOK.regions)


@pytest.mark.parametrize("labels", PAIRS, ids=lambda labels: "→".join(labels))
def test_cli_json_markdown_site_and_api_report_the_same_counts(
        labels: tuple[str, str], site_counts: dict[str, tuple[int, int]], client: TestClient) -> None:
    old, new = pair(labels)
    expected = diff(old, new).cases.counts()  # type: ignore[union-attr]
    want = (expected["changed"], expected["tried"])
    assert want[1] > 0
    args = ["diff", *labels, "--agreements", str(AGREEMENTS)]
    text, markdown, as_json = (runner.invoke(app, [*args, *extra]) for extra in ([], ["--markdown"], ["--json"]))
    assert text.exit_code == markdown.exit_code == as_json.exit_code == 0, text.output
    counts = json.loads(as_json.output)["counts"]
    assert counted(text.output) == counted(markdown.output) == (counts["changed"], counts["tried"]) == want
    page = f"{new.agreement.region}/{new.agreement.revision}/aendringer/index.md"
    assert site_counts[page] == want
    region, _, before = labels[0].partition("@")
    answer = client.get(f"/v1/diff/{region}", params={"old": before, "new": labels[1].partition("@")[2]})
    assert answer.status_code == 200
    assert answer.json()["counts"] == expected


def test_the_site_has_a_page_for_every_pair_and_no_other(site_counts: dict[str, tuple[int, int]]) -> None:
    assert sorted(site_counts) == sorted(f"{new.replace('@', '/')}/aendringer/index.md" for _, new in PAIRS)


def test_the_json_count_is_the_number_of_cases_in_its_groups() -> None:
    result = diff(*pair(PAIRS[0]))
    data = result.to_dict()
    assert data["counts"]["changed"] == sum(g["count"] for g in data["groups"]) == len(result.cases.cases)  # type: ignore[union-attr]


@pytest.mark.parametrize("labels", PAIRS, ids=lambda labels: "→".join(labels))
def test_the_same_pair_gives_the_same_cases_every_time(labels: tuple[str, str]) -> None:
    first, second = diff(*pair(labels)), diff(*pair(labels))
    assert first.cases is not None and second.cases is not None
    assert first.cases.tried == second.cases.tried
    assert [canonical(c.facts) for c in first.cases.cases] == [canonical(c.facts) for c in second.cases.cases]


def test_naming_a_revision_by_its_file_gives_the_same_counts() -> None:
    labels = next(p for p in PAIRS if p[0].startswith("midtjylland"))
    by_file = [str(AGREEMENTS / label.replace("@", "/")) + ".yaml" for label in labels]
    named, filed = (runner.invoke(app, ["diff", *spec, "--agreements", str(AGREEMENTS)]) for spec in (labels, by_file))
    assert named.exit_code == filed.exit_code == 0, filed.output
    assert counted(named.output) == counted(filed.output)


def test_search_adds_cases_tried_and_zero_turns_it_off() -> None:
    old, new = pair(next(p for p in PAIRS if p[0].startswith("midtjylland")))
    counts = {n: diff(old, new, search=n).cases.counts() for n in (0, 10, SEARCH_EXAMPLES)}  # type: ignore[union-attr]
    assert counts[0]["tried"] < counts[10]["tried"] < counts[SEARCH_EXAMPLES]["tried"]
    args = ["diff", "midtjylland@2020-06-01", "midtjylland@2021-05-01", "--agreements", str(AGREEMENTS)]
    assert counted(runner.invoke(app, [*args, "--search", "0"]).output) == (counts[0]["changed"], counts[0]["tried"])


IMPORT_WITHOUT_HYPOTHESIS = """
import sys
sys.modules["hypothesis"] = None  # importing it now fails, as where it is not installed
import ivrules, ivrules.diff.cases, ivrules.diff.model, ivrules.diff.report, ivrules.diff.revisions
import ivrules.diff.search, ivrules.diff.tariff, ivrules.site.diff
from ivrules.diff.revisions import diff, resolve
book = ivrules.load("agreements")
old, new = (resolve(s, book=lambda: book) for s in ("midtjylland@2020-06-01", "midtjylland@2021-05-01"))
print(diff(old, new).cases.counts()["tried"])
"""


def test_the_diff_and_its_search_run_without_hypothesis() -> None:
    done = subprocess.run([sys.executable, "-c", IMPORT_WITHOUT_HYPOTHESIS], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    old, new = pair(next(p for p in PAIRS if p[0].startswith("midtjylland")))
    assert int(done.stdout) == diff(old, new).cases.tried  # type: ignore[union-attr]
