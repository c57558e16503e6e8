"""A search's answer: one page of results and what the whole result set holds."""

from __future__ import annotations

from dataclasses import dataclass

from index.records import Hit
from index.search.query_dates import DateInQuery


@dataclass(frozen=True)
class SearchResult:
    """One page of results, and what the whole result set holds.

    `counts` says how many passages the search shows: those that match the query and those related
    to it by meaning only (index.search.matching); `total` is their sum.  `results` is what pages step
    through: stories when grouped by story, else passages.  `facets` counts the passages shown by
    year, country and newsletter issue id, each value as if chosen (index.search.facets).
    `suggestion` is the query spelt with the archive's words, when a word is not one of them;
    `date_filter` a year or month the query names, to offer as a filter.
    """

    query: str
    mode: str
    sort: str
    group: str
    hits: tuple[Hit, ...]
    counts: dict[str, int]
    results: int
    offset: int
    facets: dict[str, dict[str, int]]
    suggestion: str | None = None
    date_filter: DateInQuery | None = None

    @property
    def total(self) -> int:
        return self.counts["match"] + self.counts["related"]

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "mode": self.mode,
            "sort": self.sort,
            "group": self.group,
            "total": self.total,
            "counts": dict(self.counts),
            "results": self.results,
            "offset": self.offset,
            "hits": [hit.to_json() for hit in self.hits],
            "facets": self.facets,
            "suggestion": self.suggestion,
            "date_filter": self.date_filter.to_json() if self.date_filter else None,
        }
