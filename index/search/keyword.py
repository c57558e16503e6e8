"""The keyword engine: a Whoosh index of the passages, and BM25F search over it.

This module (with index.search.schema, index.search.query and index.search.numpy_scorer) is all
that knows Whoosh's index; the rest of the library sees `build_keyword_index` and `KeywordIndex`
(search, matching, excluded, document_share, doc_count, close) and hands over passage ordinals.

Passages are added in order by one writer and merged into one segment, so a passage's Whoosh docnum
is its ordinal in the passage list.  Search hands back ordinals, and a filter is handed to Whoosh as
the set of allowed ordinals, used directly as docnums.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as whoosh_query
from whoosh import scoring
from whoosh.searching import Searcher

from index.errors import IndexUnavailable
from index.records import Passage
from index.search import bm25
from index.search.numpy_scorer import NumpyScorer
from index.search.query import AnyOf, Words, excluded_parts, parse_query, uses_operators, with_any_word
from index.search.schema import FIELD, SCHEMA, indexed_body

# Writer settings for a 2-core machine.  One process, because Whoosh's multiprocess writer does not
# keep documents in the order they were added, and docnum == ordinal depends on that order.
WRITER_LIMIT_MB = 128
WRITER_PROCS = 1


class BM25(scoring.BM25F):
    """Whoosh's BM25 with the passages' k1 and b and the IDF of index.search.bm25; Whoosh scores
    phrases with it, index.search.numpy_scorer everything else."""

    def __init__(self) -> None:
        super().__init__(B=bm25.PASSAGES.b, K1=bm25.PASSAGES.k1)

    def idf(self, searcher: Searcher, fieldname: str, text: bytes) -> float:
        parent = searcher.get_parent()
        return bm25.idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))


def build_keyword_index(directory: Path, passages: Sequence[Passage]) -> None:
    """Write a keyword index of `passages` into `directory`, creating the directory if needed.

    Raises RuntimeError if Whoosh's docnums do not come out equal to the ordinals.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(directory), SCHEMA)
    writer = ix.writer(limitmb=WRITER_LIMIT_MB, procs=WRITER_PROCS)
    for ordinal, passage in enumerate(passages):
        writer.add_document(ordinal=ordinal, id=passage.id, body=indexed_body(passage))
    writer.commit(optimize=True)
    _check_docnums(ix, len(passages))


def _check_docnums(ix: whoosh_index.Index, expected: int) -> None:
    with ix.searcher() as searcher:
        pairs = [(docnum, fields["ordinal"]) for docnum, fields in searcher.reader().iter_docs()]
    if pairs != [(ordinal, ordinal) for ordinal in range(expected)]:
        raise RuntimeError(
            f"keyword index docnums do not match passage ordinals ({len(pairs)} documents, "
            f"{expected} passages): filtering by ordinal would return the wrong passages"
        )


class KeywordIndex:
    """An open keyword index.  One searcher serves every call, behind a lock: Whoosh searchers are
    not documented as safe to share between threads.

    Whoosh reads its segments when a search needs them, so a file damaged after the index was
    opened fails in the middle of a search, in whatever library reads it.  `verify` (IndexUnavailable
    when the index's files are damaged) tells such damage from a bug: when it finds damage, that
    search and every later one is IndexUnavailable with the reason (an answer of 503, not 500).
    """

    def __init__(self, searcher: Searcher, verify: Callable[[], None] | None = None) -> None:
        self._searcher = searcher
        self._lock = threading.Lock()
        self._fast = NumpyScorer(searcher)  # queries scored with numpy, Whoosh's scores (index.search.numpy_scorer)
        self._verify = verify
        self._damaged: str | None = None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Around every read of the index (under the lock): damage found is IndexUnavailable."""
        if self._damaged:
            raise IndexUnavailable(self._damaged)
        try:
            yield
        except Exception as exc:
            if self._verify is None:
                raise
            try:
                self._verify()
            except IndexUnavailable as damaged:
                self._damaged = str(damaged)
                raise IndexUnavailable(self._damaged) from exc
            raise

    @classmethod
    def open(cls, directory: Path, verify: Callable[[], None] | None = None) -> KeywordIndex:
        """Open the index in `directory`; `verify` checks its files when a search fails (see the class).

        Raises IndexUnavailable if it is missing, damaged or built with another schema.
        """
        missing = f"no keyword index in {directory}: build the index first"
        if not directory.is_dir():
            raise IndexUnavailable(missing)
        try:
            searcher = whoosh_index.open_dir(str(directory)).searcher(weighting=BM25())
        except whoosh_index.EmptyIndexError as error:
            raise IndexUnavailable(missing) from error
        # A damaged index fails in many ways (unpickling, struct, I/O errors): all mean "unusable".
        except Exception as error:
            raise IndexUnavailable(
                f"the keyword index in {directory} is damaged ({error}): rebuild the index"
            ) from error
        if set(searcher.schema.names()) != set(SCHEMA.names()):
            searcher.close()
            raise IndexUnavailable(
                f"the keyword index in {directory} was built by another version: rebuild the index"
            )
        return cls(searcher, verify)

    @property
    def doc_count(self) -> int:
        return self._searcher.doc_count()

    def search(
        self, query: str, limit: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """The best `limit` passages for `query` as (ordinal, BM25F score), best first.

        With `allowed`, only those ordinals can be returned.
        """
        q = parse_query(query)
        if limit < 1 or q is whoosh_query.NullQuery or (allowed is not None and not allowed):
            return []
        docnums = None if allowed is None else set(allowed)
        with self._lock, self._reading():
            fast = self._fast.search(q, limit, docnums)
            if fast is not None:
                return fast
            results = self._searcher.search(q, limit=limit, filter=docnums)
            return [(hit.docnum, hit.score) for hit in results]

    def scores(self, query: str) -> np.ndarray:
        """Every passage's score for the query as `search` ranks (0.0 where it holds none of the words)."""
        q = parse_query(query)
        if q is whoosh_query.NullQuery:
            return np.zeros(self.doc_count)
        with self._lock, self._reading():
            return self._fast.scores(q)

    def matching(self, query: str, any_word: bool = False) -> np.ndarray:
        """Whether each passage matches the query (index.search.matching), as a bool per ordinal; with
        `any_word`, words side by side match by any one of them (index.search.query.with_any_word)."""
        q = parse_query(query)
        if q is whoosh_query.NullQuery:
            return np.zeros(self.doc_count, dtype=bool)
        if any_word:
            q = with_any_word(q)
        with self._lock, self._reading():
            matched = self._fast.matches(q)
        if matched is None:  # the numpy scorer reads every query the parser makes; this is a bug
            raise RuntimeError(f"the keyword index cannot evaluate {q!r}")
        return matched

    def word_matches(self, query: str) -> np.ndarray | None:
        """For each word of a query without operators (a row each), whether each passage holds it; None
        for a query with operators or without words.  What a match rule counts (index.eval.calibrate)."""
        q = parse_query(query)
        if q is whoosh_query.NullQuery or uses_operators(query):
            return None
        with self._lock, self._reading():
            return np.array([self._fast.matches(part) for part in (q.subqueries if isinstance(q, Words) else [q])])

    def excluded(self, query: str) -> np.ndarray:
        """Ordinals of the passages that the query's NOT parts rule out, so that the semantic side of
        a hybrid search can leave them out too."""
        parts = excluded_parts(parse_query(query))
        if not parts:
            return np.zeros(0, dtype=np.int64)
        with self._lock, self._reading():
            matched = self._fast.matches(AnyOf(parts))
            if matched is not None:
                return np.flatnonzero(matched)
            return np.array(sorted(self._searcher.docs_for_query(AnyOf(parts))), dtype=np.int64)

    def document_share(self, term: str) -> float:
        """The share of passages whose text holds the analysed `term` (0.0 to 1.0)."""
        with self._lock, self._reading():
            return self._searcher.doc_frequency(FIELD, term) / max(1, self._searcher.doc_count())

    def close(self) -> None:
        with self._lock:
            self._searcher.close()
