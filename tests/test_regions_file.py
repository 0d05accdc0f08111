"""regions.yaml: the regions are data — their ids, Danish names and order come from the file, not from Python."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import jinja2
import pytest

import ivrules
from ivrules.site.compare import compare
from ivrules.site.render import Context
from tests.conftest import AGREEMENTS

REGIONS = "regions.yaml"
ROOT_FILES = ("vocabulary.yaml", "municipalities.yaml", REGIONS)
AGREEMENT = """region: {region}
title: En lille aftale
effective: 2021-01-01
source:
  document: Testaftale
sections:
  - number: "1"
    title: Målgruppen
    text: Væske.
    rules:
      - id: behandling
        rule: behandling = isotone_væsker
        explain: Væske.
"""


def _folder(tmp_path: Path, regions: str, agreements: tuple[str, ...] = ()) -> Path:
    for name in ROOT_FILES:
        shutil.copy(AGREEMENTS / name, tmp_path / name)
    (tmp_path / REGIONS).write_text(regions, "utf-8")
    for region in agreements:
        (tmp_path / region).mkdir()
        (tmp_path / region / "2021-01-01.yaml").write_text(AGREEMENT.format(region=region), "utf-8")
    return tmp_path


def _regions(*pairs: tuple[str, str]) -> str:
    return "regions:\n" + "".join(f"  - id: {ident}\n    name: {name}\n" for ident, name in pairs)


ALL = (("nordjylland", "Region Nordjylland"), ("midtjylland", "Region Midtjylland"),
       ("syddanmark", "Region Syddanmark"), ("hovedstaden", "Region Hovedstaden"), ("sjaelland", "Region Sjælland"))


def _error(folder: Path) -> str:
    with pytest.raises(ivrules.AgreementError) as caught:
        ivrules.load(folder)
    return str(caught.value)


def test_the_real_file_names_every_region_in_order() -> None:
    book = ivrules.load(AGREEMENTS)
    assert book.vocabulary.regions == dict(ALL)
    assert book.regions == [ident for ident, _ in ALL]


def test_order_and_names_come_from_the_file(tmp_path: Path) -> None:
    """A made-up region, listed first, is a region like the others: nothing in Python names it."""
    folder = _folder(tmp_path, _regions(("bornholm", "Region Bornholm"), *reversed(ALL)),
                     ("sjaelland", "bornholm", "midtjylland"))
    book = ivrules.load(folder)
    assert book.regions == ["bornholm", "sjaelland", "midtjylland"]  # the file's order
    assert book.eligibility("bornholm", {"date": "2021-06-01", "treatment": "isotonic_fluids"}).eligible is True
    ctx = Context(book, jinja2.Environment())
    assert [ctx.region_name(r) for r in book.regions] == ["Region Bornholm", "Region Sjælland", "Region Midtjylland"]
    assert [c.region for c in compare(book, dt.date(2021, 6, 1)).columns] == book.regions


def test_an_agreement_for_an_undeclared_region_is_a_located_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, _regions(*ALL), ("bornholm",))
    message = _error(folder)
    assert "bornholm/2021-01-01.yaml:1:9: fejl: ukendt region 'bornholm'" in message
    assert "forventet: nordjylland, midtjylland, syddanmark, hovedstaden, sjaelland" in message


def test_a_duplicate_region_is_a_located_error(tmp_path: Path) -> None:
    message = _error(_folder(tmp_path, _regions(*ALL, ("midtjylland", "Region Midt"))))
    assert "regions.yaml:12:9: fejl: regionen 'midtjylland' står to gange i regions.yaml" in message
    assert "tip: den første står i linje 4; slet eller omdøb den ene" in message


def test_a_region_without_a_name_is_a_located_error(tmp_path: Path) -> None:
    text = _regions(*ALL).replace("    name: Region Syddanmark\n", "")
    message = _error(_folder(tmp_path, text))
    assert "regions.yaml:6:5: fejl: nøglen 'name' mangler i regions[2]" in message
    empty = _regions(*ALL).replace("name: Region Syddanmark", 'name: ""')
    assert "regions.yaml:7:11: fejl: regionen 'syddanmark' har intet navn" in _error(_folder(tmp_path, empty))


def test_an_unknown_key_in_the_file_is_a_located_error(tmp_path: Path) -> None:
    text = _regions(*ALL).replace("    name: Region Syddanmark\n", "    name: Region Syddanmark\n    navn: Syd\n")
    message = _error(_folder(tmp_path, text))
    assert "regions.yaml:8:5: fejl: ukendt nøgle 'navn' i regions[2]" in message
    assert "forventet: en af id, name" in message


def test_a_municipality_in_an_undeclared_region_is_a_located_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, _regions(*ALL))
    path = folder / "municipalities.yaml"
    text = path.read_text("utf-8").replace("region: sjaelland", "region: sjælland", 1)
    path.write_text(text, "utf-8")
    message = _error(folder)
    assert "municipalities.yaml:" in message and "fejl: ukendt region 'sjælland'" in message
    assert "mente du 'sjaelland'?" in message


def test_an_accession_line_for_an_undeclared_region_is_a_located_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, _regions(*ALL[:2]))
    (folder / "accession.yaml").write_text(
        "accessions:\n  - region: syddanmark\n    agreement: 2021-01-01\n    complete: true\n"
        "    source: Test\n    members: []\n", "utf-8")
    message = _error(folder)
    assert "accession.yaml:2:13: fejl: ukendt region 'syddanmark'" in message
    assert "forventet: nordjylland, midtjylland" in message
