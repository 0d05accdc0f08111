"""accession.yaml → who joined which agreement from when, and which revision a course falls under.

Some agreements are joined municipality by municipality (Syddanmark 2021,
Region Sjælland's trial, Nordjylland's start). Which municipality joined
when is data a secretariat maintains in ``accession.yaml``, never code.
``Line.decide`` answers "had this municipality joined on this date?" with
the basis of the answer; the book then uses the joined revision, the
revision that applies to municipalities that have not joined (``fallback``),
or — when there is none — refuses with ``NotJoinedError``.

A complete register is authoritative: a municipality it does not list has
not joined. Where the register says it is incomplete, a municipality it does
not list is *unknown* (``joined`` None, basis ``unknown``): the book then
answers under both the joined revision and what applies otherwise, and the
answer is decided only where the two agree. The question may state
``municipality_joined``; the register still wins for the municipalities it lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from ivrules import danish
from ivrules.errors import Diagnostics, did_you_mean
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.agreement import Agreement
from ivrules.model.loader import Node, expect, fields, text_of
from ivrules.model.regions import check_region
from ivrules.source import Span

FILE = "accession.yaml"
LINE_REQUIRED = ("region", "agreement", "complete", "source", "members")
LINE_OPTIONAL = ("fallback", "all_from", "note")
ACCESSION_TOP = ("accessions",)
MEMBER_KEYS = (("municipality", "from"), ("source",))
Basis = Literal["register", "all", "facts", "unlisted", "unknown"]


class AccessionJSON(TypedDict):
    """Tiltrædelse: om kommunen havde tiltrådt aftalen på datoen, på hvilket grundlag, og hvilken udgave der gælder."""

    agreement: str
    """Den aftale, der tiltrædes kommune for kommune (dens ikrafttræden, ÅÅÅÅ-MM-DD)."""
    municipality: str
    joined: bool | None
    """null: tiltrædelseslisten er ikke fuldstændig og nævner ikke kommunen, og spørgsmålet oplyser det ikke."""
    basis: Basis
    """register (tiltrædelseslisten), all (alle kommuner fra en dato), facts (spørgsmålet), unlisted
    (en fuldstændig liste nævner ikke kommunen) eller unknown (en ufuldstændig liste nævner den ikke)."""
    since: str | None
    applied: str | None
    """Udgaven, der gælder for forløbet, eller null, når ingen gælder."""
    text: str


@dataclass(frozen=True)
class Member:
    """One municipality on the register and the date it joined."""

    municipality: str
    since: dt.date
    source: str = ""
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Decision:
    """Whether a municipality had joined an agreement on a date, and on what basis."""

    line: Line
    municipality: str
    on: dt.date
    joined: bool | None  # None: an incomplete register does not list it, and the question does not say
    basis: Basis  # "register", "all" (every municipality by a date), "facts", "unlisted" or "unknown"
    since: dt.date | None = None

    def text(self, applied: Agreement | None) -> str:
        """The Danish sentence an answer carries about accession."""
        agreement = f"aftalen af {danish.date(self.line.agreement)}"
        if self.joined is None:
            return self._unknown_text(agreement)
        if self.joined:
            return self._joined_text(agreement)
        head = (f"{self.municipality} har tiltrådt {agreement} fra {danish.date(self.since)}, altså efter "
                f"{danish.date(self.on)}" if self.since else f"{self.municipality} står ikke som tiltrådt {agreement}")
        rest = (f"; derfor gælder aftalen af {danish.date(applied.effective)}, som gælder for kommuner, "
                f"der ikke har tiltrådt" if applied is not None else
                ", og der gælder ingen anden aftale for kommuner, der ikke har tiltrådt")
        return head + rest + "."

    def _joined_text(self, agreement: str) -> str:
        if self.basis == "all" and self.line.all_from is not None:
            return f"Alle kommuner i regionen havde tiltrådt {agreement} senest {danish.date(self.line.all_from)}."
        if self.basis == "facts":
            return (f"{self.municipality} står ikke i tiltrædelseslisten; spørgsmålet oplyser, "
                    f"at kommunen har tiltrådt {agreement}.")
        assert self.since is not None
        return f"{self.municipality} har tiltrådt {agreement} fra {danish.date(self.since)} (tiltrædelseslisten)."

    def _unknown_text(self, agreement: str) -> str:
        note = f" {self.line.note}" if self.line.note else ""
        return (f"{self.municipality} står ikke i tiltrædelseslisten for {agreement}, og listen er ikke "
                f"fuldstændig: det vides ikke, om kommunen havde tiltrådt aftalen den {danish.date(self.on)}.{note}")

    def to_dict(self, applied: Agreement | None) -> AccessionJSON:
        """The ``accession`` field of an answer."""
        return {
            "agreement": self.line.agreement.isoformat(), "municipality": self.municipality,
            "joined": self.joined, "basis": self.basis,
            "since": self.since.isoformat() if self.since else None,
            "applied": applied.revision if applied is not None else None,
            "text": self.text(applied),
        }


@dataclass(frozen=True)
class Line:
    """An agreement joined municipality by municipality, from its first revision on."""

    region: str
    agreement: dt.date
    complete: bool
    source: str
    members: Mapping[str, Member]
    fallback: dt.date | None = None
    all_from: dt.date | None = None
    note: str = ""
    span: Span | None = field(default=None, compare=False, repr=False)

    def decide(self, municipality: str, on: dt.date, stated: bool | None = None) -> Decision:
        """Had ``municipality`` joined on ``on``? ``stated`` counts only where the register is silent."""
        if self.all_from is not None and on >= self.all_from:
            return Decision(self, municipality, on, True, "all", self.all_from)
        member = self.members.get(municipality)
        if member is not None:
            return Decision(self, municipality, on, member.since <= on, "register", member.since)
        if self.complete:
            return Decision(self, municipality, on, False, "unlisted")
        if stated is not None:
            return Decision(self, municipality, on, stated, "facts")
        return Decision(self, municipality, on, None, "unknown")

    def depends_on_date(self, municipality: str, stated: bool | None = None) -> bool:
        """Whether ``decide``'s answer for ``municipality`` (its text included) can change with the date: where every
        municipality joins by a date, where the register lists it, or where an incomplete register is silent and the
        question does not say (the text names the date). Otherwise any date gives the same answer."""
        return (self.all_from is not None or municipality in self.members
                or (not self.complete and stated is None))


@dataclass(frozen=True)
class Accession:
    """Every line of the register, by region, oldest first."""

    lines: tuple[Line, ...] = ()

    def line_for(self, region: str, revision: dt.date) -> Line | None:
        """The line a revision belongs to: the region's latest line that starts on or before it."""
        found = [line for line in self.lines if line.region == region and line.agreement <= revision]
        return max(found, key=lambda line: line.agreement) if found else None

    def regions(self) -> set[str]:
        return {line.region for line in self.lines}


def read_accession(root: Node, regions: Mapping[str, str], diags: Diagnostics) -> Accession:
    """The ``accessions:`` list of accession.yaml → the register (mistakes go to ``diags``);
    ``regions`` are the region ids regions.yaml declares."""
    top = fields(root, diags, ACCESSION_TOP)
    if not top or not expect(top.get("accessions"), list, diags):
        return Accession()
    lines = (_line(item, regions, diags) for item in top["accessions"].value)
    return Accession(tuple(sorted((x for x in lines if x is not None), key=lambda x: (x.region, x.agreement))))


def _line(node: Node, regions: Mapping[str, str], diags: Diagnostics) -> Line | None:
    f = fields(node, diags, LINE_REQUIRED, LINE_OPTIONAL)
    if not f or not all(k in f for k in LINE_REQUIRED):
        return None
    region = check_region(f["region"], regions, diags)
    agreement = _date(f["agreement"], diags)
    complete = f["complete"].value if expect(f["complete"], bool, diags) else False
    members = _members(f["members"], diags)
    if agreement is None:
        return None
    return Line(region, agreement, complete, text_of(f["source"], diags) or "", members,
                _date(f["fallback"], diags) if "fallback" in f else None,
                _date(f["all_from"], diags) if "all_from" in f else None,
                (text_of(f["note"], diags) or "").strip() if "note" in f else "", node.span)


def _members(node: Node, diags: Diagnostics) -> dict[str, Member]:
    out: dict[str, Member] = {}
    for item in node.value if expect(node, list, diags) else []:
        f = fields(item, diags, *MEMBER_KEYS)
        if not f or "municipality" not in f or "from" not in f:
            continue
        name, since = text_of(f["municipality"], diags), _date(f["from"], diags)
        if name in out:
            diags.error(f"{name} står to gange i samme tiltrædelse", f["municipality"].span,
                        hint="en kommune tiltræder en aftale én gang; ret datoen i den første linje")
        elif name is not None and since is not None:
            source = (text_of(f["source"], diags) or "") if "source" in f else ""
            out[name] = Member(name, since, source, f["municipality"].span)
    return out


def _date(node: Node, diags: Diagnostics) -> dt.date | None:
    if isinstance(node.value, dt.date):
        return node.value
    diags.error(f"{node.path} skal være en dato", node.span, expected="ÅÅÅÅ-MM-DD, fx 2021-10-01")
    return None


def check_accession(accession: Accession, agreements: Iterable[Agreement], vocab: Vocabulary,
                    diags: Diagnostics) -> None:
    """Every line names revisions that exist, and members that are municipalities of its region."""
    revisions: dict[str, set[dt.date]] = {}
    for agreement in agreements:
        revisions.setdefault(agreement.region, set()).add(agreement.effective)
    for line in accession.lines:
        known = revisions.get(line.region, set())
        _check_revision(line, line.agreement, known, "agreement", diags)
        if line.fallback is not None:
            _check_revision(line, line.fallback, known, "fallback", diags)
            if line.fallback >= line.agreement:
                diags.error(f"fallback {line.fallback} skal være en ældre udgave end {line.agreement}", line.span,
                            hint="fallback er den aftale, der gælder for kommuner, der ikke har tiltrådt")
        if line.all_from is not None and line.all_from < line.agreement:
            diags.error(f"all_from {line.all_from} ligger før aftalen {line.agreement}", line.span)
        for member in line.members.values():
            _check_member(line, member, vocab, diags)


def _check_revision(line: Line, revision: dt.date, known: set[dt.date], key: str, diags: Diagnostics) -> None:
    if revision not in known:
        listed = ", ".join(sorted(d.isoformat() for d in known))
        diags.error(f"{key}: {line.region} har ingen udgave af {revision}", line.span,
                    expected=f"en af {listed}" if listed else None,
                    hint=f"tjek, at agreements/{line.region}/{revision}.yaml findes og er uden fejl")


def _check_member(line: Line, member: Member, vocab: Vocabulary, diags: Diagnostics) -> None:
    found = vocab.municipalities.get(member.municipality)
    if found is None:
        diags.error(f"ukendt kommune '{member.municipality}'", member.span,
                    hint=did_you_mean(member.municipality, vocab.municipalities))
    elif found.region != line.region:
        diags.error(f"{member.municipality} ligger i region {found.region}, ikke {line.region}", member.span)
    if member.since < line.agreement:
        diags.error(f"{member.municipality} kan ikke tiltræde {line.agreement} allerede {member.since}",
                    member.span, hint="tiltrædelsesdatoen skal ligge på eller efter aftalens dato")
