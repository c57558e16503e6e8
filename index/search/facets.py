"""Facets: how many of a result's passages fall in each year, country and newsletter issue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from index.records import Issue, Passage


def count_facets(ordinals: Iterable[int], passages: Sequence[Passage],
                 issues: Mapping[str, Issue]) -> dict[str, dict[str, int]]:
    """Counts by year, country and newsletter issue id of the passages `ordinals` names: years in
    order, the others most frequent first."""
    years: Counter = Counter()
    countries: Counter = Counter()
    issue_ids: Counter = Counter()
    for ordinal in ordinals:
        passage = passages[ordinal]
        issue = issues[passage.issue_id]
        if issue.date:
            years[str(issue.date.year)] += 1
        countries.update(passage.countries)
        issue_ids[issue.id] += 1
    return {"year": dict(sorted(years.items())), "country": dict(countries.most_common()),
            "issue": dict(issue_ids.most_common())}
