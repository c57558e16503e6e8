"""A generation's figures on disk (index.figures.tables' FigureTables), as columns mapped when opened.

    figures/                  the mentions, one column per FigureMention field, and per mention its
                              passage's ordinal, its kind's code and its analysed terms; the series
                              (points and ends); figure search's BM25 postings
    figure_vectors.npy        "label: sentence" vectors, row i = mention i
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.figures.extract import FigureMention
from index.figures.tables import FigureTables
from index.search.bm25 import Postings
from index.store.columns import Records, Strings, open_array, write_array, write_records

FIGURES_DIR = "figures"
FIGURE_VECTORS_FILE = "figure_vectors.npy"


def write_figure_tables(generation: Path, tables: FigureTables) -> None:
    directory = generation / FIGURES_DIR
    write_records(directory, tables.mentions, FigureMention)
    write_array(directory / "passage.npy", tables.passage)
    write_array(directory / "kind.code.npy", tables.kind_codes)
    Strings.write(directory, "terms", tables.terms)
    write_array(directory / "series.points.npy", tables.series_points)
    write_array(directory / "series.ends.npy", tables.series_ends)
    Strings.write(directory, "postings.vocabulary", tables.postings.vocabulary)
    for name in ("starts", "docs", "counts", "lengths"):
        write_array(directory / f"postings.{name}.npy", getattr(tables.postings, name))
    np.save(generation / FIGURE_VECTORS_FILE, tables.vectors)


def read_figure_tables(generation: Path, dimension: int) -> FigureTables:
    """The figure tables of `generation`, mapped; ValueError when they do not fit together."""
    directory = generation / FIGURES_DIR
    mentions = Records.open(directory, FigureMention)
    vocabulary = Strings.open(directory, "postings.vocabulary")
    vocabulary.check("postings.vocabulary")
    postings = Postings(vocabulary, *(open_array(directory / f"postings.{name}.npy")
                                      for name in ("starts", "docs", "counts", "lengths")))
    terms = Strings.open(directory, "terms")
    terms.check("terms")
    vectors = open_array(generation / FIGURE_VECTORS_FILE)
    tables = FigureTables(mentions, open_array(directory / "passage.npy"), mentions.column("value"),
                          open_array(directory / "kind.code.npy"), terms, vectors,
                          open_array(directory / "series.points.npy"), open_array(directory / "series.ends.npy"),
                          postings)
    count = len(mentions)
    if vectors.shape != (count, dimension) or vectors.dtype != np.float32:
        raise ValueError(f"{FIGURE_VECTORS_FILE} holds {vectors.shape} {vectors.dtype}, "
                         f"expected ({count}, {dimension}) float32")
    if len(postings.lengths) != count or len(postings.starts) != len(vocabulary) + 1 or len(terms) != count:
        raise ValueError(f"{FIGURES_DIR}: the search postings do not fit the figures")
    if len(tables.series_points) and (int(tables.series_points.max()) >= count
                                      or int(tables.series_ends[-1]) != len(tables.series_points)):
        raise ValueError(f"{FIGURES_DIR}: a series names a figure the index does not hold")
    return tables
