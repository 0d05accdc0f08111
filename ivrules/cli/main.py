"""The ``ivrules`` command: a thin door over the library.

Each command lives in the module for its job and is listed here, once, in
the order ``ivrules --help`` shows them; no module adds itself.
"""

from __future__ import annotations

import typer

from ivrules.cli import compare, diff, editor, money, rules, serve, sql

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

app = typer.Typer(help="IV-aftaler som regler: tjek, spørg og sammenlign.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
for name, command in COMMANDS:
    app.command(name)(command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
