"""A folder of agreements → a ``Book``: every region's revisions, compiled once.

``load("agreements")`` reads the vocabulary, the municipalities and every
``<region>/<YYYY-MM-DD>.yaml``; all mistakes of all files are raised together
as one ``AgreementError``. A ``Book`` answers questions; it never re-parses.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivrules.engine.quote import Quote, quote
from ivrules.engine.runtime import Eligibility, RuleSet
from ivrules.errors import AgreementError, FactsError, NoRevisionError, NotJoinedError, UnknownRegionError
from ivrules.lang.topics import read_topics
from ivrules.lang.vocabulary import Fact, Vocabulary, read_municipalities, read_vocabulary
from ivrules.model.accession import FILE as ACCESSION
from ivrules.model.accession import JOINED_FACT, Accession, check_accession, read_accession
from ivrules.model.agreement import Agreement, read_agreement
from ivrules.model.loader import Diagnostics, Node, read_yaml
from ivrules.model.regions import FILE as REGIONS
from ivrules.model.regions import check_municipalities, read_regions
from ivrules.source import Source

VOCABULARY = "vocabulary.yaml"
MUNICIPALITIES = "municipalities.yaml"
QUOTE_MEMO = 65_536  # quotes kept by Book.tariff


@dataclass
class Book:
    """Every loaded agreement, by region, in order of the date each takes effect."""

    vocabulary: Vocabulary
    rulesets: dict[str, list[RuleSet]] = field(default_factory=dict)
    root: Path | None = None
    accession: Accession = field(default_factory=Accession)

    def __post_init__(self) -> None:
        self._dates = {r: [rs.agreement.effective for rs in sets] for r, sets in self.rulesets.items()}

    @property
    def regions(self) -> list[str]:
        return [r for r in self.vocabulary.regions if r in self.rulesets]

    def agreements(self, region: str) -> list[Agreement]:
        """The region's revisions, oldest first."""
        return [rs.agreement for rs in self._sets(region)]

    def _sets(self, region: str) -> list[RuleSet]:
        sets = self.rulesets.get(region)
        if sets is None:
            raise UnknownRegionError(region, self.regions)
        return sets

    def ruleset(self, region: str, on: dt.date) -> RuleSet:
        """The revision in force on ``on``; ``NoRevisionError`` when there is none."""
        sets = self._sets(region)
        i = bisect.bisect_right(self._dates[region], on) - 1
        until = sets[i].agreement.until if i >= 0 else None
        if i < 0 or (until is not None and on > until):
            reason = sets[i].agreement.no_agreement_after if i >= 0 else ""
            raise NoRevisionError(region, on, [period(rs.agreement, sets) for rs in sets], reason)
        return sets[i]

    def select(self, region: str, typed: Mapping[str, Any]) -> tuple[RuleSet, dict[str, Any] | None]:
        """The revision that applies to this course, and (for an agreement joined municipality by
        municipality) the accession answer saying whether the municipality had joined and what applies."""
        on = course_date(typed)
        chosen = self.ruleset(region, on)
        line = self.accession.line_for(region, chosen.agreement.effective)
        if line is None:
            return chosen, None
        municipality = typed.get("municipality")
        if municipality is None:
            raise FactsError("municipality", f"mangler: aftalen af {line.agreement} tiltrædes kommune for kommune, "
                                             "så kommunen afgør, hvilken aftale der gælder")
        decision = line.decide(municipality, on, typed.get(JOINED_FACT))
        if decision.joined:
            return chosen, decision.to_dict(chosen.agreement)
        if line.fallback is None:
            raise NotJoinedError(region, on, decision.text(None))
        fallback = self.ruleset(region, line.fallback)
        if fallback.agreement.until is not None and on > fallback.agreement.until:
            raise NotJoinedError(region, on, decision.text(None))
        return fallback, decision.to_dict(fallback.agreement)

    def agreement(self, region: str, on: dt.date) -> Agreement:
        return self.ruleset(region, on).agreement

    def normalise(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Raw facts → typed facts (``FactsError`` names a bad field)."""
        return self.vocabulary.normalise(facts)

    def eligibility(self, region: str, facts: Mapping[str, Any]) -> Eligibility:
        """May this course be handed over to the municipality? True, False or None with reasons."""
        typed = self.vocabulary.normalise(facts)
        ruleset, accession = self.select(region, typed)
        answer = ruleset.evaluate(typed)
        answer.accession = accession
        return answer

    def tariff(self, region: str, facts: Mapping[str, Any]) -> Quote:
        """What does the course cost and who pays? A ``Quote`` (status, total, shares, lines, reasons)."""
        # Quotes are immutable and depend only on the facts, so the same question is answered once.
        memo: dict[Any, Quote] = self.__dict__.setdefault("_quotes", {})
        # The types are part of the key: 1 and True are equal, but only one of them is a number.
        types = tuple(map(type, facts.values()))
        key: Any = None
        found = None
        if list not in types and dict not in types:  # a list among the facts (dose times): not memoised
            key = (region, tuple(facts.items()), types)
            found = memo.get(key)
        if found is not None:
            return found
        typed = self.vocabulary.normalise(facts)
        if typed.get("date") is None:
            raise FactsError("start_date", "mangler: startdatoen afgør, hvilken udgave af aftalen der gælder")
        ruleset, accession = self.select(region, typed)
        answer = quote(ruleset, self.vocabulary, typed)
        if accession is not None:
            answer = answer._replace(accession=accession)
        if key is not None:
            if len(memo) >= QUOTE_MEMO:
                memo.clear()
            memo[key] = answer
        return answer

    def facts(self, region: str, on: dt.date | None = None) -> list[Fact]:
        """The facts the region's rules may ask for (all revisions, or the one in force on ``on``)."""
        sets = [self.ruleset(region, on)] if on else self._sets(region)
        used: set[str] = {"date", "municipality"}
        if region in self.accession.regions() and JOINED_FACT in self.vocabulary.facts:
            used.add(JOINED_FACT)
        for rs in sets:
            for rule in rs.agreement.rules:
                if rule.compiled is not None:
                    used.update(rule.compiled.all_reads())
        for name in list(used):
            derive = self.vocabulary.facts[name].derive
            used.update(derive[1] if derive else ())
        return [f for f in self.vocabulary.facts.values() if f.name in used]


def course_date(typed: Mapping[str, Any]) -> dt.date:
    """The date that picks the revision: ``date`` (or, derived, ``start_date``)."""
    on = typed.get("date")
    if on is None:
        raise FactsError("date", "mangler: datoen afgør, hvilken udgave af aftalen der gælder (ÅÅÅÅ-MM-DD)")
    assert isinstance(on, dt.date)
    return on


def period(agreement: Agreement, sets: list[RuleSet]) -> str:
    """'2020-06-01 – 2021-04-30' for a revision, open-ended for the newest."""
    end = agreement.until
    later = [rs.agreement.effective for rs in sets if rs.agreement.effective > agreement.effective]
    if end is None and later:
        end = min(later) - dt.timedelta(days=1)
    return f"{agreement.effective.isoformat()} – {end.isoformat() if end else ''}".rstrip()


def load(path: str | Path = "agreements") -> Book:
    """Load, check and compile every agreement under ``path``; raise all mistakes together."""
    root = Path(path)
    diags = Diagnostics()
    vocab = load_vocabulary(root, diags)
    agreements = [a for a in (read_file(p, vocab, diags) for p in agreement_files(root)) if a is not None]
    check_periods(agreements, diags)
    accession = load_accession(root, vocab, agreements, diags)
    if diags:
        raise AgreementError(list(diags))
    return build(vocab, agreements, root, accession)


def build(vocab: Vocabulary, agreements: Iterable[Agreement], root: Path | None = None,
          accession: Accession | None = None) -> Book:
    by_region: dict[str, list[RuleSet]] = {}
    for agreement in sorted(agreements, key=lambda a: a.effective):
        by_region.setdefault(agreement.region, []).append(RuleSet.build(agreement))
    return Book(vocab, by_region, root, accession or Accession())


def load_accession(root: Path, vocab: Vocabulary, agreements: list[Agreement], diags: Diagnostics) -> Accession:
    """The accession register under ``root`` (optional), checked against the agreements loaded with it."""
    if not (root / ACCESSION).exists():
        return Accession()
    node = _read_root_file(root / ACCESSION, diags)
    accession = read_accession(node, vocab.regions, diags) if node is not None else Accession()
    check_accession(accession, agreements, vocab, diags)
    return accession


def load_vocabulary(root: Path, diags: Diagnostics) -> Vocabulary:
    """The shared vocabulary, the municipalities and the regions under ``root``."""
    municipalities = _read_root_file(root / MUNICIPALITIES, diags)
    facts = _read_root_file(root / VOCABULARY, diags)
    regions_node = _read_root_file(root / REGIONS, diags)
    regions = read_regions(regions_node, diags) if regions_node else {}
    if municipalities and regions:
        check_municipalities(municipalities, regions, diags)
    declared = read_vocabulary(facts, diags) if facts else []
    topics = read_topics(facts, [f.name for f in declared], diags) if facts else ()
    return Vocabulary(declared, read_municipalities(municipalities, diags) if municipalities else {}, regions, topics)


def _read_root_file(path: Path, diags: Diagnostics) -> Node | None:
    source = _source(path, diags)
    return read_yaml(source, diags) if source else None


def agreement_files(root: Path) -> list[Path]:
    """Every agreement source under root: <region>/<date>.yaml."""
    return sorted(p for p in root.glob("*/*.yaml") if p.is_file())


def read_file(path: Path, vocab: Vocabulary, diags: Diagnostics, *, check_name: bool = True) -> Agreement | None:
    """Read, check and compile one agreement file; mistakes go to ``diags``."""
    source = _source(path, diags)
    node = read_yaml(source, diags) if source else None
    if source is None or node is None:
        return None
    agreement = read_agreement(node, vocab, source.name, source.text, diags)
    if agreement is not None and check_name:
        _check_file_name(path, agreement, node, diags)
    return agreement


def _source(path: Path, diags: Diagnostics) -> Source | None:
    try:
        return Source(str(path), path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        diags.error(f"filen {path} findes ikke", None)
    except UnicodeDecodeError as exc:
        diags.error(f"filen {path} er ikke UTF-8 (byte {exc.start})", None, hint="gem filen som UTF-8")
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
            if old.effective == new.effective:
                diags.error(f"to udgaver af {new.region} træder i kraft samme dag ({new.revision})",
                            None, context=f"{old.path} og {new.path}")
            elif old.until is not None and old.until >= new.effective:
                diags.error(f"{old.path} gælder til {old.until}, men {new.path} træder i kraft {new.revision}",
                            None, hint="perioderne må ikke overlappe")
            elif old.until is not None and old.until + dt.timedelta(days=1) < new.effective \
                    and not old.no_agreement_after:
                diags.error(f"{old.path} gælder til {old.until}, men {new.path} træder først i kraft {new.revision}",
                            None, hint="skriv i 'no_agreement_after', hvorfor ingen aftale gælder i mellemtiden")


def find_root(path: Path) -> Path:
    """The agreements folder a file or folder belongs to (the one holding vocabulary.yaml)."""
    for candidate in [path, *path.resolve().parents]:
        if (candidate / VOCABULARY).exists():
            return candidate
    return path if path.is_dir() else path.parent


def load_paths(paths: list[Path]) -> list[Book]:
    """Check files or folders; every mistake of every path is raised together."""
    diags = Diagnostics()
    books: list[Book] = []
    for path in paths:
        root = find_root(path)
        vocab = load_vocabulary(root, diags)
        files = agreement_files(root) if path.is_dir() else [path]
        agreements = [a for a in (read_file(p, vocab, diags) for p in files) if a is not None]
        check_periods(agreements, diags)
        # A single file is checked against the register only when the register's revisions are all loaded.
        accession = load_accession(root, vocab, agreements, diags) if path.is_dir() else None
        books.append(build(vocab, agreements, root, accession))
    if diags:
        raise AgreementError(list(diags))
    return books


def load_files(files: list[Path], root: Path) -> Book:
    """Load agreement files from anywhere against the vocabulary under ``root`` (for drafts and tests)."""
    diags = Diagnostics()
    vocab = load_vocabulary(root, diags)
    agreements = [a for a in (read_file(p, vocab, diags, check_name=False) for p in files) if a is not None]
    if diags:
        raise AgreementError(list(diags))
    return build(vocab, agreements, root)
