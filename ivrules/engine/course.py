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

from typing import TYPE_CHECKING, Any

from ivrules import danish
from ivrules.engine.quote import Quote, price
from ivrules.engine.runtime import Eligibility, RuleSet
from ivrules.errors import FactsError
from ivrules.model.accession import AccessionJSON

if TYPE_CHECKING:
    from ivrules.lang.vocabulary import Vocabulary

Facts = dict[str, Any]


class Course:
    """The immutable record of one evaluation: rule outcomes, the party check, accession, and (when asked) the price.

    The eligibility view and the price are decided the first time they are asked for and kept in their slots
    (``functools.cached_property`` would take a lock on every first access in Python 3.11: this is the hot path).
    """

    __slots__ = ("_eligibility", "_priced", "accession", "facts", "other", "outcomes", "party", "ruleset", "undecided",
                 "vocab")

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
        # Whether the municipality had joined is unknown (ivrules.model.accession): this course is the answer if it
        # had, ``other`` (None: no agreement applies) if it had not; the views are decided only where both agree.
        self.undecided = False
        self.other: Course | None = None

    def either(self, other: Course | None) -> Course:
        """This course, marked undecided between itself (joined) and ``other`` (not joined; None: no agreement)."""
        self.undecided, self.other = True, other
        return self

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
            self._eligibility = _either_eligibility(self) if self.undecided else Eligibility.of(self)
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
    if course.undecided:
        return _either_price(course, answer)
    return answer if course.accession is None else answer._replace(accession=course.accession)


def _either_eligibility(course: Course) -> Eligibility:
    """Eligibility where accession is unknown: decided where joined and not joined agree, else None."""
    mine = Eligibility.of(course)
    theirs = course.other.eligibility if course.other is not None else None
    same = mine.eligible is not None and mine.eligible == (theirs.eligible if theirs is not None else False)
    mine.accession = _said(course, same)
    if not same:
        missing = [course.vocab.roles.municipality_joined, *mine.missing, *(theirs.missing if theirs else [])]
        mine.eligible, mine.missing = None, list(dict.fromkeys(missing))
    return mine


def _either_price(course: Course, mine: Quote) -> Quote:
    """The price where accession is unknown: decided where joined and not joined give the same price."""
    theirs = course.other.priced if course.other is not None else None
    key = (mine.status, mine.total, mine.region_share, mine.municipality_share)
    if isinstance(theirs, Quote):
        same = key == (theirs.status, theirs.total, theirs.region_share, theirs.municipality_share)
    else:
        same = theirs is None and mine.status == "not_covered"
    if same and mine.status != "unknown":
        return mine._replace(accession=_said(course, True))
    said = _said(course, False)
    missing = [course.vocab.roles.municipality_joined, *mine.missing,
               *(theirs.missing if isinstance(theirs, Quote) else ())]
    return Quote(mine.region, mine.revision, "unknown", missing=tuple(dict.fromkeys(missing)),
                 reasons=(said["text"], *mine.reasons), accession=said)


def _said(course: Course, same: bool) -> AccessionJSON:
    """The accession answer of an undecided course, with what the unknown accession means for this answer."""
    assert course.accession is not None
    joined = f"har kommunen tiltrådt, gælder aftalen af {danish.date(course.ruleset.agreement.effective)}"
    other = (f"ellers aftalen af {danish.date(course.other.ruleset.agreement.effective)}"
             if course.other is not None else "ellers gælder ingen aftale for kommunen")
    asked = course.vocab.facts[course.vocab.roles.municipality_joined].label
    tail = (" Svaret er det samme, uanset om kommunen har tiltrådt." if same else
            f" Svaret afhænger af det: {joined}, {other}. Oplys det under »{asked}«.")
    applied = course.ruleset.agreement.revision if same else None
    return {**course.accession, "text": course.accession["text"] + tail, "applied": applied}


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
