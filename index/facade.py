"""The one door into the library.  The web app and the scripts use this module and nothing deeper.

    archive = Archive.open(settings)          # reads the current index generation
    result = archive.search("RING training", mode="hybrid", k=10, filters=Filters(countries=("Uzbekistan",)))
    archive.similar(passage_id)               # related passages from other newsletter issues
    archive.issues(); archive.issue(issue_id); archive.passage(passage_id)
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .config import Settings
from .documents import COUNTRIES, Filters, Hit, Issue, Passage, Section
from .errors import IndexUnavailable, UnknownId
from .errors import ArchiveError, BadRequest
from .evaluate import Report, evaluate, format_table, load_queries
from .filtering import MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, MAX_QUERY_WORDS, MODES, FilterMasks, allowed_ordinals, parse_filter_date, validate_k, validate_search
from .fts5 import Fts5Baseline
from .fusion import DEFAULT_FUSION, Fused, Fusion, demote_repeated_boilerplate
from .figures import join_number_groups
from .figure_index import FIGURE_FOUND_BY, FIGURE_FUSION, FigureIndex, promote
from .keyword import KeywordIndex, passage_terms
from .figure_index import (
    DEFAULT_FIGURES_K,
    FIGURE_CSV_COLUMNS,
    FIGURE_KINDS,
    FIGURE_SORTS,
    FigureQuery,
    FigureRecord,
    FigureResult,
    FigureSeries,
    figure_csv_rows,
    format_value,
    parse_figure_bound,
    validate_figure_query,
)
from .figure_series import SERIES_KINDS, SERIES_MIN_SIMILARITY
from .export import write_csv
from .ingest import AddRefused, AddReport, Arrival
from .ingest import add_files as _add_files
from .snippets import Segment, paragraphs, snippet
from .beir import Collection, best_passage_per_document, load_collection, measure, write_trec_run
from .benchmark import embedding_rate, embedding_rates, passage_texts, prefill_vectors, synthetic_settings
from .add_journal import settle_interrupted_add
from .build import BuildReport, build_index, stale_reason, write_generation
from .store import SCHEMA_VERSION, Store, load_vectors, read_documents, read_manifest, verify_checksums
from .vectors import Embedder, cosine_top, embedding_backend, load_embedder, model_identity

log = logging.getLogger(__name__)

__all__ = [
    "COUNTRIES", "MAX_K", "MAX_OFFSET", "MAX_QUERY_CHARS", "MAX_QUERY_WORDS", "MODES", "Archive", "ArchiveError", "BadRequest", "Filters", "Hit", "IndexUnavailable", "IssueView",
    "LiveArchive", "Related", "Segment", "Fusion", "evaluate_beir",
    # for scripts/bench (index.benchmark)
    "BuildReport", "Fts5Baseline", "embedding_backend", "embedding_rate", "embedding_rates", "passage_texts",
    "prefill_vectors", "synthetic_settings",
    "SearchResult", "Settings", "UnknownId", "build", "format_table", "index_staleness", "parse_filter_date",
    "AddRefused", "AddReport", "Arrival", "add_files",
    "DEFAULT_FIGURES_K", "FIGURE_CSV_COLUMNS", "FIGURE_KINDS", "FIGURE_SORTS", "FigureQuery", "FigureRecord",
    "FigureResult", "FigureSeries", "figure_csv_rows", "format_value", "parse_figure_bound", "SERIES_KINDS", "SERIES_MIN_SIMILARITY",
    "write_csv",
]

SEMANTIC_MIN_SCORE = 0.15  # below this cosine a passage is unrelated to the query, not a weak match
NEAR_DUPLICATE = 0.95  # cosine above which two passages are the same text, for "similar"
KEY_TERMS = 6  # shared words shown as a reason two passages are related
KEY_TERM_MAX_SHARE = 0.2  # a word in more than this share of passages is too common to be a reason


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


def build(settings: Settings | None = None, show_progress: bool = True) -> BuildReport:
    """Build a new index generation from the archive and switch to it (see index.build); an add that
    was killed is settled first (index.add_journal)."""
    settings = settings or Settings.from_env()
    settle_interrupted_add(settings)
    return build_index(settings, show_progress)


def index_staleness(settings: Settings | None = None) -> str | None:
    """Why the index must be (re)built, or None when it matches the archive and this code; an add
    that was killed is settled first."""
    settings = settings or Settings.from_env()
    settle_interrupted_add(settings)
    return stale_reason(settings)


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


class Archive:
    """An opened index generation: search, similar passages, issues.  Safe to share between threads."""

    def __init__(self, generation: Path, settings: Settings, fusion: Fusion = DEFAULT_FUSION):
        manifest = read_manifest(generation)
        verify_checksums(generation, manifest)
        self.generation = generation
        self.manifest = manifest
        self.settings = settings
        self.fusion = fusion
        corpus = read_documents(generation / "documents.json")
        self._issues = {issue.id: issue for issue in corpus.issues}
        self._sections_of: dict[str, list[Section]] = {issue_id: [] for issue_id in self._issues}
        for section in corpus.sections:
            self._sections_of[section.issue_id].append(section)
        self._passages_of: dict[str, list[Passage]] = {issue_id: [] for issue_id in self._issues}
        for passage in corpus.passages:
            self._passages_of[passage.issue_id].append(passage)
        self._passages = corpus.passages
        self._ordinal = {passage.id: i for i, passage in enumerate(corpus.passages)}
        self._vectors = load_vectors(generation, manifest)
        self._keyword = KeywordIndex.open(generation / "keyword", lambda: verify_checksums(generation, manifest))
        if self._keyword.doc_count != len(self._passages):
            raise IndexUnavailable(f"{generation.name}: keyword index holds {self._keyword.doc_count} passages, "
                                   f"documents.json {len(self._passages)}; rebuild the index")
        self._masks = FilterMasks(corpus.passages, self._issues)
        self.figure_index = FigureIndex.open(generation, corpus.passages, self._issues, manifest["dimension"])

    def current(self) -> Archive:
        """This archive: an open Archive serves as its own source (see LiveArchive.current)."""
        return self

    def warm_model(self) -> None:
        """Load the embedding model now (e.g. in a background thread at start-up) rather than on the
        first semantic query; IndexUnavailable if it does not match the index."""
        self.embedder

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
    def passages(self) -> tuple[Passage, ...]:
        """Every passage, in index order (a passage's position here is its ordinal)."""
        return self._passages

    # --- the model is loaded on first use, once per process ---------------------------------------

    @property
    def embedder(self) -> Embedder:
        embedder = load_embedder(self.settings.model)
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
        return [self.issue(issue_id) for issue_id in self._issues]

    def issue(self, issue_id: str) -> IssueView:
        issue = self._issues.get(issue_id)
        if issue is None:
            raise UnknownId(f"no newsletter issue with id {issue_id[:100]!r}")
        return IssueView(issue, tuple(self._sections_of[issue_id]), tuple(self._passages_of[issue_id]))

    def passage(self, passage_id: str) -> tuple[Passage, Issue]:
        ordinal = self._ordinal_of(passage_id)
        passage = self._passages[ordinal]
        return passage, self._issues[passage.issue_id]

    def _ordinal_of(self, passage_id: str) -> int:
        ordinal = self._ordinal.get(passage_id)
        if ordinal is None:
            raise UnknownId(f"no passage with id {passage_id[:100]!r}")
        return ordinal

    # --- searching -------------------------------------------------------------------------------

    def search(self, query: str, *, mode: str = "hybrid", k: int = 10, offset: int = 0,
               filters: Filters = Filters()) -> SearchResult:
        """Ranked passages for `query`.  BadRequest for a mode, k, offset or query out of range."""
        query, filters = validate_search(query, mode, k, offset, filters)
        unknown = [i for i in filters.issue_ids + filters.exclude_issue_ids if i not in self._issues]
        if unknown:
            raise BadRequest(f"no newsletter issue with id {unknown[0][:100]!r}")
        fused = self.rank(query, mode, max(self.fusion.depth, offset + k), filters)
        page = fused[offset : offset + k]
        return SearchResult(query, mode, tuple(self._hit(f.ordinal, f.score, f.found_by) for f in page),
                            len(fused), offset, self._facets(f.ordinal for f in fused))

    def rank(self, query: str, mode: str, depth: int, filters: Filters = Filters()) -> list[Fused]:
        """Every passage the mode finds for `query` among the first `depth` of each side, best first;
        for a query that is a number, the passages holding a figure of that value come first."""
        allowed = self._masks.mask(filters)
        rankings = self._side_rankings(query, mode, depth, allowed)
        holders = self.figure_index.passages_holding(query, allowed)
        return demote_repeated_boilerplate(promote(self.fusion.fuse(rankings), holders, FIGURE_FOUND_BY), self._passages)

    def side_rankings(self, query: str, mode: str, depth: int, filters: Filters = Filters()) -> dict[str, list[tuple[int, float]]]:
        """The rankings fusion combines, (ordinal, score) best first: keyword and/or semantic, and in
        hybrid mode the passages whose figures' labels and sentences match the query's words."""
        return self._side_rankings(query, mode, depth, self._masks.mask(filters))

    def _side_rankings(self, query: str, mode: str, depth: int,
                       allowed: np.ndarray | None) -> dict[str, list[tuple[int, float]]]:
        rankings = {}
        if mode in ("hybrid", "keyword"):
            rankings["keyword"] = self._keyword.search(query, depth, allowed_ordinals(allowed))
        if mode == "hybrid" and self.figure_index.records:
            rankings[FIGURE_FOUND_BY] = self.figure_index.passage_ranking(query, allowed, depth)
        if mode in ("hybrid", "semantic"):
            excluded = self._keyword.excluded(query)
            if len(excluded):  # "NOT x" holds for every side, not only for the keyword one
                allowed = np.ones(len(self._passages), dtype=bool) if allowed is None else allowed.copy()
                allowed[excluded] = False
            vector = self.embedder.encode([query])[0]
            rankings["semantic"] = [(o, score) for o, score in cosine_top(self._vectors, vector, depth, allowed)
                                    if score >= SEMANTIC_MIN_SCORE]
        return rankings

    def similar(self, passage_id: str, k: int = 10) -> list[Related]:
        """Passages from other newsletter issues most like this one, each with why it is related;
        boilerplate and near-copies left out."""
        validate_k(k)
        source = self._ordinal_of(passage_id)
        issue_id = self._passages[source].issue_id
        allowed = self._masks.story_text_outside(issue_id)
        chosen: list[tuple[int, float]] = []
        for ordinal, score in cosine_top(self._vectors, self._vectors[source], len(self._passages), allowed):
            if score >= NEAR_DUPLICATE or any(
                    float(self._vectors[ordinal] @ self._vectors[o]) >= NEAR_DUPLICATE for o, _ in chosen):
                continue
            chosen.append((ordinal, score))
            if len(chosen) == k:
                break
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
        countries = tuple(c for c in mine.countries if c in theirs.countries)
        figures = self._shared_figures(mine, theirs)
        words = passage_terms(mine.text)
        shared = [t for t in words.keys() & passage_terms(theirs.text).keys()
                  if t.isalpha() and len(t) >= 4 and self._keyword.document_share(t) <= KEY_TERM_MAX_SHARE]
        terms = tuple(words[t] for t in sorted(shared, key=lambda t: (self._keyword.document_share(t), t))[:KEY_TERMS])
        return Related(self._hit(ordinal, similarity, {"semantic": rank}), similarity, countries, figures, terms)

    def evaluate(self, queries_path: Path, k: int = 10) -> Report:
        """The judged queries of `queries_path` scored for each mode and for the plain FTS5 baseline."""
        baseline = Fts5Baseline(self._passages)

        def ranker(mode: str):
            return lambda query, depth: [(h.passage.id, h.passage.text) for h in self.search(query, mode=mode, k=depth).hits]

        def fts5(query: str, depth: int):
            return [(self._passages[o].id, self._passages[o].text) for o in baseline.search(query, depth)]

        return evaluate(load_queries(queries_path), {**{mode: ranker(mode) for mode in MODES}, "fts5": fts5}, k)

    # --- figures ---------------------------------------------------------------------------------

    def search_figures(self, query: FigureQuery) -> FigureResult:
        """The figure mentions `query` asks for, and the series they are points of (see
        index.figure_index and index.figure_series); BadRequest for a parameter out of range."""
        query = validate_figure_query(query)
        return self.figure_index.search(query, lambda text: self.embedder.encode([text])[0], FIGURE_FUSION)

    def figure_records(self) -> tuple[FigureRecord, ...]:
        """Every figure mention of the archive, in passage order."""
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
        return Hit(passage, self._issues[passage.issue_id], score, found_by)

    def _facets(self, ordinals) -> dict[str, dict[str, int]]:
        years: Counter = Counter()
        countries: Counter = Counter()
        issues: Counter = Counter()
        for ordinal in ordinals:
            passage = self._passages[ordinal]
            issue = self._issues[passage.issue_id]
            if issue.date:
                years[str(issue.date.year)] += 1
            countries.update(passage.countries)
            issues[issue.id] += 1
        return {"year": dict(sorted(years.items())), "country": dict(countries.most_common()),
                "issue": dict(issues.most_common())}


BEIR_PASSAGE_DEPTH = 300  # passages per mode, enough for 100 distinct documents


def _collection_archive(collection: Collection, settings: Settings, show_progress: bool) -> Archive:
    """The index of a benchmark collection, built once and cached by collection, content and model."""
    model_key = hashlib.sha256(model_identity(settings.model).encode()).hexdigest()[:8]
    index_dir = (settings.cache_dir / "beir" /
                 f"{collection.name}-{collection.fingerprint[:16]}-{model_key}-schema{SCHEMA_VERSION}")
    store = Store(index_dir)
    if store.current() is None:
        write_generation(store, collection.corpus(), settings.model, {"fingerprint": collection.fingerprint},
                         BuildReport(), show_progress, with_figures=False)
    return Archive(store.current(), replace(settings, index_dir=index_dir))


def _document_run(passages: tuple[Passage, ...], ranked: Iterable[tuple[int, float]]) -> dict[str, float]:
    return best_passage_per_document((passages[ordinal].section_id, score) for ordinal, score in ranked)


def _beir_runs(archive: Archive, collection: Collection, fusions: Mapping[str, Fusion]) -> dict[str, dict]:
    """Runs of keyword, semantic, each fusion and FTS5, from one pass of side rankings per query."""
    passages = archive.passages
    baseline = Fts5Baseline(passages)
    runs: dict[str, dict[str, dict[str, float]]] = {name: {} for name in ["keyword", "semantic", *fusions, "fts5"]}
    for qid, text in collection.queries.items():
        sides = archive.side_rankings(text, "hybrid", BEIR_PASSAGE_DEPTH)
        for mode, ranking in sides.items():
            runs[mode][qid] = _document_run(passages, ranking)
        for name, fusion in fusions.items():
            candidates = {mode: ranking[:fusion.depth] for mode, ranking in sides.items()}
            runs[name][qid] = _document_run(passages, ((f.ordinal, f.score) for f in fusion.fuse(candidates)))
        fts5 = baseline.search(text, BEIR_PASSAGE_DEPTH)
        runs["fts5"][qid] = _document_run(passages, ((o, 1.0 / rank) for rank, o in enumerate(fts5, start=1)))
    return runs


def evaluate_beir(directory: Path, split: str = "train", k: int = 10, settings: Settings | None = None,
                  runs_out: Path | None = None, show_progress: bool = True,
                  fusions: Mapping[str, Fusion] | None = None) -> dict:
    """nDCG@k, Recall@100 and MRR@k of keyword, semantic, hybrid (the archive's fusion, or each of
    `fusions`) and the FTS5 baseline on a BEIR collection.

    With `runs_out` (a directory), a TREC run file per mode is written there.
    """
    collection = load_collection(directory, split)
    archive = _collection_archive(collection, settings or Settings.from_env(), show_progress)
    runs = _beir_runs(archive, collection, fusions or {"hybrid": archive.fusion})
    if runs_out:
        runs_out.mkdir(parents=True, exist_ok=True)
        for mode, run in runs.items():
            write_trec_run(runs_out / f"{mode}.run", mode, run)
    return {"collection": collection.name, "split": split, "queries": len(collection.queries),
            "modes": {mode: measure(collection.qrels, run, k) for mode, run in runs.items()}}


def add_files(paths: list[Path], force: bool = False, settings: Settings | None = None,
              show_progress: bool = False) -> AddReport:
    """Copy newsletter issue files into the archive and update the index, all or nothing (see index.ingest)."""
    return _add_files(settings or Settings.from_env(), paths, force, show_progress)
