"""Figures over time: which figure mentions report the same quantity in several newsletter issues.

A series is a set of figure mentions, one per newsletter issue, that are the same quantity reported
again (the vulnerable migrants assisted: 3186 in July 2020, 7,801 in November 2020).  Two mentions
may be points of one series only when all of these hold:

1. They are quantities (counts, percentages, money) of the same kind and unit: durations and
   phone numbers are never series.
2. Their labels match after normalising: the label's words, stemmed and without stopwords, minus
   GENERIC_COUNT_NOUNS (words that say "how many" without saying of what: "registered cases" is
   "registered"), and for a stat-block label ("COVID-19 overview in Central Asia: Registered") only
   the part after its heading.  One label's words must all be in the other's: "vulnerable migrants"
   matches "victims of trafficking and vulnerable migrants", "deaths" never matches "registered".
   A label left with no word ("people", "individuals") says too little to match anything.
3. Their "label: sentence" vectors (the ones figure search uses) have a cosine of at least
   SERIES_MIN_SIMILARITY: the two sentences report the same thing, not just the same noun.
4. They come from different newsletter issues, each with a date.

Mentions are joined greedily, the most similar pair first, and two groups are merged only when
every pair across them passes 1-3 and no issue is in both (complete linkage): a series never grows
by a chain of each-a-bit-similar mentions, and an issue with two candidates (7,801 victims of
trafficking and vulnerable migrants, 3120 stranded vulnerable migrants) gives the series the one
most like the rest.  A group of at least two newsletter issues is a series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .figures import COUNT, MONEY, PERCENTAGE
from .keyword import ANALYZER

SERIES_KINDS = (COUNT, PERCENTAGE, MONEY)
SERIES_MIN_SIMILARITY = 0.7
GENERIC_COUNT_NOUNS = frozenset(token.text for token in ANALYZER(
    "case cases number numbers total people person persons individual individuals figure figures amount"))


@dataclass(frozen=True)
class SeriesCandidate:
    """What grouping needs to know of one figure mention: `position` is its row in the vectors,
    `date` the first day of its issue's date (None for an undated issue)."""

    position: int
    kind: str
    unit: str
    label: str
    issue_id: str
    date: str | None


def label_terms(label: str) -> frozenset[str]:
    """The words that say what a figure counts, normalised: stemmed, no stopwords, no generic count
    nouns, and for a stat-block label only what follows its heading."""
    own_label = label.rpartition(": ")[2]
    return frozenset(token.text for token in ANALYZER(own_label)) - GENERIC_COUNT_NOUNS


def group_series(candidates: Sequence[SeriesCandidate], vectors: np.ndarray) -> list[list[int]]:
    """The series among `candidates`: lists of their positions, each in date order, the series in
    order of their first point."""
    eligible = [c for c in candidates if c.kind in SERIES_KINDS and c.date and label_terms(c.label)]
    pairs = _similar_pairs(eligible, vectors)
    compatible = {(a, b) for a, b, _ in pairs} | {(b, a) for a, b, _ in pairs}
    group_of = {c.position: frozenset([c.position]) for c in eligible}
    issue_of = {c.position: c.issue_id for c in eligible}
    for a, b, _ in sorted(pairs, key=lambda pair: -pair[2]):
        first, second = group_of[a], group_of[b]
        if first is second or {issue_of[p] for p in first} & {issue_of[p] for p in second}:
            continue
        if all((p, q) in compatible for p in first for q in second):
            merged = first | second
            group_of.update(dict.fromkeys(merged, merged))
    date_of = {c.position: c.date for c in eligible}
    groups = {group for group in group_of.values() if len(group) > 1}
    ordered = [sorted(group, key=lambda p: (date_of[p], p)) for group in groups]
    return sorted(ordered, key=lambda series: (date_of[series[0]], series[0]))


def _similar_pairs(eligible: Sequence[SeriesCandidate], vectors: np.ndarray) -> list[tuple[int, int, float]]:
    """(position, position, cosine) of every two mentions that may be points of one series.

    Only mentions sharing a label word are compared: for a pair whose words are a subset of the
    other's, the other holds the subset's rarest word, so looking there finds every pair."""
    terms = {c.position: label_terms(c.label) for c in eligible}
    by_term: dict[str, list[SeriesCandidate]] = {}
    for candidate in eligible:
        for term in terms[candidate.position]:
            by_term.setdefault(term, []).append(candidate)
    pairs = {}
    for one in eligible:
        rarest = min(terms[one.position], key=lambda term: (len(by_term[term]), term))
        for other in by_term[rarest]:
            key = (min(one.position, other.position), max(one.position, other.position))
            if key in pairs or not _may_be_one_quantity(one, other, terms[one.position], terms[other.position]):
                continue
            similarity = float(vectors[one.position] @ vectors[other.position])
            if similarity >= SERIES_MIN_SIMILARITY:
                pairs[key] = similarity
    return [(a, b, similarity) for (a, b), similarity in pairs.items()]


def _may_be_one_quantity(one: SeriesCandidate, other: SeriesCandidate, mine: frozenset[str],
                         theirs: frozenset[str]) -> bool:
    """Rules 1, 2 and 4 of the module's docstring for two mentions, `mine` the words of one's label."""
    return (one.issue_id != other.issue_id and (one.kind, one.unit) == (other.kind, other.unit)
            and mine <= theirs)
