"""The HTML pages: search, the archive of issues, one issue, one passage; and the CSV export."""

from __future__ import annotations

import io
import mimetypes
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request, send_file, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from index.facade import LIMITS, BadRequest, Related, SearchResult, UnknownId, write_csv

from .citations import DEFAULT_FORMAT, FORMATS, check_format, passage_citation, render
from .params import (
    REPEATABLE,
    SearchRequest,
    current_archive,
    is_tracking,
    parse_search,
    reject_unknown,
    single,
)

bp = Blueprint("pages", __name__)

EXAMPLE_QUERIES = ("RING training", "hotline", "7801", "remittances", "trafficking in persons",
                   "how do migrants send money home")
RELATED_STORIES = 5
FILTER_PARAMS = ("from", "to", *REPEATABLE)
INFERRED = {False: " (date inferred)", True: " (date not printed: worked out from its stories)"}
ORIGINS = {"printed": "printed in the newsletter", "inferred": "inferred from its stories",
           "catalog": "set in the catalog", "unknown": "not printed, not in the catalog"}
FILE_KINDS = {".txt": "plain text", ".md": "Markdown", ".pdf": "PDF", ".html": "web page", ".htm": "web page",
              ".docx": "Word document"}
INTERFACE_LANGUAGE = "en"  # the pages' own words; text in another language is marked with its lang
LANGUAGE_NAMES = dict(LIMITS.languages)
CSV_COLUMNS = ("rank", "passage_id", "score", "section", "issue_id", "issue_number", "issue_date",
               "date_inferred", "countries", "found_by", "url", "text")


# --- presentation helpers, available in every template ---------------------------------------------


@bp.app_template_filter("issue_date")
def issue_date(issue, mark_inferred: bool = True, plain: bool = False) -> str:
    """"24 December 2020", or "November 2020 (date inferred)" for a date worked out from the stories
    (`plain`: said in words a reader without the jargon follows)."""
    if issue.date is None:
        return "date unknown"
    return issue.date.display() + (INFERRED[plain] if issue.date_inferred and mark_inferred else "")


@bp.app_template_filter("origin")
def origin(provenance: str) -> str:
    """Where an issue's metadata field came from, in words."""
    return ORIGINS.get(provenance, provenance)


@bp.app_template_filter("issue_name")
def issue_name(issue, plain: bool = False) -> str:
    """"Issue 9, 24 December 2020"; the number is left out when it is unknown, never guessed."""
    number = f"Issue {issue.number}, " if issue.number is not None else ""
    return number + issue_date(issue, plain=plain)


@bp.app_template_global()
def search_url(add: tuple[str, str] | None = None, remove: tuple[str, str] | None = None,
               endpoint: str = "pages.search", **replace) -> str:
    """This search's URL with a parameter value added or removed, or parameters replaced.
    Any change but paging starts again at the first result.  Tracking parameters are left behind."""
    args = MultiDict([(name, value) for name, value in request.args.items(multi=True) if not is_tracking(name)])
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
def lang(language: str) -> Markup:
    """` lang="ru"` for an element holding text in another language than the interface's, else nothing."""
    return Markup(f' lang="{language}"') if language in LANGUAGE_NAMES and language != INTERFACE_LANGUAGE else Markup("")


@bp.app_template_global()
def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language)


@bp.app_template_global()
def found_by_text(found_by: dict[str, int]) -> str:
    return ", ".join(f"{mode} #{rank}" for mode, rank in found_by.items())


@bp.app_template_global()
def why_shown(hit, mode: str) -> str:
    """Why a search shows a hit, in words: it matches the search, or it is only close in meaning."""
    if not hit.match:
        return "close in meaning, but it does not contain all your words"
    said = ["Matches your search"]
    if "figure" in hit.found_by:
        said.append("holds a figure on it")
    if mode == "hybrid" and "semantic" in hit.found_by:
        said.append("close in meaning too")
    return ", ".join(said)


@bp.app_template_global()
def date_filter_url(offer) -> str:
    """The search for the query without the date it names, kept to that date: one click."""
    return search_url(q=offer.rest, **{"from": offer.date_from, "to": offer.date_to})


# --- pages -------------------------------------------------------------------------------------------


@bp.get("/")
def search():
    """The search page.  No query shows examples; a bad parameter shows the form with the reason (400).
    The form sends every field: an address with empty ones is redirected to the same search without
    them (and without tracking parameters), so the address shared is the short one."""
    if any(not value.strip() and name != "q" for name, value in request.args.items(multi=True)):
        kept = [(name, value) for name, value in request.args.items(multi=True)
                if (value.strip() or name == "q") and not is_tracking(name)]
        return redirect(url_for("pages.search") + (f"?{urlencode(kept)}" if kept else ""))
    try:
        wanted = parse_search(request.args)
        result = wanted.run(current_archive()) if wanted.query.strip() else None
    except BadRequest as exc:
        return render_search(None, None, error=str(exc)), 400
    return render_search(wanted, result)


def render_search(wanted: SearchRequest | None, result: SearchResult | None, error: str | None = None) -> str:
    views = current_archive().issues()
    countries = sorted({country for view in views for section in view.sections for country in section.countries})
    return render_template("search.html", wanted=wanted, result=result, error=error, args=request.args, limits=LIMITS,
                           issues={view.issue.id: view.issue for view in views}, countries=countries,
                           modes=LIMITS.modes, examples=EXAMPLE_QUERIES, active_filters=active_filters(request.args),
                           snippet=current_archive().marked_snippet, export_k=LIMITS.max_k)


def active_filters(args: MultiDict) -> list[tuple[str, str]]:
    """(parameter, value) of every filter in the URL, each shown with a link that removes it."""
    return [(name, value) for name in FILTER_PARAMS for value in args.getlist(name) if value.strip()]


@bp.get("/search.csv")
def search_csv():
    """The search's hits as CSV, one row per passage, in rank order."""
    result = parse_search(request.args).run(current_archive())
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
    try:
        original = current_archive().original_file(issue_id)
    except UnknownId:
        original = None
    return render_template("issue.html", view=view, issue=view.issue, original=original,
                           file_kind=FILE_KINDS.get(original.suffix.lower(), "file") if original else None)


@bp.get("/issues/<issue_id>/original")
def original(issue_id: str):
    """The newsletter issue's file as it was received, to save under its own name."""
    reject_unknown(request.args, ())
    path = current_archive().original_file(issue_id)
    return send_file(path, mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                     as_attachment=True, download_name=path.name)


@bp.get("/passages/<passage_id>")
def passage(passage_id: str):
    """A passage in its story, its citation (in the format `cite` names) and related stories."""
    reject_unknown(request.args, ("cite",))
    shown = check_format(single(request.args, "cite").strip() or DEFAULT_FORMAT)
    found, issue = current_archive().passage(passage_id)
    neighbours = [p for p in current_archive().issue(issue.id).passages if p.section_id == found.section_id]
    related = current_archive().similar(passage_id, k=RELATED_STORIES)
    return render_template("passage.html", passage=found, issue=issue, neighbours=neighbours, related=related,
                           model_reads=current_archive().reads(found.language),
                           citation=render(passage_citation(passage_id), shown), citation_format=shown,
                           citation_formats=FORMATS, reasons=reasons,
                           paragraphs=current_archive().marked_paragraphs)


def reasons(related: Related) -> list[str]:
    """Why a story is related, in words: the similarity, then what the two passages share."""
    said = [f"{related.similarity:.0%} similar in meaning"]
    if related.shared_countries:
        said.append("both about " + ", ".join(related.shared_countries))
    if related.shared_figures:
        said.append("same figures: " + ", ".join(related.shared_figures))
    if related.shared_names:
        said.append("both name " + ", ".join(related.shared_names))
    return said
