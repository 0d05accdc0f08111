"""A region's revisions → one SQL query pricing every course of a table (the columnar backend's entry point).

The query has three steps: ``facts`` types the table's columns and fills in
the derived facts (the vocabulary's ``derive``), ``chosen`` picks each
course's revision (the one in force on the course date; where the agreement
is joined municipality by municipality, the accession decides, with the
fallback revision for a municipality that has not joined), and one step
per revision (``revision_<i>``, compiled by ``ivrules.engine.sql.revision``)
answers its courses. Where an incomplete accession register is silent about
the municipality and the table does not say, the course is also answered by
the revision that applies otherwise (``Either``), and the answer stands only
where both agree, as ``Course.either`` decides. The parts are joined with
``UNION ALL``. A course no revision applies to has status ``error`` and the
Danish reason of the scalar ``LookupError_``.

Where a revision's entry into force is uncertain (``in_force_unknown``), the
period's fact decides which revision a course falls under (``Book.select``);
a course in the period whose fact the table leaves NULL is numbered and
answered in two branches (``typed`` → ``facts``), with the fact true and
false, each through the steps above (``resolved``); the first branch's answer
stands only where the second gives the same (``Book._evaluate`` with
``in_force_split``), so an undecided accession and an uncertain entry into
force can both apply to one course, in the scalar engine's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlglot import exp

from ivrules import danish
from ivrules.engine.book import Book
from ivrules.engine.sql.revision import TEXT, Answer, RevisionCompiler, _cat, _danish_date, s, true, when
from ivrules.engine.sql.rules import RuleCompiler, SqlCompileError, and_, is_null, literal, one_of, or_
from ivrules.lang.vocabulary import Fact
from ivrules.model.accession import Line
from ivrules.model.agreement import Window

TYPES = {"bool": "BOOLEAN", "number": "DECIMAL(38,10)", "enum": "VARCHAR", "date": "DATE", "times": "INT[]",
         "municipality": "VARCHAR"}
OUTPUT = ("revision", "status", "reason", "total", "region_share", "municipality_share", "kind", "category", "flags",
          "invoice_day")
INTERNAL = ("ivrules_row", "ivrules_branch", "ivrules_split", "ivrules_window")
TEXT_SUFFIX = "__text"  # a number fact's value as the scalar engine writes it, where the table has it


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def sql_type(fact: Fact) -> exp.DataType:
    return exp.DataType.build(TYPES[fact.type], dialect="duckdb")


@dataclass(frozen=True)
class Pick:
    """The SQL of a course's revision: its index (NULL: none applies), the Danish reason none does, whether
    accession is undecided (an incomplete register silent about the municipality), and then the index of the
    revision that applies if the municipality had not joined (NULL: no agreement applies then)."""

    rev: exp.Expression
    error: exp.Expression
    undecided: exp.Expression = field(default_factory=lambda: exp.Boolean(this=False))
    other: exp.Expression = field(default_factory=exp.Null)


Branch = tuple[exp.Expression | None, Pick]  # (the condition within its case; None: otherwise), and its pick
PICK = "ivrules_pick"  # the stage column numbering the branch that holds
OUTSIDER = "ivrules_outsider"  # the stage column: the municipality lies in another region


@dataclass
class _Cases:
    """The ``Pick`` being built: cases in order (the first whose condition holds decides), each with branches in
    order. One stage column (``PICK``) numbers the branch that holds (``numbers``), so that each condition is asked
    once a course; the reason no revision applies is read from it, and each part of the query selects its courses
    by it (``holding``)."""

    cases: list[tuple[exp.Expression, list[Branch]]] = field(default_factory=list)

    def add(self, cond: exp.Expression, branches: list[Branch]) -> None:
        self.cases.append((cond, branches))

    def error(self, cond: exp.Expression, reason: exp.Expression) -> None:
        self.add(cond, [(None, Pick(exp.Null(), reason))])

    def number(self) -> exp.Expression:
        """The number of the branch that holds (NULL: none)."""
        ifs, k, numbers = [], 0, self.numbers()
        for cond, branches in self.cases:
            inner = [exp.If(this=sub, true=literal(numbers[k + j])) for j, (sub, _) in enumerate(branches)
                     if sub is not None]
            otherwise = literal(numbers[k + len(branches) - 1]) if branches[-1][0] is None else None
            ifs.append(exp.If(this=cond, true=exp.Case(ifs=inner, default=otherwise) if inner else otherwise))
            k += len(branches)
        return exp.Case(ifs=ifs)

    def picks(self) -> list[Pick]:
        """Each branch's pick, in the order the branches are asked."""
        return [pick for _, branches in self.cases for _, pick in branches]

    def numbers(self) -> list[int]:
        """Each branch's number (in the order of ``picks``): the branches a part of the query answers alike (the
        same revision, accession decided or not, the same revision that applies otherwise) share one, so that a
        part tests one number; then the branches where no revision applies, each its own (its own reason)."""
        picks = self.picks()

        def part(p: Pick) -> tuple[int, bool, bool, int]:  # of a branch that picks a revision
            rev, other = _index(p.rev), _index(p.other)
            return rev or 0, _boolean(p.undecided), other is None, other or 0
        parts = sorted({part(p) for p in picks if _index(p.rev) is not None})
        failed = iter(range(len(parts), len(parts) + len(picks)))
        return [parts.index(part(p)) if _index(p.rev) is not None else next(failed) for p in picks]

    def reason(self) -> exp.Expression:
        """The Danish reason no revision applies (NULL: one does), read from ``PICK``: the branches that give the
        same reason share one WHEN (``one_of`` their numbers)."""
        reasons: dict[str, tuple[exp.Expression, list[int]]] = {}
        for k, pick in zip(self.numbers(), self.picks(), strict=True):
            if not isinstance(pick.error, exp.Null):
                reasons.setdefault(pick.error.sql(), (pick.error, []))[1].append(k)
        ifs = [exp.If(this=one_of(col(PICK), numbers), true=reason) for reason, numbers in reasons.values()]
        return exp.Case(ifs=ifs) if ifs else exp.Null()

    def holding(self, rev: int | None, undecided: bool | None = None, other: int | None = None) -> exp.Expression:
        """The courses whose branch picks revision ``rev`` (None: none), where ``undecided`` is given with accession
        undecided or not, and if undecided, with ``other`` the revision that applies otherwise: a test of the one
        column ``PICK`` (so the database filters each revision's courses on one integer)."""
        numbers = [k for k, p in zip(self.numbers(), self.picks(), strict=True) if _index(p.rev) == rev and (
            undecided is None or (_boolean(p.undecided) == undecided and (not undecided or _index(p.other) == other)))]
        found = one_of(col(PICK), numbers) if numbers else exp.Boolean(this=False)
        return or_(found, is_null(col(PICK))) if rev is None else found


def _index(e: exp.Expression) -> int | None:
    """A revision's index as a pick writes it (NULL: none)."""
    return int(e.name) if isinstance(e, exp.Literal) else None


def _boolean(e: exp.Expression) -> bool:
    return isinstance(e, exp.Boolean) and bool(e.this)


@dataclass(frozen=True)
class Columns:
    """What the priced table holds: typed fact columns, columns carried through, and number texts."""

    present: frozenset[str]
    keep: tuple[str, ...] = ()
    texts: frozenset[str] = frozenset()  # number facts with a ``<name>__text`` column


def times_within(dialect: str) -> object:
    """The dialect's 'every time of day in the list lies in [start, end)' (NULL list: unknown; empty: true)."""
    def within(times: exp.Expression, start: int, end: int) -> exp.Expression:
        if dialect == "duckdb":
            inside = and_(exp.GTE(this=exp.Anonymous(this="list_min", expressions=[times.copy()]),
                                      expression=literal(start)),
                              exp.LT(this=exp.Anonymous(this="list_max", expressions=[times.copy()]),
                                     expression=literal(end)))
        else:
            t = exp.column("t")
            cond = and_(exp.GTE(this=t, expression=literal(start)), exp.LT(this=t, expression=literal(end)))
            inside = exp.Subquery(this=exp.select(exp.Anonymous(this="bool_and", expressions=[cond])).from_(
                exp.Unnest(expressions=[times.copy()], alias=exp.TableAlias(columns=[exp.to_identifier("t")]))))
        return exp.Case(ifs=[exp.If(this=is_null(times), true=exp.Null())],
                        default=exp.Coalesce(this=inside, expressions=[exp.Boolean(this=True)]))
    return within


class RegionQuery:
    """Builds the query for one region of a book; ``select`` is the sqlglot tree, ``sql`` its text."""

    def __init__(self, book: Book, region: str, columns: Columns, dialect: str = "duckdb") -> None:
        self.book, self.region, self.columns, self.dialect = book, region, columns, dialect
        self._name = book.vocabulary.regions.get(region, region)  # the region as messages name it
        self.vocab, self.roles = book.vocabulary, book.vocabulary.roles
        self.sets = book.agreements(region)  # UnknownRegionError for a region the book does not have
        # Where a revision's entry into force is uncertain, each course is answered in two branches (``_branched``)
        # and these columns carry it through every step.
        self.uncertain = any(a.in_force_unknown is not None for a in self.sets)
        self.carried = (*columns.keep, *(INTERNAL if self.uncertain else ()))
        # The facts the steps carry as columns: the table's, the derived ones, and those a branch states. A derived
        # fact is NULL where a fact it is derived from is (``Vocabulary.normalise``): one the table can give only
        # where it has every such fact (or the derived fact itself); else a constant NULL, not a column.
        stated = {a.in_force_unknown.fact for a in self.sets if a.in_force_unknown is not None}
        derived: set[str] = set()
        for f in self.vocab.facts.values():  # in declaration order, as ``facts`` derives them
            if f.derive is not None and (f.name in columns.present or all(
                    a in columns.present or a in derived for a in f.derive[1])):
                derived.add(f.name)
        self.columnar = [f.name for f in self.vocab.facts.values()
                         if f.name in columns.present or f.name in derived or f.name in stated]

    def fact(self, name: str) -> exp.Expression:
        """A fact as the steps after ``facts`` read it: its column, or a typed NULL where the table does not have it
        (a constant the database folds into the rules that read it, not a column carried through every step)."""
        if name in self.columnar:
            return col(name)
        return exp.cast(exp.Null(), sql_type(self.vocab.facts[name]))

    def facts(self, source: exp.Expression) -> exp.Select:
        """The facts, typed, with the derived facts filled in where the table leaves them out (``columnar``)."""
        typed: dict[str, exp.Expression] = {
            f.name: col(f.name) if f.name in self.columns.present else exp.cast(exp.Null(), sql_type(f))
            for f in self.vocab.facts.values()}
        for fact in self.vocab.facts.values():  # in declaration order, as ``Vocabulary.normalise`` derives them
            if fact.derive is not None:
                derived = self._derive(fact.derive[0], [typed[a] for a in fact.derive[1]])
                typed[fact.name] = exp.Coalesce(this=typed[fact.name], expressions=[exp.cast(derived, sql_type(fact))])
        keep = [col(k) for k in (*self.columns.keep, *(t + TEXT_SUFFIX for t in sorted(self.columns.texts)))]
        return exp.select(*keep, *(exp.alias_(typed[name], name, quoted=True) for name in self.columnar)).from_(source)

    def _derive(self, how: str, args: list[exp.Expression]) -> exp.Expression:
        if how == "same":
            return args[0].copy()
        if how == "completed_years":
            birth, on = args[0].copy(), args[1].copy()
            earlier = or_(exp.LT(this=exp.Month(this=on.copy()), expression=exp.Month(this=birth.copy())),
                              and_(exp.EQ(this=exp.Month(this=on.copy()), expression=exp.Month(this=birth.copy())),
                                       exp.LT(this=exp.Day(this=on.copy()), expression=exp.Day(this=birth.copy()))))
            years = exp.Sub(this=exp.Sub(this=exp.Year(this=on), expression=exp.Year(this=birth.copy())),
                            expression=exp.Case(ifs=[exp.If(this=earlier, true=literal(1))], default=literal(0)))
            return exp.Case(ifs=[exp.If(this=exp.GT(this=birth, expression=args[1].copy()), true=exp.Null())],
                            default=years)
        if how == "count":
            size = "len" if self.dialect == "duckdb" else "cardinality"
            return exp.Anonymous(this=size, expressions=[args[0].copy()])
        if how == "island_municipality":
            islands = sorted(m for m, info in self.vocab.municipalities.items() if info.island)
            m = args[0].copy()
            # NULL where the municipality is (an IN list without NULL is NULL only for NULL), else whether it is one
            return exp.In(this=m, expressions=[s(x) for x in islands]) if islands else exp.Case(
                ifs=[exp.If(this=exp.Not(this=is_null(m)), true=exp.Boolean(this=False))])
        raise SqlCompileError(how, "ukendt udledning")

    def others(self) -> dict[str, list[str]]:
        """The municipalities of each other region (those the agreement is not for)."""
        out = {other: sorted(x for x, info in self.vocab.municipalities.items() if info.region == other)
               for other in self.vocab.regions if other != self.region}
        return {other: members for other, members in out.items() if members}

    def outsider(self) -> exp.Expression:
        """The municipality lies in another region: ``party`` says why it is not a party (false where not given)."""
        others = sorted(x for members in self.others().values() for x in members)
        m = self.fact(self.roles.municipality)
        return true(exp.In(this=m, expressions=[s(x) for x in others])) if others else exp.Boolean(this=False)

    def party(self, section: str = "") -> exp.Expression:
        """Why the municipality is not a party to the region's agreement (NULL: it is, or is not given), citing
        ``section``, the revision's section on its parties, as ``outside_region`` does."""
        m, names = self.fact(self.roles.municipality), self.vocab.regions
        end = f" (afsnit {section})." if section else "."
        ifs = [exp.If(this=exp.In(this=m.copy(), expressions=[s(x) for x in members]), true=_cat(m.copy(), s(
            f" Kommune ligger i {names[other]}; aftalen gælder kommunerne i {self._name}{end}")))
            for other, members in self.others().items()]
        return exp.Case(ifs=ifs) if ifs else exp.Null()

    def chosen(self) -> _Cases:
        """The revision each course falls under (or the Danish reason none does), and whether accession is
        undecided between it and ``other`` (the revision for a municipality that has not joined; NULL: none).
        In a revision's ``in_force_unknown`` period its fact decides (``Book.select``): true, that revision;
        otherwise the revision in force by the files' dates, leaving it out."""
        day = self.fact(self.roles.course_date)
        cases = _Cases()
        cases.error(is_null(day), s(f"{self.vocab.facts[self.roles.start_date].label}: mangler: startdatoen afgør, "
                                    "hvilken udgave af aftalen der gælder"))
        windows = self.windows(day)
        for w, first in windows:
            fact = self.fact(self._window(w).fact)
            cases.add(and_(first.copy(), true(fact)), self._accession(w, day))
        for w, first in windows:
            self._by_date(cases, day, first, [i for i in range(len(self.sets)) if i != w])
        outside = and_(*(exp.Not(this=exp.paren(f.copy())) for _, f in windows)) if windows else None
        self._by_date(cases, day, outside, list(range(len(self.sets))))
        return cases

    def windows(self, day: exp.Expression) -> list[tuple[int, exp.Expression]]:
        """Each revision with an ``in_force_unknown`` period, and 'the period is the first that covers the day'
        (``Book.uncertain``)."""
        out: list[tuple[int, exp.Expression]] = []
        earlier: list[exp.Expression] = []
        for i, agreement in enumerate(self.sets):
            window = agreement.in_force_unknown
            if window is None:
                continue
            covers = exp.Between(this=day.copy(), low=literal(window.start), high=literal(window.end))
            out.append((i, and_(covers, *(exp.Not(this=exp.paren(e.copy())) for e in earlier))))
            earlier.append(covers)
        return out

    def _window(self, i: int) -> Window:
        window = self.sets[i].in_force_unknown
        assert window is not None
        return window

    def _by_date(self, cases: _Cases, day: exp.Expression, guard: exp.Expression | None, rest: list[int]) -> None:
        """Where ``guard`` holds: the revision of ``rest`` in force on the day by the files' dates
        (``Book._in_force``), or the reason none is."""
        def under(cond: exp.Expression) -> exp.Expression:
            return and_(guard.copy(), cond) if guard is not None else cond
        missing: list[tuple[exp.Expression, exp.Expression]] = []
        for k, i in enumerate(rest):
            within: exp.Expression = exp.GTE(this=day.copy(), expression=literal(self.sets[i].effective))
            if k + 1 < len(rest):
                within = and_(within, exp.LT(this=day.copy(), expression=literal(self.sets[rest[k + 1]].effective)))
            until = self.sets[i].until
            ok = and_(within, exp.LTE(this=day.copy(), expression=literal(until))) if until else within
            cases.add(under(ok), self._accession(i, day))
            missing.append((under(within.copy()), self._no_revision(day, self.sets[i].no_agreement_after)))
        first = exp.LT(this=day.copy(), expression=literal(self.sets[rest[0]].effective)) if rest \
            else exp.Boolean(this=True)
        cases.error(under(first), self._no_revision(day, ""))
        for cond, reason in missing:
            cases.error(cond, reason)

    def _no_revision(self, day: exp.Expression, reason: str) -> exp.Expression:
        periods = "; ".join(self.book.validity(a).danish() for a in self.sets) or "ingen"
        return _cat(s(f"Ingen aftale for {self._name} er gældende den "), _danish_date(day),
                    s(f". Gældende perioder: {periods}." + (f" {reason}" if reason else "")))

    def _accession(self, i: int, day: exp.Expression) -> list[Branch]:
        """Revision ``i``'s branches by accession (``Book._accede``): joined, undecided, the fallback, or none."""
        line = self.book.accession.line_for(self.region, self.sets[i].effective)
        mine = Pick(literal(i), exp.Null())
        if line is None:
            return [(None, mine)]
        m, stated = self.fact(self.roles.municipality), self.fact(self.roles.municipality_joined)
        members = sorted(line.members)
        listed = exp.In(this=m.copy(), expressions=[s(x) for x in members]) if members else exp.Boolean(this=False)
        joined = [and_(exp.EQ(this=m.copy(), expression=s(x)),
                       exp.LTE(this=literal(line.members[x].since), expression=day.copy())) for x in members]
        if line.all_from is not None:
            joined.insert(0, exp.GTE(this=day.copy(), expression=literal(line.all_from)))
        if not line.complete:
            joined.append(and_(exp.Not(this=exp.paren(listed.copy())), true(stated)))
        fallback, usable = self._fallback(line, day)
        has = or_(*joined) if joined else exp.Boolean(this=False)

        def either(cond: exp.Expression) -> list[Branch]:
            """Both revisions answer: this one, and the fallback where it is in force (else no agreement)."""
            both = Pick(literal(i), exp.Null(), exp.Boolean(this=True))
            with_fallback = [(and_(cond.copy(), usable.copy()), replace(both, other=fallback.copy()))] \
                if line.fallback is not None else []
            return [*with_fallback, (cond, both)]
        # No municipality: both answer. Another region's municipality is answered by the party check alone, as
        # Book.select does. An incomplete register silent about the municipality and no answer in the facts: both.
        branches = [*either(is_null(m)), (col(OUTSIDER), mine), (true(has), mine)]
        if not line.complete:
            branches += either(and_(exp.Not(this=true(has)), exp.Not(this=exp.paren(listed.copy())), is_null(stated)))
        if line.fallback is not None:
            branches.append((usable.copy(), Pick(fallback.copy(), exp.Null())))
        return [*branches, (None, Pick(exp.Null(), self._not_joined(line, day, listed)))]

    def _fallback(self, line: Line, day: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
        """(the fallback revision's index, whether it is in force on the day) for a municipality that has not joined."""
        if line.fallback is None:
            return exp.Null(), exp.Boolean(this=False)
        found = self.book.ruleset(self.region, line.fallback).agreement
        j = [a.revision for a in self.sets].index(found.revision)
        until = found.until
        usable = exp.LTE(this=day.copy(), expression=literal(until)) if until else exp.Boolean(this=True)
        return literal(j), usable

    def _not_joined(self, line: Line, day: exp.Expression, listed: exp.Expression) -> exp.Expression:
        m, agreement = self.fact(self.roles.municipality), f"aftalen af {danish.date(line.agreement)}"
        rest = ", og der gælder ingen anden aftale for kommuner, der ikke har tiltrådt."
        heads = [exp.If(this=exp.EQ(this=m.copy(), expression=s(x)), true=_cat(
            s(f"{x} har tiltrådt {agreement} fra {danish.date(member.since)}, altså efter "), _danish_date(day),
            s(rest))) for x, member in sorted(line.members.items())]
        plain = _cat(m.copy(), s(f" står ikke som tiltrådt {agreement}{rest}"))
        incomplete = ""
        if not line.complete:
            note = f" {line.note}" if line.note else ""
            incomplete = (f" Tiltrædelseslisten er ikke fuldstændig.{note} Har kommunen tiltrådt, "
                          f"så oplys det under »{self.book.vocabulary.facts[self.roles.municipality_joined].label}«.")
        unlisted = _cat(plain.copy(), s(incomplete)) if incomplete else plain.copy()
        stated = exp.Not(this=is_null(self.fact(self.roles.municipality_joined)))
        text = exp.Case(ifs=[*heads, exp.If(this=stated, true=plain)], default=unlisted)
        return _cat(s(f"Ingen aftale for {self._name} gælder for kommunen den "), _danish_date(day), s(": "), text)

    def text_of(self, name: str) -> exp.Expression:
        """A number fact as the scalar engine writes it: the table's text column where it has one."""
        if name in self.columns.texts:
            return col(name + TEXT_SUFFIX)
        # Without it: a whole number as an integer, else the decimals without DECIMAL's trailing zeros.
        value, text = self.fact(name), exp.DataType.build("VARCHAR")
        whole = exp.EQ(this=value.copy(), expression=exp.Floor(this=value.copy()))
        return exp.Case(ifs=[exp.If(this=whole, true=exp.cast(exp.cast(value.copy(), exp.DataType.build("BIGINT")),
                                                               text))],
                        default=exp.Trim(this=exp.cast(value, text), expression=s("0"), position="TRAILING"))

    def answers(self) -> list[tuple[int, Answer]]:
        """Each revision's answer, compiled against the ``chosen`` step's columns."""
        rules = RuleCompiler(self.vocab, self.fact, times_within(self.dialect))  # type: ignore[arg-type]
        return [(i, RevisionCompiler(rules, a, col(OUTSIDER), self.party(a.parties.get("section", "")), self.text_of,
                                     f"ivrules_{i}_").answer()) for i, a in enumerate(self.sets)]

    def select(self, source: exp.Expression) -> exp.Select:
        """The whole query: one row per row of ``source``, the kept columns and ``OUTPUT``."""
        cases = self.chosen()
        steps = [*self._inputs(source), ("chosen", self._chosen_step(cases))]
        parts: list[exp.Select] = [self._failed(cases)]
        answers = dict(self.answers())
        for i, a in answers.items():
            # One step per revision answers its courses once; the undecided ones read that answer as "mine".
            mine = [exp.alias_(getattr(a, f).copy(), f"m_{f}", quoted=True) for f in Either.MINE]
            staged = _staged(exp.to_table("chosen", quoted=True), a, cases.holding(i))
            steps.append((f"revision_{i}", exp.select(exp.Star(), *mine).from_(_subquery(staged, "answered"))))
            answer = Either.MINE if self.uncertain else Either.MINE[:-1]  # the detail, for a further split
            fields = [s(self.sets[i].revision), *(col(f"m_{f}") for f in answer)]
            parts.append(exp.select(*map(col, self.carried), *fields).from_(
                exp.to_table(f"revision_{i}", quoted=True)).where(cases.holding(i, undecided=False)))
            parts.extend(self._undecided(i, answers, cases))
        union = _union(_named(parts[0], (*self.carried, *OUTPUT, *(["ivrules_detail"] if self.uncertain else []))),
                       parts[1:])
        if self.uncertain:
            steps.append(("resolved", union))
            union = exp.union(self._plain(), self._either_in_force(), distinct=False)
        query = exp.select(exp.Star()).from_(exp.Subquery(this=union, alias=exp.TableAlias(
            this=exp.to_identifier("priced", quoted=True))))
        # Each course's revision is picked once: every revision's step reads ``chosen``, which the planner would
        # otherwise inline into each of them (and into the filters it pushes down), picking it again. ``resolved``
        # is read three times (the courses answered in one branch, and each branch of the others), each its own
        # courses: inlined, each is answered once and with only the columns read, instead of every column of
        # every course written out first.
        kept = {"chosen": True, "resolved": False}
        for name, step in steps:
            query = query.with_(exp.to_identifier(name, quoted=True), as_=step, materialized=kept.get(name))
        return query

    def _chosen_step(self, cases: _Cases) -> exp.Select:
        """The ``chosen`` step: the facts, whether the municipality lies in another region, and the number of the
        branch of ``chosen`` that holds (``PICK``: the revision, whether accession is undecided and the other
        revision are read from it, ``_Cases.holding``)."""
        located = exp.select(exp.Star(), exp.alias_(self.outsider(), OUTSIDER, quoted=True)).from_(
            exp.to_table("facts", quoted=True))
        return exp.select(exp.Star(), exp.alias_(cases.number(), PICK, quoted=True)).from_(
            _subquery(located, "located"))

    def _failed(self, cases: _Cases) -> exp.Select:
        """The courses no revision applies to: an error with the reason (written only for them, not in ``chosen``
        for every course)."""
        null, detail = exp.Null(), [exp.cast(exp.Null(), TEXT)] if self.uncertain else []
        return exp.select(*map(col, self.carried), s(""), s("error"), cases.reason(),
                          *(null.copy() for _ in OUTPUT[3:-2]), s(""),
                          exp.cast(null.copy(), exp.DataType.build("DATE")), *detail).from_(
            exp.to_table("chosen", quoted=True)).where(cases.holding(None))

    def _inputs(self, source: exp.Expression) -> list[tuple[str, exp.Expression]]:
        """The typed facts; where a revision's entry into force is uncertain, numbered and then branched."""
        facts = self.facts(source)
        if not self.uncertain:
            return [("facts", facts)]
        facts = facts.select(exp.alias_(exp.Window(this=exp.RowNumber()), "ivrules_row", quoted=True))
        return [("typed", facts), ("facts", self._branched())]

    def _branched(self) -> exp.Expression:
        """Each course once, and a second time where the sources do not say whether a revision was in force on its
        date and the table does not say either (``Book._evaluate``): the first branch answers with the period's
        fact true, the second with it false (``ivrules_branch``); ``ivrules_split`` marks both."""
        windows = self.windows(self.fact(self.roles.course_date))
        splits = {w: and_(first, is_null(self.fact(self._window(w).fact))) for w, first in windows}
        split = true(or_(*splits.values()))
        which = exp.Case(ifs=[exp.If(this=c.copy(), true=literal(w)) for w, c in splits.items()])
        names = [*self.columns.keep, *(t + TEXT_SUFFIX for t in sorted(self.columns.texts)), *self.columnar]

        def branch(value: bool) -> exp.Select:
            columns = []
            for name in names:
                stated = [c.copy() for w, c in splits.items() if self._window(w).fact == name]
                value_of = exp.Case(ifs=[exp.If(this=or_(*stated), true=exp.Boolean(this=value))],
                                    default=col(name)) if stated else col(name)
                columns.append(exp.alias_(value_of, name, quoted=True))
            internal = (col("ivrules_row"), exp.Boolean(this=value), split.copy(), which.copy())
            return exp.select(*columns, *(exp.alias_(e, n, quoted=True) for e, n in zip(internal, INTERNAL,
                                                                                         strict=True))).from_(
                exp.to_table("typed", quoted=True))
        return exp.union(branch(True), branch(False).where(split.copy()), distinct=False)

    def _plain(self) -> exp.Select:
        """The courses answered in one branch, as they are."""
        return exp.select(*map(col, (*self.columns.keep, *OUTPUT))).from_(exp.to_table("resolved", quoted=True)).where(
            exp.Not(this=col("ivrules_split")))

    def _either_in_force(self) -> exp.Select:
        """The courses answered in two branches: the first branch's answer stands only where the second gives the
        same (``Course.either`` with ``in_force_split``), else unknown, saying what the answer depends on."""
        def mine(name: str) -> exp.Column:
            return col(name, "mine")

        def theirs(name: str) -> exp.Column:
            return col(name, "theirs")
        status = mine("status")
        amounts = [exp.EQ(this=mine(f), expression=theirs(f)) for f in Either.THEIRS[1:]]
        quote = and_(exp.NEQ(this=theirs("status"), expression=s("error")),
                     exp.EQ(this=status.copy(), expression=theirs("status")),
                     or_(exp.NEQ(this=status.copy(), expression=s("computed")), *amounts))
        none = exp.EQ(this=theirs("revision"), expression=s(""))  # no agreement applies if it was not in force
        same = exp.Case(ifs=[exp.If(this=none, true=exp.EQ(this=status.copy(), expression=s("not_covered")))],
                        default=quote)
        decided = or_(exp.EQ(this=status.copy(), expression=s("error")),
                      and_(true(same), exp.NEQ(this=status.copy(), expression=s("unknown"))))
        reason = _cat(s("kan ikke beregnes: "), self._in_force_said(theirs("revision")), s(" "), mine("ivrules_detail"))
        out = [mine("revision"), exp.Case(ifs=[exp.If(this=decided, true=status.copy())], default=s("unknown")),
               exp.Case(ifs=[exp.If(this=decided.copy(), true=mine("reason"))], default=reason),
               *(when(decided.copy(), mine(f)) for f in OUTPUT[3:])]
        pair = and_(exp.EQ(this=mine("ivrules_row"), expression=theirs("ivrules_row")),
                    exp.Not(this=theirs("ivrules_branch")))
        return exp.select(*(exp.alias_(e, n, quoted=True) for e, n in zip(
            [*map(mine, self.columns.keep), *out], [*self.columns.keep, *OUTPUT], strict=True))).from_(
            _aliased("resolved", "mine")).join(_aliased("resolved", "theirs"), on=pair).where(
            and_(mine("ivrules_split"), mine("ivrules_branch")))

    def _in_force_said(self, other: exp.Expression) -> exp.Expression:
        """``in_force_split``'s sentence: what the sources do not say, and what applies either way (``other``: the
        second branch's revision, '' for none)."""
        otherwise = exp.Case(ifs=[exp.If(this=exp.EQ(this=other.copy(), expression=s(a.revision)),
                                         true=s(f"ellers aftalen af {danish.date(a.effective)}")) for a in self.sets],
                             default=s("ellers gælder ingen aftale"))
        ifs = []
        for w, _ in self.windows(self.fact(self.roles.course_date)):
            window = self._window(w)
            text = _cat(s(f"{window.unknown.text} Svaret afhænger af det: var udgaven af "
                          f"{danish.date(self.sets[w].effective)} i kraft, gælder den, "), otherwise.copy(),
                        s(f". Oplys det under »{self.vocab.facts[window.fact].label}«."))
            ifs.append(exp.If(this=exp.EQ(this=col("ivrules_window", "mine"), expression=literal(w)), true=text))
        return exp.Case(ifs=ifs)

    def _undecided(self, i: int, answers: dict[int, Answer], cases: _Cases) -> list[exp.Select]:
        """Revision ``i``'s courses whose accession is undecided: one part per revision that applies otherwise
        (the fallback, or none), each answering as ``Course.either`` does."""
        line = self.book.accession.line_for(self.region, self.sets[i].effective)
        if line is None:
            return []
        fallback = self.book.ruleset(self.region, line.fallback).agreement if line.fallback is not None else None
        others: list[int | None] = [None]
        if fallback is not None:
            others.insert(0, [a.revision for a in self.sets].index(fallback.revision))
        parts = []
        for j in others:
            theirs = answers[j] if j is not None else None
            parts.append(Either(self, line, i, j).select(theirs, cases.holding(i, undecided=True, other=j)))
        return parts

    def sql(self, source: exp.Expression, pretty: bool = False) -> str:
        return self.select(source).sql(dialect=self.dialect, pretty=pretty)


    def priced_by(self, source: exp.Expression, revision: str) -> exp.Select:
        """Every course of ``source`` priced by one revision, whatever its date and accession (a revision diff's
        cost of a register): the kept columns, and the revision's status, total, shares, kind, category and flags."""
        i = [a.revision for a in self.sets].index(revision)
        answer = dict(self.answers())[i]
        located = exp.select(exp.Star(), exp.alias_(self.outsider(), OUTSIDER, quoted=True)).from_(
            _subquery(self.facts(source), "facts"))
        staged = _staged(_subquery(located, "located"), answer, exp.Boolean(this=True))
        fields = ("status", "total", "region_share", "municipality_share", "kind", "category", "flags")
        return exp.select(*map(col, self.columns.keep), *(exp.alias_(getattr(answer, f).copy(), f, quoted=True)
                                                          for f in fields)).from_(_subquery(staged, "answered"))


class Either:
    """Revision ``i``'s answer where accession is undecided, and revision ``j`` (None: no agreement) applies if
    the municipality had not joined: decided where both give the same answer (``Course.either``), else
    unknown, saying what the answer depends on."""

    MINE = ("status", "reason", "total", "region_share", "municipality_share", "kind", "category", "flags",
            "invoice_day", "detail")
    THEIRS = ("status", "total", "region_share", "municipality_share")

    def __init__(self, query: RegionQuery, line: Line, i: int, j: int | None) -> None:
        self.query, self.line, self.i, self.j = query, line, i, j

    def select(self, theirs: Answer | None, where: exp.Expression) -> exp.Select:
        """From the revision's step (``m_*``: its answer), the rows ``where`` selects, answered with ``theirs``."""
        keep = [col(k) for k in self.query.carried]
        mine = [col(f"m_{f}") for f in self.MINE]
        others = [exp.alias_(getattr(theirs, f).copy(), f"t_{f}", quoted=True) for f in self.THEIRS] if theirs else []
        source = exp.to_table(f"revision_{self.i}", quoted=True)
        rows = _subquery(_staged(source, theirs, where), "theirs") if theirs else source
        inner = exp.select(*keep, *mine, *others, exp.alias_(self.said(), "said", quoted=True)).from_(rows)
        if theirs is None:
            inner = inner.where(where)
        decided = self.decided(theirs is not None)
        out = [s(self.query.sets[self.i].revision),
               exp.Case(ifs=[exp.If(this=decided, true=col("m_status"))], default=s("unknown")),
               exp.Case(ifs=[exp.If(this=decided.copy(), true=col("m_reason"))], default=_cat(
                   s("kan ikke beregnes: "), col("said"), s(" "), col("m_detail")))]
        out += [when(decided.copy(), col(f"m_{f}")) for f in self.MINE[2:-1]]
        if self.query.uncertain:  # the reasons a further split writes after its own sentence
            out.append(exp.Case(ifs=[exp.If(this=decided.copy(), true=col("m_detail"))],
                                default=_cat(col("said"), s(" "), col("m_detail"))))
        return exp.select(*keep, *out).from_(exp.Subquery(this=inner, alias=exp.TableAlias(
            this=exp.to_identifier("either", quoted=True))))

    def decided(self, other: bool) -> exp.Expression:
        """The joined revision's answer stands: a facts error, or the same known answer under both."""
        status = col("m_status")
        if other:
            amounts = [exp.EQ(this=col(f"m_{f}"), expression=col(f"t_{f}")) for f in self.THEIRS[1:]]
            same = and_(exp.EQ(this=status, expression=col("t_status")), exp.NEQ(this=status.copy(), expression=s(
                "error")), or_(exp.NEQ(this=status.copy(), expression=s("computed")), *amounts))
        else:
            same = exp.EQ(this=status, expression=s("not_covered"))
        return or_(exp.EQ(this=status.copy(), expression=s("error")),
                   and_(same, exp.NEQ(this=status.copy(), expression=s("unknown"))))

    def said(self) -> exp.Expression:
        """The accession answer's text (``Decision.text`` for an unknown accession, or no municipality given, and
        ``Split.said``'s tail, as ``joined_split`` words it)."""
        roles, sets, line = self.query.roles, self.query.sets, self.line
        agreement = f"aftalen af {danish.date(line.agreement)}"
        note = f" {line.note}" if line.note else ""
        otherwise = (f"ellers aftalen af {danish.date(sets[self.j].effective)}" if self.j is not None
                     else "ellers gælder ingen aftale for kommunen")
        joined = danish.date(sets[self.i].effective)

        def tail(fact: str) -> str:
            return (f" Svaret afhænger af det: har kommunen tiltrådt, gælder aftalen af {joined}, {otherwise}. "
                    f"Oplys det under »{self.query.vocab.facts[fact].label}«.")
        m = self.query.fact(roles.municipality)
        unstated = s(f"Kommunen er ikke oplyst, og aftalen af {joined} tiltrædes kommune for kommune."
                     + tail(roles.municipality))
        unknown = _cat(m.copy(), s(f" står ikke i tiltrædelseslisten for {agreement}, og listen er ikke fuldstændig: "
                                   "det vides ikke, om kommunen havde tiltrådt aftalen den "),
                       _danish_date(self.query.fact(roles.course_date)), s(f".{note}{tail(roles.municipality_joined)}"))
        return exp.Case(ifs=[exp.If(this=is_null(m), true=unstated)], default=unknown)


def _staged(source: exp.Expression, answer: Answer, where: exp.Expression) -> exp.Select:
    """The rows of ``source`` that ``where`` selects, with the answer's stage columns, one nested select a stage."""
    select = exp.select(exp.Star()).from_(source).where(where)
    for stage in answer.stages:
        columns = [exp.alias_(e.copy(), name, quoted=True) for name, e in stage]
        select = exp.select(exp.Star(), *columns).from_(_subquery(select, "staged"))
    return select


def _aliased(table: str, alias: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(table, quoted=True),
                     alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))


def _union(first: exp.Select, rest: list[exp.Select]) -> exp.Expression:
    union: exp.Expression = first
    for part in rest:
        union = exp.union(union, part, distinct=False)
    return union


def _subquery(select: exp.Select, alias: str) -> exp.Subquery:
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))


def _named(select: exp.Select, names: tuple[str, ...]) -> exp.Select:
    """The first part of the union names the output columns."""
    select.set("expressions", [exp.alias_(e, name, quoted=True) for e, name in zip(select.expressions, names,
                                                                                    strict=True)])
    return select


def region_sql(book: Book, region: str, table: str, columns: Columns | None = None, dialect: str = "duckdb",
               pretty: bool = True) -> str:
    """The self-contained query pricing every course of ``table`` (``ivrules sql``)."""
    columns = columns or Columns(frozenset(book.vocabulary.facts))
    return RegionQuery(book, region, columns, dialect).sql(exp.to_table(table, quoted=True), pretty)

