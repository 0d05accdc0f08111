"""Start the language server on stdin/stdout with every feature registered."""

from __future__ import annotations

from ivrules.lsp import features  # noqa: F401 - registers hover, completion, navigation and actions
from ivrules.lsp.server import server


def main() -> None:
    server.start_io()


if __name__ == "__main__":
    main()
