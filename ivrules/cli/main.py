"""The ``ivrules`` command: a thin door over the library.

Each command lives in the module for its job and is listed here, once, in
the order ``ivrules --help`` shows them, with the examples its ``--help`` ends
with; no module adds itself. Typer's own words are Danish (``ivrules.cli.dansk``).
"""

from __future__ import annotations

import typer

from ivrules.cli import compare, dansk, diff, editor, money, rules, serve, sql

COMMANDS = (
    ("check", rules.check),
    ("eligibility", rules.eligibility),
    ("facts", rules.facts),
    ("compare", compare.compare_command),
    ("diff", diff.diff_command),
    ("tariff", money.tariff),
    ("settle", money.settle),
    ("sql", sql.sql),
    ("serve", serve.serve),
    ("lsp", editor.lsp),
    ("schema", editor.schema),
)

# (what it does, the command line) for each command's --help.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "check": (("Tjek alle aftaler", "ivrules check"),
              ("Tjek én fil, du retter i", "ivrules check agreements/midtjylland/2021-05-01.yaml")),
    "eligibility": (("Spørg om et forløb i Region Midtjylland", "ivrules eligibility -r midtjylland -f forløb.json"),
                    ("Svar som JSON, med fakta fra standard input", "ivrules eligibility -r midtjylland -f - --json")),
    "facts": (("Se de spørgsmål, der kan stilles i Region Syddanmark", "ivrules facts -r syddanmark"),),
    "compare": (("Regionerne side om side i dag", "ivrules compare"),
                ("Som de var 1. januar 2021", "ivrules compare --date 2021-01-01")),
    "diff": (("Hvad ændrede sig i Region Midtjylland", "ivrules diff midtjylland@2020-06-01 midtjylland@2021-05-01"),
             ("Som Markdown til et notat", "ivrules diff midtjylland@2020-06-01 midtjylland@2021-05-01 --markdown")),
    "tariff": (("Prisen for et forløb og hvem der betaler", "ivrules tariff -r midtjylland -f forløb.json"),),
    "settle": (("Afregn et register for ét kvartal", "ivrules settle register.csv -r midtjylland -o ud -p 2022Q1"),),
    "sql": (("SQL til DuckDB for tabellen forloeb", "ivrules sql -r midtjylland --table forloeb"),),
    "serve": (("Start tjenesten på http://127.0.0.1:8000/", "ivrules serve"),
              ("En anden port, og byg de læsbare aftaler igen", "ivrules serve --port 8080 --build-site")),
    "lsp": (("Start sprogserveren fra editoren (den taler på stdin/stdout)", "ivrules lsp"),),
    "schema": (("Skriv JSON-skemaerne til mappen schemas", "ivrules schema --out schemas"),),
}


def epilog(name: str) -> str:
    """The examples ending a command's --help, one paragraph each (Typer keeps paragraphs apart)."""
    lines = [f"{what}:  [bold]{command}[/]" for what, command in EXAMPLES[name]]
    return "\n\n".join(["[b]Eksempler[/b]", *lines])


dansk.install()
app = typer.Typer(help="IV-aftaler som regler: tjek, spørg og sammenlign.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False, cls=dansk.DanishGroup)
for name, command in COMMANDS:
    app.command(name, cls=dansk.DanishCommand, epilog=epilog(name))(command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
