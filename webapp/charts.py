"""Series charts drawn on the server: the geometry of a small SVG line chart.

The chart is plain SVG in the page (no script, no inline style), so it is readable without
JavaScript and under the site's Content-Security-Policy.  Time runs left to right in proportion to
the issue dates; the value axis starts at zero, so a rise is drawn as large as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from index.facade import FigureSeries

WIDTH, HEIGHT = 560, 230
LEFT, RIGHT, TOP, BOTTOM = 72, 40, 28, 44  # margins: value ticks, last date label, value labels, dates


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: str
    date: str
    passage_id: str
    label: str


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class SeriesChart:
    """What the template draws: the points, the line through them, and the value axis ticks."""

    width: int
    height: int
    left: int
    right: int
    baseline: float
    points: tuple[ChartPoint, ...]
    ticks: tuple[Tick, ...]

    @property
    def line(self) -> str:
        """The SVG path through the points."""
        return " ".join(f"{'M' if i == 0 else 'L'} {p.x:.1f} {p.y:.1f}" for i, p in enumerate(self.points))


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def series_chart(series: FigureSeries) -> SeriesChart:
    """The chart of `series`: dates placed in proportion on the x axis, values from zero up."""
    days = [date.fromisoformat(p.issue.date.first_day).toordinal() for p in series.points]
    top = nice_ceiling(max(p.value for p in series.points))
    span = (max(days) - min(days)) or 1
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return TOP + plot_height * (1 - value / top)

    points = tuple(
        ChartPoint(LEFT + plot_width * (day - min(days)) / span, y_of(p.value),
                   p.value_text, p.issue.date.display(short=True), p.passage_id, p.label)
        for day, p in zip(days, series.points))
    ticks = tuple(Tick(y_of(v), FigureSeries.axis_value(v)) for v in (0, top / 2, top))
    return SeriesChart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, y_of(0), points, ticks)
