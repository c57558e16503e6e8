"""BM25F with numpy: the same scores as Whoosh, without its per-document matchers.

Whoosh scores a query by walking a tree of matchers in Python, one step per matching passage; a
query of common words ("IOM Central Asia migrants ...") visits most of a large archive, and block-max
pruning barely helps at the depth fusion asks for (100).  Here a parsed query is evaluated over all
passages at once, as dense arrays over passage ordinals: Term (each term's postings, read from
Whoosh once, mapped from docnums to ordinals and kept in a bounded cache) scored by BM25F with the
IDF and average field length of the live documents, Whoosh's byte-coded field lengths, K1, B and
boosts; Or sums the scores of what matches any part, And of what matches every part (as Whoosh's
union and intersection matchers do); Excluding (index.search.query's NOT) removes what its second part
matches.  `search` ranks: Words (words side by side) count as Or, so a passage holding one of them is
scored.  `matches` says what matches (index.search.matching): Words need `minmatch` of their parts,
and so do the parts a NOT excludes, in both.  Any other node (a phrase, say) is scored by Whoosh's own
matcher, over its matches only.  Ties go to the lower ordinal (in a fresh index the lower docnum, as
in Whoosh).  The scores equal those Whoosh gives every matching passage of a fresh index; Whoosh's
top-N collection with a limit can miss passages whose score ties or nears the cut (seen at 25,000
passages), this cannot.  `search` returns None for a query it does not handle.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from whoosh import query as whoosh_query
from whoosh.searching import Searcher

from index.search import bm25
from index.search.query import AllOf, AnyOf, Excluding, Words
from index.search.schema import FIELD

MAX_CACHED_POSTINGS = 8_000_000  # entries (ordinal + frequency, 16 bytes each): about 130 MB at most
ANY_OF = (whoosh_query.Or, AnyOf, Words)
ALL_OF = (whoosh_query.And, AllOf)


class NumpyScorer:
    """Numpy BM25F over one Whoosh searcher, in passage ordinals; call under the searcher's lock (it
    reads postings).  `ordinals` maps each docnum to its passage (-1: deleted), `lengths` holds each
    passage's field length, `average_length` their average: BM25's statistics are those of the live
    documents, so an index with deleted documents scores as a fresh one."""

    def __init__(self, searcher: Searcher, ordinals: np.ndarray, lengths: np.ndarray, average_length: float):
        self._searcher = searcher
        self._weighting = searcher.weighting
        self._ordinals = ordinals
        self._lengths = lengths
        self._average = average_length
        self._count = len(lengths)
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._entries = 0
        self._lock = threading.Lock()

    def search(self, q: whoosh_query.Query, limit: int, allowed: np.ndarray | None) -> list[tuple[int, float]] | None:
        """The best `limit` (ordinal, score) for `q` among the `allowed` ordinals (a bool mask)."""
        evaluated = self._evaluate(q, 1.0, strict=False)
        if evaluated is None:
            return None
        scores, matched = evaluated
        if allowed is not None:
            matched = matched & allowed
        candidates = np.flatnonzero(matched)
        if len(candidates) > limit:
            top = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
            candidates = candidates[scores[candidates] >= scores[top].min()]
        order = np.lexsort((candidates, -scores[candidates]))[:limit]  # best first, ties: lower ordinal
        return [(int(d), float(scores[d])) for d in candidates[order]]

    def scores(self, q: whoosh_query.Query) -> np.ndarray:
        """Each ordinal's score for `q` as `search` ranks (0.0 where it does not match)."""
        evaluated = self._evaluate(q, 1.0, strict=False)
        if evaluated is None:  # every query the parser makes is evaluated here; this is a bug
            raise RuntimeError(f"cannot score {q!r}")
        return evaluated[0]

    def matches(self, q: whoosh_query.Query) -> np.ndarray | None:
        """Whether each ordinal matches `q` (no scores needed), or None for a query this does not handle."""
        evaluated = self._evaluate(q, 1.0, strict=True)
        return None if evaluated is None else evaluated[1]

    def _evaluate(self, q: whoosh_query.Query, boost: float, strict: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """(scores, matched) over all ordinals for `q`, its boost times `boost` applied; `strict`: Words
        match where `minmatch` of their parts do, else where any does."""
        if type(q) is whoosh_query.Term:
            if q.fieldname != FIELD:
                return None
            docs, contributions = self._term_scores(q, boost)
            scores = np.zeros(self._count, dtype=np.float64)
            matched = np.zeros(self._count, dtype=bool)
            scores[docs] = contributions
            matched[docs] = True
            return scores, matched
        if type(q) in ANY_OF + ALL_OF:
            if getattr(q, "scale", None) is not None or (getattr(q, "minmatch", 0) and type(q) is not Words):
                return None  # coordination-scaled or minimum-match ORs: Whoosh's
            return self._combined(q, boost, strict) if q.subqueries else None
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

    def _term_scores(self, q: whoosh_query.Term, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """(ordinals, scores) of the passages holding the term `q`, its boost times `boost` applied."""
        docs, freqs = self._term(q.fieldname, q.text)
        if not len(docs):
            return docs, freqs
        return docs, boost * q.boost * bm25.term_scores(freqs, self._lengths[docs].astype(np.float64), self._average,
                                                        bm25.idf(self._count, len(docs)), self._parameters(q.fieldname))

    def _combined(self, q: whoosh_query.Query, boost: float, strict: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """An Or or And (or Words): its parts' scores added up in one array, a word's where it occurs (a
        query of many words touches their postings only, not one array of all passages per word)."""
        scores = np.zeros(self._count, dtype=np.float64)
        found = np.zeros(self._count, dtype=np.int32)
        for child in q.subqueries:
            if type(child) is whoosh_query.Term and child.fieldname == FIELD:
                docs, contributions = self._term_scores(child, boost * q.boost)
                scores[docs] += contributions
                found[docs] += 1
                continue
            part = self._evaluate(child, boost * q.boost, strict)
            if part is None:
                return None
            scores += part[0]
            found += part[1]
        if type(q) in ALL_OF:
            matched = found == len(q.subqueries)
        elif strict and type(q) is Words and q.minmatch > 1:
            matched = found >= q.minmatch
        else:
            matched = found > 0
        return np.where(matched, scores, 0.0), matched

    def passages_holding(self, text: str) -> int:
        """How many live passages hold the analysed term `text`."""
        return len(self._term(FIELD, text)[0])

    def _whoosh_matches(self, q: whoosh_query.Query, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """Whoosh's own matcher for a node this module does not evaluate (a phrase), over its matches;
        what it finds is cached as postings are (a search asks for a phrase twice: to rank, to match)."""
        ordinals, node_scores = self._cached(("node", repr(q)), lambda: self._matched_by_whoosh(q))
        scores = np.zeros(self._count, dtype=np.float64)
        matched = np.zeros(self._count, dtype=bool)
        scores[ordinals] = boost * node_scores
        matched[ordinals] = True
        return scores, matched

    def _matched_by_whoosh(self, q: whoosh_query.Query) -> tuple[np.ndarray, np.ndarray]:
        """(ordinals, scores) of the live passages Whoosh's matcher for `q` finds."""
        found: list[tuple[int, float]] = []
        matcher = q.matcher(self._searcher, self._searcher.context())
        while matcher.is_active():
            ordinal = int(self._ordinals[matcher.id()])
            if ordinal >= 0:
                found.append((ordinal, matcher.score()))
            matcher.next()
        return (np.array([o for o, _ in found], dtype=np.int64),
                np.array([score for _, score in found], dtype=np.float64))

    def _parameters(self, field: str) -> bm25.BM25Parameters:
        weighting = self._weighting
        return bm25.BM25Parameters(k1=weighting.K1, b=weighting._field_B.get(field, weighting.B))

    def _term(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(ordinals, frequencies) of the live passages holding the term."""
        return self._cached((field, text), lambda: self._read_postings(field, text))

    def _read_postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        reader = self._searcher.reader()
        if (field, text) not in reader:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        pairs = list(reader.postings(field, text).items_as("weight"))
        docnums = np.fromiter((d for d, _ in pairs), dtype=np.int64, count=len(pairs))
        freqs = np.fromiter((w for _, w in pairs), dtype=np.float64, count=len(pairs))
        docs = self._ordinals[docnums].astype(np.int64)
        live = docs >= 0  # Whoosh leaves deleted documents out of postings; the layout agrees
        return docs[live], freqs[live]

    def _cached(self, key: tuple[str, str], compute) -> tuple[np.ndarray, np.ndarray]:
        """A term's postings or a node's matches by `key`, computed once and kept in a bounded cache."""
        with self._lock:
            cached = self._postings.get(key)
            if cached is not None:
                self._postings.move_to_end(key)
                return cached
        found = compute()
        with self._lock:
            self._postings[key] = found
            self._entries += len(found[0])
            while self._entries > MAX_CACHED_POSTINGS and len(self._postings) > 1:
                _, (old, _) = self._postings.popitem(last=False)
                self._entries -= len(old)
        return found
