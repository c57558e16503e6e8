"""The keyword engine: a Whoosh index of the passages, and BM25F search over it.

This module (with index.search.schema, index.search.query and index.search.numpy_scorer) is all
that knows Whoosh's index; the rest of the library sees `build_keyword_index`,
`update_keyword_index`, `compact_keyword_index` and `KeywordIndex` (search, matching, excluded,
document_share, doc_count, close) and hands over passage ordinals.

A passage's document is known by its id, not by its position: a build that starts from the previous
generation's index deletes the documents of the passages that changed or went and adds those that are
new (a new Whoosh segment, merged with the other small ones by Whoosh's merge policy), so docnums
are not ordinals.  The layout written beside the index says, for each docnum, which passage ordinal
it holds (-1 for a deleted document), and for each ordinal its document's field length; it is read
from the index itself after every change (`_write_layout`), and a document without a passage or a
passage without exactly one document fails the build.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
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

# Writer settings for a 2-core machine.  One process: Whoosh's multiprocess writer does not keep
# documents in the order they were added (not needed since the layout maps docnums, but the order
# keeps a fresh index's docnums equal to ordinals, which makes a damaged layout easy to see).
WRITER_LIMIT_MB = 128
WRITER_PROCS = 1
LAYOUT_ORDINALS = "layout.ordinals.npy"  # per docnum: the passage ordinal, -1 for a deleted document
LAYOUT_LENGTHS = "layout.lengths.npy"  # per ordinal: the body's field length as Whoosh stores it
LAYOUT_FILES = (LAYOUT_ORDINALS, LAYOUT_LENGTHS)


class BM25(scoring.BM25F):
    """Whoosh's BM25 with the passages' k1 and b and the IDF of index.search.bm25; Whoosh scores
    phrases with it, index.search.numpy_scorer everything else."""

    def __init__(self) -> None:
        super().__init__(B=bm25.PASSAGES.b, K1=bm25.PASSAGES.k1)

    def idf(self, searcher: Searcher, fieldname: str, text: bytes) -> float:
        parent = searcher.get_parent()
        return bm25.idf(parent.doc_count(), parent.doc_frequency(fieldname, text))


def build_keyword_index(directory: Path, passages: Sequence[Passage]) -> None:
    """Write a keyword index of `passages` into `directory`, creating the directory if needed."""
    directory.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(directory), SCHEMA)
    writer = ix.writer(limitmb=WRITER_LIMIT_MB, procs=WRITER_PROCS)
    for passage in passages:
        writer.add_document(id=passage.id, body=indexed_body(passage))
    writer.commit(optimize=True)
    _write_layout(ix, directory, passages)


def update_keyword_index(directory: Path, passages: Sequence[Passage], removed: Iterable[str],
                         added: Iterable[int]) -> None:
    """Bring the index in `directory` (a copy of an earlier corpus' index) to `passages`: delete the
    documents of the passage ids `removed`, add the passages at the ordinals `added`.  Whoosh writes a
    new segment and a new table of contents beside the files it had."""
    ix = whoosh_index.open_dir(str(directory))
    writer = ix.writer(limitmb=WRITER_LIMIT_MB, procs=WRITER_PROCS)
    for passage_id in removed:
        writer.delete_by_term("id", passage_id)
    for ordinal in added:
        writer.add_document(id=passages[ordinal].id, body=indexed_body(passages[ordinal]))
    writer.commit()
    _write_layout(ix, directory, passages)


def compact_keyword_index(directory: Path, passages: Sequence[Passage]) -> None:
    """Merge the index in `directory` into one segment without its deleted documents."""
    ix = whoosh_index.open_dir(str(directory))
    ix.writer(limitmb=WRITER_LIMIT_MB, procs=WRITER_PROCS).commit(optimize=True)
    _write_layout(ix, directory, passages)


def segment_health(directory: Path) -> tuple[int, int, int]:
    """(segments, documents, deleted documents) of the index in `directory`."""
    ix = whoosh_index.open_dir(str(directory))
    with ix.reader() as reader:
        return len(list(reader.leaf_readers())), reader.doc_count_all(), reader.doc_count_all() - reader.doc_count()


def _write_layout(ix: whoosh_index.Index, directory: Path, passages: Sequence[Passage]) -> None:
    """Which passage each document holds, read from the index; RuntimeError unless every passage has
    exactly one live document and every live document is a passage's."""
    ordinal_of = {passage.id: ordinal for ordinal, passage in enumerate(passages)}
    with ix.reader() as reader:
        ids = list(reader.column_reader("id")) if reader.doc_count_all() else []
        live = list(reader.all_doc_ids())
        ordinals = np.full(reader.doc_count_all(), -1, dtype=np.int32)
        for docnum in live:
            ordinals[docnum] = ordinal_of.get(ids[docnum], -1)
        held = ordinals[live] if live else np.zeros(0, dtype=np.int32)
        if (held < 0).any() or len(held) != len(passages) or np.any(np.bincount(held, minlength=len(passages)) != 1):
            raise RuntimeError(f"the keyword index holds {len(held)} documents for {len(passages)} passages, "
                               "not one for each: filtering by ordinal would return the wrong passages")
        lengths = np.zeros(len(passages), dtype=np.float32)
        for docnum in live:
            lengths[ordinals[docnum]] = reader.doc_field_length(docnum, FIELD, 1)
    np.save(directory / LAYOUT_ORDINALS, ordinals, allow_pickle=False)
    np.save(directory / LAYOUT_LENGTHS, lengths, allow_pickle=False)


class KeywordIndex:
    """An open keyword index.  One searcher per process serves every call, behind a lock: Whoosh
    searchers are not documented as safe to share between threads, and one opened before a fork
    would share its file positions with the other processes (so a forked server process opens its own).

    Whoosh reads its segments when a search needs them, so a file damaged after the index was
    opened fails in the middle of a search, in whatever library reads it.  `verify` (IndexUnavailable
    when the index's files are damaged) tells such damage from a bug: when it finds damage, that
    search and every later one is IndexUnavailable with the reason (an answer of 503, not 500).
    """

    def __init__(self, directory: Path, ordinals: np.ndarray, lengths: np.ndarray,
                 verify: Callable[[], None] | None = None) -> None:
        self._directory = directory
        self._ordinals = ordinals
        self._lengths = lengths
        live = np.flatnonzero(ordinals >= 0)
        self._docnums = np.zeros(len(lengths), dtype=np.int64)
        self._docnums[ordinals[live]] = live
        self._lock = threading.Lock()
        self._verify = verify
        self._damaged: str | None = None
        self._pid = -1
        self._open_here()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Around every read of the index: under the lock, with a searcher of this process; damage
        found is IndexUnavailable."""
        with self._lock:
            if self._damaged:
                raise IndexUnavailable(self._damaged)
            try:
                self._here()
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
            ordinals = np.load(directory / LAYOUT_ORDINALS, mmap_mode="r", allow_pickle=False).view(np.ndarray)
            lengths = np.load(directory / LAYOUT_LENGTHS, mmap_mode="r", allow_pickle=False).view(np.ndarray)
            opened = cls(directory, ordinals, lengths, verify)
        except (whoosh_index.EmptyIndexError, FileNotFoundError) as error:
            raise IndexUnavailable(missing) from error
        except IndexUnavailable:
            raise
        # A damaged index fails in many ways (unpickling, struct, I/O errors): all mean "unusable".
        except Exception as error:
            raise IndexUnavailable(
                f"the keyword index in {directory} is damaged ({error}): rebuild the index"
            ) from error
        return opened

    def _open_here(self) -> None:
        """Open a searcher for this process; IndexUnavailable when the index is not this schema's or
        its layout does not fit it."""
        searcher = whoosh_index.open_dir(str(self._directory)).searcher(weighting=BM25())
        if set(searcher.schema.names()) != set(SCHEMA.names()):
            searcher.close()
            raise IndexUnavailable(
                f"the keyword index in {self._directory} was built by another version: rebuild the index"
            )
        if searcher.doc_count_all() != len(self._ordinals) or searcher.doc_count() != len(self._lengths):
            searcher.close()
            raise IndexUnavailable(f"the keyword index in {self._directory} does not fit its layout: rebuild the index")
        self._searcher = searcher
        self._fast = NumpyScorer(searcher, self._ordinals, self._lengths, self._average_length())
        self._pid = os.getpid()

    def _average_length(self) -> float:
        """The body's average length over live documents, from the lengths Whoosh stores for each (one
        byte each, so approximate): the same for a fresh index and for one with deleted documents or
        merged segments.  (Whoosh's own total is exact for a fresh segment and sums the stored lengths
        once segments are merged.)"""
        average = float(np.mean(self._lengths, dtype=np.float64)) if len(self._lengths) else 0.0
        return average or 1.0

    def _here(self) -> None:
        """Call under self._lock: reopen the searcher in a process forked after it was opened."""
        if self._pid != os.getpid():
            try:
                self._open_here()
            except Exception as error:  # e.g. the generation was removed before this process opened it
                raise IndexUnavailable(f"the keyword index in {self._directory} cannot be opened ({error})") from error

    def open_in_this_process(self) -> None:
        """Open the searcher now in a process forked after the index was opened (rather than on its first
        search): its files are open from then on, even when a later clean-up removes them."""
        with self._lock:
            self._here()

    @property
    def doc_count(self) -> int:
        return len(self._lengths)

    def search(
        self, query: str, limit: int, allowed: Collection[int] | np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The best `limit` passages for `query` as (ordinal, BM25F score), best first.

        With `allowed` (ordinals, or a bool mask over ordinals), only those passages can be returned.
        """
        q = parse_query(query)
        mask = self._mask(allowed)
        if limit < 1 or q is whoosh_query.NullQuery or (mask is not None and not mask.any()):
            return []
        with self._reading():
            fast = self._fast.search(q, limit, mask)
            if fast is not None:
                return fast
            docnums = None if mask is None else set(self._docnums[mask].tolist())
            results = self._searcher.search(q, limit=limit, filter=docnums)
            return [(int(self._ordinals[hit.docnum]), hit.score) for hit in results]

    def _mask(self, allowed: Collection[int] | np.ndarray | None) -> np.ndarray | None:
        if allowed is None or (isinstance(allowed, np.ndarray) and allowed.dtype == bool):
            return allowed
        mask = np.zeros(len(self._lengths), dtype=bool)
        mask[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
        return mask

    def scores(self, query: str) -> np.ndarray:
        """Every passage's score for the query as `search` ranks (0.0 where it holds none of the words)."""
        q = parse_query(query)
        if q is whoosh_query.NullQuery:
            return np.zeros(self.doc_count)
        with self._reading():
            return self._fast.scores(q)

    def matching(self, query: str, any_word: bool = False) -> np.ndarray:
        """Whether each passage matches the query (index.search.matching), as a bool per ordinal; with
        `any_word`, words side by side match by any one of them (index.search.query.with_any_word)."""
        q = parse_query(query)
        if q is whoosh_query.NullQuery:
            return np.zeros(self.doc_count, dtype=bool)
        if any_word:
            q = with_any_word(q)
        with self._reading():
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
        with self._reading():
            return np.array([self._fast.matches(part) for part in (q.subqueries if isinstance(q, Words) else [q])])

    def excluded(self, query: str) -> np.ndarray:
        """Ordinals of the passages that the query's NOT parts rule out, so that the semantic side of
        a hybrid search can leave them out too."""
        parts = excluded_parts(parse_query(query))
        if not parts:
            return np.zeros(0, dtype=np.int64)
        with self._reading():
            matched = self._fast.matches(AnyOf(parts))
            if matched is not None:
                return np.flatnonzero(matched)
            docnums = np.array(sorted(self._searcher.docs_for_query(AnyOf(parts))), dtype=np.int64)
            return np.sort(self._ordinals[docnums]).astype(np.int64)

    def document_share(self, term: str) -> float:
        """The share of passages whose text holds the analysed `term` (0.0 to 1.0); passages deleted by
        an update, which Whoosh's document frequency still counts until segments merge, are not."""
        with self._reading():
            return self._fast.passages_holding(term) / max(1, len(self._lengths))

    def close(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                self._searcher.close()
