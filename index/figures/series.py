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
most like the rest.  A group of at least two newsletter issues is a series.  Each mention is
paired with its MAX_PARTNERS most similar others only, which bounds a series' length and keeps
grouping near-linear in the number of mentions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.figures.extract import COUNT, MONEY, PERCENTAGE
from index.text.analysis import ANALYZER

SERIES_KINDS = (COUNT, PERCENTAGE, MONEY)
SERIES_MIN_SIMILARITY = 0.7
MAX_PARTNERS = 120  # so a series can hold some ten years of monthly issues
PAIR_BLOCK = 256  # mentions compared with their candidates in one matrix product
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
    firsts, seconds, similarities = _similar_pairs(eligible, vectors)
    groups = _Groups(eligible, zip(firsts.tolist(), seconds.tolist()))
    for order in np.lexsort((seconds, firsts, -similarities)):  # most similar first; ties by position
        groups.merge_if_complete(int(firsts[order]), int(seconds[order]))
    date_of = {c.position: c.date for c in eligible}
    ordered = [sorted(members, key=lambda p: (date_of[p], p)) for members in groups.members.values() if len(members) > 1]
    return sorted(ordered, key=lambda series: (date_of[series[0]], series[0]))


class _Groups:
    """Mentions joined into groups by complete linkage: two groups merge only when every pair across
    them is a similar pair and no newsletter issue is in both.  Each group counts its similar pairs
    with every other group, so the check costs no more than a lookup."""

    def __init__(self, eligible: Sequence[SeriesCandidate], pairs: Iterable[tuple[int, int]]) -> None:
        self.group_of = {c.position: c.position for c in eligible}
        self.members = {c.position: [c.position] for c in eligible}
        self.issues = {c.position: {c.issue_id} for c in eligible}
        self.links: dict[int, Counter] = {c.position: Counter() for c in eligible}
        for a, b in pairs:
            self.links[a][b] += 1
            self.links[b][a] += 1

    def merge_if_complete(self, a: int, b: int) -> None:
        first, second = self.group_of[a], self.group_of[b]
        if first == second or not self.issues[first].isdisjoint(self.issues[second]):
            return
        if self.links[first][second] != len(self.members[first]) * len(self.members[second]):
            return
        if len(self.members[first]) < len(self.members[second]):
            first, second = second, first
        for other, count in self.links.pop(second).items():
            del self.links[other][second]
            if other != first:
                self.links[first][other] += count
                self.links[other][first] += count
        for position in self.members[second]:
            self.group_of[position] = first
        self.members[first] += self.members.pop(second)
        self.issues[first] |= self.issues.pop(second)


def _similar_pairs(eligible: Sequence[SeriesCandidate], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mentions that may be points of one series, as arrays (position, position, cosine), the
    smaller position first: for each mention, its MAX_PARTNERS most similar others that pass rules 1-4.

    Only mentions sharing a label word are compared: for a pair whose words are a subset of the
    other's, the other holds the subset's rarest word, so looking there finds every pair.  The
    mentions with the same rarest word are compared with it in one matrix product a block at a time."""
    terms = [label_terms(c.label) for c in eligible]
    by_term: dict[str, list[int]] = {}
    for index, words in enumerate(terms):
        for term in words:
            by_term.setdefault(term, []).append(index)
    by_rarest: dict[str, list[int]] = {}
    for index, words in enumerate(terms):
        by_rarest.setdefault(min(words, key=lambda term: (len(by_term[term]), term)), []).append(index)
    rules = _PairRules(eligible, terms)
    rows = np.array([c.position for c in eligible], dtype=np.int64)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for term, ones in by_rarest.items():
        others = np.array(by_term[term])
        other_vectors = vectors[rows[others]].T
        for block in range(0, len(ones), PAIR_BLOCK):
            block_ones = np.array(ones[block:block + PAIR_BLOCK])
            similarity = vectors[rows[block_ones]] @ other_vectors
            similarity[~rules.allowed(block_ones, others) | (similarity < SERIES_MIN_SIMILARITY)] = -np.inf
            row, column, value = _best_in_each_row(similarity, MAX_PARTNERS)
            found.append((rows[block_ones[row]], rows[others[column]], value))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    one, other, value = (np.concatenate(parts) for parts in zip(*found))
    first, second = np.minimum(one, other), np.maximum(one, other)
    _, unique = np.unique(first * (int(rows.max()) + 1) + second, return_index=True)  # a pair found from both sides once
    return first[unique], second[unique], value[unique]


def _best_in_each_row(similarity: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) of each row's `limit` highest finite values."""
    if similarity.shape[1] > limit:
        columns = np.argpartition(-similarity, limit - 1, axis=1)[:, :limit]
    else:
        columns = np.broadcast_to(np.arange(similarity.shape[1]), similarity.shape)
    values = np.take_along_axis(similarity, columns, axis=1)
    row, nth = np.nonzero(np.isfinite(values))
    return row, columns[row, nth], values[row, nth]


class _PairRules:
    """Rules 1, 2 and 4 of the module's docstring as boolean matrices over blocks of `eligible`:
    `allowed(ones, others)[i, j]` says whether ones[i]'s label words are all in others[j]'s, of the
    same kind and unit, from another newsletter issue."""

    def __init__(self, eligible: Sequence[SeriesCandidate], terms: Sequence[frozenset[str]]) -> None:
        self.issue = _codes([c.issue_id for c in eligible])
        self.quantity = _codes([(c.kind, c.unit) for c in eligible])
        self.word_set = _codes(terms)
        self.distinct_terms = list(dict.fromkeys(terms))

    def allowed(self, ones: np.ndarray, others: np.ndarray) -> np.ndarray:
        return ((self.issue[ones][:, None] != self.issue[others][None, :])
                & (self.quantity[ones][:, None] == self.quantity[others][None, :])
                & self._words_within(self.word_set[ones], self.word_set[others]))

    def _words_within(self, mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
        """[i, j]: whether word set mine[i] is a subset of word set theirs[j], each distinct pair tested once."""
        my_sets, my_index = np.unique(mine, return_inverse=True)
        their_sets, their_index = np.unique(theirs, return_inverse=True)
        table = np.array([[self.distinct_terms[a] <= self.distinct_terms[b] for b in their_sets] for a in my_sets],
                         dtype=bool).reshape(len(my_sets), len(their_sets))
        return table[np.ix_(my_index, their_index)]


def _codes(values: Sequence) -> np.ndarray:
    """Each value's position among the distinct values, in order of first appearance."""
    code_of: dict = {}
    return np.array([code_of.setdefault(value, len(code_of)) for value in values], dtype=np.int64)
