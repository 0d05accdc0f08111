"""One revision + one course's typed facts → a ``Course``: everything the engine decided, once.

``evaluate`` runs every requirement once, checks that the municipality is a
party to the agreement (one of the region's municipalities), and keeps the
accession answer. The price is decided from the same outcomes the first time
it is asked for. Eligibility (``Course.eligibility``), the price
(``Course.quote``) and every front end built on them — explanations, the
doctors' page, CDS cards, revision diffs, settlement — are views of this
one record, so they cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ivrules import danish
from ivrules.engine.quote import Quote, price
from ivrules.engine.runtime import Eligibility, ReasonJSON, RuleSet
from ivrules.errors import FactsError
from ivrules.model.accession import AccessionJSON

if TYPE_CHECKING:
    from ivrules.lang.vocabulary import Vocabulary
    from ivrules.model.agreement import Agreement, Window

Facts = dict[str, Any]


class Split(NamedTuple):
    """Something the engine does not know about a course (whether the municipality had joined, whether a revision
    was in force yet): the course is answered under both alternatives and decided only where they agree."""

    fact: str  # the fact a question may state to decide it
    rule: str  # the id of the reason an eligibility answer carries about it
    section: str
    text: str  # Danish: what is not known
    yes: str  # Danish: what applies if it holds
    no: str  # Danish: what applies if it does not
    regardless: str  # Danish: "whether or not …", when the answer is the same either way
    accession: AccessionJSON | None = None  # the accession answer, for a split on accession
    asked: str = ""  # the Danish label of ``fact``, as a person is asked it

    def said(self, same: bool) -> str:
        """The sentence an answer carries: what is not known, and what that means for this answer."""
        tail = (f" Svaret er det samme, {self.regardless}." if same else
                f" Svaret afhænger af det: {self.yes}, {self.no}. Oplys det under »{self.asked or self.fact}«.")
        return self.text + tail


class Course:
    """The immutable record of one evaluation: rule outcomes, the party check, accession, and (when asked) the price.

    The eligibility view and the price are decided the first time they are asked for and kept in their slots
    (``functools.cached_property`` would take a lock on every first access in Python 3.11: this is the hot path).
    """

    __slots__ = ("_eligibility", "_priced", "accession", "facts", "outcomes", "party", "ruleset", "splits", "vocab")

    def __init__(self, ruleset: RuleSet, vocab: Vocabulary, facts: Facts, outcomes: tuple[bool | None, ...],
                 party: str | None, accession: AccessionJSON | None) -> None:
        self.ruleset = ruleset
        self.vocab = vocab
        self.facts = facts
        self.outcomes = outcomes  # each requirement's value, in ``ruleset.requirements`` order
        self.party = party  # why the municipality is not a party to the agreement; None when it is, or is unknown
        self.accession = accession
        self._eligibility: Eligibility | None = None
        self._priced: Quote | FactsError | None = None
        # What the engine does not know, in order: this course is the answer if the split holds, the paired course
        # (None: no agreement applies) if it does not; the views are decided only where the alternatives agree.
        self.splits: tuple[tuple[Split, Course | None], ...] = ()

    def either(self, split: Split, other: Course | None) -> Course:
        """This course, undecided between itself (``split`` holds) and ``other`` (it does not; None: no agreement)."""
        self.splits = (*self.splits, (split, other))
        return self

    @property
    def undecided(self) -> bool:
        return bool(self.splits)

    @property
    def covered(self) -> bool | None:
        """Kleene conjunction of the party check and every requirement: False decides even with facts missing."""
        if self.party is not None or False in self.outcomes:
            return False
        return None if None in self.outcomes else True

    @property
    def eligibility(self) -> Eligibility:
        """May the course be handed over to the municipality? (a view of the outcomes)"""
        if self._eligibility is None:
            answer = Eligibility(self)
            for split, other in self.splits:
                answer = _either_eligibility(answer, split, other)
            self._eligibility = answer
        return self._eligibility

    @property
    def priced(self) -> Quote | FactsError:
        """The price, decided once from this evaluation; facts that cannot be priced give their ``FactsError``."""
        if self._priced is None:
            self._priced = _price(self)
        return self._priced

    @property
    def quote(self) -> Quote:
        """What the course costs and who pays (raises the ``FactsError`` of facts that cannot be priced)."""
        answer = self.priced
        if isinstance(answer, FactsError):
            raise answer
        return answer


def _price(course: Course) -> Quote | FactsError:
    try:
        answer = price(course)
    except FactsError as exc:
        return exc
    for split, other in course.splits:
        answer = _either_price(answer, split, other)
    return answer


def _either_eligibility(mine: Eligibility, split: Split, other: Course | None) -> Eligibility:
    """Eligibility where ``split`` is not known: decided where both alternatives agree, else None."""
    theirs = other.eligibility if other is not None else None
    same = mine.eligible is not None and mine.eligible == (theirs.eligible if theirs is not None else False)
    text = split.said(same)
    if split.accession is not None:
        mine.accession = {**split.accession, "text": f"{split.accession['text']} {text.strip()}",
                          "applied": mine.revision if same else None}
    else:
        mine.notes.append(ReasonJSON(rule=split.rule, section=split.section,
                                     outcome="passed" if same else "unknown", text=text))
    if not same:
        missing = [split.fact, *mine.missing, *(theirs.missing if theirs else [])]
        mine.eligible, mine.missing = None, list(dict.fromkeys(missing))
    return mine


def _either_price(mine: Quote, split: Split, other: Course | None) -> Quote:
    """The price where ``split`` is not known: decided where both alternatives give the same price."""
    theirs = other.priced if other is not None else None
    key = (mine.status, mine.total, mine.region_share, mine.municipality_share)
    if isinstance(theirs, Quote):
        same = key == (theirs.status, theirs.total, theirs.region_share, theirs.municipality_share)
    else:
        same = theirs is None and mine.status == "not_covered"
    same = same and mine.status != "unknown"
    text = split.said(same)
    said = mine.accession
    if split.accession is not None:
        said = {**split.accession, "text": f"{split.accession['text']} {text.strip()}",
                "applied": mine.revision if same else None}
    if same:
        return mine._replace(accession=said) if split.accession is not None else mine
    missing = [split.fact, *mine.missing, *(theirs.missing if isinstance(theirs, Quote) else ())]
    head = said["text"] if split.accession is not None and said is not None else text
    return Quote(mine.region, mine.revision, "unknown", missing=tuple(dict.fromkeys(missing)),
                 reasons=(head, *mine.reasons), accession=said)


def joined_split(course_accession: AccessionJSON | None, joined: Agreement, other: Agreement | None,
                 vocab: Vocabulary) -> Split:
    """The split of an agreement joined municipality by municipality, where the register does not know."""
    fact = vocab.roles.municipality_joined if course_accession is not None else vocab.roles.municipality
    text = "" if course_accession is not None else (
        f"Kommunen er ikke oplyst, og aftalen af {danish.date(joined.effective)} tiltrædes kommune for kommune.")
    return Split(fact, "kommunen_tiltrådt", joined.parties.get("section", ""), text,
                 f"har kommunen tiltrådt, gælder aftalen af {danish.date(joined.effective)}",
                 f"ellers aftalen af {danish.date(other.effective)}" if other is not None else
                 "ellers gælder ingen aftale for kommunen", "uanset om kommunen har tiltrådt", course_accession,
                 vocab.facts[fact].label)


def in_force_split(window: Window, revision: Agreement, other: Agreement | None, asked: str = "") -> Split:
    """The split of a revision whose entry into force (or end) the sources give only roughly; ``asked``: the
    Danish label of the fact that decides it."""
    return Split(window.fact, "udgaven_i_kraft", window.unknown.section or "", window.unknown.text,
                 f"var udgaven af {danish.date(revision.effective)} i kraft, gælder den",
                 f"ellers aftalen af {danish.date(other.effective)}" if other is not None else
                 "ellers gælder ingen aftale", "uanset om udgaven var i kraft", asked=asked)


def evaluate(ruleset: RuleSet, vocab: Vocabulary, facts: Facts, accession: AccessionJSON | None = None) -> Course:
    """Evaluate one course (normalised facts) under one compiled revision."""
    outcomes = tuple([fn(facts) for fn in ruleset.fns])
    agreement = ruleset.agreement
    party = outside_region(agreement.region, facts, vocab, agreement.parties.get("section", ""))
    return Course(ruleset, vocab, facts, outcomes, party, accession)


def quote(ruleset: RuleSet, vocab: Vocabulary, facts: Facts) -> Quote:
    """The price of one course (normalised facts) under one revision: ``evaluate(...).quote``."""
    return evaluate(ruleset, vocab, facts).quote


def home_region(municipality: str | None, vocab: Vocabulary) -> str | None:
    """The region a municipality lies in (None: not given, or not one the vocabulary knows)."""
    found = vocab.municipalities.get(municipality) if municipality is not None else None
    return found.region if found is not None else None


def outside_region(region: str, facts: Facts, vocab: Vocabulary, section: str = "") -> str | None:
    """Why the course's municipality is not a party to the region's agreement (None: it is, or is not given);
    ``section`` is the agreement's section that names the parties."""
    name = facts.get(vocab.roles.municipality)
    home = home_region(name, vocab)
    if home is None or home == region:
        return None
    names = vocab.regions
    return (f"{name} Kommune ligger i {names.get(home, home)}; "
            f"aftalen gælder kommunerne i {names.get(region, region)}" + (f" (afsnit {section})." if section else "."))
