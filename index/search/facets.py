"""Facets: how many of a result's passages fall in each year, country and newsletter issue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from index.records import COUNTRIES


def count_facets(ordinals: Iterable[int], issue_of: np.ndarray, issue_ids: Sequence[str], issue_years: np.ndarray,
                 countries: np.ndarray) -> dict[str, dict[str, int]]:
    """Counts by year, country and newsletter issue id of the passages `ordinals` names (their issue's
    position from `issue_of`, its id in `issue_ids` and its year, 0 for none, in `issue_years`; their
    countries as bits from `countries`): years in order, the others most frequent first, ties in the
    order the result first meets them."""
    ordinals = np.fromiter(ordinals, dtype=np.int64)
    held = issue_of[ordinals]
    by_issue = _most_frequent_first(held)
    years_held = issue_years[held]
    years = {str(year): int(count) for year, count in zip(*np.unique(years_held[years_held > 0], return_counts=True))}
    bits = countries[ordinals]
    found = [(int(np.count_nonzero(bits & (1 << n))), _first(bits & (1 << n)), name) for n, name in enumerate(COUNTRIES)]
    return {"year": dict(sorted(years.items())),
            "country": {name: count for count, _, name in sorted(found, key=lambda f: (-f[0], f[1])) if count},
            "issue": {issue_ids[position]: count for position, count in by_issue}}


def _most_frequent_first(values: np.ndarray) -> list[tuple[int, int]]:
    """(value, count) of the distinct `values`, most frequent first, ties by first appearance."""
    distinct, first, counts = np.unique(values, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    return [(int(distinct[i]), int(counts[i])) for i in order]


def _first(flags: np.ndarray) -> int:
    found = np.flatnonzero(flags)
    return int(found[0]) if len(found) else len(flags)
