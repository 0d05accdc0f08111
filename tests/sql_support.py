"""What the SQL backend's tests share: generated registers, the scalar engine's answers, and a row of the query.

A register is generated over every revision of a region (the generators of
``tests/test_settle_properties``: municipalities of the region and of
others, courses across revision and accession dates, missing cells, every
tariff kind) and every period in which the sources do not say whether a
revision was in force (``in_force_unknown``), with the accession answer
(``municipality_joined``) and the answer to whether the revision was in
force often left out, so the answer is undecided between two revisions. The
rows whose cells can be typed are loaded with their typed values (and each
number's text, as the scalar engine writes it); a cell that cannot be typed
is rejected by settlement's reader before any pricing. Each row is compared
as (status, revision, total, region share, municipality share, kind,
category, flags, reason): amounts, kind, category and flags where the
course is computed, the revision where a revision applies, the Danish
reason where it is not computed.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from sqlglot import exp

from ivrules.engine.book import Book
from ivrules.engine.quote import money
from ivrules.engine.sql.query import TEXT_SUFFIX, Columns, RegionQuery, sql_type
from ivrules.errors import FactsError, LookupError_
from ivrules.money.settle import rejection
from tests.test_settle_properties import BOOK, HEADER, _course, _plausible, _row

# The facts that say whether a revision was in force in its ``in_force_unknown`` period: a column of the register,
# often left empty, so the engine answers such a course both ways.
WINDOWS = {r: [a.in_force_unknown for a in BOOK.agreements(r) if a.in_force_unknown is not None] for r in BOOK.regions}
IN_FORCE = sorted({w.fact for windows in WINDOWS.values() for w in windows})
NAMES = [*HEADER, *IN_FORCE]
FACTS = [h for h in NAMES if h != "course_id"]
NUMBERS = frozenset(f for f in FACTS if BOOK.vocabulary.facts[f].type == "number")
TEXTS = sorted(NUMBERS)
COLUMNS = Columns(frozenset(FACTS), ("course_id",), NUMBERS)
Answer = tuple[str, ...]

def register(region: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Courses over every revision of the region and every period in which the sources do not say whether a revision
    was in force; the accession answer and whether the revision was in force are left out of half of them."""
    revisions = [a.revision for a in BOOK.agreements(region)]
    course = st.sampled_from(revisions).flatmap(
        lambda v: st.one_of(_plausible(region, v), _plausible(region, v), _course(region, v)))
    if WINDOWS[region]:
        day = st.sampled_from(WINDOWS[region]).flatmap(lambda w: st.dates(min_value=w.start, max_value=w.end))
        course = st.one_of(course, st.tuples(course, day).map(lambda pair: {**pair[0], "start_date": pair[1]}))
    answer = st.sampled_from(["", "", "true", "false"])
    stated = st.fixed_dictionaries({"municipality_joined": answer, **{f: answer for f in IN_FORCE}})
    return st.lists(st.tuples(course, stated).map(lambda pair: {**pair[0], **pair[1]}), min_size=20, max_size=60)


def scalar(region: str, facts: dict[str, str], book: Book = BOOK) -> Answer:
    """The row as the scalar engine answers it (``Book.tariff``)."""
    try:
        answer = book.tariff(region, facts)
    except FactsError as exc:
        fact = BOOK.vocabulary.facts.get(exc.field)
        return ("error", "", "", "", "", "", "", "", f"{fact.label if fact else exc.field}: {exc.message}")
    except LookupError_ as exc:
        return ("error", "", "", "", "", "", "", "", str(exc))
    if answer.status != "computed":
        return (answer.status, answer.revision, "", "", "", "", "", "", rejection(answer))
    category = "" if answer.category is None else str(answer.category)
    return ("computed", answer.revision, money(answer.total), money(answer.region_share),
            money(answer.municipality_share), answer.kind, category, ";".join(answer.flags), "")


def typed_register(region: str, courses: list[dict[str, Any]],
                   book: Book = BOOK) -> tuple[list[list[Any]], dict[str, Answer]]:
    """(the table's rows: course id, each fact typed, each number's text; the scalar answer of each course)."""
    rows, expected = [], {}
    for n, course in enumerate(courses):
        cells = [*_row(n, course), *(course.get(f, "") for f in IN_FORCE)]
        facts = {name: cell for name, cell in zip(NAMES, cells, strict=True) if name != "course_id" and cell.strip()}
        try:
            rows.append(typed_row(cells[0], facts))
        except FactsError:
            continue  # a cell that cannot be typed: settlement's reader rejects the row before pricing
        expected[cells[0]] = scalar(region, facts, book)
    return rows, expected


def typed_row(course: str, facts: dict[str, str]) -> list[Any]:
    """One row of the table: the course id, each fact typed, each number's text (``FactsError``: a bad cell)."""
    typed = BOOK.normalise(facts)
    values = [list(v) if isinstance(v, tuple) else v for v in (typed.get(f) for f in FACTS)]
    return [course, *values, *(str(typed[f]) if f in typed else None for f in TEXTS)]


def table_columns(dialect: str, every: bool = False) -> str:
    """The register table's column list, typed for ``dialect``: the generated facts, their texts, and (``every``)
    the vocabulary's other facts, left empty, as a table ``ivrules sql`` prices has them."""
    others = [f for f in BOOK.vocabulary.facts if f not in FACTS] if every else []
    types = [f'"{f}" {sql_type(BOOK.vocabulary.facts[f]).sql(dialect)}' for f in (*FACTS, *others)]
    return ", ".join(['"course_id" VARCHAR', *types, *(f'"{f}{TEXT_SUFFIX}" VARCHAR' for f in TEXTS)])


def insert(table: str, placeholder: str) -> str:
    """INSERT of a row of ``typed_register`` into ``table``."""
    names = ", ".join(f'"{c}"' for c in ("course_id", *FACTS, *(f + TEXT_SUFFIX for f in TEXTS)))
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join([placeholder] * (len(FACTS) + len(TEXTS) + 1))})"


def query(region: str, dialect: str, table: str = "register", book: Book = BOOK) -> str:
    """The backend's query pricing every course of ``table``."""
    return RegionQuery(book, region, COLUMNS, dialect).sql(exp.to_table(table))


def answered(row: tuple[Any, ...]) -> tuple[str, Answer]:
    """(course id, the answer) of one row of the query's result."""
    course, revision, status, reason, total, region_share, kommune, kind, category, flags, _day = row
    computed = status == "computed"
    amounts = (money(total), money(region_share), money(kommune)) if computed else ("", "", "")
    priced = (kind, "" if category is None else str(category), flags) if computed else ("", "", "")
    return course, (status, revision if status != "error" else "", *amounts, *priced, "" if computed else reason)
