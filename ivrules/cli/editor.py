"""``ivrules lsp``: the language server for editors (the ``lsp`` extra); ``ivrules schema``: the JSON Schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def lsp() -> None:
    """Start sprogserveren (Language Server Protocol) på stdin/stdout til editorer."""
    try:
        from ivrules.lsp.main import main
    except ImportError as exc:  # pygls is the ``lsp`` extra
        typer.echo(f"ivrules lsp kræver pygls: pip install 'ivrules[lsp]' ({exc})", err=True)
        raise typer.Exit(2) from exc
    main()


def schema(out: Annotated[Path, typer.Option("--out", help="mappen, skemaerne skrives i")] = Path("schemas")) -> None:
    """Skriv et JSON Schema for hver slags aftalefil (til editorens YAML-udvidelse)."""
    from ivrules.lsp.schema import write_schemas  # no pygls needed: the format alone

    for path in write_schemas(out):
        typer.echo(f"skrev {path}")
