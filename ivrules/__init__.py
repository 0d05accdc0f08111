"""ivrules: the Danish regional IV-treatment agreements as executable, explainable rules.

    book = ivrules.load("agreements")
    answer = book.eligibility("midtjylland", {"date": "2020-09-01", ...})
    answer.eligible, answer.to_dict()

Pipeline: loader (YAML → nodes with spans) → parser (rule text → AST) →
checker (names, types, units) → compiler (AST → closures) → runtime
(evaluate, explain). ``printer`` turns rules back into source and Danish.
"""

from ivrules.book import Book, load
from ivrules.errors import (
    AgreementError,
    Diagnostic,
    FactsError,
    IvrulesError,
    NoRevisionError,
    UnknownRegionError,
)
from ivrules.parser import parse_rule
from ivrules.printer import to_danish, to_source
from ivrules.runtime import Eligibility

__all__ = [
    "AgreementError",
    "Book",
    "Diagnostic",
    "Eligibility",
    "FactsError",
    "IvrulesError",
    "NoRevisionError",
    "UnknownRegionError",
    "load",
    "parse_rule",
    "to_danish",
    "to_source",
]
