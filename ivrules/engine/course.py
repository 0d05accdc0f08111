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

from ivrules.engine.quote import Quote, price
from ivrules.engine.runtime import Eligibility, RuleSet
from ivrules.errors import FactsError

if TYPE_CHECKING:
    from ivrules.lang.vocabulary import Vocabulary
    from ivrules.model.accession import AccessionJSON

Facts = dict[str, Any]


class Course:
    """The immutable record of one evaluation: rule outcomes, the party check, accession, and (when asked) the price.

    The eligibility view and the price are decided the first time they are asked for and kept in their slots
    (``functools.cached_property`` would take a lock on every first access in Python 3.11: this is the hot path).
    """

    __slots__ = ("_eligibility", "_priced", "accession", "facts", "outcomes", "party", "ruleset", "vocab")

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
            self._eligibility = Eligibility.of(self)
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
    return answer if course.accession is None else answer._replace(accession=course.accession)


def evaluate(ruleset: RuleSet, vocab: Vocabulary, facts: Facts, accession: AccessionJSON | None = None) -> Course:
    """Evaluate one course (normalised facts) under one compiled revision."""
    outcomes = tuple([fn(facts) for fn in ruleset.fns])
    agreement = ruleset.agreement
    party = outside_region(agreement.region, facts, vocab, agreement.parties.get("section", ""))
    return Course(ruleset, vocab, facts, outcomes, party, accession)


def quote(ruleset: RuleSet, vocab: Vocabulary, facts: Facts) -> Quote:
    """The price of one course (normalised facts) under one revision: ``evaluate(...).quote``."""
    return evaluate(ruleset, vocab, facts).quote


def outside_region(region: str, facts: Facts, vocab: Vocabulary, section: str = "") -> str | None:
    """Why the course's municipality is not a party to the region's agreement (None: it is, or is not given);
    ``section`` is the agreement's section that names the parties."""
    name = facts.get(vocab.roles.municipality)
    found = vocab.municipalities.get(name) if name is not None else None
    if found is None or found.region == region:
        return None
    names = vocab.regions
    return (f"{name} Kommune ligger i {names.get(found.region, found.region)}; "
            f"aftalen gælder kommunerne i {names.get(region, region)}" + (f" (afsnit {section})." if section else "."))
