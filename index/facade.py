"""The one door into the library.  The web app and the scripts use this module and nothing deeper.

    archive = Archive.open(settings)          # reads the current index generation
    result = archive.search("RING training", mode="hybrid", k=10, filters=Filters(countries=("Uzbekistan",)))
    archive.similar(passage_id)               # related passages from other newsletter issues
    archive.issues(); archive.issue(issue_id); archive.passage(passage_id)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Settings
from .documents import Filters, Hit, Issue, Passage, Section
from .errors import IndexUnavailable, UnknownId
from .errors import ArchiveError, BadRequest
from .evaluate import Report, evaluate, format_table, load_queries
from .filtering import MAX_K, MODES, FilterMasks, allowed_ordinals, parse_filter_date, validate_k, validate_search
from .fts5 import Fts5Baseline
from .fusion import demote_repeated_boilerplate, reciprocal_rank_fusion
from .figures import numbers_in
from .keyword import KeywordIndex, passage_terms
from .snippets import Segment, snippet
from .build import BuildReport, build_index, stale_reason
from .store import Store, load_vectors, read_documents, read_manifest, verify_checksums
from .vectors import Embedder, cosine_top, load_embedder

__all__ = [
    "MAX_K", "MODES", "Archive", "ArchiveError", "BadRequest", "Filters", "Hit", "IndexUnavailable", "IssueView",
    "Related", "Segment",
    "SearchResult", "Settings", "UnknownId", "build", "format_table", "index_staleness", "parse_filter_date",
]

CANDIDATES = 100  # how deep each mode's ranking goes before fusion
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


def build(settings: Settings | None = None, show_progress: bool = True) -> BuildReport:
    """Build a new index generation from the archive and switch to it (see index.build)."""
    return build_index(settings or Settings.from_env(), show_progress)


def index_staleness(settings: Settings | None = None) -> str | None:
    """Why the index must be (re)built, or None when it matches the archive and this code."""
    return stale_reason(settings or Settings.from_env())


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

    def __init__(self, generation: Path, settings: Settings):
        manifest = read_manifest(generation)
        verify_checksums(generation, manifest)
        self.generation = generation
        self.manifest = manifest
        self.settings = settings
        corpus = read_documents(generation / "documents.json")
        self._issues = {issue.id: issue for issue in corpus.issues}
        self._sections = corpus.sections
        self._passages = corpus.passages
        self._ordinal = {passage.id: i for i, passage in enumerate(corpus.passages)}
        self._vectors = load_vectors(generation, manifest)
        self._keyword = KeywordIndex.open(generation / "keyword")
        if self._keyword.doc_count != len(self._passages):
            raise IndexUnavailable(f"{generation.name}: keyword index holds {self._keyword.doc_count} passages, "
                                   f"documents.json {len(self._passages)}; rebuild the index")
        self._masks = FilterMasks(corpus.passages, self._issues)

    @classmethod
    def open(cls, settings: Settings | None = None) -> Archive:
        """The generation currently served from `settings.index_dir`; IndexUnavailable if there is none."""
        settings = settings or Settings.from_env()
        generation = Store(settings.index_dir).current()
        if generation is None:
            raise IndexUnavailable(f"no index in {settings.index_dir}; build one with: scripts/archive build")
        return cls(generation, settings)

    def close(self) -> None:
        self._keyword.close()

    # --- the model is loaded on first use, once per process ---------------------------------------

    @property
    def embedder(self) -> Embedder:
        embedder = load_embedder(self.settings.model)
        if embedder.model_id != self.manifest["model"] or embedder.dimension != self.manifest["dimension"]:
            raise IndexUnavailable(f"the index was built with {self.manifest['model']} "
                                   f"({self.manifest['dimension']} dimensions), the configured model is "
                                   f"{embedder.model_id} ({embedder.dimension}); rebuild the index")
        return embedder

    # --- reading ---------------------------------------------------------------------------------

    def issues(self) -> list[IssueView]:
        """All newsletter issues, oldest first."""
        return [self.issue(issue_id) for issue_id in self._issues]

    def issue(self, issue_id: str) -> IssueView:
        issue = self._issues.get(issue_id)
        if issue is None:
            raise UnknownId(f"no newsletter issue with id {issue_id[:100]!r}")
        return IssueView(issue, tuple(s for s in self._sections if s.issue_id == issue_id),
                         tuple(p for p in self._passages if p.issue_id == issue_id))

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
        query = validate_search(query, mode, k, offset, filters)
        allowed = self._masks.mask(filters)
        depth = max(CANDIDATES, offset + k)
        rankings = {}
        if mode in ("hybrid", "keyword"):
            rankings["keyword"] = [o for o, _ in self._keyword.search(query, depth, allowed_ordinals(allowed))]
        if mode in ("hybrid", "semantic"):
            rankings["semantic"] = self._semantic_ranking(query, depth, allowed)
        fused = demote_repeated_boilerplate(reciprocal_rank_fusion(rankings), self._passages)
        page = fused[offset : offset + k]
        return SearchResult(query, mode, tuple(self._hit(f.ordinal, f.score, f.found_by) for f in page),
                            len(fused), offset, self._facets(f.ordinal for f in fused))

    def _semantic_ranking(self, query: str, depth: int, allowed: np.ndarray | None) -> list[int]:
        vector = self.embedder.encode([query])[0]
        return [o for o, score in cosine_top(self._vectors, vector, depth, allowed) if score >= SEMANTIC_MIN_SCORE]

    def similar(self, passage_id: str, k: int = 10) -> list[Related]:
        """Passages from other newsletter issues most like this one, each with why it is related;
        boilerplate and near-copies left out."""
        validate_k(k)
        source = self._ordinal_of(passage_id)
        issue_id = self._passages[source].issue_id
        allowed = np.array([p.issue_id != issue_id and not p.recurring for p in self._passages], dtype=bool)
        chosen: list[tuple[int, float]] = []
        for ordinal, score in cosine_top(self._vectors, self._vectors[source], len(self._passages), allowed):
            if score >= NEAR_DUPLICATE or any(
                    float(self._vectors[ordinal] @ self._vectors[o]) >= NEAR_DUPLICATE for o, _ in chosen):
                continue
            chosen.append((ordinal, score))
            if len(chosen) == k:
                break
        return [self._related(source, o, score, rank) for rank, (o, score) in enumerate(chosen, start=1)]

    def _related(self, source: int, ordinal: int, similarity: float, rank: int) -> Related:
        """Why `ordinal` is related to `source`: what they share besides the vector similarity."""
        mine, theirs = self._passages[source], self._passages[ordinal]
        countries = tuple(c for c in mine.countries if c in theirs.countries)
        figures = tuple(sorted(numbers_in(mine.text) & numbers_in(theirs.text), key=float))
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

    def snippet(self, text: str, query: str) -> list[Segment]:
        """The best window of `text` for `query`, with the query's words marked."""
        return snippet(text, query)

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
