"""A generation's figure mentions as arrays, and the steps a build makes them with.

Each passage's figure mentions (`index.figures.extract.extract_figures`) depend on its text alone, so a
build that starts from the previous generation extracts only the passages that are new or whose text
changed (`extract_mentions`) and takes the mentions, analysed terms and vectors of the others from it
(index.store.figure_files).  The series (`figure_series`, index.figures.series) are global: a build
from nothing groups them at once, an update after the updated generation is served.
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
from index.figures.series import SeriesCandidate, group_series, label_terms
from index.records import Corpus
from index.search.bm25 import Postings
from index.search.filters import UNDATED_FIRST, IssueDays
from index.text.analysis import analysed


@dataclass(frozen=True)
class FigureTables:
    """Every figure mention of a generation, in passage order (a passage's mentions in reading order).

    `passage` is the ordinal of each mention's passage; `values` its value (float64); `kind_codes` its kind's position in
    FIGURE_KINDS; `terms` the analysed words of its label and sentence (figure search's BM25, as
    `postings`); `label_words` the words of its label normalised as series group labels (which
    records count what a query names, as `label_postings`); the series are `series_points[series_ends[s - 1]:series_ends[s]]`, mention positions
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
    label_words: Sequence[str]
    label_postings: Postings

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


def label_words(label: str) -> str:
    """The words of a figure's label as series group labels are normalised, sorted and joined by spaces."""
    return " ".join(sorted(label_terms(label)))


def extract_mentions(corpus: Corpus, ordinals: Sequence[int]) -> tuple[list[FigureMention], list[int], list[str]]:
    """The figure mentions of the passages `ordinals` of `corpus`, in order, with each one's passage
    ordinal and analysed terms."""
    mentions: list[FigureMention] = []
    passage_of: list[int] = []
    for ordinal in ordinals:
        found = extract_figures(corpus.passages[ordinal].text)
        mentions += found
        passage_of += [ordinal] * len(found)
    return mentions, passage_of, [record_terms(m.label, m.sentence) for m in mentions]


def embed_mentions(mentions: Sequence[FigureMention], model: ModelSource, cache_path, dimension: int,
                   show_progress: bool) -> np.ndarray:
    """The "label: sentence" vectors of `mentions`, from the vector cache or the model."""
    if not mentions:
        return np.zeros((0, dimension), dtype=np.float32)
    from tqdm import tqdm

    cache = VectorCache(cache_path)
    try:
        with tqdm(total=len(mentions), desc="embedding figures", unit="figure", disable=not show_progress,
                  file=sys.stderr) as bar:
            vectors, _ = embed_with_cache(model, [embedding_text(m.label, m.sentence) for m in mentions], cache,
                                          bar.update)
    finally:
        cache.close()
    return vectors


def figure_series(kinds: Sequence[str], units: Sequence[str], labels: Sequence[str], issue_ids: Sequence[str],
                  first_days: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The series among mentions (index.figures.series) given per mention: its kind, unit, label, its
    issue's id and first day as YYYYMMDD (UNDATED_FIRST: undated), and its vector.  As (points, ends):
    series s is points[ends[s - 1]:ends[s]]."""
    candidates = [SeriesCandidate(i, kinds[i], units[i], labels[i], issue_ids[i],
                                  None if first_days[i] == UNDATED_FIRST else str(first_days[i]))
                  for i in range(len(kinds))]
    series = group_series(candidates, vectors)
    points = np.array([p for s in series for p in s], dtype=np.int32)
    ends = np.cumsum([len(s) for s in series], dtype=np.int64) if series else np.zeros(0, np.int64)
    return points, ends


def build_figure_tables(corpus: Corpus, model: ModelSource, cache_path, dimension: int,
                        show_progress: bool) -> FigureTables:
    """The figure tables of `corpus`, every passage read."""
    mentions, passage_of, terms = extract_mentions(corpus, range(len(corpus.passages)))
    vectors = embed_mentions(mentions, model, cache_path, dimension, show_progress)
    days = IssueDays.of(corpus.issues)
    position = {issue.id: n for n, issue in enumerate(corpus.issues)}
    issue_of = np.array([position[corpus.passages[o].issue_id] for o in passage_of], dtype=np.int64)
    points, ends = figure_series([m.kind for m in mentions], [m.unit for m in mentions], [m.label for m in mentions],
                                 [corpus.issues[i].id for i in issue_of], days.first[issue_of], vectors)
    labels = [label_words(m.label) for m in mentions]
    return FigureTables(mentions, np.array(passage_of, dtype=np.int32), np.array([m.value for m in mentions], np.float64),
                        kind_codes([m.kind for m in mentions]), terms, vectors, points, ends, Postings.of(terms),
                        labels, Postings.of(labels))


def kind_codes(kinds: Sequence[str]) -> np.ndarray:
    return np.array([FIGURE_KINDS.index(kind) for kind in kinds], dtype=np.int8)
