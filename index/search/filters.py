"""Checking search parameters, and turning Filters into a mask over passages.

The mask is computed with numpy over per-passage arrays made once when an index is opened, so a
filter costs microseconds even on a large archive, and the same mask serves every search mode.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from index.errors import BadRequest
from index.records import COUNTRIES, Filters, Issue
from index.search.ordering import GROUPS, SORTS
from index.text.languages import LANGUAGES

MODES = ("hybrid", "keyword", "semantic")
MAX_K = 100
MAX_OFFSET = 1000
MAX_QUERY_CHARS = 1000
# What a query may ask of the keyword index.  MAX_QUERY_CHARS alone lets through ~500 one-letter
# words (1000 term matchers over two fields); real queries are a few words, a pasted paragraph ~150.
# (Brackets nested too deep for the parser are read as plain words: see index.search.keyword.MAX_NESTING.)
MAX_QUERY_WORDS = 200
_WORD = re.compile(r"\w+")


def validate_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise BadRequest(f"k must be between 1 and {MAX_K}, not {k}")


def validate_offset(offset: int) -> None:
    if not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"offset must be between 0 and {MAX_OFFSET}, not {offset}")


def validate_search(query: str, mode: str, k: int, offset: int, filters: Filters, sort: str = "relevance",
                    group: str = "story") -> tuple[str, Filters]:
    """The query, stripped, and the filters with whole ISO days as bounds, if every parameter is in
    range; BadRequest saying which is not."""
    for name, value, choices in (("mode", mode, MODES), ("sort", sort, SORTS), ("group", group, GROUPS)):
        if value not in choices:
            raise BadRequest(f"{name} must be one of {', '.join(choices)}, not {value[:40]!r}")
    validate_k(k)
    validate_offset(offset)
    query = query.strip()
    if not query:
        raise BadRequest("the query is empty: type some words, a phrase in quotes, or a number")
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
    words = sum(1 for _ in _WORD.finditer(query))
    if words > MAX_QUERY_WORDS:
        raise BadRequest(f"the query has {words} words; the limit is {MAX_QUERY_WORDS}")
    return query, normalise_filters(filters)


def parse_filter_date(value: str, name: str, end: bool = False) -> str:
    """An ISO day from `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; a month or year means its first day, or
    its last when `end` is set.  BadRequest names the parameter when the value is not a date."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    try:
        if not m:
            raise ValueError(value)
        year, month, day = m.groups()
        if day:
            return date(int(year), int(month), int(day)).isoformat()
        if month:
            date(int(year), int(month), 1)
            last = calendar.monthrange(int(year), int(month))[1]
            return f"{year}-{month}-{last if end else 1:02d}"
        return f"{year}-12-31" if end else f"{year}-01-01"
    except ValueError:
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD, YYYY-MM or YYYY, not {value[:40]!r}") from None


def normalise_filters(filters: Filters) -> Filters:
    """`filters` with its date bounds as ISO days ("2020-11" from its first day, to its last), checked."""
    date_from = parse_filter_date(filters.date_from, "from") if filters.date_from else None
    date_to = parse_filter_date(filters.date_to, "to", end=True) if filters.date_to else None
    if date_from and date_to and date_from > date_to:
        raise BadRequest(f"from ({filters.date_from}) is after to ({filters.date_to})")
    unknown = [c for c in filters.countries + filters.exclude_countries if c not in COUNTRIES]
    if unknown:
        raise BadRequest(f"unknown country {unknown[0][:40]!r}; choose from {', '.join(COUNTRIES)}")
    unknown = [code for code in filters.languages + filters.exclude_languages if code not in LANGUAGES]
    if unknown:
        raise BadRequest(f"unknown language {unknown[0][:40]!r}; choose from {', '.join(LANGUAGES)}")
    return replace(filters, date_from=date_from, date_to=date_to)


def country_bits(countries: Sequence[str]) -> int:
    """The countries as bits: bit i for COUNTRIES[i] (a country named twice is one bit)."""
    bits = 0
    for country in countries:
        bits |= 1 << COUNTRIES.index(country)
    return bits


def language_codes(languages: Sequence[str]) -> list[int]:
    """The positions in LANGUAGES of those of `languages` it holds (a passage's language is stored so)."""
    return [LANGUAGES.index(language) for language in languages if language in LANGUAGES]


def day_number(iso_day: str) -> int:
    """An ISO day as the number YYYYMMDD, so that days compare as numbers."""
    return int(iso_day.replace("-", ""))


UNDATED_FIRST = 99999999  # an undated issue's first day: after every date, as its last day (0) is before every date


@dataclass(frozen=True)
class IssueDays:
    """Per newsletter issue (by position): its first and last day as YYYYMMDD numbers and its year (0
    when undated), so that date filters are array comparisons."""

    first: np.ndarray
    last: np.ndarray
    year: np.ndarray

    @classmethod
    def of(cls, issues: Sequence[Issue]) -> IssueDays:
        return cls(np.array([day_number(i.date.first_day) if i.date else UNDATED_FIRST for i in issues], np.int32),
                   np.array([day_number(i.date.last_day) if i.date else 0 for i in issues], np.int32),
                   np.array([i.date.year if i.date else 0 for i in issues], np.int16))

    def first_day_of(self, issue_of: np.ndarray) -> np.ndarray:
        """The first day (YYYYMMDD, 0 when undated) of the issue of each passage, whose issue's position
        `issue_of` gives: what sorting by date reads (index.search.ordering)."""
        first = self.first[issue_of].astype(np.int64)
        return np.where(first == UNDATED_FIRST, 0, first)


class FilterMasks:
    """Per-passage arrays (issue, date span, countries) from which any Filters becomes a bool mask.

    Made from the stored columns of a generation: `issue_of` gives each passage's issue as a position
    (`issue_ids` names each issue, `position_of` finds an issue's position by its id, `days` holds
    each issue's dates), `countries` its countries as bits (country_bits), `languages` its language
    as a position in LANGUAGES (language_codes), `recurring` whether it is boilerplate.
    """

    def __init__(self, issue_of: np.ndarray, issue_ids: Sequence[str], days: IssueDays,
                 position_of: Callable[[str], int | None], countries: np.ndarray, languages: np.ndarray,
                 recurring: np.ndarray):
        self._position_of = position_of
        self._issue_of = issue_of
        self._issue_ids = issue_ids
        self._first, self._last, self._years = days.first[issue_of], days.last[issue_of], days.year[issue_of]
        self._countries = countries
        self._languages = languages
        self._recurring = recurring
        self._unread_masks: dict[tuple[str, ...], np.ndarray] = {}  # by the languages left out

    def _issues(self, issue_ids: Sequence[str]) -> np.ndarray:
        positions = [self._position_of(i) for i in issue_ids]
        return np.isin(self._issue_of, [p for p in positions if p is not None])

    def _in_languages(self, languages: Sequence[str]) -> np.ndarray:
        return np.isin(self._languages, language_codes(languages))

    def readable(self, reads: Callable[[str], bool], allowed: np.ndarray | None) -> np.ndarray | None:
        """`allowed` less the passages in a language the embedding model does not read (`reads`), for
        the semantic side of a hybrid search; `allowed` itself when it reads them all."""
        unread = tuple(sorted(language for language in LANGUAGES if not reads(language)))
        if unread not in self._unread_masks:
            self._unread_masks[unread] = ~self._in_languages(unread)
        readable = self._unread_masks[unread]
        if readable.all():
            return allowed
        return readable if allowed is None else allowed & readable

    def count_by(self, facet: str, selected: np.ndarray, limit: int | None = None) -> dict[str, int]:
        """How many `selected` passages (a bool per passage) fall in each year, country, newsletter
        issue or language (`facet`), values with none left out; with `limit`, only that many of the
        most frequent (ties: the earlier value)."""
        if facet == "year":
            counts = np.bincount(self._years[selected].astype(np.int64))
            counts[:1] = 0  # year 0: the undated, which no year counts
            name: Callable[[int], str] = str
        elif facet == "country":
            held = self._countries[selected]
            counts = np.array([np.count_nonzero(held & (1 << n)) for n in range(len(COUNTRIES))], dtype=np.int64)
            name = COUNTRIES.__getitem__
        elif facet == "language":
            counts = np.bincount(self._languages[selected], minlength=len(LANGUAGES))
            name = LANGUAGES.__getitem__
        else:
            counts = np.bincount(self._issue_of[selected], minlength=len(self._issue_ids))
            name = self._issue_ids.__getitem__
        held = np.flatnonzero(counts)
        if limit is not None and len(held) > limit:
            held = held[np.lexsort((held, -counts[held]))[:limit]]
        return {name(n): int(counts[n]) for n in held.tolist()}

    def story_text_outside(self, issue_id: str) -> np.ndarray:
        """True for the passages of other newsletter issues that are not boilerplate (contacts,
        hotlines): where related stories may come from."""
        position = self._position_of(issue_id)
        return (self._issue_of != (-1 if position is None else position)) & ~self._recurring

    def mask(self, filters: Filters) -> np.ndarray | None:
        """True for the passages `filters` admits; None when nothing is filtered."""
        if not filters.active:
            return None
        mask = np.ones(len(self._issue_of), dtype=bool)
        if filters.issue_ids:
            mask &= self._issues(filters.issue_ids)
        if filters.exclude_issue_ids:
            mask &= ~self._issues(filters.exclude_issue_ids)
        if filters.countries:
            mask &= (self._countries & country_bits(filters.countries)) != 0
        if filters.exclude_countries:
            mask &= (self._countries & country_bits(filters.exclude_countries)) == 0
        if filters.years:
            mask &= np.isin(self._years, list(filters.years))
        if filters.exclude_years:
            mask &= ~np.isin(self._years, list(filters.exclude_years))
        if filters.languages:
            mask &= self._in_languages(filters.languages)
        if filters.exclude_languages:
            mask &= ~self._in_languages(filters.exclude_languages)
        if filters.date_from:
            mask &= self._last >= day_number(filters.date_from)
        if filters.date_to:
            mask &= self._first <= day_number(filters.date_to)
        return mask
