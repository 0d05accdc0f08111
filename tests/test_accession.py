"""Accession: who joined an agreement joined municipality by municipality, and what applies to the others."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ivrules
from ivrules.errors import LookupError_, NotJoinedError
from ivrules.model.accession import Accession, Line, Member
from tests.conftest import AGREEMENTS, ANTIBIOTICS_COURSE, examples

KAN, JOINED = "2018-01-01", "2021-10-01"
COURSE = {"treatment": "antibiotics", "started_in_hospital": True}
BOOK = ivrules.load(AGREEMENTS)
SYDDANMARK = sorted(m for m, x in BOOK.vocabulary.municipalities.items() if x.region == "syddanmark")


def _line(**changes: object) -> Line:
    base: dict[str, object] = {
        "region": "syddanmark", "agreement": dt.date(2021, 10, 1), "complete": False, "source": "test",
        "members": {"Odense": Member("Odense", dt.date(2021, 11, 1))}, "fallback": dt.date(2018, 1, 1)}
    base.update(changes)
    return Line(**base)  # type: ignore[arg-type]


def test_register_decides_for_the_municipalities_it_lists() -> None:
    line = _line()
    assert line.decide("Odense", dt.date(2021, 11, 1)).joined
    before = line.decide("Odense", dt.date(2021, 10, 31))
    assert not before.joined and before.basis == "register" and before.since == dt.date(2021, 11, 1)
    # The register wins over what a question states about a municipality it lists.
    assert not line.decide("Odense", dt.date(2021, 10, 31), stated=True).joined


def test_a_question_may_state_accession_only_where_an_incomplete_register_is_silent() -> None:
    assert _line().decide("Kolding", dt.date(2022, 1, 1), stated=True).basis == "facts"
    assert not _line(complete=True).decide("Kolding", dt.date(2022, 1, 1), stated=True).joined
    unlisted = _line().decide("Kolding", dt.date(2022, 1, 1))
    assert unlisted.joined is None and unlisted.basis == "unknown"  # an incomplete register does not know
    assert _line(complete=True).decide("Kolding", dt.date(2022, 1, 1)).basis == "unlisted"


def test_every_municipality_has_joined_from_all_from() -> None:
    line = _line(all_from=dt.date(2020, 6, 1), agreement=dt.date(2020, 4, 1), fallback=None, members={})
    assert line.decide("Aalborg", dt.date(2020, 6, 1)).basis == "all"
    assert not line.decide("Aalborg", dt.date(2020, 5, 31)).joined


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["Odense", "Kolding"]), st.sampled_from([None, True, False]), st.booleans(), st.booleans(),
       st.dates(dt.date(2019, 1, 1), dt.date(2023, 12, 31)), st.dates(dt.date(2019, 1, 1), dt.date(2023, 12, 31)))
def test_an_answer_said_not_to_depend_on_the_date_is_the_same_on_any_date(
        municipality: str, stated: bool | None, complete: bool, all_from: bool, day: dt.date, other: dt.date) -> None:
    """``Line.depends_on_date`` lets the book keep one accession answer for every date: it must never be wrong."""
    line = _line(complete=complete, all_from=dt.date(2021, 12, 1) if all_from else None)
    if line.depends_on_date(municipality, stated):
        return
    applied = BOOK.agreement("syddanmark", dt.date(2018, 6, 1))
    for revision in (applied, None):
        assert line.decide(municipality, day, stated).to_dict(revision) == \
            line.decide(municipality, other, stated).to_dict(revision)


def test_a_line_covers_its_revision_and_the_later_ones() -> None:
    register = Accession((_line(),))
    assert register.line_for("syddanmark", dt.date(2018, 1, 1)) is None
    assert register.line_for("syddanmark", dt.date(2025, 1, 1)) is not None
    assert register.line_for("hovedstaden", dt.date(2025, 1, 1)) is None


def test_a_municipality_that_has_not_joined_falls_back_and_the_answer_says_so(book: ivrules.Book) -> None:
    facts = {**COURSE, "date": "2022-03-01", "municipality": "Kolding", "municipality_joined": False}
    answer = book.eligibility("syddanmark", facts)
    assert answer.revision == KAN and answer.eligible is True
    accession = answer.to_dict()["accession"]
    assert accession["joined"] is False and accession["applied"] == KAN and accession["agreement"] == JOINED


def test_an_unlisted_municipality_is_decided_where_both_revisions_agree(book: ivrules.Book) -> None:
    answer = book.eligibility("syddanmark", {**COURSE, "date": "2022-03-01", "municipality": "Kolding"})
    assert answer.eligible is True and answer.revision == JOINED
    accession = answer.to_dict()["accession"]
    assert accession["joined"] is None and accession["basis"] == "unknown" and accession["applied"] == JOINED
    assert "det vides ikke, om kommunen havde tiltrådt" in accession["text"]
    assert "Svaret er det samme, uanset om kommunen har tiltrådt" in accession["text"]


def test_an_unlisted_municipality_is_undecided_where_the_revisions_differ(book: ivrules.Book) -> None:
    facts = {**COURSE, "date": "2025-03-01", "municipality": "Kolding", "doses_given_in_hospital": 0}
    answer = book.eligibility("syddanmark", facts)
    assert answer.eligible is None and answer.missing == ["municipality_joined"]
    assert "Svaret afhænger af det" in answer.to_dict()["accession"]["text"]
    assert book.eligibility("syddanmark", {**facts, "municipality_joined": True}).eligible is False
    assert book.eligibility("syddanmark", {**facts, "municipality_joined": False}).eligible is True
    price = book.tariff("syddanmark", {**facts, "start_date": "2025-03-01", "end_date": "2025-03-02"})
    assert price.status == "unknown" and "municipality_joined" in price.missing


def test_a_municipality_that_has_joined_gets_the_joined_revision(book: ivrules.Book) -> None:
    facts = {**COURSE, "date": "2022-03-01", "municipality": "Kolding", "municipality_joined": True}
    answer = book.eligibility("syddanmark", facts).to_dict()
    assert answer["revision"] == JOINED and answer["accession"]["basis"] == "facts"
    later = book.eligibility("syddanmark", {**facts, "date": "2025-02-01", "doses_given_in_hospital": 0})
    assert later.revision == "2025-01-01" and later.eligible is False


def test_courses_of_the_same_municipality_share_no_answer_a_caller_can_change(book: ivrules.Book) -> None:
    """The book keeps one accession answer per municipality: what one answer's JSON holds is a copy."""
    facts = {**COURSE, "date": "2022-03-01", "municipality": "Kolding", "municipality_joined": True}
    first, priced = book.eligibility("syddanmark", facts).to_dict(), book.tariff("syddanmark", facts).to_dict()
    first["accession"]["text"] = priced["accession"]["text"] = "changed"
    other = {**facts, "date": "2022-04-01", "doses_given_in_hospital": 2}
    for answer in (book.eligibility("syddanmark", other).to_dict(), book.tariff("syddanmark", other).to_dict()):
        assert answer["accession"]["text"].startswith("Kolding står ikke i tiltrædelseslisten")


def test_before_the_agreement_could_be_joined_there_is_no_accession_answer(book: ivrules.Book) -> None:
    answer = book.eligibility("syddanmark", {**COURSE, "date": "2021-09-30", "municipality": "Kolding"})
    assert answer.revision == KAN and answer.to_dict()["accession"] is None


def test_without_a_fallback_a_municipality_that_has_not_joined_is_refused(book: ivrules.Book) -> None:
    facts = {"date": "2021-03-01", "municipality": "Køge", "treatment": "isotonic_fluids"}
    with pytest.raises(NotJoinedError, match="Køge står ikke som tiltrådt"):
        book.eligibility("sjaelland", {**facts, "municipality_joined": False})
    unknown = book.eligibility("sjaelland", facts)  # the register is incomplete: not an error, but unknown
    assert unknown.eligible is None and "municipality_joined" in unknown.missing
    assert book.eligibility("sjaelland", {**facts, "municipality": "Holbæk"}).to_dict()["accession"]["joined"]


def test_the_municipality_is_asked_for_where_accession_decides(book: ivrules.Book) -> None:
    # Syddanmark: the 2021 agreement and the 2018 agreements that apply otherwise answer alike here.
    alike = book.eligibility("syddanmark", {**COURSE, "date": "2022-03-01"})
    assert alike.eligible is True and "Svaret er det samme" in alike.to_dict()["reasons"][0]["text"]
    # Midtjylland: no agreement applies to a municipality that has not entered it (001 §10).
    facts = {k: v for k, v in ANTIBIOTICS_COURSE.items() if k not in ("municipality", "municipality_joined")}
    answer = book.eligibility("midtjylland", facts)
    assert answer.eligible is None and answer.missing[0] == "municipality"
    assert "tiltrædes kommune for kommune" in answer.to_dict()["reasons"][0]["text"]
    decided = book.eligibility("midtjylland", {**facts, "age_years": 2})
    assert decided.eligible is False  # a failed requirement decides whether or not it joined


def test_the_tariff_follows_the_same_revision(book: ivrules.Book) -> None:
    course = {**COURSE, "start_date": "2022-03-01", "end_date": "2022-03-03", "municipality": "Kolding"}
    assert book.tariff("syddanmark", {**course, "municipality_joined": False}).revision == KAN
    assert book.tariff("syddanmark", {**course, "municipality_joined": True}).revision == JOINED


def test_the_joined_fact_is_asked_only_in_regions_with_accession(book: ivrules.Book) -> None:
    assert "municipality_joined" in {f.name for f in book.facts("syddanmark")}
    assert "municipality_joined" in {f.name for f in book.facts("midtjylland")}  # 001 §10
    assert "municipality_joined" not in {f.name for f in book.facts("hovedstaden")}


@settings(max_examples=examples(60), deadline=None)
@given(municipality=st.sampled_from(SYDDANMARK), stated=st.sampled_from([None, True, False]),
       on=st.dates(dt.date(2018, 1, 1), dt.date(2027, 12, 31)))
def test_the_answer_is_always_the_joined_revision_or_the_fallback(
        municipality: str, stated: bool | None, on: dt.date) -> None:
    facts = {**COURSE, "date": on.isoformat(), "municipality": municipality, "municipality_joined": stated}
    answer = BOOK.eligibility("syddanmark", facts)
    accession = answer.to_dict()["accession"]
    if on < dt.date(2021, 10, 1):
        assert accession is None and answer.revision == KAN
    elif accession["joined"]:
        assert answer.revision >= JOINED and stated is True
    elif accession["joined"] is None:  # unknown: decided only where both revisions agree
        assert stated is None and answer.revision >= JOINED
        assert answer.eligible is not None or "municipality_joined" in answer.missing
    else:
        assert answer.revision == KAN and accession["applied"] == KAN



# --- the register file: mistakes are located and collected --------------------------------------------------------

def _folder(tmp_path: Path, register: str) -> Path:
    for name in ("vocabulary.yaml", "municipalities.yaml", "regions.yaml"):
        shutil.copy(AGREEMENTS / name, tmp_path / name)
    for region in ("syddanmark", "sjaelland"):
        shutil.copytree(AGREEMENTS / region, tmp_path / region)
    (tmp_path / "accession.yaml").write_text(register, encoding="utf-8")
    return tmp_path


def _errors(tmp_path: Path, register: str) -> str:
    with pytest.raises(ivrules.AgreementError) as caught:
        ivrules.load(_folder(tmp_path, register))
    return str(caught.value)


def test_register_mistakes_are_reported_together_with_their_lines(tmp_path: Path) -> None:
    message = _errors(tmp_path, """accessions:
  - region: syddanmark
    agreement: 2021-10-02
    fallback: 2018-01-01
    complete: false
    source: test
    members:
      - {municipality: Odensee, from: 2021-10-05}
      - {municipality: Aarhus, from: 2021-10-05}
      - {municipality: Vejle, from: 2021-09-01}
""")
    assert "accession.yaml:2:5: fejl: agreement: syddanmark har ingen udgave af 2021-10-02" in message
    assert "ukendt kommune 'Odensee'" in message and "mente du 'Odense'?" in message
    assert "Aarhus ligger i region midtjylland, ikke syddanmark" in message
    assert "Vejle kan ikke tiltræde" in message
    assert message.rstrip().endswith("4 fejl")


def test_a_fallback_must_be_an_older_revision(tmp_path: Path) -> None:
    message = _errors(tmp_path, """accessions:
  - {region: syddanmark, agreement: 2021-10-01, fallback: 2025-01-01, complete: true, source: test, members: []}
""")
    assert "fallback 2025-01-01 skal være en ældre udgave end 2021-10-01" in message


def test_unknown_keys_in_the_register_are_named(tmp_path: Path) -> None:
    message = _errors(tmp_path, """accessions:
  - {region: syddanmark, agreement: 2021-10-01, complete: true, source: test, members: [], fallbak: 2018-01-01}
""")
    assert "ukendt nøgle 'fallbak'" in message and "mente du 'fallback'?" in message


def test_without_a_register_nothing_is_joined_municipality_by_municipality(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "accessions: []\n")
    (folder / "accession.yaml").unlink()
    book = ivrules.load(folder)
    answer = book.eligibility("syddanmark", {**COURSE, "date": "2022-03-01", "municipality": "Kolding"})
    assert answer.revision == JOINED and answer.to_dict()["accession"] is None


def test_lookup_errors_from_accession_are_lookup_errors() -> None:
    assert issubclass(NotJoinedError, LookupError_)


def test_a_tariff_answer_says_which_agreement_applied_and_why(book: ivrules.Book) -> None:
    course = {**COURSE, "start_date": "2022-03-01", "end_date": "2022-03-03", "municipality": "Kolding",
              "municipality_joined": False}
    answer = book.tariff("syddanmark", course).to_dict()
    assert answer["accession"]["applied"] == KAN and "aftalen af 1. januar 2018" in answer["accession"]["text"]
    assert "accession" not in book.tariff("hovedstaden", {**course, "municipality": "København"}).to_dict()
