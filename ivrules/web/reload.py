"""An agreements folder → the ``Book`` being served, recompiled and swapped when the files change.

``Library`` holds one immutable ``Loaded`` snapshot (the book, the content
hash of the files it was compiled from, when). ``check()`` reloads when the
files' content changed; a new book replaces the old one in a single
assignment, so a request sees either the old or the new book, never a mix.
A failed reload keeps the last good book and records the error for
``/v1/health`` and the log. Polling the content (a few small files) keeps
this free of platform file-watching and makes ``check()`` testable by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from ivrules.engine.book import Book, load
from ivrules.errors import AgreementError, Diagnostic, DiagnosticJSON
from ivrules.model.load import source_files

log = logging.getLogger("ivrules.web.reload")


@dataclass(frozen=True)
class Loaded:
    """A compiled book and the content hash of the files it came from."""

    book: Book
    content_hash: str
    loaded_at: dt.datetime


class ReloadFailureJSON(TypedDict):
    """Hvorfor de nyeste filer ikke kunne erstatte de indlæste aftaler."""

    at: str
    content_hash: str
    message: str
    diagnostics: list[DiagnosticJSON]


@dataclass(frozen=True)
class ReloadFailure:
    """Why the newest files could not replace the book being served."""

    at: dt.datetime
    content_hash: str
    message: str
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_dict(self) -> ReloadFailureJSON:
        return {"at": iso_time(self.at), "content_hash": self.content_hash, "message": self.message,
                "diagnostics": [d.to_dict() for d in self.diagnostics]}


def content_hash(root: Path) -> str:
    """A short hash of every source file under ``root``: names and contents."""
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def book_hash(book: Book) -> str:
    """A content hash for a book handed over already compiled (no folder to read)."""
    digest = hashlib.sha256()
    for region in book.regions:
        for agreement in book.agreements(region):
            digest.update(f"{agreement.path}:{agreement.content_hash}\0".encode())
    return digest.hexdigest()[:16]


class Library:
    """The book being served; ``root`` is None for a fixed book that is never reloaded."""

    def __init__(self, loaded: Loaded, root: Path | None = None) -> None:
        self.root = root
        self._loaded = loaded
        self._failure: ReloadFailure | None = None
        self._pending: str | None = None  # a new content hash seen once; swapped in only when seen again unchanged
        self.removed: list[str] = []  # what the last swap took away (a revision, a tariff), for /v1/health
        self._lock = threading.Lock()
        self.listeners: list[Callable[[Loaded], None]] = []  # told after each swap, e.g. to rebuild the site

    @classmethod
    def open(cls, root: str | Path) -> Library:
        """Load ``root`` once; an ``AgreementError`` here means there is nothing to serve."""
        folder = Path(root)
        digest = content_hash(folder)
        return cls(Loaded(load(folder), digest, _now()), folder)

    @classmethod
    def fixed(cls, book: Book) -> Library:
        """Serve one compiled book as it is (tests, embedding)."""
        return cls(Loaded(book, book_hash(book), _now()))

    @property
    def current(self) -> Loaded:
        return self._loaded

    @property
    def book(self) -> Book:
        return self._loaded.book

    @property
    def failure(self) -> ReloadFailure | None:
        return self._failure

    def check(self, *, confirm: bool = False) -> bool:
        """Reload if the files changed since the last attempt; True when a new book was swapped in.

        With ``confirm`` (the watcher) a new set of files is swapped in only when two polls in a row see the
        same content hash, so a file being written is never served half-written."""
        if self.root is None:
            return False
        with self._lock:
            try:
                digest = content_hash(self.root)
            except OSError as exc:
                self._fail(self._loaded.content_hash, f"kan ikke læse aftalerne: {exc.strerror}")
                return False
            if digest == self._loaded.content_hash:
                self._failure, self._pending = None, None  # the files are back to what is being served
                return False
            if self._failure is not None and digest == self._failure.content_hash:
                return False  # the same broken files: already reported
            if confirm and digest != self._pending:
                self._pending = digest  # still changing, perhaps: wait for the next poll
                return False
            self._pending = None
            return self._reload(digest)

    def _reload(self, digest: str) -> bool:
        assert self.root is not None
        try:
            book = load(self.root)
        except AgreementError as exc:
            self._fail(digest, f"{len(exc.diagnostics)} fejl i aftalerne", tuple(exc.diagnostics))
            log.error("genindlæsning fejlede; svarer fortsat fra %s:\n%s", self._loaded.content_hash, exc)
            return False
        except OSError as exc:
            self._fail(digest, f"kan ikke læse aftalerne: {exc.strerror}")
            return False
        except Exception as exc:  # any failure is reported in /v1/health, never swallowed
            self._fail(digest, f"genindlæsningen fejlede uventet ({type(exc).__name__})")
            log.exception("genindlæsning fejlede uventet")
            return False
        self.removed = removed(self._loaded.book, book)
        if self.removed:
            log.warning("genindlæsningen fjernede: %s", "; ".join(self.removed))
        self._loaded = Loaded(book, digest, _now())
        self._failure = None
        log.info("aftalerne er genindlæst: %s", digest)
        for listener in self.listeners:
            try:
                listener(self._loaded)
            except Exception:  # a listener's failure must not undo a good reload
                log.exception("fejl efter genindlæsning")
        return True

    def _fail(self, digest: str, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        self._failure = ReloadFailure(_now(), digest, message, diagnostics)
        if not diagnostics:
            log.error("genindlæsning fejlede: %s", message)

    async def watch(self, interval: float) -> None:
        """Check for changes every ``interval`` seconds, off the event loop, until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.check, confirm=True)
            except Exception as exc:  # a watcher that dies silently would serve stale rules forever
                self._fail(self._loaded.content_hash, f"overvågningen af aftalerne fejlede ({type(exc).__name__})")
                log.exception("fejl under overvågning af aftalerne")


def removed(old: Book, new: Book) -> list[str]:
    """The revisions and tariffs the old book had and the new one lacks: answers would silently come from elsewhere."""
    out: list[str] = []
    for region in old.regions:
        kept = {a.revision: a for a in new.agreements(region)} if region in new.regions else {}
        for agreement in old.agreements(region):
            now = kept.get(agreement.revision)
            if now is None:
                out.append(f"{region} {agreement.revision} ({agreement.path}) er ikke længere indlæst")
            elif agreement.tariff is not None and now.tariff is None:
                out.append(f"{region} {agreement.revision} ({agreement.path}) har ikke længere en takst")
    return out


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso_time(moment: dt.datetime) -> str:
    """UTC time as ISO 8601 with a Z."""
    return moment.isoformat().replace("+00:00", "Z")
