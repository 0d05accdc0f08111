"""``ivrules lsp``: the language server for editors (the ``lsp`` extra)."""

from __future__ import annotations

import typer


def lsp() -> None:
    """Start sprogserveren (Language Server Protocol) på stdin/stdout til editorer."""
    try:
        from ivrules.lsp.main import main
    except ImportError as exc:  # pygls is the ``lsp`` extra
        typer.echo(f"ivrules lsp kræver pygls: pip install 'ivrules[lsp]' ({exc})", err=True)
        raise typer.Exit(2) from exc
    main()
