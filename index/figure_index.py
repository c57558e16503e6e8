"""Figures for journalists: every figure mention of the archive as a record, found by what it counts.

At build time each passage's figure mentions (`index.figures.extract_figures`) become records with
their passage, newsletter issue, date and countries; each record gets a vector of "label: sentence"
(through the same content-keyed cache as passage vectors), and the records that report one quantity
in several issues are grouped into series (`index.figure_series`).  All of it is written into the
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
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .documents import Issue, Passage
from .errors import BadRequest, IndexUnavailable
from .figure_series import SeriesCandidate, group_series, label_terms
from .figures import (
    CONTACT,
    COUNT,
    DURATION,
    MONEY,
    PERCENTAGE,
    extract_figures,
    join_number_groups,
)
from .filtering import MAX_QUERY_CHARS, parse_filter_date, validate_k, validate_offset
from .fusion import Fused, Fusion
from .keyword import ANALYZER, query_terms
from .store import Corpus
from .vectors import VectorCache, cosine_top, embed_with_cache

FIGURES_FILE = "figures.json"
FIGURE_VECTORS_FILE = "figure_vectors.npy"
FIGURE_KINDS = (COUNT, PERCENTAGE, MONEY, DURATION, CONTACT)
FIGURE_SORTS = ("relevance", "date")
DEFAULT_FIGURES_K = 20
SEMANTIC_MIN_SCORE = 0.15  # as for passages: below this cosine a figure is unrelated to the query
BM25_K1, BM25_B = 1.2, 0.75  # Whoosh's defaults: figure records are a label and one sentence, all short
# Figure records are a label and one sentence each: plain rank fusion of their two sides.  The
# archive's passage fusion (index.fusion.DEFAULT_FUSION) was tuned on passages, not on these.
FIGURE_FUSION = Fusion("rrf", 60)
FIGURE_FOUND_BY = "figure"  # found_by key of a passage holding the figure a number query names

_NUMBER_QUERY = re.compile(r"[+]?\d+(?:\.\d+)?")


# --- records ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FigureRecord:
    """One figure mention where it stands in the archive.

    `id` is the passage id and the mention's place in it (stable as passage ids are); `start`/`end`
    are the offsets of `as_printed` in the passage text; `parts` a printed breakdown ("male", 691).
    """

    id: str
    value: int | float
    kind: str
    unit: str
    qualifier: str
    label: str
    as_printed: str
    sentence: str
    parts: tuple[tuple[str, int | float], ...]
    passage_id: str
    section: str
    issue: Issue
    countries: tuple[str, ...]
    start: int
    end: int

    @property
    def date(self) -> str | None:
        return self.issue.date.iso if self.issue.date else None

    @property
    def value_text(self) -> str:
        """The value for a reader: a phone number and a range as printed ("+992900800800", "1-2 hours"),
        any other figure in one form ("330, 528" reads "330,528")."""
        is_range = [name for name, _ in self.parts] == ["from", "to"]
        return self.as_printed if self.kind == CONTACT or is_range else format_value(self.value, self.kind, self.unit)

    @property
    def title(self) -> str:
        """What the figure is, in a few words: "count: victims of trafficking and vulnerable migrants"."""
        return f"{self.kind}: {self.label}" if self.label else self.kind

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "value": self.value,
            "kind": self.kind,
            "unit": self.unit,
            "qualifier": self.qualifier,
            "label": self.label,
            "as_printed": self.as_printed,
            "sentence": self.sentence,
            "parts": [{"name": name, "value": value} for name, value in self.parts],
            "passage_id": self.passage_id,
            "section": self.section,
            "issue": self.issue.summary_json(),
            "date": self.date,
            "countries": list(self.countries),
            "start": self.start,
            "end": self.end,
        }


def format_value(value: float, kind: str = COUNT, unit: str = "") -> str:
    """A value as a reader expects it: "7,801", "6,300,000", "45%", "1,200,000 USD", "3 days"."""
    number = f"{int(value):,}" if float(value).is_integer() else f"{value:,}"
    if kind == PERCENTAGE:
        return f"{number}%"
    if kind == MONEY and unit:
        return f"{number} {unit}"
    if kind == DURATION and unit:
        return f"{number} {unit}{'' if value == 1 else 's'}"
    return number


def embedding_text(label: str, sentence: str) -> str:
    """What the embedding model reads of a figure: what it counts, then the sentence it stands in."""
    return f"{label}: {sentence}" if label else sentence


@dataclass(frozen=True)
class FigureSeries:
    """One quantity reported in several newsletter issues: its points, one per issue, in date order.
    `label` is the most descriptive (longest) of the points' labels."""

    label: str
    kind: str
    unit: str
    points: tuple[FigureRecord, ...]

    @property
    def id(self) -> str:
        """The id of its first point: a series is found by any of its points' ids (FigureIndex.series_holding)."""
        return self.points[0].id

    @property
    def labels(self) -> tuple[str, ...]:
        """The points' labels as the issues word them, in date order, each wording once (capitals aside)."""
        worded: dict[str, str] = {}
        for point in self.points:
            worded.setdefault(point.label.casefold(), point.label)
        return tuple(worded.values())

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "kind": self.kind, "unit": self.unit, "points": [
            {"value": p.value, "as_printed": p.as_printed, "label": p.label, "date": p.date,
             "passage_id": p.passage_id, "issue": p.issue.summary_json()} for p in self.points]}


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
    return " ".join(token.text for token in ANALYZER(f"{label} {sentence}"))


def write_figure_index(directory: Path, corpus: Corpus, model: str | None, cache_path: Path, dimension: int,
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


def _figure_vectors(rows: Sequence[dict], model: str | None, cache_path: Path, show_progress: bool) -> np.ndarray:
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


# --- queries --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FigureQuery:
    """A figure search.  `text` may be empty (then figures are listed by date); `minimum`/`maximum`
    bound the value, `date_from`/`date_to` the issue date (YYYY, YYYY-MM or YYYY-MM-DD, inclusive);
    `kind` None is every kind but contacts.  `offset` figures are skipped, then `k` are given."""

    text: str = ""
    minimum: float | None = None
    maximum: float | None = None
    date_from: str | None = None
    date_to: str | None = None
    kind: str | None = None
    sort: str = "relevance"
    k: int = DEFAULT_FIGURES_K
    offset: int = 0


@dataclass(frozen=True)
class FigureResult:
    """One page of figures for a query (from `offset`), how many there are in all, and the series the
    page's figures are points of."""

    query: str
    sort: str
    total: int
    figures: tuple[FigureRecord, ...]
    series: tuple[FigureSeries, ...]
    offset: int = 0

    def to_json(self) -> dict:
        return {"query": self.query, "sort": self.sort, "total": self.total, "offset": self.offset,
                "figures": [figure.to_json() for figure in self.figures],
                "series": [series.to_json() for series in self.series]}


def parse_figure_bound(value: str, name: str) -> float:
    """A min or max as typed ("1000", "7,801", "7 801", "2.5"); BadRequest naming `name` otherwise."""
    joined = join_number_groups(value.strip())
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", joined):
        raise BadRequest(f"{name} must be a number such as 1000, 7,801 or 2.5, not {value[:40]!r}")
    return float(joined)


def validate_figure_query(query: FigureQuery) -> FigureQuery:
    """The query stripped, its dates as whole ISO days, if every parameter is in range; BadRequest
    saying which is not."""
    if query.kind is not None and query.kind not in FIGURE_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(FIGURE_KINDS)}, not {query.kind[:40]!r}")
    if query.sort not in FIGURE_SORTS:
        raise BadRequest(f"sort must be one of {', '.join(FIGURE_SORTS)}, not {query.sort[:40]!r}")
    validate_k(query.k)
    validate_offset(query.offset)
    if query.minimum is not None and query.maximum is not None and query.minimum > query.maximum:
        raise BadRequest(f"min ({query.minimum:g}) is more than max ({query.maximum:g})")
    text = query.text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    date_from = parse_filter_date(query.date_from, "from") if query.date_from else None
    date_to = parse_filter_date(query.date_to, "to", end=True) if query.date_to else None
    if date_from and date_to and date_from > date_to:
        raise BadRequest(f"from ({query.date_from}) is after to ({query.date_to})")
    return replace(query, text=text, date_from=date_from, date_to=date_to)


def query_number(text: str) -> float | None:
    """The number a query consists of ("7801", "7,801", "7 801", "+992900800800"), or None."""
    joined = join_number_groups(text.strip())
    return float(joined.lstrip("+")) if _NUMBER_QUERY.fullmatch(joined) else None


# --- the open index -------------------------------------------------------------------------------

class _BM25:
    """Okapi BM25 over short documents, given as their analysed terms (record_terms), with the IDF the
    passage index uses (see keyword.BM25); postings are numpy arrays, so a query costs a few array
    operations per term."""

    def __init__(self, documents: Sequence[str]):
        vocabulary: dict[str, int] = {}
        per_document = [np.array([vocabulary.setdefault(term, len(vocabulary)) for term in terms.split(" ") if term],
                                 dtype=np.int64) for terms in documents]
        self._lengths = np.array([len(ids) for ids in per_document], dtype=np.float64)
        term_ids = np.concatenate(per_document) if per_document else np.zeros(0, dtype=np.int64)
        doc_ids = np.repeat(np.arange(len(documents), dtype=np.int64), self._lengths.astype(np.int64))
        # One (term, document) pair per posting, with how often the term is in the document.
        stride = max(1, len(documents))
        pairs, counts = np.unique(term_ids * stride + doc_ids, return_counts=True)
        starts = np.searchsorted(pairs // stride, np.arange(len(vocabulary) + 1))
        docs, counts = pairs % stride, counts.astype(np.float64)
        self._postings = {term: (docs[starts[i]:starts[i + 1]], counts[starts[i]:starts[i + 1]])
                          for term, i in vocabulary.items()}
        self._average = float(self._lengths.mean()) if self._lengths.any() else 1.0

    def rank(self, terms: Sequence[str], allowed: np.ndarray) -> list[tuple[int, float]]:
        """(document, score) of the allowed documents holding any of `terms`, best first."""
        scores = np.zeros(len(self._lengths))
        matched = np.zeros(len(self._lengths), dtype=bool)
        total = len(self._lengths)
        for term in dict.fromkeys(terms):
            if term not in self._postings:
                continue
            docs, counts = self._postings[term]
            idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            norm = BM25_K1 * (1 - BM25_B + BM25_B * self._lengths[docs] / self._average)
            scores[docs] += idf * counts * (BM25_K1 + 1) / (counts + norm)
            matched[docs] = True
        found = np.flatnonzero(matched & allowed)
        order = found[np.lexsort((found, -scores[found]))]
        return [(int(doc), float(scores[doc])) for doc in order]


class FigureIndex:
    """The figure records of one generation, their vectors and series, and search over them."""

    def __init__(self, records: Sequence[FigureRecord], terms: Sequence[str], label_words: Sequence[str],
                 vectors: np.ndarray, series: Sequence[FigureSeries], passage_ordinals: Mapping[str, int]):
        self.records = tuple(records)
        self.series = tuple(series)
        self._vectors = vectors
        self._ordinal_of_passage = passage_ordinals
        self._keyword = _BM25(terms)
        self._labels = _LabelWords(label_words)
        self._newest = self._newest_first(range(len(self.records)))
        self._by_passage: dict[str, list[FigureRecord]] = {}
        for record in self.records:
            self._by_passage.setdefault(record.passage_id, []).append(record)
        self._series_of_figure = {point.id: series for series in self.series for point in series.points}

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
        semantic = [(i, score) for i, score in cosine_top(self._vectors, embed(text), len(self.records), allowed)
                    if score >= SEMANTIC_MIN_SCORE]
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


def promote(fused: list[Fused], first: Sequence[int], found_by: str) -> list[Fused]:
    """`fused` with the items `first` moved to the front (in their fused order; those no side found
    after them), each marked in its found_by with its rank among them."""
    position = {item.ordinal: n for n, item in enumerate(fused)}
    ordered = sorted(first, key=lambda o: (position.get(o, len(fused)), o))
    promoted = [Fused(o, fused[position[o]].score if o in position else 0.0,
                      {**(fused[position[o]].found_by if o in position else {}), found_by: rank})
                for rank, o in enumerate(ordered, start=1)]
    chosen = set(ordered)
    return promoted + [item for item in fused if item.ordinal not in chosen]


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
        start=row["start"], end=row["end"])


def _series(points: Sequence[FigureRecord]) -> FigureSeries:
    label = max((p.label for p in points), key=len)
    return FigureSeries(label, points[0].kind, points[0].unit, tuple(points))


# --- CSV ------------------------------------------------------------------------------------------------

FIGURE_CSV_COLUMNS = ("value", "as_printed", "kind", "unit", "label", "issue_id", "issue_number", "issue_date",
                      "date_inferred", "passage_id", "url", "countries", "sentence")


def figure_csv_rows(result: FigureResult | FigureSeries, link: Callable[[str], str]) -> list[list]:
    """FIGURE_CSV_COLUMNS then one row per figure (of a result) or point (of a series); `link` gives a
    passage's address from its id."""
    rows: list[list] = [list(FIGURE_CSV_COLUMNS)]
    for figure in result.points if isinstance(result, FigureSeries) else result.figures:
        issue = figure.issue
        rows.append([figure.value, figure.as_printed, figure.kind, figure.unit, figure.label, issue.id,
                     issue.number, figure.date or "", issue.date_inferred, figure.passage_id,
                     link(figure.passage_id), "; ".join(figure.countries), figure.sentence])
    return rows
