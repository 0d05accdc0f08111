"""Mistakes in the tariff part of an agreement file: each one located (file:line:col), in Danish, all together."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrules.engine.book import load
from ivrules.errors import AgreementError
from tests.conftest import AGREEMENTS

HEAD = """\
region: midtjylland
title: Prøve
effective: 2030-01-01
source: {document: prøve}
interpretations:
  - {id: læsning, title: En læsning, reading: Sådan., rationale: Derfor.}
unknowns:
  - {id: ukendt_beløb, text: Aftalen angiver ikke beløbet., section: "1"}
sections:
  - {number: "1", title: Økonomi, text: Takster.}
"""

GOOD_TARIFF = """\
tariff:
  section: "1"
  financing: {region: 70 %, kommune: 30 %, remainder: kommune}
  invoice_date: slutdato
  interpretation: læsning
  schedules:
    - id: standard
      title: Standard
      applies: behandling = antibiotika
      bands:
        - {from_day: 1, to_day: 6, course: 2999 kr., text: Forløbstakst}
        - {from_day: 7, to_day: 28, per_day: 1000 kr., text: Dagstakst}
"""


def _load(tmp_path: Path, tariff: str) -> str:
    path = tmp_path / "prøve.yaml"
    path.write_text(HEAD + tariff, encoding="utf-8")
    try:
        load(path, root=AGREEMENTS)
    except AgreementError as exc:
        return str(exc)
    return "NO ERROR"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate((HEAD + text).splitlines(), 1) if needle in line)


def test_a_good_tariff_loads(tmp_path: Path) -> None:
    assert _load(tmp_path, GOOD_TARIFF) == "NO ERROR"


def test_shares_that_do_not_add_up_to_100_are_located(tmp_path: Path) -> None:
    text = GOOD_TARIFF.replace("kommune: 30 %", "kommune: 20 %")
    message = _load(tmp_path, text)
    assert f"prøve.yaml:{_line_of(text, 'financing')}:" in message
    assert "andelene giver 90 %, ikke 100 %" in message


@pytest.mark.parametrize(("old", "new", "words"), [
    ("course: 2999 kr.", "course: 2.999 kr.", "har mere end to decimaler"),
    ("course: 2999 kr.", "course: 2999 kroner", "efter et tal forventes en enhed"),
    ("course: 2999 kr.", "course: 2999", "skal være et beløb med enhed"),
    ("course: 2999 kr.", "course: 2999 dage", "enheden skal være 'kr.'"),
    ("region: 70 %", "region: 70 kr.", "enheden skal være '%'"),
    ("course: 2999 kr.", "course: {unknown: ukendt_belob}", "ukendt 'unknowns'-id 'ukendt_belob'"),
    ("applies: behandling = antibiotika", "applies: behandlingen = antibiotika", "ukendt faktum 'behandlingen'"),
    ("invoice_date: slutdato", "invoice_date: slutdag", "'slutdag' er ikke et datofaktum"),
    ("from_day: 7", "from_day: 8", "dagsintervallet 8-28 passer ikke"),
    ("interpretation: læsning", "interpretation: laesning", "ukendt fortolkning 'laesning'"),
    ('section: "1"', 'section: "8.2"', "henviser til afsnit 8.2, som ikke findes"),
])
def test_each_mistake_gives_its_message(tmp_path: Path, old: str, new: str, words: str) -> None:
    text = GOOD_TARIFF.replace(old, new)
    message = _load(tmp_path, text)
    assert words in message, message
    assert f"prøve.yaml:{_line_of(text, new)}:" in message


def test_an_amount_error_points_at_the_amount(tmp_path: Path) -> None:
    text = GOOD_TARIFF.replace("course: 2999 kr.", "course: 2.999 kr.")
    message = _load(tmp_path, text)
    line = _line_of(text, "2.999 kr.")
    column = (HEAD + text).splitlines()[line - 1].index("2.999") + 1
    assert f"prøve.yaml:{line}:{column}: fejl: beløbet 2.999 kr. har mere end to decimaler" in message
    assert "tusindtalsskilletegn" in message


def test_a_schedule_needs_exactly_one_way_of_pricing(tmp_path: Path) -> None:
    text = GOOD_TARIFF.replace("      bands:\n", "      per_minute: 5 kr.\n      bands:\n")
    assert "et takstskema skal have præcis én af 'bands', 'categories'" in _load(tmp_path, text)


def test_a_flag_rule_needs_its_flag(tmp_path: Path) -> None:
    text = GOOD_TARIFF + "  rules:\n    - {id: r, when: antal_antibiotika > 1, effect: flag, text: To.}\n"
    assert "'flag' skal angives, når og kun når effect er 'flag'" in _load(tmp_path, text)


def test_an_unknown_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    text = GOOD_TARIFF.replace("invoice_date:", "invoice_dato:")
    message = _load(tmp_path, text)
    assert "ukendt nøgle 'invoice_dato'" in message and "mente du 'invoice_date'?" in message


def test_all_mistakes_are_reported_together(tmp_path: Path) -> None:
    text = (GOOD_TARIFF.replace("kommune: 30 %", "kommune: 20 %").replace("course: 2999 kr.", "course: 2999")
            .replace("invoice_date: slutdato", "invoice_date: slutdag"))
    message = _load(tmp_path, text)
    assert message.rstrip().endswith("3 fejl"), message


def test_categories_must_name_a_number_fact(tmp_path: Path) -> None:
    text = HEAD + """\
tariff:
  section: "1"
  financing: {region: 70 %, kommune: 30 %}
  invoice_date: slutdato
  schedules:
    - id: kategori
      title: Kategori
      by: behandling
      categories:
        - {category: 0, course: 200 kr., text: Nul}
        - {category: 0, course: {unknown: ukendt_beløb}, text: Nul igen}
"""
    path = tmp_path / "kategori.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        load(path, root=AGREEMENTS)
    message = str(caught.value)
    assert "'behandling' er ikke et kategorifaktum" in message
    assert "kategori 0 står to gange" in message
