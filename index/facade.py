"""The one door into the library.  The web app and the scripts use this module and nothing deeper.

    archive = Archive.open(settings)          # reads the current index generation
    result = archive.search("RING training", mode="hybrid", k=10, filters=Filters(countries=("Uzbekistan",)),
                            sort="relevance", group="story")
    archive.similar(passage_id)               # related stories from other newsletter issues
    archive.issues(); archive.issue(issue_id); archive.passage(passage_id)
    archive.search_figures(FigureQuery("victims of trafficking"))
    build(settings); add_files([path]); index_staleness(settings)
"""

from __future__ import annotations

import datetime
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.citation import CitationFields, citation_fields
from index.config import Settings
from index.embed.models import load_embedder, load_word_pieces
from index.embed.protocol import Embedder, WordPieces
from index.errors import ArchiveError, BadRequest, IndexUnavailable, UnknownId
from index.export import write_csv
from index.figures.figure_index import FIGURE_FOUND_BY, FIGURE_FUSION, FigureIndex
from index.figures.records import (
    FigureQuery,
    FigureRecord,
    FigureResult,
    FigureSeries,
    parse_figure_bound,
    validate_figure_query,
)
from index.limits import LIMITS
from index.records import Filters, Hit, Issue, IssueView, Passage
from index.search.facets import facet_counts
from index.search.filters import (
    FilterMasks,
    parse_filter_date,
    validate_k,
    validate_search,
)
from index.search.fusion import DEFAULT_FUSION, Fused, Fusion, demote_repeated_boilerplate, promote, readable_share
from index.search.keyword import KeywordIndex
from index.search.matching import RELATED, Candidates
from index.search.ordering import arrange, rank_of, relevance_order
from index.search.query import uses_operators
from index.search.query_dates import date_offer
from index.search.related import Related, nearest_distinct, shared_countries, shared_names
from index.search.results import SearchResult
from index.search.semantic import SEMANTIC_MIN_SCORE, in_background, ranking_of
from index.search.snippets import Segment, paragraphs, snippet
from index.search.suggest import Speller, corrected
from index.store.add import AddRefused, AddReport, Arrival, check_files
from index.store.add import add_files as _add_files
from index.store.add_journal import settle_interrupted_add
from index.store.build import BuildReport, build_index, stale_reason
from index.store.documents import read_corpus
from index.store.figure_files import read_figure_tables
from index.store.generations import Store, load_vectors, read_manifest, verify_checksums
from index.store.preview import preview_json
from index.text.numbers import join_number_groups

log = logging.getLogger(__name__)

Cosines = Callable[[], np.ndarray]  # a query's cosines to every passage, as they are computed (in_background)

__all__ = [
    "Archive", "LiveArchive", "Settings", "build", "add_files", "preview_files", "index_staleness", "embedder_for",
    "SearchResult", "IssueView", "Related", "Filters", "Hit", "LIMITS",
    "FigureQuery", "FigureResult", "FigureRecord", "FigureSeries", "parse_filter_date", "parse_figure_bound",
    "ArchiveError", "BadRequest", "UnknownId", "IndexUnavailable", "AddRefused", "Arrival", "CitationFields", "Issue",
    "write_csv",
]


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
        self._archive = Archive.open_last_good(settings)
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
        self._keyword = KeywordIndex.open(generation / "keyword", lambda: verify_checksums(generation, manifest))
        if self._keyword.doc_count != len(self._passages):
            raise IndexUnavailable(f"{generation.name}: keyword index holds {self._keyword.doc_count} passages, "
                                   f"the documents {len(self._passages)}; rebuild the index")
        self._masks = FilterMasks(corpus.issue_of, corpus.issue_ids, corpus.days, corpus.issue_position,
                                  corpus.country_bits, corpus.language_codes, corpus.recurring)
        self._days = corpus.days.first_day_of(corpus.issue_of)
        self._stories = corpus.section_of
        self._spelling = functools.cache(lambda: Speller(corpus.words))  # decoded when first asked
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

    @classmethod
    def open_last_good(cls, settings: Settings) -> Archive:
        """The served generation or, when it cannot be opened (damaged, another schema), the newest
        kept one that can (logged); IndexUnavailable, with the served one's reason, when none can."""
        try:
            return cls.open(settings)
        except IndexUnavailable as exc:
            for generation in Store(settings.index_dir).complete():
                try:
                    archive = cls(generation, settings)
                except Exception:  # noqa: BLE001 - damaged in any way: try the next one
                    continue
                log.warning("serving %s, the last good generation: %s", generation.name, exc)
                return archive
            raise

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
        return self._passages[ordinal], self._issue_of(ordinal)

    def _issue_of(self, ordinal: int) -> Issue:
        return self._corpus.issues[int(self._corpus.issue_of[ordinal])]

    def _ordinal_of(self, passage_id: str) -> int:
        ordinal = self._corpus.ordinal_of(passage_id)
        if ordinal is None:
            raise UnknownId(f"no passage with id {passage_id[:100]!r}")
        return ordinal

    # --- searching -------------------------------------------------------------------------------

    def search(self, query: str, *, mode: str = "hybrid", k: int = 10, offset: int = 0, filters: Filters = Filters(),
               sort: str = "relevance", group: str = "story") -> SearchResult:
        """A page of results for `query`: the passages that match it and those related to it by meaning
        only (index.search.matching), ranked together, each marked; by relevance, newest or oldest first;
        one per story unless `group` is "passage".  BadRequest for a parameter out of range."""
        query, filters = validate_search(query, mode, k, offset, filters, sort, group)
        for name, issue_ids in (("issue", filters.issue_ids), ("exclude_issue", filters.exclude_issue_ids)):
            unknown = [i for i in issue_ids if self._corpus.issue_position(i) is None]
            if unknown:  # the caller's mistake, not an empty result
                raise BadRequest(f"{name}: no newsletter issue with id {unknown[0][:100]!r}")
        allowed = self._masks.mask(filters)
        cosines = None if mode == "keyword" else in_background(lambda: self.cosines(query))
        fused = {f.ordinal: f for f in self.rank(query, mode, max(self.fusion.depth, offset + k), allowed, cosines)}
        candidates = self.candidates(query, mode, cosines)
        shown = candidates.shown if allowed is None else candidates.shown & allowed
        arranged = arrange(relevance_order(list(fused), shown, candidates.fallback), candidates.match, self._days,
                           self._stories, sort, group)
        page = zip(arranged.ordinals[offset:offset + k].tolist(), arranged.more_in_story[offset:offset + k].tolist())
        scan = None if cosines is None else cosines()
        hits = tuple(self._search_hit(query, scan, fused.get(o), o, bool(candidates.match[o]),
                                      more if group == "story" else None) for o, more in page)
        counts = {"match": int(np.count_nonzero(candidates.match & shown)),
                  "related": int(np.count_nonzero(candidates.related & shown))}
        return SearchResult(query, mode, sort, group, hits, counts, len(arranged.ordinals), offset,
                            facet_counts(self._masks, candidates.shown, filters), self.suggestion(query),
                            date_offer(query, filters, lambda span: bool(self._masks.mask(span).any())))

    def rank(self, query: str, mode: str, depth: int, allowed: np.ndarray | None = None,
             cosines: Cosines | None = None) -> list[Fused]:
        """The mode's rankings fused, the first `depth` of each side read (the `allowed` passages of
        them); for a query that is a number, the passages holding a figure of that value come first.
        `cosines` gives the query's (see `cosines`) where they are being computed already."""
        rankings = self._side_rankings(query, mode, depth, allowed, cosines)
        holders = self.figure_index.passages_holding(query, allowed)
        fused = self._fusion_for(query, mode).fuse(rankings)
        return demote_repeated_boilerplate(promote(fused, holders, FIGURE_FOUND_BY), self._corpus.recurring)

    def reads(self, language: str) -> bool:
        """Whether the embedding model reads `language` ("en", "ru"), as its model card says."""
        return self._model_tokenizer.reads(language)

    @functools.cached_property
    def _model_tokenizer(self) -> WordPieces:
        """The model's tokenizer and languages, read from its directory without loading the model."""
        return load_word_pieces(self.settings.embedding)

    def _fusion_for(self, query: str, mode: str) -> Fusion:
        """The fusion of a hybrid search for `query`: the semantic side weighted by the share of the
        query's words the model reads (index.search.fusion)."""
        return self.fusion.reading(readable_share(query, self.reads)) if mode == "hybrid" else self.fusion

    def cosines(self, query: str) -> np.ndarray:
        """The query's cosine similarity to every passage (the model embeds the query)."""
        return self._vectors @ self.embedder.encode([query])[0]

    def candidates(self, query: str, mode: str, cosines: Cosines | None = None) -> Candidates:
        """The passages `query` matches (passages holding the figure a number query names among them)
        and, outside keyword mode and for a query without operators, those related by meaning only."""
        match = self._keyword.matching(query, any_word=readable_share(query, self.reads) == 0)
        match[self.figure_index.passages_holding(query, None)] = True
        if mode == "keyword":
            return Candidates(match, np.zeros_like(match), self._keyword.scores(query))
        scan = self.cosines(query) if cosines is None else cosines()
        return Candidates(match, self._related_by_meaning(query, mode, scan, match), scan)

    def _related_by_meaning(self, query: str, mode: str, cosines: np.ndarray, match: np.ndarray) -> np.ndarray:
        """The passages related to `query` by meaning only: none for a query with operators, nor in a
        hybrid search for a query the model cannot read; there, only among passages it reads."""
        if uses_operators(query) or (mode == "hybrid" and self._fusion_for(query, mode).weight("semantic") == 0):
            return np.zeros_like(match)
        related = RELATED.related(cosines, match)
        readable = self._masks.readable(self.reads, None) if mode == "hybrid" else None
        return related if readable is None else related & readable

    def word_matches(self, query: str) -> np.ndarray | None:
        """For each word of a query without operators (a row each), whether each passage holds it."""
        return self._keyword.word_matches(query)

    def suggestion(self, query: str) -> str | None:
        """`query` with the words the archive does not hold spelt as the archive's nearest words, or None."""
        return corrected(query, self._spelling, lambda term: self._keyword.document_share(term) > 0)

    def _search_hit(self, query: str, cosines: np.ndarray | None, fused: Fused | None, ordinal: int, match: bool,
                    more_in_story: int | None) -> Hit:
        """A search's hit; one beyond the depth of every ranking fusion read is told its place in each."""
        if fused is None:
            found_by = {}
            keyword = self._keyword.scores(query)
            if keyword[ordinal] > 0:
                found_by["keyword"] = rank_of(keyword, ordinal)
            if cosines is not None and cosines[ordinal] >= SEMANTIC_MIN_SCORE:
                found_by["semantic"] = rank_of(cosines, ordinal)
            fused = Fused(ordinal, 0.0, found_by)
        passage = self._passages[ordinal]
        return Hit(passage, self._issue_of(ordinal), fused.score, fused.found_by, match, more_in_story)

    def side_rankings(self, query: str, mode: str, depth: int, filters: Filters = Filters()) -> dict[str, list[tuple[int, float]]]:
        """The rankings fusion combines, (ordinal, score) best first: keyword and/or semantic, and in
        hybrid mode the passages whose figures' labels and sentences match the query's words."""
        return self._side_rankings(query, mode, depth, self._masks.mask(filters))

    def _side_rankings(self, query: str, mode: str, depth: int, allowed: np.ndarray | None,
                       cosines: Cosines | None = None) -> dict[str, list[tuple[int, float]]]:
        rankings = {}
        if mode in ("hybrid", "keyword"):
            rankings["keyword"] = self._keyword.search(query, depth, allowed)
        if mode == "hybrid" and self.figure_index.records:
            rankings[FIGURE_FOUND_BY] = self.figure_index.passage_ranking(query, allowed, depth)
        if mode == "semantic" or (mode == "hybrid" and self._fusion_for(query, mode).weight("semantic") > 0):
            if mode == "hybrid":  # nor does the model rank passages it cannot read
                allowed = self._masks.readable(self.reads, allowed)
            excluded = self._keyword.excluded(query)
            if len(excluded):  # "NOT x" holds for every side, not only for the keyword one
                allowed = np.ones(len(self._passages), dtype=bool) if allowed is None else allowed.copy()
                allowed[excluded] = False
            rankings["semantic"] = ranking_of(self.cosines(query) if cosines is None else cosines(), depth, allowed)
        return rankings

    def similar(self, passage_id: str, k: int = 10) -> list[Related]:
        """The stories of other newsletter issues most like this passage (each by its nearest passage),
        each with what the two share; boilerplate and near-copies left out."""
        validate_k(k)
        source = self._ordinal_of(passage_id)
        if not self.reads(self._passages[source].language):
            return []  # the model cannot read the passage, so it cannot tell what is like it
        issue_id = self._passages[source].issue_id
        allowed = self._masks.readable(self.reads, self._masks.story_text_outside(issue_id))
        chosen = nearest_distinct(self._vectors, source, allowed, k, self._stories)
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
                       self._shared_figures(mine, theirs), shared_names(mine, theirs, self._keyword.document_share))

    def original_file(self, issue_id: str) -> Path:
        """The file in the archive the newsletter issue was read from, as received; UnknownId when the
        issue is unknown or its file is no longer there."""
        issue = self.issue(issue_id).issue
        path = self.settings.archive_dir / Path(issue.source).name
        if not path.is_file():
            raise UnknownId(f"the file of newsletter issue {issue_id!r} ({issue.source}) is no longer in the archive")
        return path

    def citation(self, passage_id: str, url: str, accessed: datetime.date) -> CitationFields:
        """What a citation of the passage says (index.citation); `url` is its permalink."""
        passage, _ = self.passage(passage_id)
        view = self.issue(passage.issue_id)
        section = next(s for s in view.sections if s.id == passage.section_id)
        return citation_fields(passage, view.issue, section, (p.text for p in view.passages), url, accessed)

    # --- figures ---------------------------------------------------------------------------------

    def figure_series(self, figure_id: str) -> FigureSeries:
        """The series the figure `figure_id` is a point of; UnknownId when it is no series' point."""
        series = self.figure_index.series_holding(figure_id)
        if series is None:
            raise UnknownId(f"no series of figures holds a figure with id {figure_id[:100]!r}")
        return series

    def search_figures(self, query: FigureQuery) -> FigureResult:
        """The figure mentions `query` asks for, and the series they are points of (see
        index.figures.figure_index and index.figures.series); BadRequest for a parameter out of range."""
        query = validate_figure_query(query)
        fusion = FIGURE_FUSION.reading(readable_share(query.text, self.reads))
        return self.figure_index.search(query, lambda text: self.embedder.encode([text])[0], fusion)

    def figure_records(self) -> Sequence[FigureRecord]:
        """Every figure mention of the archive, in passage order (each made when read)."""
        return self.figure_index.records

    def marked_snippet(self, passage: Passage, query: str) -> list[Segment]:
        """The best window of a passage for `query`, its words highlighted and its figures marked."""
        return snippet(passage.text, query, figures=self._figure_spans(passage), language=passage.language)

    def marked_paragraphs(self, passage: Passage) -> list[list[Segment]]:
        """A passage's paragraphs with its figures marked."""
        return paragraphs(passage.text, self._figure_spans(passage), passage.language)

    def _figure_spans(self, passage: Passage) -> list[tuple[int, int, str]]:
        return [(figure.start, figure.end, figure.title) for figure in self.figure_index.in_passage(passage.id)]

    def _hit(self, ordinal: int, score: float, found_by: dict[str, int]) -> Hit:
        return Hit(self._passages[ordinal], self._issue_of(ordinal), score, found_by)


def build(settings: Settings | None = None, show_progress: bool = True, embedder: Embedder | None = None) -> BuildReport:
    """Build a new index generation from the archive and switch to it (see index.store.build); the
    vectors come from the configured model, or from `embedder` when one is given.  An add that was
    killed is settled first (index.store.add_journal)."""
    settings = settings or Settings.from_env()
    settle_interrupted_add(settings)
    return build_index(settings, show_progress, embedder)


def index_staleness(settings: Settings | None = None) -> str | None:
    """Why the index must be (re)built, or None when it matches the archive and this code; an add
    that was killed is settled first."""
    settings = settings or Settings.from_env()
    settle_interrupted_add(settings)
    return stale_reason(settings)


def embedder_for(settings: Settings | None = None) -> Embedder:
    """The embedding model `settings` configure, loaded once per process."""
    return load_embedder((settings or Settings.from_env()).embedding)


def add_files(paths: list[Path], force: bool = False, settings: Settings | None = None,
              show_progress: bool = False) -> AddReport:
    """Copy newsletter issue files into the archive and update the index, all or nothing (see index.store.add)."""
    return _add_files(settings or Settings.from_env(), paths, force, show_progress)


def preview_files(paths: list[Path], force: bool = False, settings: Settings | None = None) -> list[dict]:
    """What `add_files` would add, read and checked but not copied, the index untouched (see index.store.preview)."""
    return [preview_json(arrival) for arrival in check_files(settings or Settings.from_env(), paths, force)]
