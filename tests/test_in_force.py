"""A revision whose entry into force the sources give only roughly (``in_force_unknown``).

Inside the period the engine answers under the revision and under what applies
otherwise (the region's other revision in force on the day, or none), and the
answer is decided only where both agree; otherwise it is unknown, with the
period's fact among the missing facts and the file's own unknown as the reason.
A question that states the fact gets a definite answer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ivrules
from ivrules.errors import AgreementError, NoRevisionError
from tests.conftest import AGREEMENTS, examples

BOOK = ivrules.load(AGREEMENTS)
PUMP = {"municipality": "Aalborg", "treatment": "antibiotics", "started_in_hospital": True, "medically_stable": True,
        "system": "elastomeric_pump", "doses_per_day": 1}
FACT = "midterm_adjustments_in_force"


def test_inside_the_period_an_answer_that_differs_is_unknown_with_the_reason() -> None:
    answer = BOOK.eligibility("nordjylland", {**PUMP, "date": "2021-09-01"})
    assert answer.eligible is None and answer.missing == [FACT]
    [note] = [r for r in answer.to_dict()["reasons"] if r["rule"] == "udgaven_i_kraft"]
    assert note["outcome"] == "unknown" and note["section"] == "4"
    assert "på en dato i 2021, som kilderne ikke angiver" in note["text"]  # the file's own unknown
    assert "ellers aftalen af 1. april 2020" in note["text"]
    assert f"»{BOOK.vocabulary.facts[FACT].label}«" in note["text"]  # asked by its Danish label


def test_a_question_that_states_the_fact_gets_a_definite_answer() -> None:
    assert BOOK.eligibility("nordjylland", {**PUMP, "date": "2021-09-01", FACT: True}).eligible is True
    before = BOOK.eligibility("nordjylland", {**PUMP, "date": "2021-09-01", FACT: False})
    assert (before.eligible, before.revision) == (False, "2020-04-01")


def test_outside_the_period_the_files_dates_decide() -> None:
    assert BOOK.eligibility("nordjylland", {**PUMP, "date": "2020-12-31"}).eligible is False
    assert BOOK.eligibility("nordjylland", {**PUMP, "date": "2022-01-01"}).eligible is True


def test_with_no_agreement_otherwise_only_a_failed_requirement_decides() -> None:
    course = {"date": "2021-11-15", "municipality": "København", "treatment": "antibiotics",
              "started_in_hospital": True}
    assert BOOK.eligibility("hovedstaden", course).missing == ["agreement_in_force"]
    assert BOOK.eligibility("hovedstaden", {**course, "started_in_hospital": False}).eligible is False
    with pytest.raises(NoRevisionError):
        BOOK.eligibility("hovedstaden", {**course, "agreement_in_force": False})


def test_the_price_follows_the_same_answer() -> None:
    course = {"start_date": "2021-06-01", "end_date": "2021-06-02", "municipality": "Aalborg"}
    assert BOOK.tariff("nordjylland", {**course, "tyngdekategori": 0}).total == 200  # both revisions: 200 kr.
    unknown = BOOK.tariff("nordjylland", {**course, "tyngdekategori": 4, "registered_minutes": 60})
    assert unknown.status == "unknown" and FACT in unknown.missing
    assert any("kilderne ikke angiver" in reason for reason in unknown.reasons)


def test_the_question_is_asked_only_where_the_period_reaches() -> None:
    assert FACT in {f.name for f in BOOK.facts("nordjylland", dt.date(2021, 9, 1))}
    assert FACT not in {f.name for f in BOOK.facts("nordjylland", dt.date(2022, 9, 1))}


DAYS = st.dates(dt.date(2020, 6, 1), dt.date(2022, 6, 30))
COURSES = st.fixed_dictionaries({
    "treatment": st.sampled_from(["antibiotics", "alpha1_antitrypsin", "chemotherapy", "isotonic_fluids"]),
    "system": st.sampled_from(["codan_mix_add", "elastomeric_pump", "cadd_pump", "open"]),
    "started_in_hospital": st.sampled_from([True, False, None]),
    "medically_stable": st.sampled_from([True, None]),
})


@settings(max_examples=examples(150), deadline=None)
@given(day=DAYS, course=COURSES)
def test_an_undecided_period_never_contradicts_either_revision(day: dt.date, course: dict[str, Any]) -> None:
    facts = {"date": day.isoformat(), "municipality": "Aalborg", **course}
    answer = BOOK.eligibility("nordjylland", facts).eligible
    ways = {BOOK.eligibility("nordjylland", {**facts, FACT: stated}).eligible for stated in (True, False)}
    if dt.date(2021, 1, 1) <= day <= dt.date(2021, 12, 31):
        assert answer is (ways.pop() if len(ways) == 1 else None)
    else:
        assert ways == {answer}  # outside the period the fact changes nothing


def _draft(tmp_path: Path, window: str) -> Path:
    text = (AGREEMENTS / "hovedstaden" / "2022-01-01.yaml").read_text(encoding="utf-8")
    start = text.index("in_force_unknown:\n")
    end = text.index("\n\n", start)
    draft = tmp_path / "2022-01-01.yaml"
    draft.write_text(text[:start] + window + text[end:], encoding="utf-8")
    return draft


@pytest.mark.parametrize(("window", "message"), [
    ("in_force_unknown:\n  from: 2021-10-01\n  to: 2021-11-30\n  fact: agreement_in_force\n  unknown: ikrafttræden",
     "skal nå frem til udgavens første dag 2022-01-01"),
    ("in_force_unknown:\n  from: 2021-10-01\n  to: 2021-12-31\n  fact: treatment\n  unknown: ikrafttræden",
     "'treatment' er ikke et ja/nej-faktum"),
    ("in_force_unknown:\n  from: 2021-10-01\n  to: 2021-12-31\n  fact: agreement_in_force\n  unknown: ikrafttraeden",
     "'ikrafttraeden' står ikke under 'unknowns'"),
    ("in_force_unknown:\n  from: 2021-10-01\n  to: 2021-12-31\n  fact: agreement_in_force",
     "in_force_unknown"),
])
def test_a_period_that_cannot_be_read_is_a_located_danish_error(tmp_path: Path, window: str, message: str) -> None:
    with pytest.raises(AgreementError) as caught:
        ivrules.load(_draft(tmp_path, window), root=AGREEMENTS)
    assert message in str(caught.value) and "2022-01-01.yaml:" in str(caught.value)


def test_two_uncertain_periods_of_a_region_may_not_overlap(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "agreements"
    shutil.copytree(AGREEMENTS, folder)
    path = folder / "nordjylland" / "2020-04-01.yaml"
    text = path.read_text(encoding="utf-8").replace("\npreamble: |", "\nin_force_unknown:\n  from: 2020-04-01\n"
                                                    "  to: 2021-06-30\n  fact: agreement_in_force\n"
                                                    "  unknown: opsigelse\n\npreamble: |", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        ivrules.load(folder)
    assert "in_force_unknown 2021-01-01 – 2021-12-31 overlapper" in str(caught.value)
