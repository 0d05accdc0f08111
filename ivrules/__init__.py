"""ivrules: the Danish regional IV-treatment agreements as executable, explainable rules.

    book = ivrules.load("agreements")
    answer = book.eligibility("midtjylland", {"date": "2020-09-01", ...})
    answer.eligible, answer.to_dict()
    price = book.tariff("midtjylland", {"start_date": "2021-06-01", "end_date": "2021-06-07", ...})
    price.total, price.to_dict()
    ivrules.settle_file(book, Path("forløb.csv"), "midtjylland", Path("afregning"))

Pipeline, one folder a stage: ``lang`` (rule text → AST → checked → compiled
closures, and back to text with ``printer``) → ``model`` (agreement files →
the checked model, read by ``model.load``) → ``engine`` (one evaluation of a
course, ``Book.evaluate``; eligibility and price are its views). ``money``,
``diff``, ``site``, ``web`` and ``cli`` are built on top.
Settlement (``settle_file``, ``Settlement``, ``RegisterError``) is loaded on first use.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ivrules.engine.book import Book, load
from ivrules.engine.quote import Quote
from ivrules.engine.runtime import Eligibility
from ivrules.errors import (
    AgreementError,
    Diagnostic,
    FactsError,
    IvrulesError,
    NoRevisionError,
    UnknownRegionError,
)
from ivrules.lang.parser import parse_rule
from ivrules.lang.printer import to_danish, to_source

if TYPE_CHECKING:
    from ivrules.money.register import settle_file
    from ivrules.money.settle import RegisterError, Settlement

# Settlement is a layer above the core: loaded on first use (PEP 562), so importing the core
# (or a front end that only evaluates, such as the CDS cards) does not load the settlement reader.
_LAZY = {
    "settle_file": "ivrules.money.register",
    "RegisterError": "ivrules.money.settle",
    "Settlement": "ivrules.money.settle",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ivrules' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AgreementError",
    "Book",
    "Diagnostic",
    "Eligibility",
    "FactsError",
    "IvrulesError",
    "NoRevisionError",
    "Quote",
    "RegisterError",
    "Settlement",
    "UnknownRegionError",
    "load",
    "parse_rule",
    "settle_file",
    "to_danish",
    "to_source",
]
