"""The municipality must be a party: a course in another region's municipality is not covered.

Eligibility and price read the same evaluation (``Book.evaluate``), so they agree on the
party check — and on every other requirement — in every region and revision.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ivrules
from ivrules.engine.runtime import PARTY_RULE
from ivrules.errors import IvrulesError
from tests.conftest import AGREEMENTS, examples

BOOK = ivrules.load(AGREEMENTS)
REVISIONS = [(region, a) for region in BOOK.regions for a in BOOK.agreements(region)]
MUNICIPALITIES = sorted(BOOK.vocabulary.municipalities.values(), key=lambda m: m.name)


def _course(region: str, on: dt.date, municipality: str) -> dict[str, Any]:
    """A full antibiotics course on ``on`` in ``municipality`` (eligible where the rules allow it)."""
    return {"start_date": on.isoformat(), "end_date": (on + dt.timedelta(days=9)).isoformat(),
            "days_without_dose": 0, "municipality": municipality, "age_years": 45, "treatment": "antibiotics",
            "doses_per_day": 3, "system": "codan_mix_add", "access": "PVK", "started_in_hospital": True,
            "doses_given_in_hospital": 2, "medically_stable": True, "home_suitable": True,
            "municipality_joined": True, "dose_times": ["07:00", "15:00", "23:00"]}


def _elsewhere(region: str) -> str:
    return next(m.name for m in MUNICIPALITIES if m.region != region)


@pytest.mark.parametrize(("region", "agreement"), REVISIONS, ids=[f"{r}@{a.revision}" for r, a in REVISIONS])
def test_a_municipality_of_another_region_is_not_covered_by_eligibility_nor_tariff(region: str, agreement: Any) -> None:
    outsider = _elsewhere(region)
    facts = _course(region, agreement.effective, outsider)
    answer = BOOK.eligibility(region, facts)
    price = BOOK.tariff(region, facts)
    assert answer.eligible is False
    assert price.status == "not_covered"
    party = [r for r in answer.to_dict()["reasons"] if r["rule"] == PARTY_RULE]
    assert len(party) == 1 and party[0]["outcome"] == "failed"
    other = BOOK.vocabulary.municipalities[outsider].region
    assert f"{outsider} Kommune ligger i {BOOK.vocabulary.regions[other]}" in party[0]["text"]
    assert party[0]["text"] in price.reasons  # the same sentence, decided once
    section = agreement.parties["section"]
    assert party[0]["section"] == section and f"(afsnit {section})" in party[0]["text"]
    assert answer.accession is None  # the accession register of this region does not speak of it


@pytest.mark.parametrize(("region", "agreement"), REVISIONS, ids=[f"{r}@{a.revision}" for r, a in REVISIONS])
def test_the_regions_own_municipality_passes_the_party_check(region: str, agreement: Any) -> None:
    own = next(m.name for m in MUNICIPALITIES if m.region == region)
    answer = BOOK.eligibility(region, _course(region, agreement.effective, own))
    assert all(r["rule"] != PARTY_RULE for r in answer.to_dict()["reasons"])


@pytest.mark.parametrize(("region", "agreement"), REVISIONS, ids=[f"{r}@{a.revision}" for r, a in REVISIONS])
def test_every_revision_names_its_parties_section_and_asks_about_an_outsider(region: str, agreement: Any) -> None:
    assert agreement.parties.get("section") in [s.number for s in agreement.sections]
    outsiders = [e for e in agreement.examples if (m := BOOK.vocabulary.municipalities.get(
        str(e.facts.get("kommune")))) is not None and m.region != region]  # examples name facts in Danish
    assert any(e.expect.get("eligible") is False and e.expect.get("tariff", {}).get("status") == "not_covered"
               for e in outsiders)


def test_a_parties_section_that_does_not_exist_is_an_error(tmp_path: Any) -> None:
    text = (Path(AGREEMENTS) / "hovedstaden" / "2022-01-01.yaml").read_text(encoding="utf-8")
    draft = tmp_path / "2022-01-01.yaml"
    draft.write_text(text.replace('parties:\n  section: "1"', 'parties:\n  section: "99"'), encoding="utf-8")
    with pytest.raises(IvrulesError, match="afsnit 99"):
        ivrules.load(draft, root=AGREEMENTS)


OPTIONAL = ("age_years", "doses_per_day", "system", "access", "started_in_hospital", "medically_stable",
            "home_suitable", "doses_given_in_hospital", "end_date", "days_without_dose", "treatment")


@st.composite
def courses(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    region, agreement = draw(st.sampled_from(REVISIONS))
    on = agreement.effective + dt.timedelta(days=draw(st.integers(0, 300)))
    facts = _course(region, on, draw(st.sampled_from(MUNICIPALITIES)).name)
    facts["age_years"] = draw(st.integers(0, 100))
    facts["doses_per_day"] = draw(st.integers(1, 6))
    facts["treatment"] = draw(st.sampled_from(["antibiotics", "isotonic_fluids"]))
    for name in draw(st.sets(st.sampled_from(OPTIONAL), max_size=4)):
        facts.pop(name)
    return region, facts


@settings(max_examples=examples(300))
@given(courses())
def test_eligibility_is_false_exactly_when_the_tariff_is_not_covered(case: tuple[str, dict[str, Any]]) -> None:
    region, facts = case
    try:
        course = BOOK.evaluate(region, facts)
    except IvrulesError:
        return  # no revision on that date, or not joined: neither question has an answer
    try:
        status = course.quote.status
    except IvrulesError:
        return
    assert (course.eligibility.eligible is False) == (status == "not_covered")

