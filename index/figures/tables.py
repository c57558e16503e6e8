"""A generation's figure mentions as arrays, and how a build makes them, taking over what did not change.

Each passage's figure mentions (`index.figures.extract.extract_figures`) depend on its text alone, so a
build that starts from the previous generation extracts only the passages that are new or whose text
changed, and takes the mentions, analysed terms and vectors of the others from it.  The series
(index.figures.series) and the BM25 postings are computed again over all mentions: both are global,
and both take seconds where extraction took minutes.  index.store writes the tables and maps them back.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.embed.cache import VectorCache, embed_with_cache
from index.embed.models import ModelSource
from index.figures.extract import FigureMention, extract_figures
from index.figures.records import FIGURE_KINDS
from index.figures.series import SeriesCandidate, group_series
from index.records import Corpus
from index.search.bm25 import Postings
from index.text.analysis import analysed


@dataclass(frozen=True)
class FigureTables:
    """Every figure mention of a generation, in passage order (a passage's mentions in reading order).

    `passage` is the ordinal of each mention's passage; `values` its value (float64); `kind_codes` its kind's position in
    FIGURE_KINDS; `terms` the analysed words of its label and sentence (figure search's BM25, as
    `postings`); the series are `series_points[series_ends[s - 1]:series_ends[s]]`, mention positions
    in date order.
    """

    mentions: Sequence[FigureMention]
    passage: np.ndarray
    values: np.ndarray
    kind_codes: np.ndarray
    terms: Sequence[str]
    vectors: np.ndarray
    series_points: np.ndarray
    series_ends: np.ndarray
    postings: Postings

    def __len__(self) -> int:
        return len(self.passage)

    def of_passage(self, ordinal: int) -> range:
        """The positions of the mentions of passage `ordinal`."""
        return range(int(np.searchsorted(self.passage, ordinal, "left")),
                     int(np.searchsorted(self.passage, ordinal, "right")))


def embedding_text(label: str, sentence: str) -> str:
    """What the embedding model reads of a figure: what it counts, then the sentence it stands in."""
    return f"{label}: {sentence}" if label else sentence


def record_terms(label: str, sentence: str) -> str:
    """The words figure search's BM25 reads for a record, analysed as passages are, joined by spaces
    (no analysed word holds one).  Stored at build time: analysing 100,000 records when an index
    opens took 15 s."""
    return " ".join(analysed(f"{label} {sentence}"))


@dataclass(frozen=True)
class Earlier:
    """The figures of the generation a build starts from, and for each passage of the new corpus the
    ordinal of the same passage (same id, same text) there, or -1."""

    tables: FigureTables
    same_passage: np.ndarray


def build_figure_tables(corpus: Corpus, model: ModelSource, cache_path, dimension: int, show_progress: bool,
                        earlier: Earlier | None = None) -> tuple[FigureTables, int]:
    """The figure tables of `corpus`, and how many of its passages were read for figures (the rest
    were taken from `earlier`)."""
    mentions: list[FigureMention] = []
    passage_of: list[int] = []
    terms: list[str] = []
    vector_rows: list[int] = []  # per mention: its row in earlier's vectors, or -1 to embed
    extracted = 0
    for ordinal, passage in enumerate(corpus.passages):
        before = int(earlier.same_passage[ordinal]) if earlier is not None else -1
        if before >= 0:
            found = earlier.tables.of_passage(before)
            mentions += [earlier.tables.mentions[i] for i in found]
            terms += [earlier.tables.terms[i] for i in found]
            vector_rows += list(found)
        else:
            extracted += 1
            new = extract_figures(passage.text)
            mentions += new
            terms += [record_terms(m.label, m.sentence) for m in new]
            vector_rows += [-1] * len(new)
        passage_of += [ordinal] * (len(mentions) - len(passage_of))
    passage = np.array(passage_of, dtype=np.int32)
    vectors = _vectors(mentions, np.array(vector_rows, dtype=np.int64), earlier, model, cache_path, dimension,
                       show_progress)
    first_day = {issue.id: issue.date.first_day for issue in corpus.issues if issue.date}
    issue_of = [corpus.passages[o].issue_id for o in passage_of]
    candidates = [SeriesCandidate(i, m.kind, m.unit, m.label, issue_of[i], first_day.get(issue_of[i]))
                  for i, m in enumerate(mentions)]
    series = group_series(candidates, vectors)
    points = np.array([p for s in series for p in s], dtype=np.int32)
    ends = np.cumsum([len(s) for s in series], dtype=np.int64) if series else np.zeros(0, np.int64)
    kinds = np.array([FIGURE_KINDS.index(m.kind) for m in mentions], dtype=np.int8)
    values = np.array([m.value for m in mentions], dtype=np.float64)
    return FigureTables(mentions, passage, values, kinds, terms, vectors, points, ends, Postings.of(terms)), extracted


def _vectors(mentions: Sequence[FigureMention], rows: np.ndarray, earlier: Earlier | None, model: ModelSource,
             cache_path, dimension: int, show_progress: bool) -> np.ndarray:
    """The "label: sentence" vectors of `mentions`: earlier's row where `rows` names one, else from the
    vector cache or the model."""
    vectors = np.zeros((len(mentions), dimension), dtype=np.float32)
    kept = np.flatnonzero(rows >= 0)
    if len(kept):
        vectors[kept] = earlier.tables.vectors[rows[kept]]
    missing = np.flatnonzero(rows < 0)
    if len(missing):
        from tqdm import tqdm

        cache = VectorCache(cache_path)
        try:
            with tqdm(total=len(missing), desc="embedding figures", unit="figure", disable=not show_progress,
                      file=sys.stderr) as bar:
                fresh, _ = embed_with_cache(model, [embedding_text(mentions[i].label, mentions[i].sentence)
                                                    for i in missing], cache, bar.update)
        finally:
            cache.close()
        vectors[missing] = fresh
    return vectors
