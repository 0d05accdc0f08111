"""Settlement is a view of ``Book.tariff``: every settled row is the quote for the same facts, to the øre.

For generated registers over every region and revision in ``agreements/``
(courses starting inside the revision's period, municipalities of the region
and of other regions, values from the vocabulary, some cells empty), each row
is asked of ``book.tariff`` directly, with the row's cells as raw facts:

- a computed quote ⇔ the row is settled, with the quote's kind, amounts,
  revision and flags, in the quarter of the date the revision invoices by;
- a quote that is not computed ⇔ the row is rejected with the Danish reason
  made from the quote; a facts error (or no agreement) ⇔ the row is rejected.
  (Settlement reads the date cells itself and rejects an end before the start
  with its own reason; the quote rejects such a course too, for its reason.)

Counts in the generated cells include 0, negative and fractional values (refused
by the vocabulary, so rejected). Settling quarter by quarter (``--period``) gives,
together, the courses of settling the whole register, and rejects the same rows,
also when a course id is repeated in another case or with spaces around it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ivrules
from ivrules.engine.quote import Quote, money
from ivrules.errors import FactsError, LookupError_
from ivrules.money.settle import rejection
from ivrules.money.settler import Settler
from tests.conftest import AGREEMENTS

BOOK = ivrules.load(AGREEMENTS)
HEADER = ["course_id", "municipality", "start_date", "end_date", "treatment", "system", "doses_per_day",
          "days_without_dose", "antibiotics_count", "tyngdekategori", "registered_minutes", "municipality_joined",
          "birth_date", "dose_times"]
REVISIONS = [(region, a.revision) for region in BOOK.regions for a in BOOK.agreements(region)]


def _period(region: str, revision: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a revision (an open-ended newest revision: four years)."""
    agreements = BOOK.agreements(region)
    i = [a.revision for a in agreements].index(revision)
    agreement = agreements[i]
    later = agreements[i + 1].effective - dt.timedelta(days=1) if i + 1 < len(agreements) else None
    last = agreement.until or later or agreement.effective + dt.timedelta(days=4 * 365)
    return agreement.effective, last


def _values(name: str) -> list[str]:
    return [v.name for v in BOOK.vocabulary.facts[name].values]


def _maybe(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A cell: mostly a value, sometimes with spaces around it, sometimes empty (a missing fact)."""
    return st.one_of(*[values] * 7, values.map(lambda v: f" {v}  "), st.just(""))


def _numbers(*values: str) -> st.SearchStrategy[str]:
    return _maybe(st.sampled_from(values))


def _course(region: str, revision: str) -> st.SearchStrategy[dict[str, str]]:
    first, last = _period(region, revision)
    own = sorted(m for m, info in BOOK.vocabulary.municipalities.items() if info.region == region)
    others = sorted(m for m, info in BOOK.vocabulary.municipalities.items() if info.region != region)
    return st.fixed_dictionaries({
        "municipality": st.one_of(*[st.sampled_from(own)] * 6, st.sampled_from(others),
                                  st.sampled_from(["", "Aarhuus", " "]), st.sampled_from(own).map(lambda m: f" {m}")),
        "start_date": st.dates(min_value=first, max_value=last),
        "days": st.one_of(st.integers(min_value=1, max_value=12), st.integers(min_value=-1, max_value=60)),
        "treatment": _maybe(st.sampled_from(["antibiotics"] * 4 + ["isotonic_fluids"] * 2 + _values("treatment"))),
        "system": _maybe(st.sampled_from(["codan_mix_add", "elastomeric_pump"] * 2 + _values("system"))),
        "doses_per_day": _numbers("1", "2", "3", "4", "1", "2", "3", "0", "-1", "1.5"),
        "days_without_dose": _numbers("0", "0", "0", "1", "2", "40", "-1", "0.5"),
        "antibiotics_count": _numbers("1", "2", "3", "1", "2", "0", "-2", "1.5"),
        "tyngdekategori": _numbers("0", "1", "2", "3", "4", "5"),
        "registered_minutes": _numbers("0", "45", "137", "600"),
        "municipality_joined": _numbers("true", "true", "false"),
        "birth_date": st.sampled_from(["", "", "", "1950-02-28", "2019-06-01"]),
        "dose_times": st.sampled_from(["", "", "07:00;15:00;23:00", "08:00"]),
    })


def _plausible(region: str, revision: str) -> st.SearchStrategy[dict[str, Any]]:
    """A course most agreements price: the region's own municipality, every cell that matters filled in."""
    own = sorted(m for m, info in BOOK.vocabulary.municipalities.items() if info.region == region)
    return st.tuples(_course(region, revision), st.fixed_dictionaries({
        "municipality": st.sampled_from(own), "days": st.integers(min_value=1, max_value=40),
        "treatment": st.sampled_from(["antibiotics", "isotonic_fluids"]),
        "system": st.sampled_from(["codan_mix_add", "elastomeric_pump"]), "doses_per_day": st.just("1"),
        "days_without_dose": st.sampled_from(["0", "1"]), "antibiotics_count": st.just("1"),
        "tyngdekategori": st.sampled_from(["0", "1", "3"]), "registered_minutes": st.just("90"),
        "municipality_joined": st.just("true"), "birth_date": st.just(""), "dose_times": st.just(""),
    })).map(lambda pair: {**pair[0], **pair[1]})


def _row(n: int, course: dict[str, Any]) -> list[str]:
    start: dt.date = course["start_date"]
    end = start + dt.timedelta(days=course["days"] - 1)
    padded = " " if n % 5 == 3 else ""  # a date with a space around it is read as the engine reads it: stripped
    cells = {**course, "course_id": f"k{n}", "start_date": start.isoformat() + padded,
             "end_date": padded + end.isoformat()}
    return [cells[name] for name in HEADER]


def _asked(region: str, row: list[str]) -> Quote | None:
    """``book.tariff`` for the row's cells as raw facts; None where it raises a facts error or finds no agreement."""
    facts = {name: cell for name, cell in zip(HEADER, row, strict=True) if name != "course_id" and cell.strip()}
    try:
        return BOOK.tariff(region, facts)
    except (FactsError, LookupError_):
        return None


def quarter_of(day: dt.date) -> str:
    """The quarter a date falls in, as '2022Q1' (the expectation, written apart from the SQL that settles)."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _expected_line(region: str, row: list[str], answer: Quote) -> list[str]:
    """The courses.csv line the quote gives: id, municipality, quarter, kind (the schedule's Danish title, and the
    category), amounts, revision, flags."""
    facts = {name: cell for name, cell in zip(HEADER, row, strict=True) if name != "course_id" and cell.strip()}
    typed = BOOK.normalise(facts)
    tariff = next(a.tariff for a in BOOK.agreements(region) if a.revision == answer.revision)
    assert tariff is not None
    amounts = [money(x) or "" for x in (answer.total, answer.region_share, answer.municipality_share)]
    title = next(s.title for s in tariff.schedules if s.id == answer.kind)
    kind = title if answer.category is None else f"{title}, kategori {answer.category}"
    return [row[0], typed.get("municipality", ""), quarter_of(typed[tariff.invoice_date]), kind, *amounts,
            answer.revision, ";".join(answer.flags)]


@pytest.mark.parametrize(("region", "revision"), REVISIONS, ids=[f"{r}@{v}" for r, v in REVISIONS])
def test_each_settled_row_is_the_quote_for_the_same_facts(region: str, revision: str) -> None:
    settled_somewhere: list[int] = []
    settler = Settler(BOOK, region, HEADER)

    @settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(courses=st.lists(st.one_of(_plausible(region, revision), _course(region, revision)), max_size=30))
    def check(courses: list[dict[str, Any]]) -> None:
        rows = [_row(n, course) for n, course in enumerate(courses)]
        written = io.StringIO()
        result = settler.run(rows, written)
        settled = {line[0]: line for line in csv.reader(io.StringIO(written.getvalue()))}
        rejected = {course: why for _, course, why in result.rejected}
        assert result.settlement.rows == len(rows) == len(settled) + len(rejected)
        assert result.settlement.settled + len(result.rejected) == len(rows)
        for row in rows:
            answer = _asked(region, row)
            if answer is not None and answer.status == "computed":
                assert settled.get(row[0]) == _expected_line(region, row, answer)
            else:
                assert row[0] in rejected and row[0] not in settled
                if answer is not None and row[2] <= row[3]:  # (settle reads the date cells, and their order, first)
                    assert rejected[row[0]] == rejection(answer)
        total, region_share, municipality_share = result.settlement.totals()
        assert total == sum((Decimal(line[4]) for line in settled.values()), Decimal(0))
        assert region_share + municipality_share == total
        settled_somewhere.append(len(settled))

    check()
    if any(s.bands or s.categories for a in BOOK.agreements(region) if a.tariff for s in a.tariff.schedules):
        assert sum(settled_somewhere) >= 5  # the property held for computed prices, not only for rejections


def test_every_revision_is_generated() -> None:
    assert {region for region, _ in REVISIONS} == set(BOOK.regions) and len(REVISIONS) >= len(BOOK.regions)


SPELLINGS: list[Callable[[str], str]] = [str, str.upper, lambda course: f" {course} "]  # ways to write one course id


@pytest.mark.parametrize(("region", "revision"), REVISIONS, ids=[f"{r}@{v}" for r, v in REVISIONS])
def test_settling_each_quarter_alone_settles_the_whole_register(region: str, revision: str) -> None:
    """Quarter by quarter (``--period``) and all at once give the same courses, lines and rejections; a course
    settled in another quarter is outside the period, never rejected; rows read = settled + outside + rejected."""
    settler = Settler(BOOK, region, HEADER)

    @settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(courses=st.lists(st.one_of(_plausible(region, revision), _course(region, revision)), max_size=20),
           repeats=st.lists(st.tuples(st.integers(0, 19), st.sampled_from(SPELLINGS)), max_size=4))
    def check(courses: list[dict[str, Any]], repeats: list[tuple[int, Callable[[str], str]]]) -> None:
        rows = [_row(n, course) for n, course in enumerate(courses)]
        rows += [[spell(rows[n][0]), *rows[n][1:]] for n, spell in repeats if n < len(rows)]  # one course, again
        whole_lines = io.StringIO()
        whole = settler.run(rows, whole_lines)
        settled = whole.settlement.settled
        assert whole.settlement.rows == len(rows) == settled + len(whole.rejected) and not whole.outside
        by_quarter: list[str] = []
        for quarter in sorted({line.split(",")[2] for line in whole_lines.getvalue().splitlines()}):
            lines = io.StringIO()
            alone = settler.run(rows, lines, period=quarter)
            assert alone.rejected == whole.rejected
            assert alone.settlement.rows == len(rows) == alone.settlement.settled + len(alone.outside) + len(
                alone.rejected)
            assert {q for _, _, q in alone.outside}.isdisjoint({quarter})
            assert alone.settlement.settled + len(alone.outside) == settled
            by_quarter += lines.getvalue().splitlines()
        assert sorted(by_quarter) == sorted(whole_lines.getvalue().splitlines())

    check()
