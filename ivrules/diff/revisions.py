"""Two revisions of an agreement → what changed: text, rules, interpretations, tariffs.

``diff(old, new)`` compares two ``Revision``s and returns a ``Diff``: every
change in the text and the rules, each classified as one that can change the
outcome of some case or as wording only, then (from ``cases``) the cases
that really answer differently and, given a course register, the money.
A revision is named the way a secretariat thinks of it (``resolve``):
``midtjylland@2020-06-01``, an agreement file, or a file at a git revision.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import itertools
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from ivrules import danish
from ivrules.diff import cases as diff_cases
from ivrules.diff import tariff as diff_tariff
from ivrules.diff.cases import CaseJSON, CountsJSON, GroupJSON
from ivrules.diff.cost import CostJSON, CostReport, register_cost
from ivrules.diff.model import OUTCOME, WORDING, Change, ChangeJSON, ChangeKind, Revision
from ivrules.engine.book import Book, load
from ivrules.errors import AgreementError, Diagnostics, LookupError_
from ivrules.lang.printer import to_danish
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.agreement import Agreement, Rule, Section
from ivrules.model.load import VOCABULARY, find_root, load_vocabulary, read_text
from ivrules.source import Source

__all__ = ["OUTCOME", "WORDING", "Change", "Diff", "Revision", "diff", "resolve", "resolve_pair", "revision_at"]

CONTEXT_WORDS = 6  # words of unchanged text shown on each side of a change
REGISTER_CASES = 1_000  # courses of a register also tried as cases
SAME_SECTION = 0.5  # share of words two sections must have in common to be one section, changed
SAME_NUMBER_BONUS = 0.1


@dataclass
class Diff:
    """Everything that differs between two revisions."""

    old: Revision
    new: Revision
    changes: list[Change]
    cases: diff_cases.CaseReport | None = None
    cost: CostReport | None = None

    @property
    def outcome_changes(self) -> list[Change]:
        return [c for c in self.changes if c.can_change_outcome]

    def to_dict(self) -> DiffJSON:
        """``{"old", "new", "changes", "cases", "groups", "counts", "cost"}``."""
        return {
            "old": describe(self.old), "new": describe(self.new),
            "changes": [c.to_dict() for c in self.changes],
            "cases": self.cases.to_list() if self.cases is not None else [],
            "groups": self.cases.groups_to_list() if self.cases is not None else [],
            "counts": self.cases.counts() if self.cases is not None else {"changed": 0, "tried": 0},
            "cost": self.cost.to_dict() if self.cost is not None else None,
        }


class SideJSON(TypedDict):
    """En side af sammenligningen: udgaven og dens fil."""

    label: str
    region: str
    revision: str
    path: str
    content_hash: str
    title: str


class DiffJSON(TypedDict):
    """``ivrules diff --json``: hvad der er ændret mellem to udgaver, og hvilke forløb der får et andet svar."""

    old: SideJSON
    new: SideJSON
    changes: list[ChangeJSON]
    cases: list[CaseJSON]
    groups: list[GroupJSON]
    counts: CountsJSON
    cost: CostJSON | None


def describe(rev: Revision) -> SideJSON:
    a = rev.agreement
    return {"label": rev.label, "region": a.region, "revision": a.revision, "path": a.path,
            "content_hash": a.content_hash, "title": a.title}


# --- naming a revision -------------------------------------------------------------------------------


def resolve_pair(old: str, new: str, agreements: Path = Path("agreements")) -> tuple[Revision, Revision]:
    """Both sides of a diff; the agreements folder is loaded once, and only when a side names a region."""
    book = functools.cache(lambda: load(agreements))
    return resolve(old, agreements, book), resolve(new, agreements, book)


def resolve(spec: str, agreements: Path = Path("agreements"), book: Callable[[], Book] | None = None) -> Revision:
    """``region@YYYY-MM-DD``, an agreement file, or ``path@gitrev`` → a compiled revision."""
    left, at, right = spec.rpartition("@")
    if at and _is_date(right) and "/" not in left and not left.endswith(".yaml"):
        return revision_at(book() if book is not None else load(agreements), left, dt.date.fromisoformat(right))
    if at and left:
        path = Path(left)
        return from_text(spec, git_show(path, right), _vocabulary(path, agreements))
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LookupError_(f"kan ikke læse '{spec}': {_reason(exc)}. Skriv region@ÅÅÅÅ-MM-DD, en aftalefil "
                           "eller fil@git-revision, fx midtjylland@2020-06-01") from None
    return from_text(spec, text, _vocabulary(path, agreements))


def revision_at(book: Book, region: str, on: dt.date) -> Revision:
    """The region's revision in force on ``on``, named ``region@its-date`` (as the site and the API name it)."""
    region = book.region_id(region)  # "sjælland@2021-01-06" names sjaelland's revision
    ruleset = book.ruleset(region, on)
    return Revision(f"{region}@{ruleset.agreement.revision}", ruleset.agreement, ruleset, book.vocabulary)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _reason(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "filen findes ikke"
    if isinstance(exc, UnicodeDecodeError):
        return "filen er ikke UTF-8"
    return getattr(exc, "strerror", None) or str(exc)


def _vocabulary(path: Path, agreements: Path) -> Vocabulary:
    """The vocabulary of the folder the file lies in, or of ``agreements`` for a draft kept elsewhere."""
    root = find_root(path if path.exists() else path.parent)
    diags = Diagnostics()
    vocab = load_vocabulary(root if (root / VOCABULARY).exists() else agreements, diags)
    if diags:
        raise AgreementError(list(diags))
    return vocab


def from_text(name: str, text: str, vocab: Vocabulary) -> Revision:
    """One agreement read from text (a draft, or a file at a git revision) with the normal loader."""
    diags = Diagnostics()
    agreement = read_text(Source(name, text), vocab, diags)
    if diags or agreement is None:
        raise AgreementError(list(diags))
    return Revision.of(name, agreement, vocab)


def git_show(path: Path, rev: str) -> str:
    """The text of ``path`` as it was at git revision ``rev``."""
    # "rev:./name" is read relative to the folder git runs in; a folder deleted since is read from here.
    folder, name = (path.parent, path.name) if path.parent.exists() else (Path("."), path.as_posix())
    try:
        done = subprocess.run(["git", "-C", str(folder), "show", f"{rev}:./{name}"], capture_output=True, check=False)
    except FileNotFoundError:
        raise LookupError_("git er ikke installeret, så en fil ved en git-revision kan ikke læses") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise LookupError_(f"git kan ikke finde '{path}' ved revision '{rev}'"
                           + (f": {message[-1]}" if message else ""))
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise LookupError_(f"'{path}' ved revision '{rev}' er ikke UTF-8") from None


def revision_pairs(book: Book, region: str) -> list[tuple[Revision, Revision]]:
    """Each consecutive pair of a region's revisions, oldest first (for the site's "Ændringer")."""
    sets = book.rulesets.get(region, [])
    revs = [Revision(f"{region}@{rs.agreement.revision}", rs.agreement, rs, book.vocabulary) for rs in sets]
    return list(itertools.pairwise(revs))


# --- what changed ------------------------------------------------------------------------------------


def diff(old: Revision, new: Revision, *, search: int = diff_cases.SEARCH_EXAMPLES, limit: int | None = None,
         courses: Path | None = None) -> Diff:
    """Compare two revisions: the changes, the cases that answer differently and, given a course
    register, the money under each (see ``cases``)."""
    found = changes(old, new)
    # The register's own courses are cases too; a sample keeps a big register from dominating the time.
    register = register_cost(old, new, courses, sample=REGISTER_CASES) if courses is not None else None
    cases = diff_cases.run_cases(old, new, found, search, limit, extra=register.sample if register else [])
    return Diff(old, new, found, cases, register.cost if register else None)


def changes(old: Revision, new: Revision) -> list[Change]:
    """Every change in the agreement's metadata, sections, rules, interpretations and unknowns."""
    a, b = old.agreement, new.agreement
    out = _metadata_changes(a, b)
    out += _section_changes(a.sections, b.sections)
    out += _rule_changes(a.rules, b.rules, old.vocabulary, new.vocabulary)
    out += _interpretation_changes(a, b)
    out += _unknown_changes(a, b)
    out += diff_tariff.tariff_changes(old, new)
    return out


def _metadata_changes(a: Agreement, b: Agreement) -> list[Change]:
    pairs = {"title": ("Titel", a.title, b.title), "preamble": ("Indledning", a.preamble, b.preamble),
             "source": ("Kilde", a.source.get("document", ""), b.source.get("document", "")),
             "termination": ("Opsigelse", a.termination.get("notice", ""), b.termination.get("notice", "")),
             "until": ("Gyldig til", _date(a.until), _date(b.until))}
    out = []
    for key, (label, before, after) in pairs.items():
        if before != after:
            out.append(_text_change(f"agreement:{key}", "agreement", label, before, after, None))
    return out


def _date(value: dt.date | None) -> str:
    return danish.date(value) if value else ""


def _text_change(ident: str, subject: str, label: str, before: str, after: str, section: str | None) -> Change:
    kind: ChangeKind = "added" if not before else "removed" if not after else "changed"
    words = word_diff(before, after) if kind == "changed" else ()
    verb = {"added": "er tilføjet", "removed": "er fjernet", "changed": "er ændret"}[kind]
    shown = render_words(words) if words else _shorten(before or after)
    return Change(ident, kind, subject, f"{label} {verb}: {shown}", WORDING, section,
                  before=before or None, after=after or None, words=words)


def _shorten(text: str, limit: int = 4 * CONTEXT_WORDS) -> str:
    words = text.split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def _section_text(section: Section) -> str:
    items = "".join(f"\n• {item}" for item in section.items)
    return f"{section.title}\n{section.text}{items}".strip()


def _section_changes(old: list[Section], new: list[Section]) -> list[Change]:
    out = []
    for a, b in _section_pairs(old, new):
        a_text, b_text = (_section_text(a) if a else ""), (_section_text(b) if b else "")
        moved = a is not None and b is not None and a.number != b.number
        if a_text != b_text or moved or (a and b and a.party != b.party):
            number = (b or a).number  # type: ignore[union-attr]
            label = f"Afsnit {number} {(b or a).title}" + (f" (før afsnit {a.number})" if moved else "")  # type: ignore
            if a_text == b_text:
                text = f"{label}: kun flyttet, teksten er uændret"
                out.append(Change(f"section:{number}", "changed", "section", text, WORDING, number, before=a_text,
                                  after=b_text))
            else:
                out.append(_text_change(f"section:{number}", "section", label, a_text, b_text, number))
    return out


def _section_pairs(old: list[Section], new: list[Section]) -> list[tuple[Section | None, Section | None]]:
    """Sections of the two revisions paired by likeness of their words (a section may be renumbered
    or retitled); the same number counts a little. Unpaired ones were added or removed."""
    words = [_section_text(s).split() for s in old], [_section_text(s).split() for s in new]
    scores = sorted(((difflib.SequenceMatcher(None, words[0][i], words[1][j], autojunk=False).ratio()
                      + SAME_NUMBER_BONUS * (a.number == b.number), i, j)
                     for i, a in enumerate(old) for j, b in enumerate(new)), reverse=True)
    match: dict[int, int] = {}
    for score, i, j in scores:
        if score >= SAME_SECTION and j not in match and i not in match.values():
            match[j] = i
    removed: list[tuple[Section | None, Section | None]] = [
        (a, None) for i, a in enumerate(old) if i not in match.values()]
    return removed + [(old[match[j]] if j in match else None, b) for j, b in enumerate(new)]


def _ordered_union(first: list[str], second: list[str]) -> list[str]:
    return first + [x for x in second if x not in first]


def rule_sentence(rule: Rule, vocab: Vocabulary) -> str:
    """What a rule says, as a Danish sentence generated from the rule itself."""
    if rule.kind == "condition":
        applies = f" Gælder når: {to_danish(rule.expr, vocab)}" if rule.expr is not None else ""
        return f"Betingelse: {rule.condition}.{applies}"
    return to_danish(rule.expr, vocab) if rule.expr is not None else rule.explain


def _same_rule(a: Rule, b: Rule) -> bool:
    """Same behaviour: the expressions are equal as trees (spans are left out of AST equality)."""
    return a.expr == b.expr and a.kind == b.kind and (a.kind == "requirement" or a.condition == b.condition)


def _rule_changes(old: list[Rule], new: list[Rule], old_vocab: Vocabulary, new_vocab: Vocabulary) -> list[Change]:
    before, after = {r.id: r for r in old}, {r.id: r for r in new}
    renamed = _renames([r for r in old if r.id not in after], [r for r in new if r.id not in before])
    new_ids = {r.id for r in renamed.values()}
    out = []
    for ident in _ordered_union(list(before), list(after)):
        a, b = before.get(ident), after.get(ident)
        if a is not None and b is not None:
            change = _changed_rule(a, b, old_vocab, new_vocab)
        elif a is not None:
            change = (_renamed_rule(a, renamed[a.id], new_vocab) if a.id in renamed
                      else _one_sided(a, "removed", old_vocab))
        elif b is not None and b.id not in new_ids:
            change = _one_sided(b, "added", new_vocab)
        else:
            change = None
        if change is not None:
            out.append(change)
    return out


def _renames(removed: list[Rule], added: list[Rule]) -> dict[str, Rule]:
    """A removed and an added rule with the same behaviour are one rule under a new id."""
    out: dict[str, Rule] = {}
    for a in removed:
        match = next((b for b in added if _same_rule(a, b) and b not in out.values()), None)
        if match is not None:
            out[a.id] = match
    return out


def _where(rule: Rule) -> str:
    return rule_name(rule)


def rule_name(rule: Rule) -> str:
    """A rule as a reader names it, by what it says: 'reglen »Borgeren skal være over 3 år« (afsnit 3)'."""
    said = rule.condition if rule.kind == "condition" and rule.condition else rule.explain
    return f"reglen »{short(said)}« (afsnit {rule.section})"


def short(text: str, limit: int = 10) -> str:
    """The first sentence of a text, at most ``limit`` words: a name for what the text is about."""
    first = re.split(r"\.\s+(?=[A-ZÆØÅ])", text.strip())[0].rstrip(".")  # "28. september" does not end it
    words = first.split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _changed_rule(a: Rule, b: Rule, old_vocab: Vocabulary, new_vocab: Vocabulary) -> Change | None:
    if _same_rule(a, b):
        if (a.explain, a.section, a.interpretations) == (b.explain, b.section, b.interpretations):
            return None
        if a.explain != b.explain:
            text = f"{upper_first(_where(b))}, kun formulering: {a.explain} → {b.explain}"
            text += f" (flyttet fra afsnit {a.section})" if a.section != b.section else ""
        elif a.section != b.section:
            text = f"{upper_first(_where(b))} er flyttet fra afsnit {a.section}, samme indhold"
        else:
            text = f"{upper_first(_where(b))} bygger nu på andre fortolkninger ({len(b.interpretations)})"
        return Change(f"rule:{b.id}", "changed", "rule", text, WORDING, b.section, b.id, a.explain, b.explain)
    before, after = rule_sentence(a, old_vocab), rule_sentence(b, new_vocab)
    return Change(f"rule:{b.id}", "changed", "rule", f"{upper_first(_where(b))}: {before} → {after}", OUTCOME,
                  b.section, b.id, before, after)


def _renamed_rule(a: Rule, b: Rule, vocab: Vocabulary) -> Change:
    text = f"{upper_first(_where(b))} har fået en ny kode, samme indhold: {rule_sentence(b, vocab)}"
    return Change(f"rule:{b.id}", "changed", "rule", text, WORDING, b.section, b.id, a.id, b.id)


def _one_sided(rule: Rule, kind: ChangeKind, vocab: Vocabulary) -> Change:
    sentence = rule_sentence(rule, vocab)
    verb = "ny" if kind == "added" else "fjernet"
    before, after = (None, sentence) if kind == "added" else (sentence, None)
    effect = OUTCOME if rule.expr is not None or rule.kind == "condition" else WORDING
    return Change(f"rule:{rule.id}", kind, "rule", f"{upper_first(_where(rule))} er {verb}: {sentence}", effect,
                  rule.section, rule.id, before, after)


def _interpretation_changes(a: Agreement, b: Agreement) -> list[Change]:
    out = []
    for ident in _ordered_union(list(a.interpretations), list(b.interpretations)):
        x, y = a.interpretations.get(ident), b.interpretations.get(ident)
        before = f"{x.title}. {x.reading} Begrundelse: {x.rationale}" if x else ""
        after = f"{y.title}. {y.reading} Begrundelse: {y.rationale}" if y else ""
        if before != after:
            # A reading only acts through the rules that cite it; those rules are diffed on their own.
            title = (y or x).title  # type: ignore[union-attr]
            out.append(_text_change(f"interpretation:{ident}", "interpretation", f"Fortolkningen »{title}«",
                                    before, after, None))
    return out


def _unknown_changes(a: Agreement, b: Agreement) -> list[Change]:
    before, after = {u.id: u for u in a.unknowns}, {u.id: u for u in b.unknowns}
    out = []
    for ident in _ordered_union(list(before), list(after)):
        x, y = before.get(ident), after.get(ident)
        if (x.text if x else "") != (y.text if y else ""):
            out.append(_text_change(f"unknown:{ident}", "unknown", f"Det ukendte »{short((y or x).text)}«",  # type: ignore[union-attr]
                                    x.text if x else "", y.text if y else "", (y or x).section)) # type: ignore[union-attr]
    return out


# --- word-level differences ---------------------------------------------------------------------------


def word_diff(before: str, after: str) -> tuple[tuple[str, str], ...]:
    """The change from ``before`` to ``after`` word by word: runs of kept, removed and added words."""
    a, b = before.split(), after.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(b[j1:j2])))
    return tuple(out)


def render_words(words: tuple[tuple[str, str], ...], marks: tuple[str, str, str, str] = ("[-", "-]", "{+", "+}"),
                 context: int = CONTEXT_WORDS, escape: Callable[[str], str] = str) -> str:
    """A word diff as one readable line: unchanged stretches shortened to a few words of context."""
    parts = []
    for i, (op, text) in enumerate(words):
        if op == "-":
            parts.append(f"{marks[0]}{escape(text)}{marks[1]}")
        elif op == "+":
            parts.append(f"{marks[2]}{escape(text)}{marks[3]}")
        else:
            parts.append(escape(_context(text.split(), i > 0, i < len(words) - 1, context)))
    return " ".join(p for p in parts if p)


def _context(words: list[str], after_change: bool, before_change: bool, context: int) -> str:
    if len(words) <= 2 * context:
        return " ".join(words)
    head = words[:context] if after_change else []
    tail = words[-context:] if before_change else []
    return " ".join([*head, "…", *tail])
