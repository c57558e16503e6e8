"""BM25, the one place its formula is written: the passage index's numpy scorer, its Whoosh
weighting (for the IDF) and figure search all score with these functions.

IDF is the BM25 literature's, log(1 + (N - n + 0.5) / (n + 0.5)).  Whoosh's own, log(N / (n + 1)) + 1,
is much flatter: a word found in half the passages ("central", "asia") weighs almost as much as one
found in two ("deaths"), so a query's rare, telling word is drowned by its common ones.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BM25Parameters:
    k1: float
    b: float


# Passages: k1 0.9, b 0.4 (Anserini's, used for the published BEIR BM25 figures) instead of Whoosh's
# 1.2, 0.75.  The lower b punishes long passages less; on SciFact's training split it lifts hybrid
# nDCG@10 from 0.729 to 0.732 (scripts/archive evaluate --beir; every k1 0.7-1.2 with b 0.4-0.5
# gave 0.731-0.733).
PASSAGES = BM25Parameters(k1=0.9, b=0.4)
# Figure records are a label and one sentence, all short: Whoosh's defaults.
FIGURES = BM25Parameters(k1=1.2, b=0.75)


def idf(documents: int, holding: int) -> float:
    """How telling a term is that `holding` of `documents` hold."""
    return math.log(1 + (documents - holding + 0.5) / (holding + 0.5))


def term_scores(frequencies: np.ndarray, lengths: np.ndarray, average_length: float, term_idf: float,
                parameters: BM25Parameters) -> np.ndarray:
    """One term's BM25 score in each document holding it, from its frequency there and the
    document's length."""
    k1, b = parameters.k1, parameters.b
    return term_idf * frequencies * (k1 + 1) / (frequencies + k1 * (1 - b + b * lengths / average_length))


@dataclass(frozen=True)
class Postings:
    """Short documents given as their analysed terms, inverted: the term `vocabulary[t]` (sorted) is
    in the documents `docs[starts[t]:starts[t + 1]]`, `counts` times each; `lengths` counts each
    document's terms.  Plain arrays, so an index can store them and map them back (index.store)."""

    vocabulary: Sequence[str]
    starts: np.ndarray
    docs: np.ndarray
    counts: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, documents: Sequence[str]) -> Postings:
        """The postings of `documents`, each its terms joined by spaces."""
        vocabulary: dict[str, int] = {}
        per_document = [np.array([vocabulary.setdefault(term, len(vocabulary)) for term in terms.split(" ") if term],
                                 dtype=np.int64) for terms in documents]
        terms = sorted(vocabulary)
        rank = np.zeros(len(vocabulary), dtype=np.int64)
        rank[[vocabulary[term] for term in terms]] = np.arange(len(terms))
        lengths = np.array([len(ids) for ids in per_document], dtype=np.int32)
        term_ids = rank[np.concatenate(per_document)] if per_document else np.zeros(0, dtype=np.int64)
        doc_ids = np.repeat(np.arange(len(documents), dtype=np.int64), lengths)
        # One (term, document) pair per posting, with how often the term is in the document.
        stride = max(1, len(documents))
        pairs, counts = np.unique(term_ids * stride + doc_ids, return_counts=True)
        starts = np.searchsorted(pairs // stride, np.arange(len(terms) + 1))
        return cls(terms, starts.astype(np.int64), (pairs % stride).astype(np.int32), counts.astype(np.int32), lengths)

    def find(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(documents, counts) of `term`, or None when no document holds it."""
        at = bisect.bisect_left(self.vocabulary, term)
        if at == len(self.vocabulary) or self.vocabulary[at] != term:
            return None
        start, end = int(self.starts[at]), int(self.starts[at + 1])
        return self.docs[start:end], self.counts[start:end]


class ArrayBM25:
    """BM25 over Postings: a query costs a few array operations per term."""

    def __init__(self, postings: Postings, parameters: BM25Parameters):
        self._postings = postings
        self._parameters = parameters
        self._lengths = np.asarray(postings.lengths, dtype=np.float64)
        self._average = float(self._lengths.mean()) if self._lengths.any() else 1.0

    def matched(self, terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(documents, scores) of the documents holding any of `terms`, in document order."""
        scores = np.zeros(len(self._lengths))
        matched = np.zeros(len(self._lengths), dtype=bool)
        for term in dict.fromkeys(terms):
            found = self._postings.find(term)
            if found is None:
                continue
            docs, counts = found
            scores[docs] += term_scores(counts.astype(np.float64), self._lengths[docs], self._average,
                                        idf(len(self._lengths), len(docs)), self._parameters)
            matched[docs] = True
        hits = np.flatnonzero(matched)
        return hits, scores[hits]

    def ranked(self, terms: Sequence[str], allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(documents, scores) of the (allowed) documents holding any of `terms`, best first, ties
        to the lower document."""
        docs, scores = self.matched(terms)
        if allowed is not None:
            docs, scores = docs[allowed[docs]], scores[allowed[docs]]
        order = np.lexsort((docs, -scores))
        return docs[order], scores[order]

    def rank(self, terms: Sequence[str], allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(document, score) of the (allowed) documents holding any of `terms`, best first."""
        docs, scores = self.ranked(terms, allowed)
        return list(zip(docs.tolist(), scores.tolist()))
