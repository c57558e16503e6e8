"""The HTML pages: search, the archive of issues, one issue, one passage; and the CSV export."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from index.facade import MAX_K, MODES, BadRequest, Related, SearchResult, write_csv

from .params import (
    REPEATABLE,
    SearchRequest,
    current_archive,
    parse_search,
    reject_unknown,
)

bp = Blueprint("pages", __name__)

EXAMPLE_QUERIES = ("RING training", "hotline", "7801", "remittances", "trafficking in persons",
                   "how do migrants send money home")
RELATED_STORIES = 5
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
FILTER_PARAMS = ("from", "to", *REPEATABLE)
ORIGINS = {"printed": "printed in the newsletter", "inferred": "inferred from its stories",
           "catalog": "set in the catalog", "unknown": "not printed, not in the catalog"}
CSV_COLUMNS = ("rank", "passage_id", "score", "section", "issue_id", "issue_number", "issue_date",
               "date_inferred", "countries", "found_by", "url", "text")


# --- presentation helpers, available in every template ---------------------------------------------


@bp.app_template_filter("issue_date")
def issue_date(issue, mark_inferred: bool = True) -> str:
    """"24 December 2020", or "November 2020 (date inferred)" for a date worked out from the stories."""
    if issue.date is None:
        return "date unknown"
    year, month, *day = (int(part) for part in issue.date.iso.split("-"))
    text = f"{day[0]} {MONTHS[month - 1]} {year}" if day else f"{MONTHS[month - 1]} {year}"
    return text + (" (date inferred)" if issue.date_inferred and mark_inferred else "")


@bp.app_template_filter("origin")
def origin(provenance: str) -> str:
    """Where an issue's metadata field came from, in words."""
    return ORIGINS.get(provenance, provenance)


@bp.app_template_filter("issue_name")
def issue_name(issue) -> str:
    """"Issue 9, 24 December 2020"; the number is left out when it is unknown, never guessed."""
    number = f"Issue {issue.number}, " if issue.number is not None else ""
    return number + issue_date(issue)


@bp.app_template_global()
def search_url(add: tuple[str, str] | None = None, remove: tuple[str, str] | None = None,
               endpoint: str = "pages.search", **replace) -> str:
    """This search's URL with a parameter value added or removed, or parameters replaced.
    Any change but paging starts again at the first result."""
    args = MultiDict(request.args)
    if add or remove or replace.keys() - {"offset"}:
        args.pop("offset", None)
    if add:
        args.add(*add)
    if remove:
        args.setlist(remove[0], [v for v in args.getlist(remove[0]) if v != remove[1]])
    for name, value in replace.items():
        args[name] = str(value)
    query = urlencode(list(args.items(multi=True)))
    return url_for(endpoint) + (f"?{query}" if query else "")


@bp.app_template_global()
def found_by_text(found_by: dict[str, int]) -> str:
    return ", ".join(f"{mode} #{rank}" for mode, rank in found_by.items())


# --- pages -------------------------------------------------------------------------------------------


@bp.get("/")
def search():
    """The search page.  No query shows examples; a bad parameter shows the form with the reason (400)."""
    try:
        wanted = parse_search(request.args, current_archive())
        result = wanted.run(current_archive()) if wanted.query.strip() else None
    except BadRequest as exc:
        return render_search(None, None, error=str(exc)), 400
    return render_search(wanted, result)


def render_search(wanted: SearchRequest | None, result: SearchResult | None, error: str | None = None) -> str:
    views = current_archive().issues()
    countries = sorted({country for view in views for section in view.sections for country in section.countries})
    return render_template("search.html", wanted=wanted, result=result, error=error, args=request.args,
                           issues={view.issue.id: view.issue for view in views}, countries=countries,
                           modes=MODES, examples=EXAMPLE_QUERIES, active_filters=active_filters(request.args),
                           snippet=current_archive().marked_snippet, export_k=MAX_K)


def active_filters(args: MultiDict) -> list[tuple[str, str]]:
    """(parameter, value) of every filter in the URL, each shown with a link that removes it."""
    return [(name, value) for name in FILTER_PARAMS for value in args.getlist(name) if value.strip()]


@bp.get("/search.csv")
def search_csv():
    """The search's hits as CSV, one row per passage, in rank order."""
    result = parse_search(request.args, current_archive()).run(current_archive())
    out = io.StringIO()
    write_csv(out, [CSV_COLUMNS, *(
        [rank, hit.passage.id, f"{hit.score:.6f}", hit.passage.section_title, hit.issue.id, hit.issue.number,
         hit.issue.date.iso if hit.issue.date else "", hit.issue.date_inferred, "; ".join(hit.passage.countries),
         found_by_text(hit.found_by), url_for("pages.passage", passage_id=hit.passage.id, _external=True),
         hit.passage.text]
        for rank, hit in enumerate(result.hits, start=result.offset + 1))])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="search.csv"'})


@bp.get("/issues")
def issues():
    reject_unknown(request.args, ())
    return render_template("issues.html", views=current_archive().issues())


@bp.get("/issues/<issue_id>")
def issue(issue_id: str):
    reject_unknown(request.args, ())
    view = current_archive().issue(issue_id)
    return render_template("issue.html", view=view, issue=view.issue)


@bp.get("/passages/<passage_id>")
def passage(passage_id: str):
    reject_unknown(request.args, ())
    found, issue = current_archive().passage(passage_id)
    neighbours = [p for p in current_archive().issue(issue.id).passages if p.section_id == found.section_id]
    related = current_archive().similar(passage_id, k=RELATED_STORIES)
    return render_template("passage.html", passage=found, issue=issue, neighbours=neighbours, related=related,
                           citation=citation(found, issue), reasons=reasons,
                           paragraphs=current_archive().marked_paragraphs)


def citation(passage, issue) -> str:
    """Plain text to paste into a report: section, newsletter title, issue number, date, permalink."""
    number = f"Issue {issue.number}" if issue.number is not None else "Issue number unknown"
    link = url_for("pages.passage", passage_id=passage.id, _external=True)
    return f"\u201c{passage.section_title}\u201d. {issue.title}.\n{number}, {issue_date(issue)}.\n{link}"


def reasons(related: Related) -> list[str]:
    """Why a story is related, in words: the similarity, then what the two passages share."""
    said = [f"{related.similarity:.0%} similar in meaning"]
    if related.shared_countries:
        said.append("both about " + ", ".join(related.shared_countries))
    if related.shared_figures:
        said.append("same figures: " + ", ".join(related.shared_figures))
    if related.shared_terms:
        said.append("shared words: " + ", ".join(related.shared_terms))
    return said
