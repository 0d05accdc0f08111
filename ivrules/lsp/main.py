"""Start the language server on stdin/stdout with every feature registered."""

from __future__ import annotations

import logging

from ivrules.lsp import features  # noqa: F401 - registers hover, completion, navigation and actions
from ivrules.lsp.server import server


def main() -> None:
    # stderr is the editor's log of the server: a failed request is written there with its traceback.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    server.start_io()


if __name__ == "__main__":
    main()
