"""Revision diffs: text and rule changes, the cases that answer differently, naming revisions, the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ivrules
from ivrules.cli.main import app
from ivrules.diff.cases import answer, search_cases
from ivrules.diff.report import to_markdown, to_text
from ivrules.diff.revisions import OUTCOME, WORDING, Revision, diff, from_text, resolve, word_diff
from ivrules.errors import AgreementError, Diagnostics, LookupError_
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.load import load_vocabulary
from tests.conftest import AGREEMENTS

MJ2020 = AGREEMENTS / "midtjylland" / "2020-06-01.yaml"
TEXT = MJ2020.read_text(encoding="utf-8")
runner = CliRunner()


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary(AGREEMENTS, Diagnostics())


@pytest.fixture(scope="module")
def old(vocab: Vocabulary) -> Revision:
    return from_text("midtjylland/2020-06-01.yaml", TEXT, vocab)


def draft(vocab: Vocabulary, *edits: tuple[str, str]) -> Revision:
    text = TEXT
    for before, after in edits:
        assert before in text, before
        text = text.replace(before, after)
    return from_text("udkast.yaml", text, vocab)


def by_id(result: object, ident: str) -> object:
    return next(c for c in result.changes if c.id == ident)  # type: ignore[attr-defined]


def test_a_revision_diffed_with_itself_has_no_changes(old: Revision, vocab: Vocabulary) -> None:
    result = diff(old, draft(vocab), search=20)
    assert result.changes == []
    assert result.cases is not None and result.cases.cases == []
    assert "Ingen ændringer" in to_text(result)


def test_a_changed_limit_is_a_rule_change_in_danish_before_and_after(old: Revision, vocab: Vocabulary) -> None:
    result = diff(old, draft(vocab, ("rule: alder > 3 år", "rule: alder > 2 år")), search=0)
    [change] = result.changes
    assert (change.kind, change.subject, change.rule, change.section, change.effect) == (
        "changed", "rule", "alder", "3", OUTCOME)
    assert change.before == "Alder (fyldte år) er over 3 år."
    assert change.after == "Alder (fyldte år) er over 2 år."
    assert "→" in change.text


def test_a_three_year_old_is_among_the_changed_cases(old: Revision, vocab: Vocabulary) -> None:
    new = draft(vocab, ("rule: alder > 3 år", "rule: alder > 2 år"))
    report = diff(old, new, search=0).cases
    assert report is not None
    [(because, cases)] = report.groups
    assert because == ("rule:alder",)
    assert cases[0].facts == {"age_years": 3}  # smallest first
    assert cases[0].before == {"eligible": False, "tariff": "not_covered"}
    assert cases[0].after == {"eligible": None, "tariff": "unknown"}
    assert any(c.before["eligible"] is False and c.after["eligible"] is True for c in cases)
    assert all(c.facts.get("age_years") == 3 or c.facts.get("birth_date") for c in cases)


def test_the_search_shrinks_to_the_smallest_case(old: Revision, vocab: Vocabulary) -> None:
    new = draft(vocab, ("rule: alder > 3 år", "rule: alder > 2 år"),
                ("doser_givet_på_hospital >= 2 doser", "doser_givet_på_hospital >= 1 doser"))
    watched = [c for c in diff(old, new, search=0).changes if c.can_change_outcome]
    found, tried = search_cases(old, new, watched, 100)
    assert tried > 0
    assert sorted((c.because, c.origin) for c in found) == [
        (("rule:alder",), "søgning"), (("rule:to_første_doser",), "søgning")]
    assert sorted(json.dumps(c.facts) for c in found) == ['{"age_years": 3}', '{"doses_given_in_hospital": 1}']


def test_a_reworded_section_is_wording_only_with_a_word_diff(old: Revision, vocab: Vocabulary) -> None:
    result = diff(old, draft(vocab, ("nærmiljøet/eget hjem", "nærmiljøet eller eget hjem")), search=0)
    [change] = result.changes
    assert (change.subject, change.section, change.effect) == ("section", "2", WORDING)
    assert ("-", "nærmiljøet/eget") in change.words and ("+", "nærmiljøet eller eget") in change.words
    assert "[-nærmiljøet/eget-] {+nærmiljøet eller eget+}" in change.text
    assert result.cases is not None and result.cases.cases == []


def test_a_new_explanation_alone_is_wording_only(old: Revision, vocab: Vocabulary) -> None:
    edit = ("explain: Borgeren skal være over 3 år.", "explain: Borgeren skal være fyldt 4 år.")
    result = diff(old, draft(vocab, edit), search=0)
    [change] = result.changes
    assert (change.rule, change.effect, change.before, change.after) == (
        "alder", WORDING, "Borgeren skal være over 3 år.", "Borgeren skal være fyldt 4 år.")


def test_a_renamed_rule_is_one_wording_change(old: Revision, vocab: Vocabulary) -> None:
    result = diff(old, draft(vocab, ("- id: hjemmet_egnet", "- id: hjem_egnet")), search=0)
    [change] = result.changes
    assert (change.kind, change.rule, change.effect) == ("changed", "hjem_egnet", WORDING)
    assert "har fået en ny kode, samme indhold" in change.text and "_" not in change.text  # no id in the text


def test_added_and_removed_rules(old: Revision, vocab: Vocabulary) -> None:
    removed = diff(old, draft(vocab, ("      - id: hjemmet_egnet\n        rule: hjemmet_egnet\n"
                                     "        explain: Borgerens hjem skal være vurderet egnet af den kommunale "
                                     "sygeplejerske.\n", "")), search=0)
    [change] = removed.changes
    assert (change.kind, change.rule, change.before, change.after, change.effect) == (
        "removed", "hjemmet_egnet", "Hjemmet er vurderet egnet.", None, OUTCOME)
    assert removed.cases is not None
    assert removed.cases.groups[0][1][0].facts == {"home_suitable": False}
    added = diff(draft(vocab, ("      - id: hjemmet_egnet\n        rule: hjemmet_egnet\n"
                              "        explain: Borgerens hjem skal være vurderet egnet af den kommunale "
                              "sygeplejerske.\n", "")), old, search=0)
    assert [(c.kind, c.after) for c in added.changes] == [("added", "Hjemmet er vurderet egnet.")]


def test_interpretations_and_unknowns_are_listed(old: Revision, vocab: Vocabulary) -> None:
    result = diff(old, draft(vocab, ("betyder mindst 4 fyldte år.", "betyder mindst fire fyldte år."),
                             ("angiver ikke en grænse", "angiver ingen grænse")), search=0)
    assert [(c.id, c.effect) for c in result.changes] == [
        ("interpretation:alder_fyldte_år", WORDING), ("unknown:væske_doser_pr_døgn", WORDING)]


def test_every_reported_case_really_answers_differently(old: Revision, vocab: Vocabulary) -> None:
    new = draft(vocab, ("rule: alder > 3 år", "rule: alder > 2 år"),
                ("doser_pr_døgn <= 3 doser pr. døgn", "doser_pr_døgn <= 4 doser pr. døgn"),
                ("kl. 07-00", "kl. 06-00"))
    report = diff(old, new, search=50).cases
    assert report is not None and len(report.groups) >= 3
    for case in report.cases:
        before, after = answer(old, case.facts), answer(new, case.facts)
        assert before is not None and after is not None and before.summary != after.summary
        assert case.because


def test_word_diff_keeps_every_word() -> None:
    words = word_diff("a b c d", "a x c d e")
    assert " ".join(t for op, t in words if op != "+") == "a b c d"
    assert " ".join(t for op, t in words if op != "-") == "a x c d e"


# --- naming revisions ---------------------------------------------------------------------------------


def test_region_at_a_date_is_the_revision_in_force(book: ivrules.Book) -> None:
    rev = resolve("midtjylland@2020-09-01", AGREEMENTS, lambda: book)
    assert rev.label == "midtjylland@2020-06-01"


def test_a_date_before_any_revision_is_refused(book: ivrules.Book) -> None:
    with pytest.raises(ivrules.NoRevisionError):
        resolve("midtjylland@2019-01-01", AGREEMENTS, lambda: book)


def test_a_missing_file_is_a_lookup_error_in_danish() -> None:
    with pytest.raises(LookupError_, match="filen findes ikke"):
        resolve("agreements/midtjylland/1999-01-01.yaml", AGREEMENTS)


def test_a_broken_draft_gives_located_diagnostics(tmp_path: Path) -> None:
    bad = tmp_path / "udkast.yaml"
    bad.write_text(TEXT.replace("rule: alder > 3 år", "rule: alder >> 3 år"), encoding="utf-8")
    with pytest.raises(AgreementError) as exc:
        resolve(str(bad), AGREEMENTS)
    assert str(exc.value).startswith(f"{bad}:")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    shutil.copytree(AGREEMENTS, root / "agreements")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    return root


def test_a_file_at_a_git_revision_against_the_uncommitted_edit(repo: Path) -> None:
    path = repo / "agreements" / "midtjylland" / "2020-06-01.yaml"
    path.write_text(TEXT.replace("rule: alder > 3 år", "rule: alder > 2 år"), encoding="utf-8")
    old = resolve(f"{path}@HEAD", repo / "agreements")
    new = resolve(str(path), repo / "agreements")
    assert old.label.endswith("@HEAD")
    assert [c.id for c in diff(old, new, search=0).changes] == ["rule:alder"]
    with pytest.raises(LookupError_, match="git kan ikke finde"):
        resolve(f"{path}@ingen-sådan-revision", repo / "agreements")


# --- the command --------------------------------------------------------------------------------------


def write_draft(tmp_path: Path) -> Path:
    path = tmp_path / "udkast.yaml"
    path.write_text(TEXT.replace("rule: alder > 3 år", "rule: alder > 2 år")
                    .replace("nærmiljøet/eget hjem", "nærmiljøet eller eget hjem"), encoding="utf-8")
    return path


def test_cli_json_has_the_shape_of_the_issue(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(MJ2020), str(write_draft(tmp_path)), "--json",
                                 "--search", "0", "--agreements", str(AGREEMENTS)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"old", "new", "changes", "cases", "cost"}
    assert data["old"]["revision"] == "2020-06-01" and data["new"]["label"].endswith("udkast.yaml")
    for change in data["changes"]:
        assert set(change) >= {"kind", "section", "rule", "before", "after", "text"}
    for case in data["cases"]:
        assert set(case) >= {"facts", "before", "after", "because"}
    assert {"facts": {"age_years": 3}, "before": {"eligible": False, "tariff": "not_covered"},
            "after": {"eligible": None, "tariff": "unknown"}, "because": ["rule:alder"], "origin": "grænse"} \
        in data["cases"]


def test_cli_text_and_markdown(tmp_path: Path) -> None:
    args = ["diff", str(MJ2020), str(write_draft(tmp_path)), "--search", "0",
            "--agreements", str(AGREEMENTS)]
    text = runner.invoke(app, args)
    assert text.exit_code == 0
    assert ("! Reglen »Borgeren skal være over 3 år« (afsnit 3): Alder (fyldte år) er over 3 år. → "
            "Alder (fyldte år) er over 2 år.") in text.output
    assert "før: nej, takst ikke omfattet; efter: ja" in text.output
    markdown = runner.invoke(app, [*args, "--markdown"])
    assert markdown.exit_code == 0
    assert "<del>nærmiljøet/eget</del> <ins>nærmiljøet eller eget</ins>" in markdown.output
    assert "| Hvad | Ændring | Virkning |" in markdown.output
    assert "| kun ordlyd |" in markdown.output


def test_cli_bad_revision_exits_2_without_traceback() -> None:
    result = runner.invoke(app, ["diff", str(MJ2020), "findes/ikke.yaml", "--agreements",
                                 str(AGREEMENTS)])
    assert result.exit_code == 2
    assert "filen findes ikke" in result.output and "Traceback" not in result.output


def test_reports_render_without_cases(old: Revision, vocab: Vocabulary) -> None:
    result = diff(old, draft(vocab, ("rule: alder > 3 år", "rule: alder > 2 år")), search=0)
    assert to_markdown(result).startswith("# Ændringer fra Region Midtjylland, aftalen af 1. juni 2020 "
                                          "(midtjylland/2020-06-01.yaml)")
