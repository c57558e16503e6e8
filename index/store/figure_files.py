"""A generation's figures on disk (index.figures.tables' FigureTables), as columns mapped when opened,
and the update of the served generation's figures when a build changes some passages.

    figures/                  the mentions, one column per FigureMention field, and per mention its
                              passage's ordinal, its kind's code, its analysed terms and its label's
                              words; the series (points and ends); postings of the terms (figure
                              search's BM25) and of the label words
    figure_vectors.npy        "label: sentence" vectors, row i = mention i

An update reads figures only from the passages whose text is new (index.store.increments) and copies
the other passages' mentions, terms and vectors column by column, none of them decoded.  Its series
are the served generation's, less the points of passages that went or changed; the series of the whole
archive are grouped again after the update is served (`regroup_series`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.embed.models import ModelSource
from index.figures.extract import FigureMention
from index.figures.tables import (
    FigureTables,
    embed_mentions,
    extract_mentions,
    figure_series,
    kind_codes,
    label_words,
)
from index.records import Corpus
from index.search.bm25 import Postings
from index.search.filters import IssueDays
from index.store.columns import (
    Records,
    Strings,
    concat_columns,
    open_array,
    record_columns,
    save_columns,
    take_columns,
    write_array,
)

FIGURES_DIR = "figures"
FIGURE_VECTORS_FILE = "figure_vectors.npy"
SERIES_FILES = ("series.points.npy", "series.ends.npy")
POSTINGS_PARTS = ("starts", "docs", "counts", "lengths")


def write_figure_tables(generation: Path, tables: FigureTables) -> None:
    directory = generation / FIGURES_DIR
    mentions = tables.mentions
    save_columns(directory, mentions.columns if isinstance(mentions, Records) else record_columns(mentions, FigureMention))
    write_array(directory / "passage.npy", tables.passage)
    write_array(directory / "kind.code.npy", tables.kind_codes)
    _strings(tables.terms).save(directory, "terms")
    _strings(tables.label_words).save(directory, "labels")
    write_series(generation, tables.series_points, tables.series_ends)
    _write_postings(directory, "postings", tables.postings)
    _write_postings(directory, "labels.postings", tables.label_postings)
    write_array(generation / FIGURE_VECTORS_FILE, tables.vectors)


def _write_postings(directory: Path, name: str, postings: Postings) -> None:
    _strings(postings.vocabulary).save(directory, f"{name}.vocabulary")
    for part in POSTINGS_PARTS:
        write_array(directory / f"{name}.{part}.npy", getattr(postings, part))


def _read_postings(directory: Path, name: str, count: int) -> Postings:
    """The postings `name` of `directory` over `count` documents; ValueError when they do not fit them."""
    vocabulary = Strings.open(directory, f"{name}.vocabulary")
    vocabulary.check(f"{name}.vocabulary")
    postings = Postings(vocabulary, *(open_array(directory / f"{name}.{part}.npy") for part in POSTINGS_PARTS))
    if (len(postings.lengths) != count or len(postings.starts) != len(vocabulary) + 1
            or (len(postings.docs) and int(postings.docs.max()) >= count)):
        raise ValueError(f"{FIGURES_DIR}: the {name} do not fit the figures")
    return postings


def write_series(generation: Path, points: np.ndarray, ends: np.ndarray) -> None:
    for name, array in zip(SERIES_FILES, (points, ends)):
        write_array(generation / FIGURES_DIR / name, array)


def _strings(values) -> Strings:
    return values if isinstance(values, Strings) else Strings.of(values)


def read_figure_tables(generation: Path, dimension: int) -> FigureTables:
    """The figure tables of `generation`, mapped; ValueError when they do not fit together."""
    directory = generation / FIGURES_DIR
    mentions = Records.open(directory, FigureMention)
    count = len(mentions)
    terms, labels = Strings.open(directory, "terms"), Strings.open(directory, "labels")
    for column, name in ((terms, "terms"), (labels, "labels")):
        column.check(name)
        if len(column) != count:
            raise ValueError(f"{FIGURES_DIR}: the {name} do not fit the figures")
    vectors = open_array(generation / FIGURE_VECTORS_FILE)
    points, ends = (open_array(directory / name) for name in SERIES_FILES)
    tables = FigureTables(mentions, open_array(directory / "passage.npy"), mentions.column("value"),
                          open_array(directory / "kind.code.npy"), terms, vectors, points, ends,
                          _read_postings(directory, "postings", count), labels,
                          _read_postings(directory, "labels.postings", count))
    if vectors.shape != (count, dimension) or vectors.dtype != np.float32:
        raise ValueError(f"{FIGURE_VECTORS_FILE} holds {vectors.shape} {vectors.dtype}, "
                         f"expected ({count}, {dimension}) float32")
    if len(points) and (int(points.max()) >= count or int(ends[-1]) != len(points)):
        raise ValueError(f"{FIGURES_DIR}: a series names a figure the index does not hold")
    return tables


def updated_figure_tables(earlier: FigureTables, same_text: np.ndarray, corpus: Corpus, model: ModelSource,
                          cache_path: Path, dimension: int, show_progress: bool) -> tuple[FigureTables, int]:
    """The figure tables of `corpus` from the `earlier` generation's: `same_text[o]` is the earlier
    ordinal of passage o when its text is unchanged (its mentions are copied), else -1 (its figures are
    read).  Also how many passages were read."""
    changed = np.flatnonzero(same_text < 0)
    mentions, new_passage_of, terms = extract_mentions(corpus, changed.tolist())
    rows, passage = _rows(earlier.passage, same_text, np.array(new_passage_of, dtype=np.int64), len(earlier))
    from_earlier = rows < len(earlier)
    columns = take_columns(concat_columns(earlier.mentions.columns, record_columns(mentions, FigureMention)), rows)
    fresh = embed_mentions(mentions, model, cache_path, dimension, show_progress)
    vectors = np.empty((len(rows), dimension), dtype=np.float32)
    vectors[from_earlier] = earlier.vectors[rows[from_earlier]]
    vectors[~from_earlier] = fresh[rows[~from_earlier] - len(earlier)]
    all_terms = earlier.terms.concat(Strings.of(terms)).take(rows)
    all_labels = earlier.label_words.concat(Strings.of([label_words(m.label) for m in mentions])).take(rows)
    new_position = np.full(len(earlier), -1, dtype=np.int64)
    new_position[rows[from_earlier]] = np.flatnonzero(from_earlier)
    points, ends = _kept_series(earlier.series_points, earlier.series_ends, new_position)
    kinds = np.concatenate([earlier.kind_codes, kind_codes([m.kind for m in mentions])])[rows]
    tables = FigureTables(Records.of_columns(FigureMention, columns), passage.astype(np.int32), columns["value"],
                          kinds, all_terms, vectors, points, ends, Postings.of(list(all_terms)), all_labels,
                          Postings.of(list(all_labels)))
    return tables, len(changed)


def _rows(earlier_passage: np.ndarray, same_text: np.ndarray, new_passage_of: np.ndarray,
          earlier_count: int) -> tuple[np.ndarray, np.ndarray]:
    """For each mention of the new tables, in passage order: its row among the earlier mentions followed
    by the new ones, and its passage's ordinal."""
    kept = same_text >= 0
    counts = np.zeros(len(same_text), dtype=np.int64)
    starts = np.zeros(len(same_text), dtype=np.int64)
    starts[kept] = np.searchsorted(earlier_passage, same_text[kept], "left")
    counts[kept] = np.searchsorted(earlier_passage, same_text[kept], "right") - starts[kept]
    new_counts = np.bincount(new_passage_of, minlength=len(same_text))
    counts[~kept] = new_counts[~kept]
    starts[~kept] = (earlier_count + np.cumsum(new_counts) - new_counts)[~kept]
    offsets = np.cumsum(counts) - counts
    rows = np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))
    return rows, np.repeat(np.arange(len(same_text)), counts)


def _kept_series(points: np.ndarray, ends: np.ndarray, new_position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The series with their points moved to `new_position` (-1: gone); a series left with fewer
    than two points is no series."""
    lengths = np.diff(ends, prepend=0)
    series_of_point = np.repeat(np.arange(len(lengths)), lengths)
    moved = new_position[points]
    kept_lengths = np.bincount(series_of_point[moved >= 0], minlength=len(lengths))
    keep = (moved >= 0) & (kept_lengths >= 2)[series_of_point]
    return moved[keep].astype(np.int32), np.cumsum(kept_lengths[kept_lengths >= 2]).astype(np.int64)


def regroup_series(generation: Path, corpus: Corpus, dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """The series of the figures of `generation` (whose documents are `corpus`), grouped anew."""
    tables = read_figure_tables(generation, dimension)
    mentions = tables.mentions
    position = {issue.id: n for n, issue in enumerate(corpus.issues)}
    issue_of = np.array([position[corpus.passages[int(o)].issue_id] for o in tables.passage], dtype=np.int64)
    return figure_series(list(mentions.column("kind")), list(mentions.column("unit")), list(mentions.column("label")),
                         [corpus.issues[i].id for i in issue_of], IssueDays.of(corpus.issues).first[issue_of],
                         tables.vectors)
