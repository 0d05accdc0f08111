"""Revision diffs of tariffs: Midtjylland 2020 → 2021, amounts with per cent, and a register's money."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivrules.cli.main import app
from ivrules.diff.cases import answer
from ivrules.diff.cost import register_cost
from ivrules.diff.report import to_markdown, to_text
from ivrules.diff.revisions import OUTCOME, WORDING, Diff, Revision, diff, from_text
from ivrules.diff.tariff import percent, tariff_summary
from ivrules.engine.course import quote
from ivrules.errors import Diagnostics
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.load import load_vocabulary
from ivrules.money.settle import RegisterError
from tests.conftest import AGREEMENTS

MJ = AGREEMENTS / "midtjylland"
runner = CliRunner()


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary(AGREEMENTS, Diagnostics())


def revision(vocab: Vocabulary, name: str, *edits: tuple[str, str]) -> Revision:
    text = (MJ / name).read_text(encoding="utf-8")
    for before, after in edits:
        assert before in text, before
        text = text.replace(before, after)
    return from_text(f"midtjylland/{name}", text, vocab)


@pytest.fixture(scope="module")
def mj(vocab: Vocabulary) -> Diff:
    return diff(revision(vocab, "2020-06-01.yaml"), revision(vocab, "2021-05-01.yaml"), search=50)


def change(result: Diff, ident: str) -> object:
    return next(c for c in result.changes if c.id == ident)


def test_the_0_day_and_two_antibiotics_changes_are_rule_changes(mj: Diff) -> None:
    # Before 1 May 2021 the source is silent on 0-days (the price is unknown); from then they are billed.
    zero = change(mj, "tariff:rule:dage_uden_dosis_afregnes")
    two = change(mj, "tariff:rule:to_slags_antibiotika")
    assert (zero.kind, zero.effect, zero.section) == ("changed", OUTCOME, "8.2")  # type: ignore[attr-defined]
    assert "prisen kan ikke beregnes" in zero.before and "afregnes med" in zero.after  # type: ignore[attr-defined]
    assert two.effect == OUTCOME and "prisen kan ikke beregnes" in two.before  # type: ignore[attr-defined]
    assert "afregnes som ét forløb" in two.after  # type: ignore[attr-defined]
    assert change(mj, "tariff:beyond").effect == WORDING  # a changed text changes no price
    assert change(mj, "section:8.3").kind == "added"


def test_a_course_with_a_day_without_dose_is_priced_differently(mj: Diff) -> None:
    assert mj.cases is not None
    zero_days = [c for c in mj.cases.cases if c.facts.get("days_without_dose", 0) >= 1
                 and c.after.get("tariff") == "computed"]
    # Unknown before 1 May 2021 (the source is silent), priced from then with every day billed.
    assert zero_days and all(c.before.get("tariff") == "unknown" for c in zero_days)
    assert all("tariff:rule:dage_uden_dosis_afregnes" in c.because for c in zero_days)


def test_a_course_with_two_antibiotics_is_priced_under_2021_only(mj: Diff) -> None:
    assert mj.cases is not None
    two = [c for c in mj.cases.cases
           if c.facts.get("antibiotics_count") == 2 and c.facts.get("treatment") == "antibiotics"]
    assert two
    assert all("tariff:rule:to_slags_antibiotika" in c.because for c in two)
    assert any(c.before["tariff"] == "unknown" and c.after["tariff"] == "computed" for c in two)


def test_reported_cases_answer_differently(mj: Diff) -> None:
    assert mj.cases is not None
    for case in mj.cases.cases:
        before, after = answer(mj.old, case.facts), answer(mj.new, case.facts)
        assert before is not None and after is not None and before.summary != after.summary


def test_a_changed_amount_shows_old_new_and_per_cent(vocab: Vocabulary) -> None:
    old = revision(vocab, "2021-05-01.yaml")
    new = revision(vocab, "2021-05-01.yaml", ("course: 2999 kr.", "course: 3040.99 kr."),
                   ("financing: {region: 70 %, kommune: 30 %", "financing: {region: 60 %, kommune: 40 %"))
    result = diff(old, new, search=0)
    band = change(result, "tariff:schedule:standardforløb:band:1-6")
    assert [c.id for c in result.changes] == ["tariff:financing", "tariff:schedule:standardforløb:band:1-6"]
    assert band.amounts == ("2999.00", "3040.99", "1.4")  # type: ignore[attr-defined]
    assert "2.999,00 kr. → 3.040,99 kr. (+1,4 %)" in band.text  # type: ignore[attr-defined]
    assert change(result, "tariff:financing").after == "regionen 60 %, kommunen 40 %"  # type: ignore[attr-defined]
    assert result.cases is not None
    # In 2021 the amounts are the agreement's own; from 2022 the PL index applies to both sides alike.
    both = [c for c in result.cases.cases if len(c.because) == 2 and c.facts["start_date"] < "2022"]
    assert both and all(Decimal(c.after["total"]) - Decimal(c.before["total"]) == Decimal("41.99") for c in both)
    shares = [c for c in result.cases.cases if c.because == ("tariff:financing",)]  # pump courses: only the split
    assert shares and all(c.before["total"] == c.after["total"] != c.after["region_share"] for c in shares)
    data = json.loads(json.dumps(result.to_dict()))
    row = next(c for c in data["changes"] if c["id"] == "tariff:schedule:standardforløb:band:1-6")
    assert (row["amount_before"], row["amount_after"], row["percent"]) == ("2999.00", "3040.99", "1.4")


def test_percent() -> None:
    assert percent(Decimal(1000), Decimal(1014)) == "1.4"
    assert percent(Decimal(333), Decimal(300)) == "-9.9"
    assert percent(Decimal(0), Decimal(5)) is None and percent(None, Decimal(5)) is None


# --- money --------------------------------------------------------------------------------------------

MIDT = ("Aarhus", "Silkeborg", "Viborg", "Horsens", "Randers")


def synthetic_register(path: Path, courses: int = 300, seed: int = 7) -> Path:
    """Courses starting from May 2021, some with days without a dose and some with two antibiotics."""
    rng = random.Random(seed)
    columns = ["course_id", "municipality", "treatment", "doses_per_day", "system", "antibiotics_count",
               "start_date", "end_date", "days_without_dose"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for i in range(courses):
            start = dt.date(2021, 5, 1) + dt.timedelta(days=rng.randrange(200))
            days = rng.randint(1, 32)
            fluids = rng.random() < 0.2
            writer.writerow([f"F{i:04d}", rng.choice(MIDT), "isotonic_fluids" if fluids else "antibiotics",
                             rng.choice((1, 3)), "" if fluids else rng.choice(("codan_mix_add", "elastomeric_pump")),
                             "" if fluids else rng.choice((1, 1, 1, 2)), start.isoformat(),
                             (start + dt.timedelta(days=days - 1)).isoformat(),
                             rng.choice((0, 0, 0, 1, 2)) if days > 2 else 0])
    return path


def test_the_effect_on_a_synthetic_register(vocab: Vocabulary, tmp_path: Path) -> None:
    register = synthetic_register(tmp_path / "forløb.csv")
    result = diff(revision(vocab, "2020-06-01.yaml"), revision(vocab, "2021-05-01.yaml"), search=0, courses=register)
    assert result.cost is not None
    data = result.cost.to_dict()
    total = data["total"]
    assert data["courses"] == total["courses"] == 300
    before, after = total["before"], total["after"]
    assert Decimal(after["total"]) > Decimal(before["total"])  # 0-days are paid and two antibiotics priced
    assert before["not_priced"].get("unknown", 0) > after["not_priced"].get("unknown", 0)
    assert total["changed"] > 0
    for side in (before, after):
        assert Decimal(side["region_share"]) + Decimal(side["municipality_share"]) == Decimal(side["total"])
    rows = data["municipalities"]
    assert sorted(r["name"] for r in rows) == sorted(MIDT)
    for key in ("total", "region_share", "municipality_share"):
        assert sum(Decimal(r["after"][key]) for r in rows) == Decimal(after[key])
        assert sum(Decimal(r["difference"][key]) for r in rows) == Decimal(total["difference"][key])
    assert "Økonomi for 300 forløb" in to_text(result)
    assert "| I alt |" in to_markdown(result)


def test_a_register_is_read_with_the_settlement_checks(vocab: Vocabulary, tmp_path: Path) -> None:
    old, new = revision(vocab, "2020-06-01.yaml"), revision(vocab, "2021-05-01.yaml")
    path = tmp_path / "forløb.csv"
    path.write_text("municipality;start_date;end_date\nAarhus;2021-05-01;2021-05-02\n", encoding="utf-8")
    with pytest.raises(RegisterError, match="kolonnen 'forløbs_id' mangler"):
        register_cost(old, new, path)
    path.write_text("course_id;municipality;start_date;end_date\nA;Aarhus;2021-05-01;2021-05-02\nB;Aarhus\n"
                    "C;Aarhus;2021-05-01;2021-05-32\n", encoding="utf-8")
    register = register_cost(old, new, path, sample=10)
    assert register.sample == [{"municipality": "Aarhus", "start_date": "2021-05-01", "end_date": "2021-05-02"},
                               {"municipality": "Aarhus", "start_date": "2021-05-01", "end_date": "2021-05-32"}]
    data = register.cost.to_dict()
    assert (data["courses"], data["rejected_rows"]) == (2, 1)  # B has two cells of four
    assert data["total"]["before"]["not_priced"] == {"rejected": 1, "unknown": 1}  # C's end date does not exist
    with pytest.raises(RegisterError, match="kan ikke læse filen"):
        register_cost(old, new, tmp_path / "ingen.csv")


def test_cli_diff_with_courses(tmp_path: Path) -> None:
    register = synthetic_register(tmp_path / "forløb.csv", courses=40)
    result = runner.invoke(app, ["diff", str(MJ / "2020-06-01.yaml"), str(MJ / "2021-05-01.yaml"), "--courses",
                                 str(register), "--search", "0", "--json", "--agreements", str(AGREEMENTS)])
    assert result.exit_code == 0, result.output
    cost = json.loads(result.output)["cost"]
    assert cost["courses"] == 40 and set(cost["total"]) >= {"before", "after", "difference"}


def test_the_site_has_a_changes_page_per_consecutive_pair(vocab: Vocabulary) -> None:
    from ivrules.engine.book import load
    from ivrules.site.diff import change_pages
    from ivrules.site.render import Context, environment

    book = load(AGREEMENTS)
    pages = {p.path: p for p in change_pages(Context(book, environment()))}
    pairs = sum(max(len(book.agreements(r)) - 1, 0) for r in book.regions)
    assert len(pages) == pairs
    page = pages["midtjylland/2021-05-01/aendringer/index.md"]
    assert page.nav == ("Region Midtjylland", "Udgave 1. maj 2021", "Ændringer")
    assert page.content.startswith("# Ændringer fra udgaven af 1. juni 2020 til udgaven af 1. maj 2021\n")
    assert "Afregningsreglen »Dage uden dosis (0-dage) afregnes med; regionen betaler for alle …«" in page.content
    assert "_" not in page.content.replace("\\_", "")  # no identifier: only agreement words, escaped for Markdown


def test_register_money_equals_pricing_each_course_alone(vocab: Vocabulary, tmp_path: Path) -> None:
    old, new = revision(vocab, "2020-06-01.yaml"), revision(vocab, "2021-05-01.yaml")
    register = register_cost(old, new, synthetic_register(tmp_path / "forløb.csv", courses=200, seed=3), sample=200)
    assert len(register.sample) == 200
    for rev, side in ((old, register.cost.total.before), (new, register.cost.total.after)):
        quotes = [quote(rev.ruleset, vocab, vocab.normalise(facts)) for facts in register.sample]
        assert side.total == sum((q.total for q in quotes if q.total is not None), Decimal(0))
        assert side.region_share == sum((q.region_share for q in quotes if q.region_share is not None), Decimal(0))
        assert side.priced == sum(q.status == "computed" for q in quotes)
        assert side.not_priced == dict(Counter(q.status for q in quotes if q.status != "computed"))
    changed = sum(tariff_summary(quote(old.ruleset, vocab, vocab.normalise(f)))
                  != tariff_summary(quote(new.ruleset, vocab, vocab.normalise(f))) for f in register.sample)
    assert register.cost.total.changed == changed


def test_a_tariff_removed_is_one_change_that_causes_the_price_differences(vocab: Vocabulary) -> None:
    text = (MJ / "2021-05-01.yaml").read_text(encoding="utf-8")
    start, end = text.index("\ntariff:\n"), text.index("\nexamples:\n")
    without = from_text("uden_takster.yaml", text[:start] + text[end:], vocab)
    result = diff(revision(vocab, "2021-05-01.yaml"), without, search=0)
    assert [(c.id, c.kind, c.effect) for c in result.changes] == [("tariff", "removed", OUTCOME)]
    assert result.cases is not None and result.cases.cases
    assert {c.because for c in result.cases.cases} == {("tariff",)}
    assert all(c.after["tariff"] in ("unknown", "not_covered") for c in result.cases.cases)
