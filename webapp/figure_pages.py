"""The Figures page: figures found by what they count, the series they belong to drawn as charts,
the CSV export of the figures found, and each series' chart (SVG) and points (CSV) at addresses of
their own."""

from __future__ import annotations

import io
import re

from flask import Blueprint, Response, render_template, request, url_for

from index.facade import LIMITS, BadRequest, FigureRecord, FigureResult, FigureSeries, write_csv

from .charts import series_chart
from .links import absolute_url
from .params import current_archive, parse_figures, reject_unknown

bp = Blueprint("figure_pages", __name__)

EXAMPLE_QUERIES = ("victims of trafficking", "registered COVID-19 cases", "deaths", "people reached", "7801")


@bp.get("/figures")
def figures():
    """Figures for a query or filters; without either, every figure by date.  A bad parameter shows
    the form with the reason (400)."""
    try:
        query = parse_figures(request.args)
        result = current_archive().search_figures(query)
    except BadRequest as exc:
        return render_figures(None, error=str(exc)), 400
    return render_figures(result, page_size=query.k)


def render_figures(result: FigureResult | None, error: str | None = None, page_size: int = LIMITS.default_figures_k) -> str:
    charts = [(series, series_chart(series)) for series in result.series] if result else []
    return render_template("figures.html", result=result, error=error, args=request.args, kinds=LIMITS.figure_kinds,
                           sorts=LIMITS.figure_sorts, charts=charts, export_k=LIMITS.max_k, examples=EXAMPLE_QUERIES,
                           sentence_parts=sentence_parts, page_size=page_size, passage_href=passage_href,
                           min_similarity=LIMITS.series_min_similarity)


def passage_href(passage_id: str) -> str:
    return url_for("pages.passage", passage_id=passage_id)


def passage_address(passage_id: str) -> str:
    """A passage's full address, for what is read away from the site (a downloaded chart, a CSV)."""
    return absolute_url("pages.passage", passage_id=passage_id)


def sentence_parts(figure: FigureRecord) -> tuple[str, str, str]:
    """The figure's sentence as (before, the figure as printed, after); the whole sentence first when
    the figure is not printed in it as such."""
    at = figure.sentence.find(figure.as_printed)
    if at < 0:
        return figure.sentence, "", ""
    return figure.sentence[:at], figure.as_printed, figure.sentence[at + len(figure.as_printed):]


@bp.get("/figures.csv")
def figures_csv():
    """The figures found as CSV, one row per figure: value, what it counts, issue, date, passage link, sentence."""
    result = current_archive().search_figures(parse_figures(request.args))
    return csv_download(result.csv_rows(passage_address), "figures.csv")


@bp.get("/figures/series/<figure_id>.csv")
def series_csv(figure_id: str):
    """The points of the series that the figure `figure_id` is a point of, one row per issue, oldest first."""
    reject_unknown(request.args, ())
    series = current_archive().figure_series(figure_id)
    return csv_download(series.csv_rows(passage_address), f"{file_stem(series)}.csv")


@bp.get("/figures/series/<figure_id>.svg")
def series_svg(figure_id: str):
    """The chart of the series that the figure `figure_id` is a point of, as an SVG file that stands on
    its own: title, values, dates, source line, its points linked to their passages."""
    reject_unknown(request.args, ())
    series = current_archive().figure_series(figure_id)
    svg = render_template("_chart.svg", series=series, chart=series_chart(series), n=1, href=passage_address)
    response = Response('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, mimetype="image/svg+xml")
    response.headers.set("Content-Disposition", "inline", filename=f"{file_stem(series)}.svg")
    return response


def file_stem(series: FigureSeries) -> str:
    """A file name for a series: its label's words joined by hyphens ("victims-of-trafficking-...")."""
    return "-".join(re.findall(r"\w+", series.label.lower()))[:80] or "series"


def csv_download(rows: list[list], filename: str) -> Response:
    """`rows` as a CSV file to save under `filename`: the one writer every CSV export of the site goes through."""
    out = io.StringIO()
    write_csv(out, rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
