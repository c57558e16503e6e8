"""BM25F with numpy: the same scores as Whoosh, without its per-document matchers.

Whoosh scores a query by walking a tree of matchers in Python, one step per matching passage; a
query of common words ("IOM Central Asia migrants ...") visits most of a large archive, and block-max
pruning barely helps at the depth fusion asks for (100).  Here a parsed query is evaluated over all
passages at once, as dense arrays of scores and matches: Term (each term's postings, docnums and
frequencies, read from Whoosh once and kept in a bounded cache; field lengths once per index) scored
by BM25F with the searcher's own IDF, average field lengths, byte-coded field lengths, K1, B and
boosts; Or sums the scores of what matches any part, And of what matches every part (as Whoosh's
union and intersection matchers do); Excluding (index.search.query's NOT) removes what its second part
matches.  `search` ranks: Words (words side by side) count as Or, so a passage holding one of them is
scored.  `matches` says what matches (index.search.matching): Words need `minmatch` of their parts,
and so do the parts a NOT excludes, in both.  Any other node (a phrase, say) is scored by Whoosh's own matcher, over its matches only.
Ties go to the lower docnum, as in Whoosh.  The scores equal those Whoosh gives every matching
passage; Whoosh's top-N collection with a limit can miss passages whose score ties or nears the
cut (seen at 25,000 passages), this cannot.  `search` returns None for a query it does not handle.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection

import numpy as np
from whoosh import query as whoosh_query
from whoosh.searching import Searcher

from index.search import bm25
from index.search.query import AllOf, AnyOf, Excluding, Words

MAX_CACHED_POSTINGS = 8_000_000  # entries (docnum + frequency, 12 bytes each): about 100 MB at most
ANY_OF = (whoosh_query.Or, AnyOf, Words)
ALL_OF = (whoosh_query.And, AllOf)


class NumpyScorer:
    """Numpy BM25F over one Whoosh searcher; call under the searcher's lock (it reads postings)."""

    def __init__(self, searcher: Searcher):
        self._searcher = searcher
        self._weighting = searcher.weighting
        self._count = searcher.doc_count_all()
        self._lengths: dict[str, np.ndarray] = {}
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._entries = 0
        self._lock = threading.Lock()

    def search(self, q: whoosh_query.Query, limit: int, allowed: Collection[int] | None) -> list[tuple[int, float]] | None:
        evaluated = self._evaluate(q, 1.0, strict=False)
        if evaluated is None:
            return None
        scores, matched = evaluated
        if allowed is not None:
            keep = np.zeros(self._count, dtype=bool)
            keep[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
            matched = matched & keep
        candidates = np.flatnonzero(matched)
        if len(candidates) > limit:
            top = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
            candidates = candidates[scores[candidates] >= scores[top].min()]
        order = np.lexsort((candidates, -scores[candidates]))[:limit]  # best first, ties: lower docnum
        return [(int(d), float(scores[d])) for d in candidates[order]]

    def scores(self, q: whoosh_query.Query) -> np.ndarray:
        """Each docnum's score for `q` as `search` ranks (0.0 where it does not match)."""
        evaluated = self._evaluate(q, 1.0, strict=False)
        if evaluated is None:  # every query the parser makes is evaluated here; this is a bug
            raise RuntimeError(f"cannot score {q!r}")
        return evaluated[0]

    def matches(self, q: whoosh_query.Query) -> np.ndarray | None:
        """Whether each docnum matches `q` (no scores needed), or None for a query this does not handle."""
        evaluated = self._evaluate(q, 1.0, strict=True)
        return None if evaluated is None else evaluated[1]

    def _evaluate(self, q: whoosh_query.Query, boost: float, strict: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """(scores, matched) over all docnums for `q`, its boost times `boost` applied; `strict`: Words
        match where `minmatch` of their parts do, else where any does."""
        if type(q) is whoosh_query.Term:
            if not self._searcher.schema[q.fieldname].scorable:
                return None
            scores = np.zeros(self._count, dtype=np.float64)
            matched = np.zeros(self._count, dtype=bool)
            docs, freqs = self._term(q.fieldname, q.text)
            if len(docs):
                scores[docs] = boost * q.boost * bm25.term_scores(
                    freqs, self._field_lengths(q.fieldname)[docs], self._searcher.avg_field_length(q.fieldname) or 1,
                    self._searcher.idf(q.fieldname, q.text), self._parameters(q.fieldname))
                matched[docs] = True
            return scores, matched
        if type(q) in ANY_OF + ALL_OF:
            if getattr(q, "scale", None) is not None or (getattr(q, "minmatch", 0) and type(q) is not Words):
                return None  # coordination-scaled or minimum-match ORs: Whoosh's
            parts = [self._evaluate(child, boost * q.boost, strict) for child in q.subqueries]
            if not parts or any(part is None for part in parts):
                return None
            scores = np.sum([part[0] for part in parts], axis=0)
            held = [part[1] for part in parts]
            if type(q) in ALL_OF:
                matched = np.logical_and.reduce(held)
            elif strict and type(q) is Words and q.minmatch > 1:
                matched = np.sum(held, axis=0) >= q.minmatch
            else:
                matched = np.logical_or.reduce(held)
            return np.where(matched, scores, 0.0), matched
        if type(q) is Excluding:
            kept = self._evaluate(q.a, boost * q.boost, strict)
            banned = self._evaluate(q.b, 1.0, strict=True)
            if kept is None or banned is None:
                return None
            matched = kept[1] & ~banned[1]
            return np.where(matched, kept[0], 0.0), matched
        if q is whoosh_query.NullQuery:
            return None
        return self._whoosh_matches(q, boost)

    def _whoosh_matches(self, q: whoosh_query.Query, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """Whoosh's own matcher for a node this module does not evaluate (a phrase), over its matches."""
        scores = np.zeros(self._count, dtype=np.float64)
        matched = np.zeros(self._count, dtype=bool)
        matcher = q.matcher(self._searcher, self._searcher.context())
        while matcher.is_active():
            docnum = matcher.id()
            scores[docnum] = boost * matcher.score()
            matched[docnum] = True
            matcher.next()
        return scores, matched

    def _parameters(self, field: str) -> bm25.BM25Parameters:
        weighting = self._weighting
        return bm25.BM25Parameters(k1=weighting.K1, b=weighting._field_B.get(field, weighting.B))

    def _field_lengths(self, field: str) -> np.ndarray:
        lengths = self._lengths.get(field)
        if lengths is None:
            reader = self._searcher.reader()
            lengths = np.array([reader.doc_field_length(d, field, 1) for d in range(self._count)], dtype=np.float64)
            self._lengths[field] = lengths
        return lengths

    def _term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = (field, text)
        with self._lock:
            cached = self._postings.get(key)
            if cached is not None:
                self._postings.move_to_end(key)
                return cached
        reader = self._searcher.reader()
        if (field, text) in reader:
            pairs = list(reader.postings(field, text).items_as("weight"))
            docs = np.fromiter((d for d, _ in pairs), dtype=np.int64, count=len(pairs))
            freqs = np.fromiter((w for _, w in pairs), dtype=np.float64, count=len(pairs))
        else:
            docs, freqs = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        with self._lock:
            self._postings[key] = (docs, freqs)
            self._entries += len(docs)
            while self._entries > MAX_CACHED_POSTINGS and len(self._postings) > 1:
                _, (old, _) = self._postings.popitem(last=False)
                self._entries -= len(old)
        return docs, freqs
