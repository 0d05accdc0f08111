"""Typer's and Click's own words in Danish: usage lines, panel titles, the help option and usage errors.

Typer carries its own copy of Click. A few of its words go through ``gettext`` (panel titles, "[default: …]",
"No such command"); those are answered by ``CATALOGUE``, a ``gettext.NullTranslations`` with a dictionary, set
as the ``_`` of ``typer.core`` and ``typer.rich_utils``. The rest are fixed English f-strings (Click's usage
errors, "Usage: ", "[OPTIONS]", the help option's text); ``DanishCommand`` and ``DanishGroup`` put Danish in
their place, and ``danish_error`` rewrites a usage error's message by the table ``ERRORS`` before it is shown.
Pydantic's reasons for a bad value are replaced by the Danish for the error's type (``VALUE_ERRORS``).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from typing import Any

import typer
import typer.core
import typer.rich_utils
from typer._click import exceptions as click_errors

WORDS = {
    "Arguments": "Argumenter",
    "Options": "Tilvalg",
    "Commands": "Kommandoer",
    "Error": "Fejl",
    "Aborted.": "Afbrudt.",
    "Aborted!": "Afbrudt!",
    "(deprecated) ": "(udgår) ",
    "(dynamic)": "(beregnes)",
    "[default: {}]": "[standard: {}]",
    "[env var: {}]": "[miljøvariabel: {}]",
    "[required]": "[skal angives]",
    "default: {default}": "standard: {default}",
    "env var: {var}": "miljøvariabel: {var}",
    "required": "skal angives",
    "Missing command.": "Kommandoen mangler.",
    "No such command {name!r}.": "Kommandoen {name!r} findes ikke.",
    "Try [blue]'{command_path} {help_option}'[/] for help.": "Se [blue]'{command_path} {help_option}'[/] for hjælp.",
}

# typer.rich_utils reads these module constants when it draws help and errors; they were looked up at import.
RICH_CONSTANTS = ("DEPRECATED_STRING", "DEFAULT_STRING", "ENVVAR_STRING", "REQUIRED_LONG_STRING",
                  "ARGUMENTS_PANEL_TITLE", "OPTIONS_PANEL_TITLE", "COMMANDS_PANEL_TITLE", "ERRORS_PANEL_TITLE",
                  "ABORTED_TEXT", "RICH_HELP")

USAGE_PREFIX = "Brug: "
OPTIONS_METAVAR = "[TILVALG]"
SUBCOMMAND_METAVAR = "KOMMANDO [ARGUMENTER]..."
HELP_TEXT = "Vis denne hjælp og afslut."
# The value types shown beside each option (<str>, <int>, <path>, ...), as a Danish reader names them.
TYPE_NAMES = {"str": "tekst", "int": "heltal", "float": "tal", "bool": "ja/nej", "path": "sti", "file": "fil",
              "dir": "mappe", "datetime": "tidspunkt", "Path": "sti", "list[Path]": "stier", "list[str]": "tekster"}

# A usage error's English message (Click's fixed f-strings) → its Danish; the first pattern that matches wins.
ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.DOTALL), da) for p, da in (
    (r"Missing option (.+?)\.$", r"Tilvalget \1 mangler."),
    (r"Missing argument (.+?)\.$", r"Argumentet \1 mangler."),
    (r"Missing parameter (.+?)\.$", r"Parameteren \1 mangler."),
    (r"Missing (option|argument|parameter) (.+?)\. (.+)$", r"\2 mangler. \3"),
    (r"Missing (option|argument|parameter)\.$", "Et tilvalg eller argument mangler."),
    (r"No such option: (\S+) \(Possible options: (.+)\)$", r"Tilvalget \1 findes ikke (mulige tilvalg: \2)."),
    (r"No such option: (\S+)$", r"Tilvalget \1 findes ikke."),
    (r"No such command '(.+)'\. Did you mean (.+)\?$", r"Kommandoen '\1' findes ikke. Mente du \2?"),
    (r"Got unexpected extra argument \((.+)\)$", r"Uventet ekstra argument (\1)."),
    (r"Got unexpected extra arguments \((.+)\)$", r"Uventede ekstra argumenter (\1)."),
    (r"Got unexpected extra argument\(s\) \((.+)\)$", r"Uventede ekstra argumenter (\1)."),
    (r"Option (.+) does not take a value\.$", r"Tilvalget \1 tager ingen værdi."),
    (r"Option (.+) requires an argument\.$", r"Tilvalget \1 skal have en værdi."),
    (r"Option (.+) requires (\d+) arguments\.$", r"Tilvalget \1 skal have \2 værdier."),
    (r"Argument (.+) takes (\d+) values\.$", r"Argumentet \1 skal have \2 værdier."),
    (r"Invalid value for (.+?): (.+)$", r"Ugyldig værdi for \1: \2"),
    (r"Invalid value: (.+)$", r"Ugyldig værdi: \1"),
    (r"Value (.+) is not a valid (\S+)\.$", r"\1 er ikke gyldig her (\2)."),
    (r"(.+) is not one of (.+)\.$", r"\1 er ikke en af \2."),
    (r"(?:File|Directory|Path) (.+) does not exist\.$", r"\1 findes ikke."),
    (r"(?:File|Directory|Path) (.+) is a file\.$", r"\1 er en fil, ikke en mappe."),
    (r"(?:File|Directory|Path) (.+) is a directory\.$", r"\1 er en mappe, ikke en fil."),
    (r"(?:File|Directory|Path) (.+) is not readable\.$", r"\1 kan ikke læses."),
    (r"(?:File|Directory|Path) (.+) is not writable\.$", r"\1 kan ikke skrives."),
    (r"Could not open file (.+?): (.+)$", r"Kan ikke åbne filen \1: \2"),
))

# Pydantic's reason for a value it could not convert, by its error type.
VALUE_ERRORS = {
    "int_parsing": "skal være et heltal, fx 8000",
    "int_from_float": "skal være et heltal, uden decimaler",
    "float_parsing": "skal være et tal, fx 1.5",
    "bool_parsing": "skal være ja eller nej (true/false)",
    "date_from_datetime_parsing": "skal være en dato ÅÅÅÅ-MM-DD",
    "datetime_from_date_parsing": "skal være et tidspunkt ÅÅÅÅ-MM-DDTTT:MM",
    "enum": "er ikke en af de tilladte værdier",
    "literal_error": "er ikke en af de tilladte værdier",
}
VALUE_ERROR_FALLBACK = "har ikke den rigtige form"


class Catalogue(gettext.NullTranslations):
    """A gettext translation from a dictionary: the Danish for each English message, the English where none."""

    def __init__(self, words: dict[str, str]) -> None:
        super().__init__()
        self.words = words

    def gettext(self, message: str) -> str:
        return self.words.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


CATALOGUE = Catalogue(WORDS)


def install() -> None:
    """Answer Typer's gettext words from the catalogue (idempotent; the English constants are kept as keys)."""
    typer.core._ = CATALOGUE.gettext  # type: ignore[attr-defined]
    typer.rich_utils._ = CATALOGUE.gettext  # type: ignore[attr-defined]
    for name in RICH_CONSTANTS:
        english = next((en for en, da in WORDS.items() if getattr(typer.rich_utils, name) in (en, da)), None)
        if english is not None:
            setattr(typer.rich_utils, name, CATALOGUE.gettext(english))


def danish_message(message: str) -> str:
    """A usage error's message in Danish, by the first pattern of ``ERRORS`` that matches it."""
    for pattern, danish in ERRORS:
        if pattern.match(message):
            return pattern.sub(danish, message, count=1)
    return message


def danish_error(exc: click_errors.ClickException) -> None:
    """Give ``exc`` a Danish message: its reason first (pydantic's, by type), then the sentence around it."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors) and isinstance(exc, click_errors.BadParameter):
        kinds = [str(e.get("type", "")) for e in errors()]
        exc.message = VALUE_ERRORS.get(kinds[0], VALUE_ERROR_FALLBACK) if kinds else VALUE_ERROR_FALLBACK
    english: Callable[[], str] = exc.format_message
    if getattr(english, "danish", False):
        return
    translated: Any = lambda: danish_message(english())  # noqa: E731
    translated.danish = True
    exc.format_message = translated  # type: ignore[method-assign]


class _Danish:
    """What a Danish command changes in Typer's: the usage line, the help option, the type names, the errors."""

    options_metavar: str | None

    def _danish_init(self) -> None:
        self.options_metavar = OPTIONS_METAVAR

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
        return option

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            _danish_types(param)
        return params

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)  # type: ignore[misc]
        except click_errors.ClickException as exc:
            danish_error(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except click_errors.ClickException as exc:
            danish_error(exc)
            raise


def _danish_types(param: Any) -> None:
    """Show a parameter's value type with a Danish name: <tekst>, <heltal>, <sti>."""
    if getattr(param, "_danish_type", False) or not hasattr(param, "display_type"):
        return
    english = param.display_type

    def display_type(ctx: Any) -> str:
        if getattr(param, "is_flag", False):
            return ""  # a flag takes no value: --help, --json, --progress/--no-progress
        label = str(english(ctx))
        bare = label[1:-1] if label.startswith("<") and label.endswith(">") else label
        return f"<{TYPE_NAMES.get(bare, bare)}>"

    param.display_type = display_type
    param._danish_type = True


class DanishCommand(_Danish, typer.core.TyperCommand):
    """A Typer command that speaks Danish."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._danish_init()


class DanishGroup(_Danish, typer.core.TyperGroup):
    """The ``ivrules`` group: Danish usage line and errors, its commands ``DanishCommand``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._danish_init()
        self.subcommand_metavar = SUBCOMMAND_METAVAR
