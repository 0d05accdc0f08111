"""Properties of revision diffs, over revisions hypothesis writes by editing Midtjylland's rules.

- A revision diffed with itself has no changes and no changed cases.
- Every case a diff reports really answers differently under the two revisions, and is traced to a
  change that can alter an outcome.
"""

from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from ivrules.diff.cases import answer
from ivrules.diff.revisions import Revision, diff, from_text
from ivrules.errors import Diagnostics
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.load import load_vocabulary
from tests.conftest import AGREEMENTS, examples

TEXT = (AGREEMENTS / "midtjylland" / "2020-06-01.yaml").read_text(encoding="utf-8")
ACCESS = ("PVK", "CVK", "PICC", "VIP", "MIDLINE")
TREATMENTS = ("antibiotika", "isotone_væsker", "kemoterapi")


@functools.cache
def vocabulary() -> Vocabulary:
    return load_vocabulary(AGREEMENTS, Diagnostics())


def _subset(items: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(items), min_size=1, unique=True).map(lambda xs: ", ".join(xs))


# Each edit replaces one rule's text in the 2020 file; hypothesis picks which and with what values.
EDITS: dict[str, st.SearchStrategy[str]] = {
    "rule: alder > 3 år": st.builds("rule: alder {} {} år".format, st.sampled_from((">", ">=")), st.integers(0, 6)),
    "doser_pr_døgn <= 3 doser pr. døgn": st.integers(1, 5).map("doser_pr_døgn <= {} doser pr. døgn".format),
    "doser_givet_på_hospital >= 2 doser": st.integers(0, 3).map("doser_givet_på_hospital >= {} doser".format),
    "kl. 07-00": st.integers(5, 9).map("kl. {:02d}-00".format),
    "adgang i {PVK, CVK, PICC, VIP, MIDLINE}": _subset(ACCESS).map("adgang i {{{}}}".format),
    "behandling i {antibiotika, isotone_væsker}": _subset(TREATMENTS).map("behandling i {{{}}}".format),
    # A rule left out altogether, and the tariff's way of counting days.
    ("      - id: hjemmet_egnet\n        rule: hjemmet_egnet\n"
     "        explain: Borgerens hjem skal være vurderet egnet af den kommunale sygeplejerske.\n"): st.just(""),
    "count_days: calendar": st.just("count_days: dose_days"),
    "course: 2999 kr.": st.integers(2000, 4000).map("course: {} kr.".format),
}


@st.composite
def revisions(draw: st.DrawFn) -> str:
    """The 2020 file with some of its rules edited."""
    text = TEXT
    for before in draw(st.lists(st.sampled_from(sorted(EDITS)), unique=True, max_size=3)):
        assert before in text
        text = text.replace(before, draw(EDITS[before]))
    return text


def test_every_edit_finds_its_text_in_the_file() -> None:
    assert [before for before in EDITS if before not in TEXT] == []


def load(text: str, name: str) -> Revision:
    return from_text(name, text, vocabulary())


@settings(max_examples=examples(15), deadline=None)
@given(revisions())
def test_a_revision_diffed_with_itself_has_no_changes(text: str) -> None:
    result = diff(load(text, "a.yaml"), load(text, "b.yaml"), search=0)
    assert result.changes == []
    assert result.cases is not None and result.cases.cases == []


@settings(max_examples=examples(15), deadline=None)
@given(revisions(), revisions())
def test_every_reported_case_really_answers_differently(old_text: str, new_text: str) -> None:
    old, new = load(old_text, "gammel.yaml"), load(new_text, "ny.yaml")
    result = diff(old, new, search=0)
    outcome_ids = {c.id for c in result.outcome_changes}
    assert result.cases is not None
    if not outcome_ids:
        assert result.cases.cases == []
    for case in result.cases.cases:
        before, after = answer(old, case.facts), answer(new, case.facts)
        assert before is not None and after is not None
        assert before.summary == case.before and after.summary == case.after
        assert before.summary != after.summary
        assert case.because and set(case.because) <= outcome_ids
