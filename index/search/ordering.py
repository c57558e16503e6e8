"""The order of what a search shows (the passages that match and those related by meaning, marked,
not apart: on the judged sets, putting the matches first cost SciFact's hybrid nDCG@10 0.024 for
queries written as sentences), by relevance or by date; and one result per story, the rest of the
story counted.

Everything here works on arrays over all passages (ordinals), so a result set of any size is ordered
with a few numpy sorts and only the page asked for becomes Python objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SORTS = ("relevance", "newest", "oldest")
GROUPS = ("story", "passage")


def relevance_order(ranked: Sequence[int], shown: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Ordinals of the `shown` passages best first: those in `ranked` (fused, deepest first side
    lists) in its order, then the others by `fallback` (higher first; ties by ordinal)."""
    first = [o for o in dict.fromkeys(ranked) if shown[o]]
    rest = shown.copy()
    rest[first] = False
    others = np.flatnonzero(rest)
    others = others[np.argsort(-fallback[others], kind="stable")]  # ties: the lower ordinal, as listed
    return np.concatenate([np.array(first, dtype=np.int64), others.astype(np.int64)])


@dataclass(frozen=True)
class Arranged:
    """Ordinals in the order shown, and for each how many more passages of its story are shown
    (0 when results are passages)."""

    ordinals: np.ndarray
    more_in_story: np.ndarray


def arrange(by_relevance: np.ndarray, match: np.ndarray, days: np.ndarray, stories: np.ndarray,
            sort: str = "relevance", group: str = "story") -> Arranged:
    """`by_relevance` (ordinals, best first) as shown: in that order, or by issue date (`days`, as
    YYYYMMDD, 0 when unknown: last either way) newest or oldest first.  Grouped by story (`stories`:
    a number per passage), each story is shown once, at the place of its first passage, by its first
    passage that matches (`match`) if it has one."""
    undated = np.iinfo(np.int64).max
    dates = days[by_relevance]
    if sort == "newest":
        ordered = by_relevance[np.argsort(np.where(dates > 0, -dates, undated), kind="stable")]
    elif sort == "oldest":
        ordered = by_relevance[np.argsort(np.where(dates > 0, dates, undated), kind="stable")]
    else:
        ordered = by_relevance
    if group == "passage":
        return Arranged(ordered, np.zeros(len(ordered), dtype=np.int64))
    story = stories[ordered]
    numbers, first, counts = np.unique(story, return_index=True, return_counts=True)
    speaker = first.copy()  # the place of the passage that speaks for each story
    matching = np.flatnonzero(match[ordered])
    with_match, first_match = np.unique(story[matching], return_index=True)
    speaker[np.searchsorted(numbers, with_match)] = matching[first_match]
    keep = np.argsort(first, kind="stable")
    return Arranged(ordered[speaker[keep]], counts[keep] - 1)


def rank_of(scores: np.ndarray, ordinal: int) -> int:
    """The 1-based place of `ordinal` in a ranking by `scores` (higher first), for a passage shown
    though beyond the depth of the ranking fusion read."""
    return 1 + int(np.count_nonzero(scores > scores[ordinal]))
