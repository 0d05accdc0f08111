"""Shared fixtures: the real agreements, loaded once per test session; the hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

import ivrules

# Hypothesis profiles. `ci` runs the full numbers (hypothesis's 100 examples, and each test's own
# count as written); `quick`, the local default, runs a tenth of them. HYPOTHESIS_PROFILE chooses
# one by name; otherwise CI=true means `ci`. No deadline in either: the machines are shared.
FULL_EXAMPLES = 100
settings.register_profile("ci", max_examples=FULL_EXAMPLES, deadline=None)
settings.register_profile("quick", max_examples=FULL_EXAMPLES // 10, deadline=None)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "quick")
settings.load_profile(HYPOTHESIS_PROFILE)


def examples(full: int) -> int:
    """A test's example count under the loaded profile: ``full`` in CI, scaled down with the profile."""
    return max(1, full * settings().max_examples // FULL_EXAMPLES)

ROOT = Path(__file__).resolve().parent.parent
AGREEMENTS = ROOT / "agreements"


@pytest.fixture(scope="session")
def book() -> ivrules.Book:
    return ivrules.load(AGREEMENTS)


ANTIBIOTICS_COURSE = {
    "date": "2020-09-01", "municipality": "Aarhus", "municipality_joined": True, "age_years": 45,
    "treatment": "antibiotics",
    "doses_per_day": 3, "system": "codan_mix_add", "access": "PVK", "started_in_hospital": True,
    "doses_given_in_hospital": 2, "medically_stable": True, "home_suitable": True,
    "dose_times": ["07:00", "15:00", "23:00"],
}
