"""Facets: how many of the passages a search shows fall in each year, country, newsletter issue and language.

Values of one facet are OR'ed (any of the chosen years), so each value is counted as if it were
chosen: with the filters of the other facets and the dates, not with its own facet's choices or
exclusions.  After choosing 2021 the other years stay, each with what choosing it too would add.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from index.records import Filters
from index.search.filters import FilterMasks

FACET_VALUES = 20  # values listed per facet (besides years, and those chosen or excluded)

# Each facet and the Filters fields it chooses and excludes with.
FACET_FIELDS = {
    "year": ("years", "exclude_years"),
    "country": ("countries", "exclude_countries"),
    "issue": ("issue_ids", "exclude_issue_ids"),
    "language": ("languages", "exclude_languages"),
}


def facet_counts(masks: FilterMasks, shown: np.ndarray, filters: Filters) -> dict[str, dict[str, int]]:
    """For each facet, the count of each value among the `shown` passages (a bool per passage) that
    pass every other facet's filters: years in order, the others most frequent first, at most
    FACET_VALUES of them (an archive of 100,000 passages has some 13,000 newsletter issues).  A value
    chosen or excluded is listed even when its count is 0 or it is not among the most frequent."""
    counts = {}
    for name, fields in FACET_FIELDS.items():
        mask = masks.mask(replace(filters, **{field: () for field in fields}))
        selected = shown if mask is None else shown & mask
        chosen = [str(value) for value in (*getattr(filters, fields[0]), *getattr(filters, fields[1]))]
        found = masks.count_by(name, selected, None if name == "year" else FACET_VALUES)
        missing = [value for value in chosen if value not in found]
        if missing:
            every = masks.count_by(name, selected, None)
            found.update({value: every.get(value, 0) for value in missing})
        counts[name] = dict(sorted(found.items())) if name == "year" else \
            dict(sorted(found.items(), key=lambda item: -item[1]))
    return counts
