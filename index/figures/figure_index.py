"""Figures for journalists: every figure mention of the archive as a record, found by what it counts.

At build time each passage's figure mentions (`index.figures.extract.extract_figures`) become records with
their passage, newsletter issue, date and countries; each record gets a vector of "label: sentence"
(through the same content-keyed cache as passage vectors), and the records that report one quantity
in several issues are grouped into series (`index.figures.series`).  All of it is written into the
generation (FIGURES_FILE, FIGURE_VECTORS_FILE), so opening an index never re-extracts or re-embeds.

Figure search reads a query as passage search does: BM25 over each record's label and sentence
with the archive's analyzer (its words OR'ed; phrases and NOT are not applied to figures) and the
cosine between the query's vector and the records' vectors, fused by the archive's fusion.  A query
that is a number puts the figures of that value first.  Without a query, the figures that pass the
filters are listed newest issue first.  Sorted by date, a query lists the figures *for its label*
(see FigureIndex._for_label), newest first.  Phone numbers and hotlines (kind "contact") are left
out unless the query asks for that kind.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from index.embed.cache import VectorCache, embed_with_cache
from index.embed.models import ModelSource
from index.errors import IndexUnavailable
from index.figures.extract import CONTACT, extract_figures
from index.figures.records import FigureQuery, FigureRecord, FigureResult, FigureSeries
from index.figures.series import SeriesCandidate, group_series, label_terms
from index.records import Corpus, Issue, Passage
from index.search import bm25
from index.search.fusion import Fused, Fusion, promote
from index.search.query import query_terms
from index.search.semantic import semantic_ranking
from index.text.analysis import analysed
from index.text.numbers import join_number_groups

FIGURES_FILE = "figures.json"
FIGURE_VECTORS_FILE = "figure_vectors.npy"
# Figure records are a label and one sentence each: plain rank fusion of their two sides.  The
# archive's passage fusion (index.search.fusion.DEFAULT_FUSION) was tuned on passages, not on these.
FIGURE_FUSION = Fusion("rrf", 60)
FIGURE_FOUND_BY = "figure"  # found_by key of a passage holding the figure a number query names

_NUMBER_QUERY = re.compile(r"[+]?\d+(?:\.\d+)?")


def embedding_text(label: str, sentence: str) -> str:
    """What the embedding model reads of a figure: what it counts, then the sentence it stands in."""
    return f"{label}: {sentence}" if label else sentence


# --- building ----------------------------------------------------------------------------------------

def figure_rows(corpus: Corpus) -> list[dict]:
    """Every figure mention of `corpus` as the record stored in FIGURES_FILE, in passage order."""
    issues = {issue.id: issue for issue in corpus.issues}
    rows = []
    for passage in corpus.passages:
        issue = issues[passage.issue_id]
        for number, mention in enumerate(extract_figures(passage.text), start=1):
            row = {
                "id": f"{passage.id}-f{number}", "passage_id": passage.id, "issue_id": issue.id,
                "date": issue.date.iso if issue.date else None, "countries": list(passage.countries),
                **mention.to_json(),
            }
            row["terms"] = record_terms(row["label"], row["sentence"])
            row["label_terms"] = " ".join(sorted(label_terms(row["label"])))
            rows.append(row)
    return rows


def record_terms(label: str, sentence: str) -> str:
    """The words figure search's BM25 reads for a record, analysed as passages are, joined by spaces
    (no analysed word holds one).  Stored with the record at build time: analysing 100,000 records
    when an index opens took 15 s, and one string per record keeps the opening's memory peak low."""
    return " ".join(analysed(f"{label} {sentence}"))


def write_figure_index(directory: Path, corpus: Corpus, model: ModelSource, cache_path: Path, dimension: int,
                       show_progress: bool) -> None:
    """Write the figure records, their vectors (`dimension` long, as the passages') and their series
    into the generation `directory`."""
    rows = figure_rows(corpus)
    vectors = _figure_vectors(rows, model, cache_path, show_progress) if rows else np.zeros((0, dimension), np.float32)
    first_day = {issue.id: issue.date.first_day for issue in corpus.issues if issue.date}
    candidates = [SeriesCandidate(i, r["kind"], r["unit"], r["label"], r["issue_id"], first_day.get(r["issue_id"]))
                  for i, r in enumerate(rows)]
    series = [[rows[i]["id"] for i in positions] for positions in group_series(candidates, vectors)]
    (directory / FIGURES_FILE).write_text(json.dumps({"figures": rows, "series": series}, ensure_ascii=False),
                                          encoding="utf-8")
    np.save(directory / FIGURE_VECTORS_FILE, vectors)


def _figure_vectors(rows: Sequence[dict], model: ModelSource, cache_path: Path, show_progress: bool) -> np.ndarray:
    """The "label: sentence" vectors of `rows`, from the vector cache where it has them."""
    from tqdm import tqdm

    cache = VectorCache(cache_path)
    try:
        with tqdm(total=len(rows), desc="embedding figures", unit="figure", disable=not show_progress,
                  file=sys.stderr) as bar:
            vectors, _ = embed_with_cache(model, [embedding_text(r["label"], r["sentence"]) for r in rows],
                                          cache, bar.update)
    finally:
        cache.close()
    return vectors


def query_number(text: str) -> float | None:
    """The number a query consists of ("7801", "7,801", "7 801", "+992900800800"), or None."""
    joined = join_number_groups(text.strip())
    return float(joined.lstrip("+")) if _NUMBER_QUERY.fullmatch(joined) else None


# --- the open index -------------------------------------------------------------------------------

class FigureIndex:
    """The figure records of one generation, their vectors and series, and search over them."""

    def __init__(self, records: Sequence[FigureRecord], terms: Sequence[str], label_words: Sequence[str],
                 vectors: np.ndarray, series: Sequence[FigureSeries], passage_ordinals: Mapping[str, int]):
        self.records = tuple(records)
        self.series = tuple(series)
        self._vectors = vectors
        self._ordinal_of_passage = passage_ordinals
        self._keyword = bm25.ArrayBM25(terms, bm25.FIGURES)
        self._labels = _LabelWords(label_words)
        self._newest = self._newest_first(range(len(self.records)))
        self._series_of_figure = {point.id: series for series in self.series for point in series.points}
        self._by_passage: dict[str, list[FigureRecord]] = {}
        for record in self.records:
            self._by_passage.setdefault(record.passage_id, []).append(record)

    @classmethod
    def open(cls, generation: Path, passages: Sequence[Passage], issues: Mapping[str, Issue],
             dimension: int) -> FigureIndex:
        """The figure index of `generation`; IndexUnavailable when it does not fit its passages."""
        data = json.loads((generation / FIGURES_FILE).read_text(encoding="utf-8"))
        vectors = np.load(generation / FIGURE_VECTORS_FILE, allow_pickle=False)
        rows = data["figures"]
        if vectors.shape != (len(rows), dimension) or vectors.dtype != np.float32:
            raise IndexUnavailable(f"{generation.name}: {FIGURE_VECTORS_FILE} holds {vectors.shape} {vectors.dtype}, "
                                   f"expected ({len(rows)}, {dimension}) float32; rebuild the index")
        by_id = {passage.id: passage for passage in passages}
        unknown = [row["passage_id"] for row in rows if row["passage_id"] not in by_id]
        if unknown:
            raise IndexUnavailable(f"{generation.name}: {FIGURES_FILE} names passage {unknown[0]!r}, which the "
                                   "index does not hold; rebuild the index")
        records = [_record(row, by_id[row["passage_id"]], issues) for row in rows]
        record_of = {record.id: record for record in records}
        series = [_series([record_of[i] for i in ids]) for ids in data["series"]]
        return cls(records, [row["terms"] for row in rows], [row["label_terms"] for row in rows], vectors, series,
                   {passage.id: o for o, passage in enumerate(passages)})

    def series_holding(self, figure_id: str) -> FigureSeries | None:
        """The series the figure `figure_id` is a point of, if any."""
        return self._series_of_figure.get(figure_id)

    def in_passage(self, passage_id: str) -> tuple[FigureRecord, ...]:
        """The figures of one passage, in reading order."""
        return tuple(self._by_passage.get(passage_id, ()))

    def passages_holding(self, query: str, allowed: np.ndarray | None) -> list[int]:
        """Ordinals of the (allowed) passages holding a figure of the value that `query` consists of;
        none when the query is not a number."""
        number = query_number(query)
        if number is None:
            return []
        ordinals = dict.fromkeys(self._ordinal_of_passage[r.passage_id] for r in self.records if r.value == number)
        return [o for o in ordinals if allowed is None or allowed[o]]

    def passage_ranking(self, query: str, allowed: np.ndarray | None, depth: int) -> list[tuple[int, float]]:
        """The first `depth` (passage ordinal, score) of the allowed passages holding a figure whose
        label and sentence match the words of `query` (BM25, a passage scoring its best figure), best
        first: the side of a hybrid passage search that knows what the figures count."""
        ranked = self._keyword.rank(query_terms(query), np.ones(len(self.records), dtype=bool))
        best: dict[int, float] = {}
        for position, score in ranked:
            ordinal = self._ordinal_of_passage[self.records[position].passage_id]
            if allowed is None or allowed[ordinal]:
                best.setdefault(ordinal, score)
                if len(best) == depth:
                    break
        return list(best.items())

    def search(self, query: FigureQuery, embed: Callable[[str], np.ndarray], fusion: Fusion) -> FigureResult:
        """The figures for a validated `query`; `embed` gives a query's vector (only called for a query
        with words)."""
        allowed = self._mask(query)
        if not query.text:
            ranked = [i for i in self._newest if allowed[i]]
        elif query.sort == "date":
            ranked = self._newest_first(f.ordinal for f in self._for_label(query.text, self._ranked(
                query.text, allowed, embed, fusion)))
        else:
            ranked = [f.ordinal for f in self._ranked(query.text, allowed, embed, fusion)]
        page = tuple(self.records[i] for i in ranked[query.offset:query.offset + query.k])
        return FigureResult(query.text, query.sort, len(ranked), page, self._series_of(page), query.offset)

    def _for_label(self, text: str, fused: list[Fused]) -> list[Fused]:
        """The figures of `fused` that count what `text` names: their label holds every word of the
        query that is a label word anywhere, the words normalised as series group labels (so "vulnerable
        migrants assisted" keeps the labels with "vulnerable" and "migrants", whatever else they say).
        A query with no label word ("7801") keeps what its words or its number find, not its meaning."""
        holding = self._labels.holding_all(label_terms(text))
        if holding is None:
            return [f for f in fused if f.found_by.keys() & {"keyword", FIGURE_FOUND_BY}]
        return [f for f in fused if holding[f.ordinal]]

    def _ranked(self, text: str, allowed: np.ndarray, embed: Callable[[str], np.ndarray],
                fusion: Fusion) -> list[Fused]:
        """Keyword and semantic rankings of the allowed records fused, exact value matches first."""
        keyword = self._keyword.rank(query_terms(text), allowed)
        semantic = semantic_ranking(self._vectors, embed(text), len(self.records), allowed) \
            if fusion.weight("semantic") > 0 else []
        number = query_number(text)
        exact = [i for i in range(len(self.records)) if allowed[i] and self.records[i].value == number]
        return promote(fusion.fuse({"keyword": keyword, "semantic": semantic}), exact, FIGURE_FOUND_BY)

    def _mask(self, query: FigureQuery) -> np.ndarray:
        return np.array([_passes(record, query) for record in self.records], dtype=bool)

    def _newest_first(self, positions: Iterable[int]) -> list[int]:
        """`positions` by their issue's date, newest first and undated last, in their own order within
        an issue."""
        return sorted(positions, key=self._issue_day, reverse=True)

    def _issue_day(self, position: int) -> str:
        date = self.records[position].issue.date
        return date.first_day if date else ""

    def _series_of(self, figures: Sequence[FigureRecord]) -> tuple[FigureSeries, ...]:
        """The series any of `figures` is a point of, in the order of their first such figure."""
        ids = {figure.id: rank for rank, figure in enumerate(figures)}
        touched = [(min(ids[p.id] for p in s.points if p.id in ids), n, s) for n, s in enumerate(self.series)
                   if any(p.id in ids for p in s.points)]
        return tuple(series for _, _, series in sorted(touched, key=lambda item: item[:2]))


class _LabelWords:
    """Which figure records' labels hold a word, given each label's words as one string (the
    "label_terms" of a stored record)."""

    def __init__(self, labels: Sequence[str]):
        positions: dict[str, list[int]] = {}
        for position, words in enumerate(labels):
            for word in words.split(" "):
                if word:
                    positions.setdefault(word, []).append(position)
        self._positions = {word: np.array(found, dtype=np.int64) for word, found in positions.items()}
        self._count = len(labels)

    def holding_all(self, words: Iterable[str]) -> np.ndarray | None:
        """A mask of the records whose label holds each of `words` that any label holds; None when no
        label holds any of them."""
        known = [word for word in words if word in self._positions]
        if not known:
            return None
        holding = np.ones(self._count, dtype=bool)
        for word in known:
            holds = np.zeros(self._count, dtype=bool)
            holds[self._positions[word]] = True
            holding &= holds
        return holding


def _passes(record: FigureRecord, query: FigureQuery) -> bool:
    """Whether `record` passes the filters of a validated `query`: a contact only when the query asks
    for that kind; a month-precision issue date passes a date range that overlaps its month."""
    date = record.issue.date
    return ((record.kind == query.kind if query.kind else record.kind != CONTACT)
            and (query.minimum is None or record.value >= query.minimum)
            and (query.maximum is None or record.value <= query.maximum)
            and (query.date_from is None or (date is not None and date.last_day >= query.date_from))
            and (query.date_to is None or (date is not None and date.first_day <= query.date_to)))


def _record(row: dict, passage: Passage, issues: Mapping[str, Issue]) -> FigureRecord:
    return FigureRecord(
        id=row["id"], value=row["value"], kind=row["kind"], unit=row["unit"], qualifier=row["qualifier"],
        label=row["label"], as_printed=row["as_printed"], sentence=row["sentence"],
        parts=tuple((name, value) for name, value in row["parts"]), passage_id=passage.id,
        section=passage.section_title, issue=issues[passage.issue_id], countries=passage.countries,
        start=row["start"], end=row["end"], language=passage.language)


def _series(points: Sequence[FigureRecord]) -> FigureSeries:
    label = max((p.label for p in points), key=len)
    return FigureSeries(label, points[0].kind, points[0].unit, tuple(points))



