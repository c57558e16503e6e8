"""Figure records and figure queries: what figure search takes and returns."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

from index.errors import BadRequest
from index.figures.extract import CONTACT, COUNT, DURATION, MONEY, PERCENTAGE
from index.records import Issue
from index.search.filters import MAX_QUERY_CHARS, parse_filter_date, validate_k, validate_offset
from index.text.numbers import join_number_groups

FIGURE_KINDS = (COUNT, PERCENTAGE, MONEY, DURATION, CONTACT)
FIGURE_SORTS = ("relevance", "date")
DEFAULT_FIGURES_K = 20


@dataclass(frozen=True)
class FigureRecord:
    """One figure mention where it stands in the archive.

    `id` is the passage id and the mention's place in it (stable as passage ids are); `start`/`end`
    are the offsets of `as_printed` in the passage text; `parts` a printed breakdown ("male", 691);
    `language` that of its passage ("en", "ru").
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
    language: str = "en"

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

    CSV_COLUMNS: ClassVar[tuple[str, ...]] = (
        "value", "as_printed", "kind", "unit", "label", "issue_id", "issue_number", "issue_date", "date_inferred",
        "passage_id", "url", "countries", "sentence")

    def csv_row(self, url: str) -> list:
        """The record's cells under CSV_COLUMNS; `url` is its passage's address."""
        issue = self.issue
        return [self.value, self.as_printed, self.kind, self.unit, self.label, issue.id, issue.number,
                self.date or "", issue.date_inferred, self.passage_id, url, "; ".join(self.countries), self.sentence]

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
            "language": self.language,
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

    def csv_rows(self, url_of: Callable[[str], str]) -> list[list]:
        """FigureRecord.CSV_COLUMNS then one row per point; `url_of` gives a passage's address from its id."""
        return [list(FigureRecord.CSV_COLUMNS)] + [point.csv_row(url_of(point.passage_id)) for point in self.points]

    @staticmethod
    def axis_value(value: float) -> str:
        """A value on a chart's axis, as a count is written ("5,000")."""
        return format_value(value)

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "kind": self.kind, "unit": self.unit, "points": [
            {"value": p.value, "as_printed": p.as_printed, "label": p.label, "date": p.date,
             "passage_id": p.passage_id, "issue": p.issue.summary_json()} for p in self.points]}


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

    def csv_rows(self, url_of: Callable[[str], str]) -> list[list]:
        """FigureRecord.CSV_COLUMNS then one row per figure; `url_of` gives a passage's address from its id."""
        return [list(FigureRecord.CSV_COLUMNS)] + [figure.csv_row(url_of(figure.passage_id)) for figure in self.figures]

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
