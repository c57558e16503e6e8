"""Figures for journalists: every figure mention of the archive as a record, found by what it counts.

At build time each passage's figure mentions (`index.figures.extract.extract_figures`) become the rows
of index.figures.tables' FigureTables, with their passage; each gets a vector of "label: sentence"
(through the same content-keyed cache as passage vectors), and the mentions that report one quantity
in several issues are grouped into series (`index.figures.series`).  All of it is stored in the
generation as arrays, so opening an index never re-extracts or re-embeds, and reads no more of a
record than its row when the record is shown (FigureRecord: the mention, its passage and its issue).

Figure search reads a query as passage search does: BM25 over each record's label and sentence
with the archive's analyzer (its words OR'ed; phrases and NOT are not applied to figures) and the
cosine between the query's vector and the records' vectors, fused by the archive's fusion.  A query
that is a number puts the figures of that value first.  Without a query, the figures that pass the
filters are listed newest issue first.  Sorted by date, a query lists the figures *for its label*
(see FigureIndex._for_label), newest first.  Phone numbers and hotlines (kind "contact") are left
out unless the query asks for that kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from index.figures.extract import CONTACT
from index.figures.records import FIGURE_KINDS, FigureQuery, FigureRecord, FigureResult, FigureSeries
from index.figures.series import label_terms
from index.figures.tables import FigureTables
from index.records import Issue, Passage
from index.search import bm25
from index.search.filters import UNDATED_FIRST, IssueDays, day_number
from index.search.fusion import Fused, Fusion, promote
from index.search.query import query_terms
from index.search.semantic import semantic_ranking
from index.text.numbers import join_number_groups

# Figure records are a label and one sentence each: plain rank fusion of their two sides.  The
# archive's passage fusion (index.search.fusion.DEFAULT_FUSION) was tuned on passages, not on these.
FIGURE_FUSION = Fusion("rrf", 60)
FIGURE_FOUND_BY = "figure"  # found_by key of a passage holding the figure a number query names

_NUMBER_QUERY = re.compile(r"[+]?\d+(?:\.\d+)?")
_FIGURE_ID = re.compile(r"(.+)-f([1-9]\d{0,5})")


def query_number(text: str) -> float | None:
    """The number a query consists of ("7801", "7,801", "7 801", "+992900800800"), or None."""
    joined = join_number_groups(text.strip())
    return float(joined.lstrip("+")) if _NUMBER_QUERY.fullmatch(joined) else None


# --- the open index -------------------------------------------------------------------------------

class FigureIndex:
    """The figure records of one generation, their vectors and series, and search over them.

    Built over FigureTables (mapped from the generation's files) and the generation's passages and
    issues; a FigureRecord is made when one is returned.  ValueError when the tables do not fit the
    passages.
    """

    def __init__(self, tables: FigureTables, passages: Sequence[Passage], issues: Sequence[Issue],
                 issue_of: np.ndarray, days: IssueDays, ordinal_of: Callable[[str], int | None]):
        count = len(tables)
        if len(tables.values) != count or len(tables.kind_codes) != count or len(tables.mentions) != count:
            raise ValueError("the figure tables differ in length")
        if count and (int(tables.passage[0]) < 0 or int(tables.passage[-1]) >= len(passages)
                      or np.any(np.diff(tables.passage) < 0)):
            raise ValueError("the figures name passages the index does not hold")
        self._tables = tables
        self._passages = passages
        self._issues = issues
        self._issue_of = issue_of
        self._ordinal_of = ordinal_of
        self._vectors = tables.vectors
        self._keyword = bm25.ArrayBM25(tables.postings, bm25.FIGURES)
        self._labels = tables.label_postings
        figure_issue = issue_of[tables.passage] if count else np.zeros(0, np.int64)
        self._first_day, self._last_day = days.first[figure_issue], days.last[figure_issue]
        self._newest = self._newest_first(np.arange(count))
        self._series_of_figure = np.full(count, -1, dtype=np.int64)
        lengths = np.diff(tables.series_ends, prepend=0)
        self._series_of_figure[tables.series_points] = np.repeat(np.arange(len(lengths)), lengths)

    @property
    def records(self) -> Sequence[FigureRecord]:
        """Every figure mention of the archive, in passage order (each record made when read)."""
        return _RecordView(self)

    @property
    def series(self) -> tuple[FigureSeries, ...]:
        return tuple(self._series(s) for s in range(len(self._tables.series_ends)))

    def record(self, position: int) -> FigureRecord:
        mention = self._tables.mentions[position]
        ordinal = int(self._tables.passage[position])
        passage = self._passages[ordinal]
        number = position - int(np.searchsorted(self._tables.passage, ordinal, "left")) + 1
        value = mention.value
        return FigureRecord(
            id=f"{passage.id}-f{number}", value=int(value) if float(value).is_integer() else value,
            kind=mention.kind, unit=mention.unit, qualifier=mention.qualifier, label=mention.label,
            as_printed=mention.as_printed, sentence=mention.sentence, parts=mention.parts, passage_id=passage.id,
            section=passage.section_title, issue=self._issues[int(self._issue_of[ordinal])],
            countries=passage.countries, start=mention.start, end=mention.end, language=passage.language)

    def series_holding(self, figure_id: str) -> FigureSeries | None:
        """The series the figure `figure_id` is a point of, if any."""
        position = self._position_of(figure_id)
        series = -1 if position is None else int(self._series_of_figure[position])
        return None if series < 0 else self._series(series)

    def _position_of(self, figure_id: str) -> int | None:
        """The position of the figure `figure_id` ("<passage id>-f<n>": its passage's n-th), or None."""
        match = _FIGURE_ID.fullmatch(figure_id)
        ordinal = self._ordinal_of(match[1]) if match else None
        if ordinal is None:
            return None
        mentions = self._tables.of_passage(ordinal)
        number = int(match[2])
        return mentions[number - 1] if number <= len(mentions) else None

    def in_passage(self, passage_id: str) -> tuple[FigureRecord, ...]:
        """The figures of one passage, in reading order."""
        ordinal = self._ordinal_of(passage_id)
        return () if ordinal is None else tuple(self.record(i) for i in self._tables.of_passage(ordinal))

    def passages_holding(self, query: str, allowed: np.ndarray | None) -> list[int]:
        """Ordinals of the (allowed) passages holding a figure of the value that `query` consists of;
        none when the query is not a number."""
        number = query_number(query)
        if number is None:
            return []
        ordinals = dict.fromkeys(self._tables.passage[self._tables.values == number].tolist())
        return [o for o in ordinals if allowed is None or allowed[o]]

    def passage_ranking(self, query: str, allowed: np.ndarray | None, depth: int) -> list[tuple[int, float]]:
        """The first `depth` (passage ordinal, score) of the allowed passages holding a figure whose
        label and sentence match the words of `query` (BM25, a passage scoring its best figure), best
        first: the side of a hybrid passage search that knows what the figures count."""
        positions, scores = self._keyword.matched(query_terms(query))  # in position, so passage, order
        ordinals = self._tables.passage[positions]
        if allowed is not None:
            keep = allowed[ordinals]
            ordinals, scores = ordinals[keep], scores[keep]
        if not len(ordinals):
            return []
        starts = np.flatnonzero(np.concatenate([[True], ordinals[1:] != ordinals[:-1]]))
        passages, best = ordinals[starts], np.maximum.reduceat(scores, starts)
        if len(best) > depth:  # the depth best, and any tied with the last of them
            chosen = best >= best[np.argpartition(-best, depth - 1)[depth - 1]]
            passages, best = passages[chosen], best[chosen]
        order = np.lexsort((passages, -best))[:depth]  # ties: the lower passage, whose figures come first
        return list(zip(passages[order].tolist(), best[order].tolist()))

    def search(self, query: FigureQuery, embed: Callable[[str], np.ndarray], fusion: Fusion) -> FigureResult:
        """The figures for a validated `query`; `embed` gives a query's vector (only called for a query
        with words)."""
        allowed = self._mask(query)
        if not query.text:
            ranked = self._newest[allowed[self._newest]]
        elif query.sort == "date":
            ranked = self._newest_first(np.array([f.ordinal for f in self._for_label(query.text, self._ranked(
                query.text, allowed, embed, fusion))], dtype=np.int64))
        else:
            ranked = np.array([f.ordinal for f in self._ranked(query.text, allowed, embed, fusion)], dtype=np.int64)
        page = ranked[query.offset:query.offset + query.k].tolist()
        return FigureResult(query.text, query.sort, len(ranked), tuple(self.record(i) for i in page),
                            self._series_of(page), query.offset)

    def _for_label(self, text: str, fused: list[Fused]) -> list[Fused]:
        """The figures of `fused` that count what `text` names: their label holds every word of the
        query that is a label word anywhere, the words normalised as series group labels (so "vulnerable
        migrants assisted" keeps the labels with "vulnerable" and "migrants", whatever else they say).
        A query with no label word ("7801") keeps what its words or its number find, not its meaning."""
        holding = self._labels_holding_all(label_terms(text))
        if holding is None:
            return [f for f in fused if f.found_by.keys() & {"keyword", FIGURE_FOUND_BY}]
        return [f for f in fused if holding[f.ordinal]]

    def _labels_holding_all(self, words: Iterable[str]) -> np.ndarray | None:
        """A mask of the records whose label holds each of `words` that any label holds; None when no
        label holds any of them."""
        found = [self._labels.find(word) for word in words]
        known = [docs for docs, _ in filter(None, found)]
        if not known:
            return None
        holding = np.ones(len(self._tables), dtype=bool)
        for docs in known:
            holds = np.zeros(len(self._tables), dtype=bool)
            holds[docs] = True
            holding &= holds
        return holding

    def _ranked(self, text: str, allowed: np.ndarray, embed: Callable[[str], np.ndarray],
                fusion: Fusion) -> list[Fused]:
        """Keyword and semantic rankings of the allowed records fused, exact value matches first."""
        keyword = self._keyword.rank(query_terms(text), allowed)
        semantic = semantic_ranking(self._vectors, embed(text), len(self._tables), allowed) \
            if fusion.weight("semantic") > 0 else []
        number = query_number(text)
        exact = [] if number is None else np.flatnonzero(allowed & (self._tables.values == number)).tolist()
        return promote(fusion.fuse({"keyword": keyword, "semantic": semantic}), exact, FIGURE_FOUND_BY)

    def _mask(self, query: FigureQuery) -> np.ndarray:
        """Whether each record passes the filters of a validated `query`: a contact only when the query
        asks for that kind; a month-precision issue date passes a date range that overlaps its month."""
        if query.kind is not None:
            mask = self._tables.kind_codes == FIGURE_KINDS.index(query.kind)
        else:
            mask = self._tables.kind_codes != FIGURE_KINDS.index(CONTACT)
        if query.minimum is not None:
            mask &= self._tables.values >= query.minimum
        if query.maximum is not None:
            mask &= self._tables.values <= query.maximum
        if query.date_from is not None:
            mask &= self._last_day >= day_number(query.date_from)
        if query.date_to is not None:
            mask &= self._first_day <= day_number(query.date_to)
        return mask

    def _newest_first(self, positions: np.ndarray) -> np.ndarray:
        """`positions` by their issue's date, newest first and undated last, in their own order within
        an issue's date."""
        days = self._first_day[positions].astype(np.int64)
        newest = np.where(days == UNDATED_FIRST, 0, days)
        return positions[np.lexsort((np.arange(len(positions)), -newest))]

    def _series_of(self, page: Sequence[int]) -> tuple[FigureSeries, ...]:
        """The series any figure of `page` is a point of, in the order of their first such figure."""
        first_rank: dict[int, int] = {}
        for rank, position in enumerate(page):
            series = int(self._series_of_figure[position])
            if series >= 0:
                first_rank.setdefault(series, rank)
        return tuple(self._series(s) for s in sorted(first_rank, key=lambda s: (first_rank[s], s)))

    def _series(self, number: int) -> FigureSeries:
        ends = self._tables.series_ends
        start = int(ends[number - 1]) if number else 0
        points = tuple(self.record(int(p)) for p in self._tables.series_points[start:int(ends[number])])
        label = max((p.label for p in points), key=len)
        return FigureSeries(label, points[0].kind, points[0].unit, points)


class _RecordView(Sequence[FigureRecord]):
    def __init__(self, index: FigureIndex):
        self._index = index

    def __len__(self) -> int:
        return len(self._index._tables)

    def __getitem__(self, position: int) -> FigureRecord:  # type: ignore[override]
        if not -len(self) <= position < len(self):
            raise IndexError(position)
        return self._index.record(position % len(self))
