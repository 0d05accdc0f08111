"""``ivrules lsp``: the language server over stdio (pygls), for the files under ``agreements/``.

Each change checks the sources the document belongs to, the open buffers laid
over the disk (``ivrules.lsp.analysis``), reading again only the files whose
text changed (``ivrules.lsp.readings``), and publishes every file's findings,
clearing the ones that went away. The features read the last such reading (``Snapshot``).
A request that fails is logged and answered with an error; the server keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls import uris
from pygls.exceptions import FeatureRequestError
from pygls.lsp.server import LanguageServer

from ivrules.lsp.analysis import Finding, Snapshot, agreements_root, analyse
from ivrules.lsp.readings import Readings

if TYPE_CHECKING:
    from pygls.server import ServerErrors

log = logging.getLogger(__name__)
DEBOUNCE = 0.02  # seconds: keystrokes closer than this are checked once, as the last one left the text


class AgreementServer(LanguageServer):
    """The pygls server with the last reading of each set of sources (its scope: a folder or a lone draft)."""

    def __init__(self) -> None:
        super().__init__("ivrules", "0.1.0")
        self.snapshots: dict[str, Snapshot] = {}
        self.published: dict[str, set[str]] = {}
        self.generation = 0
        self.readings = Readings()  # each folder's vocabulary and each file's reading, by text

    def report_server_error(self, error: Exception, source: ServerErrors) -> None:
        """A request or notification that failed: pygls has logged it and answered a request with an error;
        the editor's log is told too (in Danish), and the server goes on serving."""
        what = "en forespørgsel" if source is FeatureRequestError else "en besked fra editoren"
        self.window_log_message(types.LogMessageParams(
            types.MessageType.Error, f"ivrules: {what} fejlede ({type(error).__name__}: {error}); se serverens log"))

    def fallback(self) -> Path | None:
        """The workspace's agreements folder: the vocabulary a draft outside it is read against."""
        root = self.workspace.root_path
        return Path(root) / "agreements" if root else None

    def scope(self, path: Path) -> str | None:
        root = agreements_root(path, self.fallback())
        if root is None:
            return None
        resolved = path.resolve()
        return str(root) if root in resolved.parents else str(resolved)

    def snapshot(self, uri: str) -> Snapshot | None:
        path = uris.to_fs_path(uri)
        scope = self.scope(Path(path)) if path else None
        return self.snapshots.get(scope) if scope else None

    def texts(self) -> dict[str, str]:
        """The open documents' text by resolved path: what the editor shows, saved or not."""
        out = {}
        for uri, document in self.workspace.text_documents.items():
            path = uris.to_fs_path(uri)
            if path:
                out[str(Path(path).resolve())] = document.source
        return out


server = AgreementServer()


def refresh(ls: AgreementServer, uri: str) -> None:
    """Check the sources the document belongs to and publish every file's findings (an empty list clears)."""
    path = uris.to_fs_path(uri)
    scope = ls.scope(Path(path)) if path else None
    snapshot = analyse(Path(path), ls.texts(), ls.fallback(), ls.readings) if path and scope else None
    if path is None or snapshot is None or scope is None:
        publish(ls, uri, [])
        return
    ls.snapshots[scope] = snapshot
    before = ls.published.get(scope, set())
    for name in before | set(snapshot.findings) | {str(Path(path).resolve())}:  # the edited file always hears back
        publish(ls, uris.from_fs_path(name) or name, snapshot.findings.get(name, []))
    ls.published[scope] = set(snapshot.findings)


def publish(ls: AgreementServer, uri: str, findings: list[Finding]) -> None:
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=[to_lsp(f) for f in findings]))


def to_lsp(finding: Finding) -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(start=types.Position(*finding.start), end=types.Position(*finding.end)),
        message=finding.message, severity=types.DiagnosticSeverity.Error, source="ivrules",
        data=data_of(finding))


def data_of(finding: Finding) -> dict[str, object] | None:
    """What a code action needs of a diagnostic: the "mente du" word, the facts an example lacks."""
    data: dict[str, object] = {}
    if finding.suggestion:
        data["suggestion"] = finding.suggestion
    if finding.missing:
        data["missing"] = list(finding.missing)
    return data or None


def safe_refresh(ls: AgreementServer, uri: str) -> None:
    try:
        refresh(ls, uri)
    except Exception:  # the server never dies of a file; the mistake is in the log
        log.exception("kunne ikke tjekke %s", uri)
        ls.window_log_message(types.LogMessageParams(types.MessageType.Error, f"ivrules: kunne ikke tjekke {uri}"))
        failed = Finding(uri, (0, 0), (0, 0), "ivrules kunne ikke tjekke filen (en fejl i ivrules; se loggen)")
        publish(ls, uri, [failed])  # never leave the last answer standing as if it were current


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: AgreementServer, params: types.DidOpenTextDocumentParams) -> None:
    safe_refresh(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: AgreementServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.generation += 1
    mine = ls.generation
    await asyncio.sleep(DEBOUNCE)
    if mine == ls.generation:  # no newer edit arrived meanwhile
        safe_refresh(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: AgreementServer, params: types.DidSaveTextDocumentParams) -> None:
    safe_refresh(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: AgreementServer, params: types.DidCloseTextDocumentParams) -> None:
    safe_refresh(ls, params.text_document.uri)  # the file on disk now stands in for the closed buffer
