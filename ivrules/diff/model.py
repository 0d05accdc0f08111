"""The records a revision diff is made of: the two sides (``Revision``) and each ``Change``.

Kept apart from ``revisions`` so the parts that find changes and cases (``tariff``,
``cases``) can share them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NotRequired, TypedDict

from ivrules.engine.runtime import RuleSet
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.agreement import Agreement

OUTCOME, WORDING = "outcome", "wording"
ChangeKind = Literal["added", "removed", "changed"]


class WordJSON(TypedDict):
    """Et stykke af ordforskellen: "=" uændret, "-" fjernet, "+" tilføjet."""

    op: str
    text: str


class ChangeJSON(TypedDict):
    """En forskel mellem to udgaver som en dansk sætning "før → efter"."""

    id: str
    """Fx "rule:alder" eller "section:8.2"; tilfældene peger tilbage på det."""
    kind: ChangeKind
    subject: str
    section: str | None
    rule: str | None
    before: str | None
    after: str | None
    text: str
    effect: str
    """outcome: et forløb kan få et andet svar; wording: kun teksten er ændret."""
    words: NotRequired[list[WordJSON]]
    amount_before: NotRequired[str | None]
    amount_after: NotRequired[str | None]
    percent: NotRequired[str | None]


@dataclass(frozen=True)
class Revision:
    """One side of a diff: an agreement, compiled, with the vocabulary it was read with."""

    label: str
    agreement: Agreement
    ruleset: RuleSet
    vocabulary: Vocabulary

    @classmethod
    def of(cls, label: str, agreement: Agreement, vocabulary: Vocabulary) -> Revision:
        return cls(label, agreement, RuleSet.build(agreement), vocabulary)


@dataclass(frozen=True)
class Change:
    """One difference between two revisions, as a Danish sentence "før → efter"."""

    id: str  # "rule:alder", "section:8.2", … — what cases point back to
    kind: ChangeKind
    subject: str  # section | rule | interpretation | unknown | agreement | tariff
    text: str
    effect: str  # OUTCOME: some case can answer differently; WORDING: only the text changed
    section: str | None = None
    rule: str | None = None
    before: str | None = None
    after: str | None = None
    words: tuple[tuple[str, str], ...] = ()  # word-level diff: ("=" | "-" | "+", words)
    amounts: tuple[str | None, str | None, str | None] | None = None  # a price: before, after, per cent

    @property
    def can_change_outcome(self) -> bool:
        return self.effect == OUTCOME

    def to_dict(self) -> ChangeJSON:
        """The JSON form of the issue: kind, section, rule, before, after, text (and more)."""
        out: ChangeJSON = {"id": self.id, "kind": self.kind, "subject": self.subject,
                               "section": self.section, "rule": self.rule, "before": self.before,
                               "after": self.after, "text": self.text, "effect": self.effect}
        if self.words:
            out["words"] = [WordJSON(op=op, text=text) for op, text in self.words]
        if self.amounts is not None:
            out["amount_before"], out["amount_after"], out["percent"] = self.amounts
        return out
