"""The Figures page: figures found by what they count, the series they belong to drawn as charts,
and the CSV export of the figures found."""

from __future__ import annotations

import io

from flask import Blueprint, Response, render_template, request, url_for

from index.facade import (
    FIGURE_KINDS,
    FIGURE_SORTS,
    MAX_K,
    SERIES_MIN_SIMILARITY,
    BadRequest,
    FigureRecord,
    FigureResult,
    figure_csv_rows,
    write_csv,
)

from .charts import series_chart
from .params import current_archive, parse_figures

bp = Blueprint("figure_pages", __name__)

EXAMPLE_QUERIES = ("victims of trafficking", "registered COVID-19 cases", "deaths", "people reached", "7801")


@bp.get("/figures")
def figures():
    """Figures for a query or filters; without either, every figure by date.  A bad parameter shows
    the form with the reason (400)."""
    try:
        result = current_archive().search_figures(parse_figures(request.args))
    except BadRequest as exc:
        return render_figures(None, error=str(exc)), 400
    return render_figures(result)


def render_figures(result: FigureResult | None, error: str | None = None) -> str:
    charts = [(series, series_chart(series)) for series in result.series] if result else []
    return render_template("figures.html", result=result, error=error, args=request.args, kinds=FIGURE_KINDS,
                           sorts=FIGURE_SORTS, charts=charts, export_k=MAX_K, examples=EXAMPLE_QUERIES,
                           sentence_parts=sentence_parts,
                           min_similarity=SERIES_MIN_SIMILARITY)


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
    out = io.StringIO()
    write_csv(out, figure_csv_rows(
        result, lambda passage_id: url_for("pages.passage", passage_id=passage_id, _external=True)))
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="figures.csv"'})
