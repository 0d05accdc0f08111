"""Shared fixtures: the real agreements, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

import ivrules

ROOT = Path(__file__).resolve().parent.parent
AGREEMENTS = ROOT / "agreements"


@pytest.fixture(scope="session")
def book() -> ivrules.Book:
    return ivrules.load(AGREEMENTS)


ANTIBIOTICS_COURSE = {
    "date": "2020-09-01", "municipality": "Aarhus", "age_years": 45, "treatment": "antibiotics",
    "doses_per_day": 3, "system": "codan_mix_add", "access": "PVK", "started_in_hospital": True,
    "doses_given_in_hospital": 2, "medically_stable": True, "home_suitable": True,
    "dose_times": ["07:00", "15:00", "23:00"],
}
