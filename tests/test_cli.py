"""The ivrules command as a secretariat and a doctor use it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app
from tests.conftest import AGREEMENTS, ANTIBIOTICS_COURSE, ROOT

runner = CliRunner()


def test_check_passes_on_the_agreements() -> None:
    result = runner.invoke(app, ["check", str(AGREEMENTS)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:")


def test_check_reports_every_located_mistake_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "agreements"
    shutil.copytree(AGREEMENTS, broken)
    target = broken / "midtjylland" / "2020-06-01.yaml"
    text = target.read_text(encoding="utf-8")
    text = text.replace("rule: alder > 3 år", "rule: aldr > 3 år")
    text = text.replace("rule: adgang i {PVK,", "rule: adgang i {PKV,")
    target.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(target)])
    assert result.exit_code == 2
    assert f"{target}:" in result.output and "ukendt faktum 'aldr'" in result.output
    assert "mente du 'PVK'?" in result.output and "^^^" in result.output


def test_eligibility_json_is_the_contract(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(ANTIBIOTICS_COURSE), encoding="utf-8")
    result = runner.invoke(app, ["eligibility", "--region", "midtjylland", "--facts", str(facts), "--json",
                                 "--agreements", str(AGREEMENTS)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"region", "revision", "eligible", "reasons", "missing", "conditions"} <= set(data)
    assert data["eligible"] is True and data["revision"] == "2020-06-01"
    assert {"rule", "section", "outcome", "text"} == set(data["reasons"][0])


def test_eligibility_from_stdin_in_danish() -> None:
    result = runner.invoke(app, ["eligibility", "-r", "midtjylland", "-f", "-", "-a", str(AGREEMENTS)],
                           input=json.dumps({**ANTIBIOTICS_COURSE, "municipality": "Samsø"}))
    assert result.exit_code == 0
    assert "NEJ" in result.output and "afsnit 10" in result.output


def test_unknown_fact_is_an_input_error_naming_the_field() -> None:
    result = runner.invoke(app, ["eligibility", "-r", "midtjylland", "-f", "-", "-a", str(AGREEMENTS)],
                           input=json.dumps({"date": "2020-09-01", "cpr": "010101-1234"}))
    assert result.exit_code == 2
    assert "`cpr`: ukendt faktum" in result.output  # the name as the user wrote it, marked as code
    assert "Traceback" not in result.output


def test_bad_json_and_missing_date_are_input_errors() -> None:
    bad = runner.invoke(app, ["eligibility", "-r", "midtjylland", "-f", "-", "-a", str(AGREEMENTS)], input="{")
    assert bad.exit_code == 2 and "ikke gyldig JSON" in bad.output
    no_date = runner.invoke(app, ["eligibility", "-r", "midtjylland", "-f", "-", "-a", str(AGREEMENTS)],
                            input=json.dumps({"age_years": 4}))
    assert no_date.exit_code == 2 and "date" in no_date.output


def test_unknown_region_and_date_before_any_revision() -> None:
    region = runner.invoke(app, ["eligibility", "-r", "fyn", "-f", "-", "-a", str(AGREEMENTS)],
                           input=json.dumps({"date": "2020-09-01"}))
    assert region.exit_code == 2 and "Ukendt region 'fyn'" in region.output
    early = runner.invoke(app, ["eligibility", "-r", "midtjylland", "-f", "-", "-a", str(AGREEMENTS)],
                          input=json.dumps({"date": "2019-01-01"}))
    assert early.exit_code == 2 and "Ingen aftale for Region Midtjylland er gældende den 1. januar 2019" in early.output


def test_facts_lists_the_questions() -> None:
    result = runner.invoke(app, ["facts", "--region", "midtjylland", "--json", "-a", str(AGREEMENTS)])
    assert result.exit_code == 0
    names = {f["name"]: f for f in json.loads(result.output)}
    assert {"age_years", "birth_date", "treatment", "system", "access", "dose_times", "on_island"} <= set(names)
    assert names["treatment"]["question"].endswith("?")


def test_every_exported_name_is_ours_and_documented() -> None:
    assert {"load", "Book", "AgreementError", "FactsError", "IvrulesError"} <= set(ivrules.__all__)
    for name in ivrules.__all__:
        member = getattr(ivrules, name)
        assert member.__module__.startswith("ivrules"), name
        assert member.__doc__, name


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for script in ("./scripts/serve", "./scripts/test"):
        assert script in readme.split("\n## ")[0]
        assert (ROOT / script).stat().st_mode & 0o111
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
