"""Series charts drawn on the server: the geometry of a small SVG line chart that stands on its own.

The chart is plain SVG (no script, no inline style: presentation attributes only), so it reads without
JavaScript, under the site's Content-Security-Policy, and as a downloaded file: it carries its title
(the series' label), the source line naming the newsletter issues, and a note when the issues word the
label differently.  Time runs left to right in proportion to the issue dates; the value axis starts
at zero, so a rise is drawn as large as it is.

Labels are placed so that none collides with another: the points are set in from the axis by half
the widest label, and a value or date label that would overlap one already placed moves to its next
position (below its point; a second row of dates), or is left out where there is none: on a crowded
chart every value stays in its point's tooltip and in the list beside the chart.  Text widths are
estimated from the font size, generously, since the server cannot measure text.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from datetime import date

from index.facade import FigureRecord, FigureSeries

from .pages import issue_name

WIDTH = 560
LEFT, RIGHT = 72, 16  # the value axis' tick labels; the right edge
TITLE_SIZE, VALUE_SIZE, LABEL_SIZE, NOTE_SIZE = 15, 14, 12, 11  # font sizes, px
CHAR_WIDTH = 0.62  # an estimate of a character's width, in ems: digits and capitals of a sans-serif
PLOT_HEIGHT = 140
GAP = 6  # the least room between two labels
DATE_ROWS = 2
SOURCE_LIST_MAX = 4  # issues a source line names one by one


@dataclass(frozen=True)
class Text:
    """One line of text: `anchor` is SVG's text-anchor (start, middle, end), `y` its baseline."""

    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass(frozen=True)
class ChartPoint:
    """A point, with its value and date labels where they fit (None where they do not)."""

    x: float
    y: float
    value_text: str
    date_text: str
    value: Text | None
    date: Text | None
    passage_id: str
    label: str


@dataclass(frozen=True)
class Tick:
    y: float
    text: Text


@dataclass(frozen=True)
class SeriesChart:
    """What the template draws: title lines, the value axis ticks, the points with their labels, the
    line through them, the source line and the note on differing labels."""

    width: int
    height: int
    left: int
    right: int
    baseline: float
    title: tuple[Text, ...]
    ticks: tuple[Tick, ...]
    points: tuple[ChartPoint, ...]
    source: tuple[Text, ...]
    note: tuple[Text, ...]

    @property
    def line(self) -> str:
        """The SVG path through the points."""
        return " ".join(f"{'M' if i == 0 else 'L'} {p.x:.1f} {p.y:.1f}" for i, p in enumerate(self.points))


def short_date(point: FigureRecord) -> str:
    """"10 Jul 2020" for a day, "Nov 2020" for a month."""
    return point.issue.date.display(short=True) if point.issue.date else "undated"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def title_of(series: FigureSeries) -> str:
    return series.label[:1].upper() + series.label[1:]


def source_line(series: FigureSeries) -> str:
    """"Source: IOM Central Asia Regional Response Report, issues: Issue 3, 10 July 2020; November 2020
    (date inferred)"; past SOURCE_LIST_MAX issues, the first and the last of them."""
    newsletter = series.points[0].issue.newsletter or "the newsletter"
    names = [issue_name(point.issue) for point in series.points]
    if len(names) > SOURCE_LIST_MAX:
        return f"Source: {newsletter}, {len(names)} issues from {names[0]} to {names[-1]}"
    return f"Source: {newsletter}, issues: " + "; ".join(names)


def labels_note(series: FigureSeries) -> str | None:
    """Says how each issue words the label, when they do not all word it alike; None when they do."""
    if len(series.labels) < 2:
        return None
    worded = ", ".join(f"“{point.label}” ({short_date(point)})" for point in series.points)
    return f"The issues word what is counted differently: {worded}."


def wrapped(text: str, size: float, top: float) -> tuple[Text, ...]:
    """`text` in lines that fit the chart's width, the first baseline at `top`."""
    per_line = max(20, int((WIDTH - 2 * RIGHT) / (size * CHAR_WIDTH)))
    return tuple(Text(RIGHT, top + n * size * 1.35, line) for n, line in enumerate(textwrap.wrap(text, per_line)))


class _Placer:
    """Places text where it overlaps nothing placed before it (boxes estimated from the font size)."""

    def __init__(self) -> None:
        self.boxes: list[tuple[float, float, float, float]] = []

    def box(self, text: Text, size: float) -> tuple[float, float, float, float]:
        width = text_width(text.text, size)
        left = {"start": text.x, "middle": text.x - width / 2, "end": text.x - width}[text.anchor]
        return left, text.y - size, left + width, text.y + size * 0.3

    def free(self, text: Text, size: float) -> bool:
        left, top, right, bottom = self.box(text, size)
        return all(right + GAP <= l or r + GAP <= left or bottom <= t or b <= top for l, t, r, b in self.boxes)

    def place(self, candidates: list[Text], size: float) -> Text | None:
        """The first candidate that overlaps nothing, now placed; None when every one would."""
        chosen = next((c for c in candidates if self.free(c, size)), None)
        if chosen:
            self.boxes.append(self.box(chosen, size))
        return chosen


def series_chart(series: FigureSeries) -> SeriesChart:
    """The chart of `series`: dates placed in proportion on the x axis, values from zero up."""
    title = wrapped(title_of(series), TITLE_SIZE, TITLE_SIZE + 4)
    top_y = title[-1].y + 2 * VALUE_SIZE + GAP  # room for a value label above the highest point
    baseline = top_y + PLOT_HEIGHT
    top = nice_ceiling(max(p.value for p in series.points))

    def y_of(value: float) -> float:
        return top_y + PLOT_HEIGHT * (1 - value / top)

    values = [p.value_text for p in series.points]
    dates = [short_date(p) for p in series.points]
    inset = max(max(text_width(v, VALUE_SIZE) for v in values), max(text_width(d, LABEL_SIZE) for d in dates)) / 2 + GAP
    days = [date.fromisoformat(p.issue.date.first_day).toordinal() for p in series.points]
    span = (max(days) - min(days)) or 1
    first_x, last_x = LEFT + inset, WIDTH - RIGHT - inset

    placer = _Placer()
    ticks = tuple(Tick(y_of(v), Text(LEFT - 8, y_of(v) + 4, FigureSeries.axis_value(v), "end")) for v in (0, top / 2, top))
    placer.boxes += [placer.box(tick.text, LABEL_SIZE) for tick in ticks]
    placer.boxes += [(RIGHT, line.y - TITLE_SIZE, WIDTH, line.y + 4) for line in title]
    points = []
    for day, point, value, date_text in zip(days, series.points, values, dates):
        x = first_x + (last_x - first_x) * (day - min(days)) / span if len(days) > 1 else (first_x + last_x) / 2
        y = y_of(point.value)
        value_label = placer.place([Text(x, y - 12, value, "middle"), Text(x, y + 24, value, "middle")], VALUE_SIZE)
        date_label = placer.place([Text(x, baseline + 20 + row * (LABEL_SIZE + GAP), date_text, "middle")
                                   for row in range(DATE_ROWS)], LABEL_SIZE)
        points.append(ChartPoint(x, y, value, date_text, value_label, date_label, point.passage_id, point.label))
    below = max(p.date.y for p in points if p.date) + LABEL_SIZE + GAP * 2
    source = wrapped(source_line(series), NOTE_SIZE, below)
    note_text = labels_note(series)
    note = wrapped(note_text, NOTE_SIZE, source[-1].y + NOTE_SIZE * 1.6) if note_text else ()
    height = (note or source)[-1].y + NOTE_SIZE
    return SeriesChart(WIDTH, math.ceil(height), LEFT, WIDTH - RIGHT, baseline, title, ticks, tuple(points),
                       source, note)
