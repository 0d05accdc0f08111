"""The JSON Schema of each kind of agreement file (``ivrules schema``): the shipped files are the generated ones,
every real file validates against its kind's schema, and the key mistakes the loader rejects, the schema rejects."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from typer.testing import CliRunner

from ivrules.cli.main import app
from ivrules.lsp.format import FILES, kind_of
from ivrules.lsp.schema import file_name, schema
from tests.conftest import AGREEMENTS, ROOT

SCHEMAS = ROOT / "schemas"


def plain(path: Path | None = None, text: str | None = None) -> Any:
    """A YAML file as JSON would hold it (dates as text)."""
    data = yaml.safe_load(text if text is not None else path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v)))


def validator(kind: str) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(schema(kind))


def test_the_shipped_schemas_are_the_generated_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(file_name(kind) for kind in FILES)
    for path in tmp_path.iterdir():
        assert (SCHEMAS / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"schemas/{path.name} is stale: run 'ivrules schema --out schemas'")


FILES_ON_DISK = sorted([*AGREEMENTS.glob("*.yaml"), *AGREEMENTS.glob("*/*.yaml")])


@pytest.mark.parametrize("path", FILES_ON_DISK, ids=lambda p: str(p.relative_to(AGREEMENTS)))
def test_every_agreement_file_validates_against_its_schema(path: Path) -> None:
    errors = [f"{e.instance_path}: {e.message}" for e in validator(kind_of(path.name)).iter_errors(plain(path))]
    assert errors == []


def test_every_kind_of_file_is_on_disk() -> None:
    assert {kind_of(p.name) for p in FILES_ON_DISK} == set(FILES)


MIDT = AGREEMENTS / "midtjylland" / "2020-06-01.yaml"


@pytest.mark.parametrize(("path", "old", "new", "where"), [
    (MIDT, "\nsections:", "\nsectons:", []),  # a misspelt top key: unknown, and 'sections' missing
    (MIDT, "        explain:", "        explian:", ["sections"]),  # deep in a rule
    (MIDT, "\ntitle:", "\n# title:", []),  # a required key missing
    (AGREEMENTS / "vocabulary.yaml", "    question:", "    spørgsmål:", ["facts"]),
    (AGREEMENTS / "accession.yaml", "    complete:", "    komplet:", ["accessions"]),
    (AGREEMENTS / "municipalities.yaml", "    island:", "    ø:", ["municipalities"]),
    (AGREEMENTS / "regions.yaml", "    name:", "    navn:", ["regions"]),
])
def test_a_key_mistake_is_rejected_where_it_is(path: Path, old: str, new: str, where: list[str]) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    errors = list(validator(kind_of(path.name)).iter_errors(plain(text=text.replace(old, new, 1))))
    assert errors
    assert all(list(e.instance_path)[: len(where)] == where for e in errors)


def test_unknown_key_of_tests_bad_is_rejected_as_the_loader_rejects_it() -> None:
    errors = list(validator("agreement").iter_errors(plain(ROOT / "tests" / "bad" / "unknown_key.yaml")))
    assert [list(e.instance_path) for e in errors] == [["sections", 0, "rules", 0]]
    assert "explian" in errors[0].message


def test_the_schema_describes_keys_in_danish() -> None:
    rule = schema("agreement")["properties"]["sections"]["items"]["properties"]["rules"]["items"]
    assert rule["properties"]["explain"]["description"] == "en dansk sætning, der forklarer reglen for en læge"
    assert rule["required"] == ["id"] and rule["additionalProperties"] is False
