"""A year or a month written in a query ("trafficking in 2021", "RING training November 2021"), so
that it can be offered as a date filter.  Offered, not applied: the words are still searched until
the user takes the offer."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.records import Filters
from index.search.filters import parse_filter_date
from index.text.months import MONTH_NAMES, MONTH_NUMBERS

_ABBREVIATIONS = {name[:3].lower(): number for name, number in MONTH_NUMBERS.items()}
_MONTH = "(?:" + "|".join([*MONTH_NAMES, *(name[:3] for name in MONTH_NAMES)]) + r")\.?"
_DATE = re.compile(
    rf"(?:\b(?:in|during)\s+)?(?:\b(?P<month>{_MONTH})\s+(?P<year>(?:19|20)\d\d)\b"
    r"|\b(?P<iso_year>(?:19|20)\d\d)-(?P<iso_month>0[1-9]|1[0-2])\b"
    r"|\b(?P<only_year>(?:19|20)\d\d)\b(?![-,.]?\d))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateInQuery:
    """A date written in a query: as a filter (`date_from`, `date_to`: YYYY or YYYY-MM), its name,
    and the query without it."""

    label: str
    date_from: str
    date_to: str
    rest: str

    def to_json(self) -> dict:
        return {"label": self.label, "from": self.date_from, "to": self.date_to, "query": self.rest}


def date_in_query(query: str) -> DateInQuery | None:
    """The first year or month the query names, with a preposition before it ("in 2021"); None when
    there is none, or when the query is nothing but the date."""
    found = _DATE.search(query)
    if found is None:
        return None
    rest = " ".join((query[:found.start()] + " " + query[found.end():]).split())
    if not re.search(r"\w", rest):
        return None
    if found["only_year"]:
        year = found["only_year"]
        return DateInQuery(year, year, year, rest)
    year = found["year"] or found["iso_year"]
    month = int(found["iso_month"]) if found["iso_month"] else _month_number(found["month"])
    iso = f"{year}-{month:02d}"
    return DateInQuery(f"{calendar.month_name[month]} {year}", iso, iso, rest)


def date_offer(query: str, filters: Filters, any_issue: Callable[[Filters], bool]) -> DateInQuery | None:
    """The year or month `query` names, to be offered as a filter: when the archive has passages of
    that time (`any_issue(filters)` says whether any passage passes `filters`) and the filters do not
    already keep to it."""
    named = date_in_query(query)
    if named is None:
        return None
    span = Filters(date_from=parse_filter_date(named.date_from, "from"),
                   date_to=parse_filter_date(named.date_to, "to", end=True))
    if (filters.date_from, filters.date_to) == (span.date_from, span.date_to) or not any_issue(span):
        return None
    return named


def _month_number(name: str) -> int:
    name = name.rstrip(".").lower()
    return MONTH_NUMBERS.get(name) or _ABBREVIATIONS[name[:3]]
