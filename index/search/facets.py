"""Facets: how many of a result's passages fall in each year, country, newsletter issue and language."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from index.records import Issue, Passage


def count_facets(ordinals: Iterable[int], passages: Sequence[Passage],
                 issues: Mapping[str, Issue]) -> dict[str, dict[str, int]]:
    """Counts by year, country, newsletter issue id and language of the passages `ordinals` names:
    years in order, the others most frequent first."""
    years: Counter = Counter()
    languages: Counter = Counter()
    countries: Counter = Counter()
    issue_ids: Counter = Counter()
    for ordinal in ordinals:
        passage = passages[ordinal]
        issue = issues[passage.issue_id]
        if issue.date:
            years[str(issue.date.year)] += 1
        countries.update(passage.countries)
        issue_ids[issue.id] += 1
        languages[passage.language] += 1
    return {"year": dict(sorted(years.items())), "country": dict(countries.most_common()),
            "issue": dict(issue_ids.most_common()), "language": dict(languages.most_common())}
