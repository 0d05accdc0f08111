"""Settling a register: files, invariants, rejections, whole-file errors and the halves property."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
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
from ivrules.money.register import settle_file
from ivrules.money.settle import Invoice, RegisterError, Settlement, Settler, parse_period
from tests.conftest import AGREEMENTS

HEADER = ["course_id", "municipality", "start_date", "end_date", "treatment", "system", "doses_per_day",
          "days_without_dose", "antibiotics_count"]
ROWS = [
    ["a1", "Aarhus", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1"],
    ["a2", "Aarhus", "2021-06-01", "2021-06-30", "antibiotics", "codan_mix_add", "3", "0", "1"],
    ["a3", "Viborg", "2020-09-01", "2020-09-05", "isotonic_fluids", "", "1", "0", ""],
    ["a4", "Viborg", "2020-09-01", "2020-09-05", "antibiotics", "codan_mix_add", "3", "", "1"],
    ["a5", "Odense", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1"],
    ["a6", "Aarhus", "2021-06-07", "2021-06-01", "antibiotics", "codan_mix_add", "3", "0", "1"],
    ["a1", "Aarhus", "2021-06-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1"],
    ["a8", "Aarhus", "2021-13-01", "2021-06-07", "antibiotics", "codan_mix_add", "3", "0", "1"],
    ["a9", "Aarhus", "2021-06-01", "2021-06-07", "chemotherapy", "codan_mix_add", "3", "0", "1"],
    ["a10", "Aarhus", "2021-06-01"],
    ["F-11, Skive", "Skive", "2021-06-01", "2021-06-09", "antibiotics", "elastomeric_pump", "1", "2", "2"],
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
def settled(book: ivrules.Book, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settlement, Path]:
    folder = tmp_path_factory.mktemp("afregning")
    return settle_file(book, _write(folder / "register.csv", ROWS), "midtjylland", folder / "ud"), folder / "ud"


def test_every_row_is_settled_or_rejected(settled: tuple[Settlement, Path]) -> None:
    result, out = settled
    courses, rejected = _read(out / "courses.csv"), _read(out / "rejected.csv")
    assert result.rows == len(ROWS) == len(courses) + len(rejected) == result.settled + len(result.rejected)
    assert [c["course_id"] for c in courses] == ["a1", "a2", "a3", "F-11, Skive"]
    assert sorted(out.iterdir()) == sorted(out / name for name in (
        "courses.csv", "invoices.csv", "rejected.csv", "summary.txt", "activity.csv", "activity.svg"))


def test_the_settled_courses_carry_amounts_revision_and_flags(settled: tuple[Settlement, Path]) -> None:
    courses = {c["course_id"]: c for c in _read(settled[1] / "courses.csv")}
    assert courses["a2"] == {"course_id": "a2", "municipality": "Aarhus", "quarter": "2021Q2", "kind": "standardforløb",
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
    assert rejected["a1"] == ("8", "forløbets id 'a1' står allerede i en tidligere række")
    assert rejected["a8"] == ("9", "startdato '2021-13-01' er ikke en dato (ÅÅÅÅ-MM-DD)")
    assert "antibiotika og isotone væsker" in rejected["a9"][1]
    assert rejected["a10"] == ("11", "rækken har 3 felter; overskriften har 9")


def test_the_summary_and_the_plot(settled: tuple[Settlement, Path]) -> None:
    summary = (settled[1] / "summary.txt").read_text(encoding="utf-8")
    assert "Rækker læst: 11" in summary and "Afregnet: 4 forløb" in summary and "Afvist: 7 rækker" in summary
    assert "Samlet: 31.997,00 kr.; regionens andel 22.397,90 kr., kommunernes andel 9.599,10 kr." in summary
    assert "(kræver bilateral aftale): 1" in summary
    assert (settled[1] / "activity.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    activity = _read(settled[1] / "activity.csv")
    assert {"quarter": "2020Q3", "kind": "Pumpe og væske med 1 behandling pr. dag", "courses": "1",
            "total": "1000.00"} in activity


def test_a_period_settles_one_quarter_and_rejects_the_rest(book: ivrules.Book, tmp_path: Path) -> None:
    result = settle_file(book, _write(tmp_path / "r.csv", ROWS), "midtjylland", tmp_path / "ud", period="2020Q3")
    assert result.settled == 1 and result.rows == len(ROWS)
    assert ("forløbet afregnes i 2021Q2, ikke i perioden 2020Q3") in {why for _, _, why in result.rejected}


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
    reasons = [why for _, _, why in result.rejected]
    assert reasons == ["kan ikke beregnes: Aftalen angiver ikke beløbet for tyngdekategori 2.",
                       "kan ikke beregnes: Der mangler oplysninger: tyngdekategori."]


@pytest.mark.parametrize(("content", "where", "words"), [
    (b"course_id,municipality,start_date,end_date\nx1,\xe6rh,2021-06-01,2021-06-02\n", ":2:4:", "ikke UTF-8"),
    (b"course_id,municipality,start_date\n", ":1:1:", "kolonnen 'end_date' mangler"),
    (b"course_id,municipality,start_date,end_date,tyngdekatgori\n", ":1:44:", "ukendt kolonne 'tyngdekatgori'"),
    (b"", ":1:1:", "registret er tomt"),
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
    assert "Afregning for Region Midtjylland, 2. kvartal 2021" in result.stdout
    assert "Afregnet: 3 forløb" in result.stdout


def test_the_cli_exits_2_on_a_bad_register_or_period(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"course_id\n")
    result = CliRunner().invoke(app, ["settle", str(path), "-r", "midtjylland", "-o", str(tmp_path / "ud")])
    assert result.exit_code == 2 and "r.csv:1:1: fejl: kolonnen 'municipality' mangler" in result.output
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
            item["without"], item["count"]]


def _invoices(settlements: list[Settlement]) -> dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]]:
    out: dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]] = {}
    for invoice in (i for s in settlements for i in s.invoices()):
        old = out.get((invoice.municipality, invoice.quarter), (0, Decimal(0), Decimal(0), Decimal(0)))
        out[(invoice.municipality, invoice.quarter)] = (
            old[0] + invoice.courses, old[1] + invoice.total, old[2] + invoice.region_share,
            old[3] + invoice.municipality_share)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(REGISTER_ROW, max_size=40), cut=st.integers(min_value=0, max_value=40))
def test_two_halves_give_the_invoices_of_the_whole(book: ivrules.Book, items: list[dict[str, Any]], cut: int) -> None:
    rows = [_row(n, item) for n, item in enumerate(items)]
    whole = Settler(book, "midtjylland", HEADER).run(rows, io.StringIO())
    first = Settler(book, "midtjylland", HEADER).run(rows[:cut], io.StringIO())
    second = Settler(book, "midtjylland", HEADER).run(rows[cut:], io.StringIO())
    assert _invoices([first, second]) == _invoices([whole])
    assert whole.rows == len(rows) == whole.settled + len(whole.rejected)
    total, region, kommune = whole.totals()
    assert region + kommune == total == sum((i.total for i in whole.invoices()), Decimal(0))


def test_one_settler_can_settle_twice_without_mixing_the_counts(book: ivrules.Book) -> None:
    settler = Settler(book, "midtjylland", HEADER)
    first = settler.run([ROWS[0]], io.StringIO())
    second = settler.run([ROWS[0], ROWS[1]], io.StringIO())
    assert (first.settled, second.settled) == (1, 2)
    assert first.invoices() == [Invoice("Aarhus", "2021Q2", 1, Decimal("3999"), Decimal("2799.30"),
                                        Decimal("1199.70"))]


def test_a_fact_derived_from_the_start_date_is_not_shared_between_dates(book: ivrules.Book) -> None:
    header = ["course_id", "municipality", "start_date", "end_date", "treatment", "system", "doses_per_day",
              "birth_date"]
    course = ["Aarhus", "2021-06-01", "2021-06-02", "antibiotics", "codan_mix_add", "3"]
    rows = [["b1", *course, "2017-06-01"], ["b2", *course, "2017-06-02"],
            ["b3", "Aarhus", "2021-06-03", "2021-06-04", *course[3:], "2017-06-02"]]
    result = Settler(book, "midtjylland", header).run(rows, io.StringIO())
    assert result.settled == 2  # b2 is 3 years old on its start date; b3, two days later, is 4
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
    course = ["antibiotics", "codan_mix_add", "3", "0", "1"]
    rows = [["s0", "Skive", "2021-06-01", "2021-06-02", *course]]
    rows += [[f"a{n}", "Aarhus", start.isoformat(), (start + dt.timedelta(days=1)).isoformat(), *course]
             for n, start in enumerate(starts)]
    written = io.StringIO()
    result = Settler(book, "midtjylland", HEADER).run(rows, written)
    assert result.settled == len(rows) and not result.rejected
    quarters = [f"{start.year}Q{(start.month - 1) // 3 + 1}" for start in starts]
    assert len(set(quarters)) == 4100 and quarters[0] == "2021Q3"
    lines = list(csv.reader(io.StringIO(written.getvalue())))
    assert [line[:3] for line in lines] == [["s0", "Skive", "2021Q2"]] + [
        [f"a{n}", "Aarhus", quarter] for n, quarter in enumerate(quarters)]
    invoices = {(i.municipality, i.quarter): i.courses for i in result.invoices()}
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
    row = ["q1", "Aarhus", "2021-06-25", "2021-07-05", "antibiotics", "codan_mix_add", "3", "0", "1"]
    written = io.StringIO()
    assert Settler(book, "midtjylland", HEADER).run([row], written).settled == 1
    assert written.getvalue().split(",")[:3] == ["q1", "Aarhus", quarter]
