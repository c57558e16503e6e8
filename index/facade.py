"""The one door into the library.  The web app and the scripts use this module and nothing deeper.

    archive = Archive.open(settings)          # reads the current index generation
    result = archive.search("RING training", mode="hybrid", k=10, filters=Filters(countries=("Uzbekistan",)))
    archive.similar(passage_id)               # related passages from other newsletter issues
    archive.issues(); archive.issue(issue_id); archive.passage(passage_id)
    archive.search_figures(FigureQuery("victims of trafficking"))
    build(settings); add_files([path]); index_staleness(settings)
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.config import Settings
from index.embed.models import load_embedder
from index.embed.protocol import Embedder
from index.errors import ArchiveError, BadRequest, IndexUnavailable, UnknownId
from index.figures.figure_index import FIGURE_FOUND_BY, FIGURE_FUSION, FigureIndex
from index.figures.records import (
    DEFAULT_FIGURES_K,
    FIGURE_KINDS,
    FIGURE_SORTS,
    FigureQuery,
    FigureRecord,
    FigureResult,
    FigureSeries,
    parse_figure_bound,
    validate_figure_query,
)
from index.figures.series import SERIES_KINDS, SERIES_MIN_SIMILARITY
from index.records import COUNTRIES, Filters, Hit, Issue, Passage, Section
from index.search.facets import count_facets
from index.search.filters import (
    MAX_K,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    MODES,
    FilterMasks,
    parse_filter_date,
    validate_k,
    validate_search,
)
from index.search.fusion import DEFAULT_FUSION, Fused, Fusion, demote_repeated_boilerplate, promote
from index.search.keyword import KeywordIndex
from index.search.related import Related, nearest_distinct, shared_countries, shared_terms
from index.search.semantic import semantic_ranking
from index.search.snippets import Segment, paragraphs, snippet
from index.store.add import AddRefused, AddReport, Arrival
from index.store.add import add_files as _add_files
from index.store.build import BuildReport, build_index, stale_reason
from index.store.documents import read_corpus
from index.store.figure_files import read_figure_tables
from index.store.generations import Store, load_vectors, read_manifest, verify_checksums
from index.text.numbers import join_number_groups

log = logging.getLogger(__name__)

SIDE_THREADS = 8  # searches whose semantic side runs at once in one process (as many as request threads)

__all__ = [
    "Archive", "LiveArchive", "Settings", "build", "add_files", "index_staleness", "embedder_for",
    "SearchResult", "IssueView", "Related", "Filters", "Hit", "LIMITS",
    "FigureQuery", "FigureResult", "FigureRecord", "FigureSeries", "parse_filter_date", "parse_figure_bound",
    "ArchiveError", "BadRequest", "UnknownId", "IndexUnavailable", "AddRefused", "Arrival",
]


@dataclass(frozen=True)
class Limits:
    """What searches accept and offer, for the web app's forms and OpenAPI document and the CLI."""

    modes: tuple[str, ...] = MODES
    max_k: int = MAX_K
    max_offset: int = MAX_OFFSET
    max_query_chars: int = MAX_QUERY_CHARS
    max_query_words: int = MAX_QUERY_WORDS
    countries: tuple[str, ...] = COUNTRIES
    figure_kinds: tuple[str, ...] = FIGURE_KINDS
    figure_sorts: tuple[str, ...] = FIGURE_SORTS
    default_figures_k: int = DEFAULT_FIGURES_K
    series_kinds: tuple[str, ...] = SERIES_KINDS
    series_min_similarity: float = SERIES_MIN_SIMILARITY


LIMITS = Limits()


@dataclass(frozen=True)
class SearchResult:
    """One page of ranked hits, and what the whole result set holds.

    `total` counts every passage any requested mode found (before paging); `facets` counts those
    passages by year, country and newsletter issue id, so a page can offer narrowing links.
    """

    query: str
    mode: str
    hits: tuple[Hit, ...]
    total: int
    offset: int
    facets: dict[str, dict[str, int]]

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "mode": self.mode,
            "total": self.total,
            "offset": self.offset,
            "hits": [hit.to_json() for hit in self.hits],
            "facets": self.facets,
        }


@dataclass(frozen=True)
class IssueView:
    """A newsletter issue with its sections and passages, for reading it whole."""

    issue: Issue
    sections: tuple[Section, ...]
    passages: tuple[Passage, ...]

    def to_json(self, with_passages: bool = True) -> dict:
        return {**self.issue.to_json(), "sections": [
            {**section.to_json(), **({"passages": [p.to_json() for p in self.passages if p.section_id == section.id]}
                                     if with_passages else {})}
            for section in self.sections]}


_THREADS: dict[int, ThreadPoolExecutor] = {}


def _side_threads() -> ThreadPoolExecutor:
    """This process's threads for the semantic side of searches (threads do not survive a fork, so
    a forked process makes its own)."""
    pool = _THREADS.get(os.getpid())
    if pool is None:
        pool = _THREADS[os.getpid()] = ThreadPoolExecutor(max_workers=SIDE_THREADS, thread_name_prefix="semantic")
    return pool


class LiveArchive:
    """The archive a long-running server serves: it follows the index directory's CURRENT generation,
    so a finished build is served without a restart and without a failed request.

    A request holds on to the Archive it got, so a switch never changes an index under a search.
    A new generation that cannot be opened (damaged, another schema) is refused with a logged
    message, once, and the generation already open keeps serving.
    """

    def __init__(self, settings: Settings, check_every_s: float = 1.0):
        self.settings = settings
        self._check_every_s = check_every_s
        self._archive = Archive.open(settings)
        self._refused: str | None = None
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()

    def current(self) -> Archive:
        """The newest good generation; looks for a new one at most every `check_every_s` seconds."""
        if time.monotonic() - self._checked_at >= self._check_every_s:
            with self._lock:
                if time.monotonic() - self._checked_at >= self._check_every_s:
                    self._checked_at = time.monotonic()
                    self._switch_if_new()
        return self._archive

    def follow(self) -> None:
        """Look for a new generation every `check_every_s` seconds in a background thread too, so that
        this process switches soon after a build even while no request comes.  Threads do not survive
        a fork: a forked server process calls this itself, which also opens the served generation's
        keyword index in it at once."""
        try:
            self.current().open_in_this_process()
        except ArchiveError as exc:
            log.error("%s", exc)

        def follow() -> None:
            while True:
                time.sleep(max(self._check_every_s, 0.1))
                self.current()

        threading.Thread(target=follow, name="follow-generations", daemon=True).start()

    def _switch_if_new(self) -> None:
        try:
            newest = Store(self.settings.index_dir).current()
        except IndexUnavailable as exc:
            self._refuse(str(exc), "CURRENT")
            return
        if newest is None or newest.name in (self._archive.generation.name, self._refused):
            return
        try:
            self._archive = Archive(newest, self.settings, self._archive.fusion)
        except ArchiveError as exc:
            self._refuse(str(exc), newest.name)
        except Exception as exc:  # a damaged file can fail in any library it passes through
            self._refuse(f"{newest.name} cannot be read ({type(exc).__name__}: {exc})", newest.name)

    def _refuse(self, reason: str, name: str) -> None:
        if name != self._refused:
            log.warning("not switching index generation, still serving %s: %s", self._archive.generation.name, reason)
            self._refused = name



class Archive:
    """An opened index generation: search, similar passages, issues.  Safe to share between threads."""

    def __init__(self, generation: Path, settings: Settings, fusion: Fusion = DEFAULT_FUSION):
        manifest = read_manifest(generation)
        verify_checksums(generation, manifest)
        self.generation = generation
        self.manifest = manifest
        self.settings = settings
        self.fusion = fusion
        corpus = read_corpus(generation)  # passages mapped, not read (index.store.documents)
        self._corpus = corpus
        self._passages = corpus.passages
        self._vectors = load_vectors(generation, manifest)
        self._keyword = KeywordIndex.open(generation / "keyword")
        if self._keyword.doc_count != len(self._passages):
            raise IndexUnavailable(f"{generation.name}: keyword index holds {self._keyword.doc_count} passages, "
                                   f"the documents {len(self._passages)}; rebuild the index")
        self._masks = FilterMasks(corpus.issue_of, corpus.days, corpus.issue_position, corpus.country_bits,
                                  corpus.recurring)
        self.figure_index = FigureIndex(read_figure_tables(generation, manifest["dimension"]), corpus.passages,
                                        corpus.issues, corpus.issue_of, corpus.days, corpus.ordinal_of)

    def current(self) -> Archive:
        """This archive: an open Archive serves as its own source (see LiveArchive.current)."""
        return self

    def open_in_this_process(self) -> None:
        """Open what a forked process cannot share with the one that opened the archive (the keyword
        index's files), while the generation is surely still there."""
        self._keyword.open_in_this_process()

    def warm_model(self) -> None:
        """Load the embedding model now (e.g. in a background thread at start-up) rather than on the
        first semantic query; IndexUnavailable if it does not match the index."""
        self.embedder  # noqa: B018 - loading (and checking) is the point

    @classmethod
    def open(cls, settings: Settings | None = None) -> Archive:
        """The generation currently served from `settings.index_dir`; IndexUnavailable if there is none."""
        settings = settings or Settings.from_env()
        generation = Store(settings.index_dir).current()
        if generation is None:
            raise IndexUnavailable(f"no index in {settings.index_dir}; build one with: scripts/archive build")
        try:
            return cls(generation, settings)
        except ArchiveError:
            raise
        except Exception as exc:  # a damaged file can fail in any library it passes through
            raise IndexUnavailable(f"{generation.name} cannot be read ({type(exc).__name__}: {exc}); "
                                   "rebuild the index") from exc

    def close(self) -> None:
        self._keyword.close()

    @property
    def passages(self) -> Sequence[Passage]:
        """Every passage, in index order (a passage's position here is its ordinal); each is read from
        the mapped columns when it is asked for."""
        return self._passages

    # --- the model is loaded on first use, once per process ---------------------------------------

    @property
    def embedder(self) -> Embedder:
        embedder = load_embedder(self.settings.embedding)
        if embedder.model_id != self.manifest["model"] or embedder.dimension != self.manifest["dimension"]:
            raise IndexUnavailable(f"the index was built with {self.manifest['model']} "
                                   f"({self.manifest['dimension']} dimensions), the configured model is "
                                   f"{embedder.model_id} ({embedder.dimension}); rebuild the index")
        built_with = self.manifest.get("embedding_backend", "torch")
        if embedder.backend != built_with:
            raise IndexUnavailable(f"the index was built with embedding backend {built_with}, the configured one "
                                   f"is {embedder.backend} (ARCHIVE_EMBEDDING_BACKEND); rebuild the index")
        return embedder

    # --- reading ---------------------------------------------------------------------------------

    def issues(self) -> list[IssueView]:
        """All newsletter issues, oldest first."""
        return [self._issue_view(position) for position in range(len(self._corpus.issues))]

    def issue(self, issue_id: str) -> IssueView:
        position = self._corpus.issue_position(issue_id)
        if position is None:
            raise UnknownId(f"no newsletter issue with id {issue_id[:100]!r}")
        return self._issue_view(position)

    def _issue_view(self, position: int) -> IssueView:
        corpus = self._corpus
        return IssueView(corpus.issues[position],
                         tuple(corpus.sections[int(s)] for s in corpus.sections_by_issue.rows(position)),
                         tuple(self._passages[int(o)] for o in corpus.passages_by_issue.rows(position)))

    def passage(self, passage_id: str) -> tuple[Passage, Issue]:
        ordinal = self._ordinal_of(passage_id)
        passage = self._passages[ordinal]
        return passage, self._corpus.issues[int(self._corpus.issue_of[ordinal])]

    def _ordinal_of(self, passage_id: str) -> int:
        ordinal = self._corpus.ordinal_of(passage_id)
        if ordinal is None:
            raise UnknownId(f"no passage with id {passage_id[:100]!r}")
        return ordinal

    # --- searching -------------------------------------------------------------------------------

    def search(self, query: str, *, mode: str = "hybrid", k: int = 10, offset: int = 0,
               filters: Filters = Filters()) -> SearchResult:
        """Ranked passages for `query`.  BadRequest for a mode, k, offset or query out of range."""
        query, filters = validate_search(query, mode, k, offset, filters)
        for name, issue_ids in (("issue", filters.issue_ids), ("exclude_issue", filters.exclude_issue_ids)):
            unknown = [i for i in issue_ids if self._corpus.issue_position(i) is None]
            if unknown:  # the caller's mistake, not an empty result
                raise BadRequest(f"{name}: no newsletter issue with id {unknown[0][:100]!r}")
        fused = self.rank(query, mode, max(self.fusion.depth, offset + k), filters)
        page = fused[offset : offset + k]
        return SearchResult(query, mode, tuple(self._hit(f.ordinal, f.score, f.found_by) for f in page),
                            len(fused), offset, count_facets((f.ordinal for f in fused), self._corpus.issue_of,
                                                             self._corpus.issue_ids, self._corpus.days.year,
                                                             self._corpus.country_bits))

    def rank(self, query: str, mode: str, depth: int, filters: Filters = Filters()) -> list[Fused]:
        """Every passage the mode finds for `query` among the first `depth` of each side, best first;
        for a query that is a number, the passages holding a figure of that value come first."""
        allowed = self._masks.mask(filters)
        rankings = self._side_rankings(query, mode, depth, allowed)
        holders = self.figure_index.passages_holding(query, allowed)
        return demote_repeated_boilerplate(promote(self.fusion.fuse(rankings), holders, FIGURE_FOUND_BY),
                                           self._corpus.recurring)

    def side_rankings(self, query: str, mode: str, depth: int, filters: Filters = Filters()) -> dict[str, list[tuple[int, float]]]:
        """The rankings fusion combines, (ordinal, score) best first: keyword and/or semantic, and in
        hybrid mode the passages whose figures' labels and sentences match the query's words."""
        return self._side_rankings(query, mode, depth, self._masks.mask(filters))

    def _side_rankings(self, query: str, mode: str, depth: int,
                       allowed: np.ndarray | None) -> dict[str, list[tuple[int, float]]]:
        semantic = self._semantic_side(query, depth, allowed) if mode in ("hybrid", "semantic") else None
        rankings = {}
        if mode in ("hybrid", "keyword"):
            rankings["keyword"] = self._keyword.search(query, depth, allowed)
        if mode == "hybrid" and self.figure_index.records:
            rankings[FIGURE_FOUND_BY] = self.figure_index.passage_ranking(query, allowed, depth)
        if semantic is not None:
            rankings["semantic"] = semantic.result()
        return rankings

    def _semantic_side(self, query: str, depth: int, allowed: np.ndarray | None) -> Future:
        """The semantic ranking, computed in another thread while this one ranks the keyword and figure
        sides: embedding the query and scanning the vectors let go of the GIL, so a search uses two cores."""
        excluded = self._keyword.excluded(query)
        if len(excluded):  # "NOT x" holds for every side, not only for the keyword one
            allowed = np.ones(len(self._passages), dtype=bool) if allowed is None else allowed.copy()
            allowed[excluded] = False
        return _side_threads().submit(
            lambda: semantic_ranking(self._vectors, self.embedder.encode([query])[0], depth, allowed))

    def similar(self, passage_id: str, k: int = 10) -> list[Related]:
        """Passages from other newsletter issues most like this one, each with why it is related;
        boilerplate and near-copies left out."""
        validate_k(k)
        source = self._ordinal_of(passage_id)
        issue_id = self._passages[source].issue_id
        allowed = self._masks.story_text_outside(issue_id)
        chosen = nearest_distinct(self._vectors, source, allowed, k)
        return [self._related(source, o, score, rank) for rank, (o, score) in enumerate(chosen, start=1)]

    def _shared_figures(self, mine: Passage, theirs: Passage) -> tuple[str, ...]:
        """The figures (by value) both passages report, as `mine` prints them, thousands joined."""
        their_values = {figure.value for figure in self.figure_index.in_passage(theirs.id)}
        shared = {figure.value: join_number_groups(figure.as_printed)
                  for figure in self.figure_index.in_passage(mine.id) if figure.value in their_values}
        return tuple(shared[value] for value in sorted(shared))

    def _related(self, source: int, ordinal: int, similarity: float, rank: int) -> Related:
        """Why `ordinal` is related to `source`: what they share besides the vector similarity."""
        mine, theirs = self._passages[source], self._passages[ordinal]
        return Related(self._hit(ordinal, similarity, {"semantic": rank}), similarity, shared_countries(mine, theirs),
                       self._shared_figures(mine, theirs), shared_terms(mine, theirs, self._keyword.document_share))

    # --- figures ---------------------------------------------------------------------------------

    def search_figures(self, query: FigureQuery) -> FigureResult:
        """The figure mentions `query` asks for, and the series they are points of (see
        index.figures.figure_index and index.figures.series); BadRequest for a parameter out of range."""
        query = validate_figure_query(query)
        return self.figure_index.search(query, lambda text: self.embedder.encode([text])[0], FIGURE_FUSION)

    def figure_records(self) -> Sequence[FigureRecord]:
        """Every figure mention of the archive, in passage order (each made when read)."""
        return self.figure_index.records

    def marked_snippet(self, passage: Passage, query: str) -> list[Segment]:
        """The best window of a passage for `query`, its words highlighted and its figures marked."""
        return snippet(passage.text, query, figures=self._figure_spans(passage))

    def marked_paragraphs(self, passage: Passage) -> list[list[Segment]]:
        """A passage's paragraphs with its figures marked."""
        return paragraphs(passage.text, self._figure_spans(passage))

    def _figure_spans(self, passage: Passage) -> list[tuple[int, int, str]]:
        return [(figure.start, figure.end, figure.title) for figure in self.figure_index.in_passage(passage.id)]

    def _hit(self, ordinal: int, score: float, found_by: dict[str, int]) -> Hit:
        passage = self._passages[ordinal]
        return Hit(passage, self._corpus.issues[int(self._corpus.issue_of[ordinal])], score, found_by)


def build(settings: Settings | None = None, show_progress: bool = True, embedder: Embedder | None = None) -> BuildReport:
    """Build a new index generation from the archive and switch to it (see index.store.build); the
    vectors come from the configured model, or from `embedder` when one is given."""
    return build_index(settings or Settings.from_env(), show_progress, embedder)


def index_staleness(settings: Settings | None = None) -> str | None:
    """Why the index must be (re)built, or None when it matches the archive and this code."""
    return stale_reason(settings or Settings.from_env())


def embedder_for(settings: Settings | None = None) -> Embedder:
    """The embedding model `settings` configure, loaded once per process."""
    return load_embedder((settings or Settings.from_env()).embedding)


def add_files(paths: list[Path], force: bool = False, settings: Settings | None = None,
              show_progress: bool = False) -> AddReport:
    """Copy newsletter issue files into the archive and update the index, all or nothing (see index.store.add)."""
    return _add_files(settings or Settings.from_env(), paths, force, show_progress)
