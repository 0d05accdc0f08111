"""Settling a register: files, invariants, rejections, whole-file errors and the halves property."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app
from ivrules.money.cells import NUMBER, cell, plain
from ivrules.money.register import settle_file
from ivrules.money.settle import Invoice, RegisterError, Settlement, parse_period
from ivrules.money.settler import Settler
from tests.conftest import AGREEMENTS, examples

HEADER = ["course_id", "municipality", "start_date", "end_date", "treatment", "system", "doses_per_day",
          "days_without_dose", "antibiotics_count", "municipality_joined"]
ROWS = [
    ["a1", "Aarhus", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "true"],
    ["a2", "Aarhus", "2021-06-01", "2021-06-30", "antibiotics", "codan_mix_add", "3", "0", "1", "true"],
    ["a3", "Viborg", "2020-09-01", "2020-09-05", "isotonic_fluids", "", "1", "0", "", "true"],
    ["a4", "Viborg", "2020-09-01", "2020-09-05", "antibiotics", "codan_mix_add", "3", "", "1", "true"],
    ["a5", "Odense", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "true"],
    ["a6", "Aarhus", "2021-06-07", "2021-06-01", "antibiotics", "codan_mix_add", "3", "0", "1", "true"],
    ["a1", "Aarhus", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "true"],
    ["a8", "Aarhus", "2021-13-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "true"],
    ["a9", "Aarhus", "2021-06-01", "2021-06-07", "chemotherapy", "codan_mix_add", "3", "0", "1", "true"],
    ["a10", "Aarhus", "2021-06-01"],
    ["F-11, Skive", "Skive", "2021-06-01", "2021-06-09", "antibiotics", "elastomeric_pump", "1", "2", "2", "true"],
]


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def midtjylland(book: ivrules.Book) -> Settler:
    """A settler of registers with ``HEADER``'s columns for Midtjylland (its query is compiled once)."""
    return Settler(book, "midtjylland", HEADER)


@pytest.fixture(scope="module")
def settled(book: ivrules.Book, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settlement, Path]:
    folder = tmp_path_factory.mktemp("afregning")
    return settle_file(book, _write(folder / "register.csv", ROWS), "midtjylland", folder / "ud"), folder / "ud"


def test_every_row_is_settled_or_rejected(settled: tuple[Settlement, Path]) -> None:
    result, out = settled
    courses, rejected = _read(out / "courses.csv"), _read(out / "rejected.csv")
    assert result.rows == len(ROWS) == len(courses) + len(rejected) == result.settled + result.rejected
    assert [c["course_id"] for c in courses] == ["a1", "a2", "a3", "F-11, Skive"]
    assert sorted(out.iterdir()) == sorted(out / name for name in (
        "courses.csv", "invoices.csv", "rejected.csv", "outside.csv", "summary.txt", "activity.csv", "activity.svg"))


def test_the_settled_courses_carry_amounts_revision_and_flags(settled: tuple[Settlement, Path]) -> None:
    courses = {c["course_id"]: c for c in _read(settled[1] / "courses.csv")}
    assert courses["a2"] == {"course_id": "a2", "municipality": "Aarhus", "quarter": "2021Q2",
                             "kind": "Standardforløb med op til 3 behandlinger pr. dag",
                             "total": "24999.00", "region_share": "17499.30", "municipality_share": "7499.70",
                             "revision": "2021-05-01", "flags": "bilateral_agreement_required"}
    assert (courses["a3"]["revision"], courses["a3"]["total"], courses["a3"]["quarter"]) == ("2020-06-01", "1000.00",
                                                                                             "2020Q3")
    assert courses["F-11, Skive"]["total"] == "1999.00"  # 9 days, 0-days billed from May 2021, one course


def test_the_invoices_add_up_to_the_courses(settled: tuple[Settlement, Path]) -> None:
    out = settled[1]
    courses, invoices = _read(out / "courses.csv"), _read(out / "invoices.csv")
    for key in ("total", "region_share", "municipality_share"):
        by_invoice = Counter[tuple[str, str]]()
        for course in courses:
            by_invoice[(course["municipality"], course["quarter"])] += Decimal(course[key])  # type: ignore[assignment]
        assert {(i["municipality"], i["quarter"]): Decimal(i[key]) for i in invoices} == dict(by_invoice)
    assert [(i["municipality"], i["quarter"], i["courses"]) for i in invoices] == [
        ("Viborg", "2020Q3", "1"), ("Aarhus", "2021Q2", "2"), ("Skive", "2021Q2", "1")]


def test_each_rejected_row_has_its_line_and_a_danish_reason(settled: tuple[Settlement, Path]) -> None:
    rejected = {r["course_id"]: (r["row"], r["reason"]) for r in _read(settled[1] / "rejected.csv")}
    assert rejected["a4"] == ("5", "kan ikke beregnes: Der mangler oplysninger: dage uden dosis (0-dage).")
    assert rejected["a5"][1].startswith("ikke omfattet af aftalen: Odense Kommune ligger i Region Syddanmark")
    assert rejected["a6"] == ("7", "slutdatoen 1. juni 2021 ligger før startdatoen 7. juni 2021")
    assert rejected["a1"] == ("8", "forløbets id 'a1' i linje 8 står allerede i linje 2")
    assert rejected["a8"] == ("9", "startdato '2021-13-01' er ikke en dato (ÅÅÅÅ-MM-DD)")
    assert "antibiotika og isotone væsker" in rejected["a9"][1]
    assert rejected["a10"] == ("11", "rækken har 3 felter; overskriften har 10")


def test_the_summary_and_the_plot(settled: tuple[Settlement, Path]) -> None:
    summary = (settled[1] / "summary.txt").read_text(encoding="utf-8")
    assert "Rækker læst: 11" in summary and "Afregnet: 4 forløb" in summary and "Afvist: 7 rækker" in summary
    assert "Samlet: 31.997,00 kr.; regionens andel 22.397,90 kr., kommunernes andel 9.599,10 kr." in summary
    assert "(kræver bilateral aftale): 1" in summary
    assert (settled[1] / "activity.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    activity = _read(settled[1] / "activity.csv")
    assert {"quarter": "2020Q3", "kind": "Pumpe og væske med 1 behandling pr. dag", "courses": "1",
            "total": "1000.00"} in activity


def test_a_period_settles_one_quarter_and_counts_the_rest_as_outside_it(book: ivrules.Book, tmp_path: Path) -> None:
    out = tmp_path / "ud"
    result = settle_file(book, _write(tmp_path / "r.csv", ROWS), "midtjylland", out, period="2020Q3")
    assert (result.rows, result.settled, result.outside, result.rejected) == (len(ROWS), 1, 3, 7)
    assert _read(out / "outside.csv") == [{"row": str(line), "course_id": course, "quarter": "2021Q2"}
                                          for line, course in ((2, "a1"), (3, "a2"), (12, "F-11, Skive"))]
    assert [r["course_id"] for r in _read(out / "rejected.csv")] == ["a4", "a5", "a6", "a1", "a8", "a9", "a10"]
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    assert summary.startswith("Afregning for Region Midtjylland, 3. kvartal 2020 (2020Q3)\n")
    assert "Afregnet: 1 forløb\nUden for perioden: 3 forløb, der afregnes i et andet kvartal (se outside.csv)\n" \
           "Afvist: 7 rækker" in summary


def test_semicolons_and_a_byte_order_mark_are_read(book: ivrules.Book, tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", ROWS[:3], delimiter=";")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert settle_file(book, path, "midtjylland", tmp_path / "ud").settled == 3


def test_categories_in_nordjylland(book: ivrules.Book, tmp_path: Path) -> None:
    rows = [["n1", "Aalborg", "2022-02-01", "2022-02-03", "0"], ["n2", "Aalborg", "2022-02-01", "2022-02-03", "2"],
            ["n3", "Thisted", "2022-02-01", "2022-02-03", ""]]
    path = _write(tmp_path / "nj.csv", rows, ["course_id", "municipality", "start_date", "end_date", "tyngdekategori"])
    result = settle_file(book, path, "nordjylland", tmp_path / "ud")
    assert [i.row() for i in result.invoices()] == [("Aalborg", "2022Q1", "1", "200.00", "200.00", "0.00")]
    reasons = [row["reason"] for row in _read(tmp_path / "ud" / "rejected.csv")]
    assert reasons == ["kan ikke beregnes: Aftalen angiver ikke beløbet for tyngdekategori 2.",
                       "kan ikke beregnes: Der mangler oplysninger: tyngdekategori."]


@pytest.mark.parametrize(("content", "where", "words"), [
    (b"course_id,municipality,start_date,end_date\nx1,\xe6rh,2021-06-01,2021-06-02\n", ":2:4:", "ikke UTF-8"),
    (b"course_id,municipality,start_date\n", ":1:1:", "kolonnen 'slutdato' mangler"),
    (b"course_id,municipality,start_date,end_date,tyngdekatgori\n", ":1:44:", "ukendt kolonne 'tyngdekatgori'"),
    (b"", ":1:1:", "registret er tomt"),
    (b"\xef\xbb\xbf\r\n", ":1:1:", "registret er tomt"),
    (b"course_id,municipality,start_date,end_date\nx1,Aarhus\x00,2021-06-01,2021-06-02\n", ":2:10:", "NUL"),
    (b'{"course_id": 1}\n', ":1:1:", "ikke et CSV-register"),
])
def test_a_whole_file_error_names_line_and_column_and_writes_nothing(
        book: ivrules.Book, tmp_path: Path, content: bytes, where: str, words: str) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(content)
    out = tmp_path / "ud"
    with pytest.raises(RegisterError) as caught:
        settle_file(book, path, "midtjylland", out)
    assert where in str(caught.value) and words in str(caught.value)
    assert not out.exists() or list(out.iterdir()) == []


def test_an_error_halfway_leaves_the_old_files_alone(book: ivrules.Book, tmp_path: Path) -> None:
    out = tmp_path / "ud"
    settle_file(book, _write(tmp_path / "r.csv", ROWS), "midtjylland", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = tmp_path / "broken.csv"
    broken.write_text(",".join(HEADER) + "\n" + ",".join(ROWS[0]) + "\n\"unterminated\n", encoding="utf-8")
    with pytest.raises(RegisterError) as caught:
        settle_file(book, broken, "midtjylland", out)
    assert "broken.csv:3:1: fejl: filen kan ikke læses som CSV" in str(caught.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_cli_settles_and_reports(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", ROWS)
    result = CliRunner().invoke(app, ["settle", str(path), "--region", "midtjylland", "--out", str(tmp_path / "ud"),
                                      "--period", "2021K2", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "Afregning for Region Midtjylland, 2. kvartal 2021 (2021Q2)" in result.stdout
    assert "Afregnet: 3 forløb" in result.stdout and "Uden for perioden: 1 forløb" in result.stdout


def test_the_cli_exits_2_on_a_bad_register_or_period(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"course_id\n")
    result = CliRunner().invoke(app, ["settle", str(path), "-r", "midtjylland", "-o", str(tmp_path / "ud")])
    assert result.exit_code == 2 and "r.csv:1:1: fejl: kolonnen 'kommune' mangler" in result.output
    result = CliRunner().invoke(app, ["settle", str(path), "-r", "midtjylland", "-o", str(tmp_path), "-p", "2022Q5"])
    assert result.exit_code == 2 and "2022Q5" in result.output


def test_periods_are_read_in_english_and_danish() -> None:
    assert parse_period("2022Q1") == parse_period(" 2022k1 ") == "2022Q1"
    with pytest.raises(ValueError, match="kvartal"):
        parse_period("2022-01")


# --- settling in two halves gives the invoices of settling the whole ------------------------------------------

REGISTER_ROW = st.fixed_dictionaries({
    "municipality": st.sampled_from(["Aarhus", "Skive", "Samsø", "Odense", "Aarhuus"]),
    "start": st.dates(min_value=dt.date(2020, 5, 25), max_value=dt.date(2022, 3, 31)),
    "days": st.integers(min_value=1, max_value=35),
    "kind": st.sampled_from([("antibiotics", "codan_mix_add", "3"), ("antibiotics", "elastomeric_pump", "1"),
                             ("isotonic_fluids", "", "1"), ("chemotherapy", "", "1")]),
    "without": st.sampled_from(["0", "1", ""]),
    "count": st.sampled_from(["1", "2", ""]),
})


def _row(n: int, item: dict[str, Any]) -> list[str]:
    end = item["start"] + dt.timedelta(days=item["days"] - 1)
    treatment, system, doses = item["kind"]
    return [f"c{n}", item["municipality"], item["start"].isoformat(), end.isoformat(), treatment, system, doses,
            item["without"], item["count"], "true"]


def _invoices(settlements: list[Settlement]) -> dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]]:
    out: dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]] = {}
    for invoice in (i for s in settlements for i in s.invoices()):
        old = out.get((invoice.municipality, invoice.quarter), (0, Decimal(0), Decimal(0), Decimal(0)))
        out[(invoice.municipality, invoice.quarter)] = (
            old[0] + invoice.courses, old[1] + invoice.total, old[2] + invoice.region_share,
            old[3] + invoice.municipality_share)
    return out


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(REGISTER_ROW, max_size=40), cut=st.integers(min_value=0, max_value=40))
def test_two_halves_give_the_invoices_of_the_whole(midtjylland: Settler, items: list[dict[str, Any]],
                                                   cut: int) -> None:
    rows = [_row(n, item) for n, item in enumerate(items)]
    whole, first, second = (midtjylland.run(part) for part in (rows, rows[:cut], rows[cut:]))
    assert _invoices([first.settlement, second.settlement]) == _invoices([whole.settlement])
    assert whole.settlement.rows == len(rows) == whole.settlement.settled + len(whole.rejected)
    total, region, kommune = whole.settlement.totals()
    assert region + kommune == total == sum((i.total for i in whole.settlement.invoices()), Decimal(0))


def test_one_settler_can_settle_twice_without_mixing_the_counts(book: ivrules.Book) -> None:
    settler = Settler(book, "midtjylland", HEADER)
    first = settler.run([ROWS[0]], io.StringIO())
    second = settler.run([ROWS[0], ROWS[1]], io.StringIO())
    assert (first.settlement.settled, second.settlement.settled) == (1, 2)
    assert first.settlement.invoices() == [Invoice("Aarhus", "2021Q2", 1, Decimal("3999"), Decimal("2799.30"),
                                        Decimal("1199.70"))]


def test_a_fact_derived_from_the_start_date_is_not_shared_between_dates(book: ivrules.Book) -> None:
    header = ["course_id", "municipality", "start_date", "end_date", "treatment", "system", "doses_per_day",
              "birth_date", "municipality_joined"]
    course = ["Aarhus", "2021-06-01", "2021-06-02", "antibiotics", "codan_mix_add", "3"]
    rows = [["b1", *course, "2017-06-01", "true"], ["b2", *course, "2017-06-02", "true"],
            ["b3", "Aarhus", "2021-06-03", "2021-06-04", *course[3:], "2017-06-02", "true"]]
    result = Settler(book, "midtjylland", header).run(rows, io.StringIO())
    assert result.settlement.settled == 2  # b2 is 3 years old on its start date; b3, two days later, is 4
    assert [(row, course_id) for row, course_id, _ in result.rejected] == [(3, "b2")]



def _without_index(tmp_path: Path) -> ivrules.Book:
    """The agreements with Midtjylland's PL index left out, so every year has a price (the index has its own tests)."""
    folder = tmp_path / "agreements"
    shutil.copytree(AGREEMENTS, folder)
    path = folder / "midtjylland" / "2021-05-01.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("  index:\n"), text.index("  count_days:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    return ivrules.load(folder)


def test_a_register_over_more_than_4096_quarters_settles_each_course_in_its_own_quarter(tmp_path: Path) -> None:
    # Midtjylland's newest revision has no end date: courses from 2021Q3 to 3046Q2 span 4100 quarters.
    book = _without_index(tmp_path)
    starts = [dt.date(2021 + (n + 2) // 4, 3 * ((n + 2) % 4) + 1, 1) for n in range(4100)]
    course = ["antibiotics", "codan_mix_add", "3", "0", "1", "true"]
    rows = [["s0", "Skive", "2021-06-01", "2021-06-02", *course]]
    rows += [[f"a{n}", "Aarhus", start.isoformat(), (start + dt.timedelta(days=1)).isoformat(), *course]
             for n, start in enumerate(starts)]
    written = io.StringIO()
    result = Settler(book, "midtjylland", HEADER).run(rows, written)
    assert result.settlement.settled == len(rows) and not result.rejected
    quarters = [f"{start.year}Q{(start.month - 1) // 3 + 1}" for start in starts]
    assert len(set(quarters)) == 4100 and quarters[0] == "2021Q3"
    lines = list(csv.reader(io.StringIO(written.getvalue())))
    assert [line[:3] for line in lines] == [["s0", "Skive", "2021Q2"]] + [
        [f"a{n}", "Aarhus", quarter] for n, quarter in enumerate(quarters)]
    invoices = {(i.municipality, i.quarter): i.courses for i in result.settlement.invoices()}
    assert invoices == {("Skive", "2021Q2"): 1, **{("Aarhus", quarter): 1 for quarter in quarters}}


@pytest.mark.parametrize(("invoice_date", "quarter"), [("slutdato", "2021Q3"), ("startdato", "2021Q2"),
                                                       ("dato", "2021Q2")])
def test_a_course_is_invoiced_in_the_quarter_of_the_date_its_revision_names(
        tmp_path: Path, invoice_date: str, quarter: str) -> None:
    from ivrules.engine.book import load

    text = (AGREEMENTS / "midtjylland" / "2021-05-01.yaml").read_text(encoding="utf-8")
    assert "invoice_date: slutdato" in text
    draft = tmp_path / "2021-05-01.yaml"
    draft.write_text(text.replace("invoice_date: slutdato", f"invoice_date: {invoice_date}"), encoding="utf-8")
    book = load(draft, root=AGREEMENTS)
    row = ["q1", "Aarhus", "2021-06-25", "2021-07-05", "antibiotics", "codan_mix_add", "3", "0", "1", "true"]
    written = io.StringIO()
    assert Settler(book, "midtjylland", HEADER).run([row], written).settlement.settled == 1
    assert written.getvalue().split(",")[:3] == ["q1", "Aarhus", quarter]


# --- counts: doses and kinds of antibiotics are whole numbers from 1 ----------------------------------------------

COURSE = {"course_id": "t1", "municipality": "Aarhus", "start_date": "2021-06-01", "end_date": "2021-06-07",
          "treatment": "antibiotics", "system": "codan_mix_add", "doses_per_day": "3", "days_without_dose": "0",
          "antibiotics_count": "1", "municipality_joined": "true"}


@pytest.mark.parametrize(("name", "column", "cell", "reason"), [
    ("Antibiotika nul gange i døgnet", "doses_per_day", "0",
     "Doser pr. døgn: skal være et helt tal fra 1 til 24 doser pr. døgn, fik '0' (er der ingen, lades feltet tomt)"),
    ("Antibiotika minus én gang i døgnet", "doses_per_day", "-1",
     "Doser pr. døgn: skal være et helt tal fra 1 til 24 doser pr. døgn, fik '-1'"),
    ("Antibiotika halvanden gang i døgnet", "doses_per_day", "1.5",
     "Doser pr. døgn: skal være et helt tal fra 1 til 24 doser pr. døgn, fik '1.5'"),
    ("Nul slags antibiotika", "antibiotics_count", "0",
     "Antal slags antibiotika: skal være et helt tal fra 1 til 20, fik '0' (er der ingen, lades feltet tomt)"),
    ("Minus to slags antibiotika", "antibiotics_count", "-2",
     "Antal slags antibiotika: skal være et helt tal fra 1 til 20, fik '-2'"),
    ("Halvanden slags antibiotika", "antibiotics_count", "1.5",
     "Antal slags antibiotika: skal være et helt tal fra 1 til 20, fik '1.5'"),
    ("En halv dag uden dosis", "days_without_dose", "0.5",
     "Dage uden dosis (0-dage): skal være et helt tal fra 0 til 3660 dage, fik '0.5'"),
    ("Minus én dag uden dosis", "days_without_dose", "-1",
     "Dage uden dosis (0-dage): skal være et helt tal fra 0 til 3660 dage, fik '-1'"),
    ("Halvanden dosis givet på hospitalet", "doses_given_in_hospital", "1.5",
     "Doser givet i hospitalsregi: skal være et helt tal fra 0 til 50 doser, fik '1.5'"),
])
def test_a_count_that_is_not_a_whole_number_in_range_is_rejected(
        book: ivrules.Book, name: str, column: str, cell: str, reason: str) -> None:
    header = [*COURSE, "doses_given_in_hospital"]
    same_course_counted_right = [*COURSE.values(), "2"]
    counted_wrong = [*{**COURSE, "course_id": "t2", "doses_given_in_hospital": "2", column: cell}.values()]
    written = io.StringIO()
    result = Settler(book, "midtjylland", header).run([same_course_counted_right, counted_wrong], written)
    assert result.rejected == [(3, "t2", reason)], name
    assert result.settlement.settled == 1
    assert written.getvalue().startswith("t1,Aarhus,2021Q2,Standardforløb med op til 3 behandlinger pr. dag,3999.00,")


def test_a_whole_count_written_with_decimals_is_the_count(book: ivrules.Book) -> None:
    rows = [[*COURSE.values()], [*{**COURSE, "course_id": "t2", "doses_per_day": "3.0"}.values()]]
    written = io.StringIO()
    assert Settler(book, "midtjylland", list(COURSE)).run(rows, written).settlement.settled == 2
    assert len(set(line.split(",", 1)[1] for line in written.getvalue().splitlines())) == 1  # the same price


COUNTS = [name for name, fact in ivrules.load(AGREEMENTS).vocabulary.facts.items() if fact.whole]


COUNT_HEADER = [*COURSE, *(c for c in COUNTS if c not in COURSE)]


@pytest.fixture(scope="module")
def counts_settler(book: ivrules.Book) -> Settler:
    """A settler of registers with every count column (compiled once: each example settles one register)."""
    return Settler(book, "midtjylland", COUNT_HEADER)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(st.sampled_from(COUNTS), st.one_of(
    st.integers(min_value=-3, max_value=30), st.decimals(min_value=-3, max_value=30, places=2, allow_nan=False))),
    min_size=1, max_size=8))
def test_a_count_is_settled_only_as_a_whole_number_within_its_range(
        book: ivrules.Book, counts_settler: Settler, cells: list[tuple[str, int | Decimal]]) -> None:
    # One row for each (count, value), the other cells those of a course that settles; row n is line n + 1.
    rows = [[{**COURSE, "course_id": f"t{n}", column: str(value)}.get(name, "") for name in COUNT_HEADER]
            for n, (column, value) in enumerate(cells, 1)]
    result = counts_settler.run(rows, io.StringIO())
    for n, (column, value) in enumerate(cells, 1):
        fact = book.vocabulary.facts[column]
        assert fact.limits is not None
        low, high = fact.limits
        refused = [why for line, _, why in result.rejected
                   if line == n + 1 and why.startswith(f"{fact.label}: skal være et helt tal")]
        assert bool(refused) == (value != int(value) or not low <= value <= high), (column, value, result.rejected)
    assert result.settlement.rows == len(cells) == result.settlement.settled + len(result.rejected)


# --- one course, one id: case and surrounding spaces do not make another course ----------------------------------

def test_ids_that_differ_only_in_case_or_spaces_are_one_course(book: ivrules.Book, tmp_path: Path) -> None:
    course = ["Aarhus", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "true"]
    rows = [["AB-17", *course], [" AB-17 ", *course], ["ab-17", *course], ["AB-17", *course], ["ab-18", *course]]
    out = tmp_path / "ud"
    result = settle_file(book, _write(tmp_path / "r.csv", rows), "midtjylland", out)
    assert [c["course_id"] for c in _read(out / "courses.csv")] == ["AB-17", "ab-18"]
    assert [(r["row"], r["reason"]) for r in _read(out / "rejected.csv")] == [
        ("3", "forløbets id ' AB-17 ' i linje 3 er samme forløb som 'AB-17' i linje 2 "
              "(store og små bogstaver og mellemrum før og efter tæller ikke)"),
        ("4", "forløbets id 'ab-17' i linje 4 er samme forløb som 'AB-17' i linje 2 "
              "(store og små bogstaver og mellemrum før og efter tæller ikke)"),
        ("5", "forløbets id 'AB-17' i linje 5 står allerede i linje 2")]
    assert result.rows == 5 == result.settled + result.rejected
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    assert "  2 × forløbets id '…' i linje … er samme forløb som '…' i linje … (store og små" in summary
    assert "  1 × forløbets id '…' i linje … står allerede i linje …\n" in summary


def test_a_rejected_row_does_not_take_its_id_from_the_corrected_row(book: ivrules.Book) -> None:
    course = ["Aarhus", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "true"]
    rows = [["k1", "Aarhus", "2021-06-07", "2021-06-01", *course[3:]], ["K1", *course]]
    result = Settler(book, "midtjylland", HEADER).run(rows, io.StringIO())
    assert result.settlement.settled == 1 and [line for line, _, _ in result.rejected] == [2]


# --- a cell a spreadsheet would run as a formula is written as text ------------------------------------------------

@pytest.mark.parametrize(("course", "written"), [
    ("=HYPERLINK(\"http://x\";\"klik\")", "'=HYPERLINK(\"http://x\";\"klik\")"),
    ("+45 12 34", "'+45 12 34"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"), ("@SUM(A1)", "'@SUM(A1)"),
    ("'citeret", "''citeret"), ("F-11", "F-11"), ("-17", "-17"),
])
def test_a_course_id_that_starts_like_a_formula_is_written_as_text(
        book: ivrules.Book, tmp_path: Path, course: str, written: str) -> None:
    rows = [[course, *ROWS[0][1:]], [course, *ROWS[5][1:]], [course, *ROWS[0][1:]]]
    out = tmp_path / "ud"
    settle_file(book, _write(tmp_path / "r.csv", rows), "midtjylland", out)
    for name in ("courses.csv", "rejected.csv"):
        with open(out / name, encoding="utf-8", newline="") as handle:
            cells = [row[0] if name == "courses.csv" else row[1] for row in list(csv.reader(handle))[1:]]
        assert cells and set(cells) == {written}
        assert {plain(c) for c in cells} == {course}


def test_a_tab_or_carriage_return_before_a_formula_is_written_as_text() -> None:
    assert [cell(t) for t in ("\t=1+2", "\r=1+2", "2999.00", "-12.50", "2021Q2", "")] == [
        "'\t=1+2", "'\r=1+2", "2999.00", "-12.50", "2021Q2", ""]


@given(st.text(max_size=12))
def test_a_written_cell_never_starts_a_formula_and_reads_back_as_given(text: str) -> None:
    written = cell(text)
    assert plain(written) == text
    assert not written.startswith(("=", "+", "@", "\t", "\r")) and (
        not written.startswith("-") or NUMBER.fullmatch(written))


def test_every_csv_file_of_a_settlement_escapes_its_text_cells(book: ivrules.Book, tmp_path: Path) -> None:
    # Every CSV settle writes goes through cells.cell: no cell of any file starts a formula.
    rows = [["=1+1", *ROWS[0][1:]], ["@A1", "=Aarhus", *ROWS[0][2:]], ["+1", *ROWS[5][1:]]]
    out = tmp_path / "ud"
    settle_file(book, _write(tmp_path / "r.csv", rows), "midtjylland", out, period="2021Q3")
    settle_file(book, _write(tmp_path / "r.csv", rows), "midtjylland", tmp_path / "ud2")
    files = [*out.glob("*.csv"), *(tmp_path / "ud2").glob("*.csv")]
    assert len(files) == 10
    for path in files:
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in row), (path.name, row)


def test_the_readme_names_each_file_s_columns_as_they_are_written(settled: tuple[Settlement, Path]) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for path in sorted(settled[1].glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert f"| `{path.name}` | {', '.join(f'`{name}`' for name in header)} |" in readme


def test_a_repeated_id_that_looks_like_a_cpr_number_is_not_echoed_in_the_reason(book: ivrules.Book) -> None:
    course = ["Aarhus", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1", "true"]
    result = Settler(book, "midtjylland", HEADER).run([["0101901234", *course], ["0101901234 ", *course]],
                                                      io.StringIO())
    assert result.rejected == [(3, "0101901234 ", "forløbets id en værdi med 10 cifre (vises ikke) i linje 3 er samme "
                                "forløb som en værdi med 10 cifre (vises ikke) i linje 2 (store og små bogstaver "
                                "og mellemrum før og efter tæller ikke)")]


@pytest.mark.parametrize(("fact", "written", "wrong"), [
    ("started_in_hospital", "    type: bool\n", "    type: bool\n    whole: true\n"),
    ("doses_per_day", "    whole: true  # a count: 1,5 doses is refused\n", "    whole: ja\n")])
def test_whole_belongs_to_a_number_fact_and_is_true_or_false(tmp_path: Path, fact: str, written: str,
                                                              wrong: str) -> None:
    folder = tmp_path / "agreements"
    shutil.copytree(AGREEMENTS, folder)
    path = folder / "vocabulary.yaml"
    text = path.read_text(encoding="utf-8")
    at = text.index(written, text.index(f"  {fact}:\n"))
    path.write_text(text[:at] + wrong + text[at + len(written):], encoding="utf-8")
    with pytest.raises(ivrules.AgreementError) as caught:
        ivrules.load(folder)
    assert f"'whole' for '{fact}' skal være true eller false og hører kun til et faktum af typen number" in str(
        caught.value) and "vocabulary.yaml:" in str(caught.value)


def test_settle_without_the_sql_extra_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "duckdb" else found(name, *a))
    path = _write(tmp_path / "r.csv", ROWS)
    result = CliRunner().invoke(app, ["settle", str(path), "-r", "midtjylland", "-o", str(tmp_path / "ud")])
    assert result.exit_code == 2
    assert "ivrules settle kræver pakken 'duckdb'. Installér den med: pip install 'ivrules[sql]'" in result.output
    assert not (tmp_path / "ud").exists()


PIECES = [b"a", b",", b";", b"\n", b"\r\n", b"\r", b'"', "æ".encode(), "😀".encode(), b"\xff", b"\x00", b"AB-17"]
UNQUOTED = [p for p in PIECES if p != b'"'] + ["😀".encode()[:2], b"\xed\xa0\x80", b"\xc0\xaf"]  # a cut character,
# a UTF-16 surrogate, an overlong encoding


@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(UNQUOTED), max_size=30))
def test_a_file_without_quotes_is_refused_as_the_whole_check_refuses_it(book: ivrules.Book, tmp_path: Path,
                                                                         pieces: list[bytes]) -> None:
    """Settlement leaves the UTF-8 check of a file without quotes to DuckDB's reader; where the file has a problem
    it names the same line and column as the whole check (``scan``)."""
    from ivrules.money import register

    path = tmp_path / "r.csv"
    path.write_bytes(b"course_id,municipality,start_date,end_date\n" + b"".join(pieces))
    try:
        register.scan(path)
        expected = None
    except RegisterError as exc:
        expected = str(exc)
    try:
        settle_file(book, path, "midtjylland", tmp_path / "ud")
        got = None
    except RegisterError as exc:
        got = str(exc)
    if expected is not None:
        assert got == expected
    else:
        assert got is None or ("UTF-8" not in got and "NUL" not in got)



@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=40), size=st.integers(min_value=1, max_value=9))
def test_the_whole_file_check_finds_the_same_in_any_size_of_chunk(pieces: list[bytes], size: int) -> None:
    from ivrules.money import register

    def outcome(chunk: int) -> str:
        register.CHUNK = chunk
        try:
            found = register.scan(path)
        except RegisterError as exc:
            return str(exc)
        finally:
            register.CHUNK = 1 << 24
        return repr(found)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.csv"
        path.write_bytes(b"course_id,kommune\n" + b"".join(pieces))
        assert outcome(size) == outcome(1 << 24)


def test_a_line_too_long_for_a_register_is_named_and_nothing_is_written(book: ivrules.Book, tmp_path: Path) -> None:
    from ivrules.money.register import LINE_LIMIT

    path = tmp_path / "r.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(ROWS[0]) + "\n" + "x" * (LINE_LIMIT + 1) + ",Aarhus\n",
                    encoding="utf-8")
    out = tmp_path / "ud"
    with pytest.raises(RegisterError) as caught:
        settle_file(book, path, "midtjylland", out)
    assert str(caught.value).startswith(f"{path}:3:1: fejl: linjen er længere end 1.048.576 tegn")
    assert list(out.iterdir()) == []
