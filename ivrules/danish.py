"""Danish formatting of numbers, money and dates ("2.999,00 kr.", "1. juni 2020")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
          "oktober", "november", "december")


def number(value: Decimal | int, decimals: int | None = None) -> str:
    """1234567.5 → '1.234.567,5'; integers keep no decimals unless asked for."""
    d = Decimal(value)
    if decimals is None:
        decimals = 0 if d == d.to_integral_value() else max(0, -d.normalize().as_tuple().exponent)  # type: ignore[operator]
    text = f"{d:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def kroner(value: Decimal | int) -> str:
    """Money as a Danish invoice writes it, always to the øre: '2.999,00 kr.', '333,50 kr.'."""
    return f"{number(Decimal(value), 2)} kr."


@lru_cache(maxsize=4096)  # answers name the same few dates again and again
def date(value: dt.date) -> str:
    """2020-06-01 → '1. juni 2020'."""
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def iso_date(text: str) -> str:
    """A date written ISO-style, as a revision is named in the JSON: '2021-05-01' → '1. maj 2021' (a text that is
    no such date stays as it is)."""
    try:
        return date(dt.date.fromisoformat(text))
    except ValueError:
        return text


def clock(minutes: int) -> str:
    """Minutes after midnight → '07' or '07:30'; 24:00 is written '00' as the agreements do."""
    hours, mins = divmod(minutes % (24 * 60), 60)
    return f"{hours:02d}" if mins == 0 else f"{hours:02d}:{mins:02d}"


def quarter(value: str) -> str:
    """A quarter as settlement names it, '2022Q1', → '1. kvartal 2022'."""
    year, number = value.split("Q")
    return f"{int(number)}. kvartal {year}"
