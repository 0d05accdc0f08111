"""The ``ivrules`` command line: one module per job, listed in ``main.COMMANDS``."""

from __future__ import annotations

import sys


def main() -> None:
    """The console script: the command line needs the ``cli`` extra (typer); say so in Danish if it is missing."""
    try:
        from ivrules.cli.main import main as run
    except ModuleNotFoundError as exc:
        if exc.name not in ("typer", "tqdm", "click"):
            raise
        sys.exit(f"fejl: ivrules-kommandoen kræver pakken '{exc.name}'. Installér den med: "
                 "pip install 'ivrules[cli]'")
    run()
