"""Related stories: the passages of other newsletter issues nearest to one, and why they are related."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.records import Hit, Passage
from index.search.semantic import cosine_top
from index.text.analysis import passage_terms

NEAR_DUPLICATE = 0.95  # cosine above which two passages are the same text, for "similar"
KEY_TERMS = 6  # shared words shown as a reason two passages are related
KEY_TERM_MAX_SHARE = 0.2  # a word in more than this share of passages is too common to be a reason


@dataclass(frozen=True)
class Related:
    """A related passage and the reasons it is related, for a reader to judge."""

    hit: Hit
    similarity: float
    shared_countries: tuple[str, ...]
    shared_figures: tuple[str, ...]
    shared_terms: tuple[str, ...]

    def to_json(self) -> dict:
        return {**self.hit.to_json(), "why": {
            "similarity": round(self.similarity, 4),
            "shared_countries": list(self.shared_countries),
            "shared_figures": list(self.shared_figures),
            "shared_terms": list(self.shared_terms),
        }}


def nearest_distinct(vectors: np.ndarray, source: int, allowed: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The `k` allowed rows nearest to row `source`, best first, leaving out near-copies of it and of
    each other (NEAR_DUPLICATE)."""
    chosen: list[tuple[int, float]] = []
    for ordinal, score in cosine_top(vectors, vectors[source], len(vectors), allowed):
        if score >= NEAR_DUPLICATE or any(float(vectors[ordinal] @ vectors[o]) >= NEAR_DUPLICATE for o, _ in chosen):
            continue
        chosen.append((ordinal, score))
        if len(chosen) == k:
            break
    return chosen


def shared_terms(mine: Passage, theirs: Passage, document_share: Callable[[str], float]) -> tuple[str, ...]:
    """Up to KEY_TERMS telling words both passages use (rarest first), as `mine` writes them; words
    found in more than KEY_TERM_MAX_SHARE of passages say nothing."""
    words = passage_terms(mine.text)
    shared = [t for t in words.keys() & passage_terms(theirs.text).keys()
              if t.isalpha() and len(t) >= 4 and document_share(t) <= KEY_TERM_MAX_SHARE]
    return tuple(words[t] for t in sorted(shared, key=lambda t: (document_share(t), t))[:KEY_TERMS])


def shared_countries(mine: Passage, theirs: Passage) -> tuple[str, ...]:
    return tuple(c for c in mine.countries if c in theirs.countries)
