"""Agreement sources → the checked model: the vocabulary, every agreement revision and the accession register.

``read_model(paths, diags)`` is the one routine that reads agreement sources. A
folder means every ``<region>/<YYYY-MM-DD>.yaml`` under it plus its accession
register; a file means that revision alone, read against the vocabulary of
the folder it belongs to (or ``root``, for a draft kept elsewhere). Every
mistake of every file goes to ``diags``; the caller raises once.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivrules.errors import Diagnostics
from ivrules.lang.vocabulary import ROLE_TYPES, Roles, Vocabulary
from ivrules.model.accession import FILE as ACCESSION
from ivrules.model.accession import Accession, check_accession, read_accession
from ivrules.model.agreement import Agreement, read_agreement
from ivrules.model.loader import Node, read_yaml
from ivrules.model.regions import FILE as REGIONS
from ivrules.model.regions import check_municipalities, read_regions
from ivrules.model.topics import read_topics
from ivrules.model.vocabulary import read_municipalities, read_vocabulary
from ivrules.source import Source

VOCABULARY = "vocabulary.yaml"
MUNICIPALITIES = "municipalities.yaml"
SHARED_FILES = (VOCABULARY, MUNICIPALITIES, REGIONS, ACCESSION)  # the files beside the region folders
# Stands in for the roles of a vocabulary file that has mistakes (they are reported; nothing is answered).
ROLELESS = Roles(*[""] * len(ROLE_TYPES))
# Texts that stand in for files on disk (resolved path → text): an editor's unsaved buffers (ivrules.lsp).
_OVERLAY: ContextVar[Mapping[str, str] | None] = ContextVar("overlay", default=None)


@contextmanager
def overlay(texts: Mapping[str, str]) -> Iterator[None]:
    """Read ``texts`` (by resolved path) instead of those files on disk while the block runs."""
    token = _OVERLAY.set(texts)
    try:
        yield
    finally:
        _OVERLAY.reset(token)


@dataclass(frozen=True)
class Model:
    """What a set of agreement sources says, checked but not yet arranged for answering."""

    root: Path
    vocabulary: Vocabulary
    agreements: tuple[Agreement, ...]
    accession: Accession


def read_model(paths: list[Path], diags: Diagnostics, root: Path | None = None) -> Model:
    """Read folders and files of agreements against one vocabulary (``root``: found from the first path)."""
    root = root if root is not None else find_root(paths[0])
    if not _exists(root / VOCABULARY):
        _no_root(root, paths[0], diags)
        return Model(root, Vocabulary([], {}, ROLELESS, {}, ()), (), Accession())
    vocab = load_vocabulary(root, diags)
    files = [f for path in paths for f in (agreement_files(path) if path.is_dir() else [path])]
    agreements = [a for a in (read_file(p, vocab, diags, check_name=_in_region_folder(p, root)) for p in files)
                  if a is not None]
    check_periods(agreements, diags)
    # The register is checked only when all the revisions it names are loaded: when the root folder is read
    # (not for a folder of drafts read against another folder's vocabulary).
    whole = any(path.is_dir() and path.resolve() == root.resolve() for path in paths)
    accession = read_accession_file(root, vocab, agreements, diags) if whole else Accession()
    return Model(root, vocab, tuple(agreements), accession)


def _exists(path: Path) -> bool:
    texts = _OVERLAY.get()
    return path.exists() or bool(texts and str(path.resolve()) in texts)


def _no_root(root: Path, path: Path, diags: Diagnostics) -> None:
    """One mistake, at the file's first line, instead of one per missing shared file."""
    source = _source(path, diags) if path.is_file() else None
    diags.error(f"fandt ingen {VOCABULARY} i {root} eller mapperne over den, så filen kan ikke tjekkes",
                source.span(0) if source else None,
                hint="læg filen i aftalemappen (fx agreements/midtjylland/), eller kør kommandoen fra mappen, "
                     "der indeholder agreements/")


def _in_region_folder(path: Path, root: Path) -> bool:
    return path.resolve().parent.parent == root.resolve()


def find_root(path: Path) -> Path:
    """The agreements folder a file or folder belongs to (the one holding vocabulary.yaml); for a draft kept
    outside any such folder, ``agreements`` in the working folder, where the commands look by default."""
    for candidate in [path, *path.resolve().parents]:
        if (candidate / VOCABULARY).exists():
            return candidate
    if (DEFAULT_ROOT / VOCABULARY).exists():
        return DEFAULT_ROOT
    return path if path.is_dir() else path.parent


DEFAULT_ROOT = Path("agreements")


def agreement_files(root: Path) -> list[Path]:
    """Every agreement source under root: <region>/<date>.yaml."""
    return sorted(p for p in root.glob("*/*.yaml") if p.is_file())


def source_files(root: Path) -> list[Path]:
    """Every file a model is read from, in a stable order: the shared files, then the agreements."""
    return [root / name for name in SHARED_FILES if (root / name).is_file()] + agreement_files(root)


def load_vocabulary(root: Path, diags: Diagnostics) -> Vocabulary:
    """The shared vocabulary (facts, their roles, the comparison's topics), the municipalities and the regions."""
    municipalities = _read_root_file(root / MUNICIPALITIES, diags)
    regions_node = _read_root_file(root / REGIONS, diags)
    regions = read_regions(regions_node, diags) if regions_node else {}
    if municipalities and regions:
        check_municipalities(municipalities, regions, diags)
    node = _read_root_file(root / VOCABULARY, diags)
    facts, roles = read_vocabulary(node, diags) if node else ([], None)
    topics = read_topics(node, [f.name for f in facts], diags) if node else ()
    known = read_municipalities(municipalities, diags) if municipalities else {}
    return Vocabulary(facts, known, roles or ROLELESS, regions, topics)


def read_accession_file(root: Path, vocab: Vocabulary, agreements: list[Agreement], diags: Diagnostics) -> Accession:
    """The accession register under ``root`` (optional), checked against the agreements read with it."""
    if not (root / ACCESSION).exists():
        return Accession()
    node = _read_root_file(root / ACCESSION, diags)
    accession = read_accession(node, vocab.regions, diags) if node is not None else Accession()
    check_accession(accession, agreements, vocab, diags)
    return accession


def read_file(path: Path, vocab: Vocabulary, diags: Diagnostics, *, check_name: bool = True) -> Agreement | None:
    """Read, check and compile one agreement file; mistakes go to ``diags``."""
    source = _source(path, diags)
    return read_text(source, vocab, diags, path if check_name else None) if source else None


def read_text(source: Source, vocab: Vocabulary, diags: Diagnostics, path: Path | None = None) -> Agreement | None:
    """Read, check and compile one agreement source (a file, a draft, a file at a git revision)."""
    node = read_yaml(source, diags)
    if node is None:
        return None
    agreement = read_agreement(node, vocab, source.name, source.text, diags)
    if agreement is not None and path is not None and agreement.effective != dt.date.min:
        _check_file_name(path, agreement, node, diags)
    return agreement


def _read_root_file(path: Path, diags: Diagnostics) -> Node | None:
    source = _source(path, diags)
    return read_yaml(source, diags) if source else None


def _source(path: Path, diags: Diagnostics) -> Source | None:
    texts = _OVERLAY.get()
    if texts and (text := texts.get(str(path.resolve()))) is not None:
        return Source(str(path), text)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        diags.error(f"filen {path} findes ikke", None)
        return None
    except OSError as exc:
        diags.error(f"filen {path} kan ikke læses ({exc.strerror})", None)
        return None
    return decoded(str(path), data, diags)


def decoded(name: str, data: bytes, diags: Diagnostics) -> Source | None:
    """The text of a file that must be UTF-8; otherwise an error at the line and column of the first bad byte."""
    try:
        return Source(name, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        shown = Source(name, data.decode("utf-8", errors="replace"))
        index = len(data[: exc.start].decode("utf-8"))
        diags.error(f"filen er ikke gemt som UTF-8 (byte 0x{data[exc.start]:02X} kan ikke læses)", shown.span(index),
                    hint="gem filen som UTF-8 (i Notesblok: Gem som → Kodning: UTF-8); æ, ø og å er ofte årsagen")
    return None


def _check_file_name(path: Path, agreement: Agreement, node: Any, diags: Diagnostics) -> None:
    fields = node.value
    if path.stem != agreement.revision:
        diags.error(f"filnavnet '{path.name}' passer ikke til effective {agreement.revision}",
                    fields["effective"].span, hint=f"omdøb filen til {agreement.revision}.yaml")
    if path.parent.name != agreement.region:
        diags.error(f"filen ligger i mappen '{path.parent.name}', men region er '{agreement.region}'",
                    fields["region"].span)


def check_periods(agreements: list[Agreement], diags: Diagnostics) -> None:
    """Revisions of a region may not overlap, nor leave a gap the earlier file does not declare."""
    by_region: dict[str, list[Agreement]] = {}
    for a in agreements:
        by_region.setdefault(a.region, []).append(a)
    for items in by_region.values():
        items.sort(key=lambda a: a.effective)
        for old, new in itertools.pairwise(items):
            _check_pair(old, new, diags)
        _check_windows(items, diags)


def _check_windows(items: list[Agreement], diags: Diagnostics) -> None:
    """At most one revision of a region can be uncertain on a day: the periods of ``in_force_unknown`` may not
    overlap (the engine would not know which revision the question's fact is about)."""
    windows = [(a, a.in_force_unknown) for a in items if a.in_force_unknown is not None]
    for (old, first), (_, second) in itertools.pairwise(windows):
        if second.start <= first.end:
            diags.error(f"in_force_unknown {second.start} – {second.end} overlapper {old.path}s "
                        f"{first.start} – {first.end}", second.span, hint="højst én udgave kan være usikker på en dag")


def _check_pair(old: Agreement, new: Agreement, diags: Diagnostics) -> None:
    """Each mistake is reported at the later file's 'effective' and names the earlier file's line."""
    where = _at(old)
    if old.effective == new.effective:
        diags.error(f"to udgaver af {new.region} træder i kraft samme dag ({new.revision})", new.effective_span,
                    hint="ret datoen i den ene fil, eller slet den udgave, der ikke gælder",
                    context=f"den anden: {where}")
    elif old.until is not None and old.until >= new.effective:
        diags.error(f"udgaven træder i kraft {new.revision}, men {old.path} gælder til {old.until}", new.effective_span,
                    hint="perioderne må ikke overlappe: ret 'until' i den tidligere fil",
                    context=f"den tidligere: {where}")
    elif old.until is not None and old.until + dt.timedelta(days=1) < new.effective and not old.no_agreement_after:
        diags.error(f"udgaven træder først i kraft {new.revision}, men {old.path} gælder kun til {old.until}",
                    new.effective_span, context=f"den tidligere: {where}",
                    hint="skriv i 'no_agreement_after' i den tidligere fil, hvorfor ingen aftale gælder i mellemtiden")


def _at(agreement: Agreement) -> str:
    return agreement.effective_span.describe() if agreement.effective_span is not None else agreement.path
