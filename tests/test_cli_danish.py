"""The command line's own words are Danish: every command's --help, its examples, and Typer's usage errors."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from ivrules.cli import dansk
from ivrules.cli.main import COMMANDS, EXAMPLES, app

runner = CliRunner()
NAMES = [name for name, _ in COMMANDS]

# Words Typer and Click print in English when nothing translates them; none may reach the reader.
ENGLISH = re.compile(
    r"\bUsage\b|\bOptions\b|\bArguments\b|\bCommands\b|\bError\b|Show this message|\[default|\[required\]|"
    r"\[env var|\[OPTIONS\]|COMMAND \[ARGS\]|<(?:str|int|float|bool|path|file|dir)>|list\[|"
    r"\bMissing\b|Invalid value|No such|Got unexpected|\bTry '|for help|does not|requires an|is not a valid|"
    r"Input should|unable to|Aborted")


def output(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, args, prog_name="ivrules", env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_every_command_is_listed_with_examples() -> None:
    assert sorted(EXAMPLES) == sorted(NAMES)
    for name, examples in EXAMPLES.items():
        assert examples and all(line.startswith(f"ivrules {name}") for _, line in examples), name


@pytest.mark.parametrize("args", [["--help"], *([name, "--help"] for name in NAMES)], ids=lambda a: " ".join(a))
def test_help_has_no_english_left(args: list[str]) -> None:
    code, text = output(args)
    assert code == 0, text
    assert "Brug: ivrules" in text and "Vis denne hjælp og afslut." in text
    assert not ENGLISH.search(text), ENGLISH.search(text)


@pytest.mark.parametrize("name", NAMES)
def test_help_ends_with_the_commands_examples(name: str) -> None:
    text = " ".join(output([name, "--help"])[1].split())  # the examples are paragraphs, not table cells
    assert "Eksempler" in text
    for what, line in EXAMPLES[name]:
        assert f"{what}: {line}" in text


@pytest.mark.parametrize(("args", "danish"), [
    (["eligibility", "-f", "x.json"], "Tilvalget '--region' / '-r' mangler."),
    (["serve", "--port", "otte"], "Ugyldig værdi for '--port': skal være et heltal"),
    (["serve", "--reload-every", "ofte"], "Ugyldig værdi for '--reload-every': skal være et tal"),
    (["tjek"], "Kommandoen 'tjek' findes ikke."),
    (["check", "--bogus"], "Tilvalget --bogus findes ikke."),
    (["facts", "-r", "midtjylland", "til-overs"], "Uventede ekstra argumenter (til-overs)."),
    (["facts", "-r"], "Tilvalget '-r' skal have en værdi."),
    (["diff", "midtjylland@2020-06-01"], "Argumentet 'TIL' mangler."),
    (["settle", "--region", "midtjylland", "--out", "ud"], "Argumentet 'REGISTER' mangler."),
])
def test_usage_errors_are_danish(args: list[str], danish: str) -> None:
    code, text = output(args)
    assert code == 2
    assert danish in " ".join(text.split()), text
    assert not ENGLISH.search(text), text
    if args != ["facts", "-r"]:  # Typer shows no usage line when an option lacks its value
        assert "Brug: ivrules" in text and "for hjælp." in text


def test_no_arguments_shows_the_danish_help() -> None:
    code, text = output([])
    assert code in (0, 2)  # Click's no_args_is_help exits 2 from 8.2 on, 0 before
    assert "Brug: ivrules [TILVALG] KOMMANDO [ARGUMENTER]..." in text and "Kommandoer" in text
    assert not ENGLISH.search(text)


@pytest.mark.parametrize(("english", "danish"), [
    ("Missing option '--out' / '-o'.", "Tilvalget '--out' / '-o' mangler."),
    ("No such option: --x (Possible options: --xy, --xz)", "Tilvalget --x findes ikke (mulige tilvalg: --xy, --xz)."),
    ("Got unexpected extra argument (a)", "Uventet ekstra argument (a)."),
    ("Option '--dialect' does not take a value.", "Tilvalget '--dialect' tager ingen værdi."),
    ("Option '-n' requires 2 arguments.", "Tilvalget '-n' skal have 2 værdier."),
    ("Invalid value for '--period': forkert kvartal", "Ugyldig værdi for '--period': forkert kvartal"),
    ("Path 'x.csv' does not exist.", "'x.csv' findes ikke."),
    ("Could not open file 'x': Permission denied", "Kan ikke åbne filen 'x': Permission denied"),
    ("'rød' is not one of 'a', 'b'.", "'rød' er ikke en af 'a', 'b'."),
])
def test_the_error_table(english: str, danish: str) -> None:
    assert dansk.danish_message(english) == danish


def test_the_gettext_catalogue() -> None:
    assert dansk.CATALOGUE.gettext("Options") == "Tilvalg"
    assert dansk.CATALOGUE.gettext("not in the catalogue") == "not in the catalogue"
    assert dansk.CATALOGUE.ngettext("Options", "Commands", 2) == "Kommandoer"
