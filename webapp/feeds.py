"""Atom feeds that tell a reader when a new newsletter issue matches what they follow: a search
(/feeds/search.atom?q=...) or a figure (/feeds/figures.atom?q=...).  Each newsletter issue that adds a
matching passage, or a figure for the query's label, is one entry, newest issue first.  Written by
feedgen.

A search feed finds passages as the search does, by default by their words (mode keyword): meaning
alone matches nearly every passage of the archive, and an alert that fires for every issue says
nothing.  It looks at the newest FEED_ISSUES issues.  A figure feed lists the figures that figure
search sorted by date gives: those whose label says what the query names, newest first.

Entry ids are URNs made from the feed's query and the issue id, so they stay the same when the site
moves to another address.
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import urlencode

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, render_template, request, url_for

from index.facade import LIMITS, FigureRecord, Issue

from .links import absolute_url
from .pages import issue_name
from .params import REPEATABLE, current_archive, parse_figures, parse_search, reject_unknown, single

bp = Blueprint("feeds", __name__)

FEED_ISSUES = 24  # the newest newsletter issues a search feed looks at: two years of a monthly newsletter
FEED_MODE = "keyword"
SEARCH_FEED_PARAMS = ("q", "mode", "from", "to", *REPEATABLE)
FIGURE_FEED_PARAMS = ("q", "min", "max", "from", "to", "kind")
PASSAGES_PER_ENTRY = 5
ATOM = "application/atom+xml"


@bp.get("/feeds/search.atom")
def search_feed():
    """Newsletter issues with passages that match a search, newest first."""
    reject_unknown(request.args, SEARCH_FEED_PARAMS)
    archive = current_archive()
    wanted = parse_search(request.args)
    mode = single(request.args, "mode").strip() or FEED_MODE
    issues = newest_issues(view.issue for view in archive.issues())
    window = tuple(issue.id for issue in issues[:FEED_ISSUES]
                   if not wanted.filters.issue_ids or issue.id in wanted.filters.issue_ids)
    result = archive.search(wanted.query, mode=mode, k=LIMITS.max_k, group="passage",
                            filters=replace(wanted.filters, issue_ids=window or wanted.filters.issue_ids))
    feed = new_feed(f"“{result.query}” in the newsletter archive",
                    f"Each newsletter issue with passages that match “{result.query}” ({mode} search) is an entry, "
                    f"newest first; the newest {FEED_ISSUES} issues are looked at.",
                    absolute_url("pages.search", **page_args(request.args, mode=mode)))
    matching = Counter(hit.issue.id for hit in result.hits if hit.match)  # not what is only related by meaning
    for issue in (issue for issue in issues if matching[issue.id]):
        count = matching[issue.id]
        link = absolute_url("pages.search", **page_args(request.args, mode=mode, issue=issue.id))
        hits = [hit for hit in result.hits if hit.issue.id == issue.id and hit.match][:PASSAGES_PER_ENTRY]
        add_entry(feed, issue, f"{issue_name(issue)}: {count} passage{'s match' if count != 1 else ' matches'} "
                               f"“{result.query}”",
                  link, render_template("feed_search_entry.html", hits=hits, count=count, more=link,
                                        passage_url=passage_url))
    return atom_response(feed, issues)


@bp.get("/feeds/figures.atom")
def figures_feed():
    """Newsletter issues that report a figure for the query's label, newest first."""
    reject_unknown(request.args, FIGURE_FEED_PARAMS)
    query = replace(parse_figures(request.args), sort="date", k=LIMITS.max_k)
    archive = current_archive()
    result = archive.search_figures(query)
    named = f"“{query.text}”" if query.text.strip() else "every figure"
    feed = new_feed(f"Figures: {named} in the newsletter archive",
                    f"Each newsletter issue that reports a figure for {named} is an entry, newest first.",
                    absolute_url("figure_pages.figures", **page_args(request.args, sort="date")))
    by_issue: dict[str, list[FigureRecord]] = {}
    for figure in result.figures:
        by_issue.setdefault(figure.issue.id, []).append(figure)
    for figures in by_issue.values():  # newest issue first, as the figures are
        issue = figures[0].issue
        values = ", ".join(figure.value_text for figure in figures[:3]) + (", …" if len(figures) > 3 else "")
        title = (f"{issue_name(issue)}: {figures[0].value_text} {figures[0].label}" if len(figures) == 1 else
                 f"{issue_name(issue)}: {len(figures)} figures for {named}: {values}")
        link = absolute_url("pages.issue", issue_id=issue.id, _anchor=figures[0].passage_id)
        add_entry(feed, issue, title, link,
                  render_template("feed_figures_entry.html", figures=figures, passage_url=passage_url))
    return atom_response(feed, [view.issue for view in archive.issues()])


# --- helpers --------------------------------------------------------------------------------------------

@bp.app_template_global()
def feed_url(endpoint: str) -> str:
    """The address of the feed (feeds.search_feed or feeds.figures_feed) of what this page shows: its
    parameters that the feed takes."""
    takes = SEARCH_FEED_PARAMS if endpoint == "feeds.search_feed" else FIGURE_FEED_PARAMS
    args = [(name, value) for name, value in request.args.items(multi=True) if name in takes and value.strip()]
    return url_for(endpoint) + (f"?{urlencode(args)}" if args else "")


def page_args(args, **replace_with) -> dict:
    """The feed's own parameters as a page's: the same search or figure query, for its web page."""
    values = {name: args.getlist(name) for name in args}
    values.update({name: [value] for name, value in replace_with.items()})
    return {name: vals if len(vals) > 1 else vals[0] for name, vals in values.items() if vals}


def newest_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Newest first; undated issues last."""
    return sorted(issues, key=lambda issue: issue.date.first_day if issue.date else "", reverse=True)


def issue_time(issue: Issue | None) -> datetime.datetime:
    """When an issue appeared, as Atom needs it: midnight UTC of its first day (1970 when undated)."""
    day = issue.date.first_day if issue and issue.date else "1970-01-01"
    return datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.timezone.utc)


def passage_url(passage_id: str) -> str:
    return absolute_url("pages.passage", passage_id=passage_id)


def urn(*parts: str) -> str:
    """A URN for this feed (and, given an issue id, its entry for that issue), made from the feed's path
    and its parameters in a fixed order: the same wherever the site is served."""
    query = urlencode(sorted(request.args.items(multi=True)))
    return uuid.uuid5(uuid.NAMESPACE_URL, ":".join(("newsletter-archive", request.path, query, *parts))).urn


def new_feed(title: str, subtitle: str, page: str) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(urn())
    feed.title(title)
    feed.subtitle(subtitle)
    feed.author({"name": "Newsletter archive"})
    feed.link(href=absolute_url(request.endpoint, **page_args(request.args)), rel="self", type=ATOM)
    feed.link(href=page, rel="alternate", type="text/html")
    return feed


def add_entry(feed: FeedGenerator, issue: Issue, title: str, link: str, content: str) -> None:
    entry = feed.add_entry(order="append")
    entry.id(urn(issue.id))
    entry.title(title)
    entry.link(href=link, rel="alternate", type="text/html")
    entry.published(issue_time(issue))
    entry.updated(issue_time(issue))
    entry.content(content, type="html")


def atom_response(feed: FeedGenerator, issues: Iterable[Issue]) -> Response:
    """The feed, updated when its newest entry was (or, with none, the archive's newest issue)."""
    entries = feed.entry()
    newest = newest_issues(issues)
    feed.updated(max((entry.updated() for entry in entries), default=issue_time(newest[0] if newest else None)))
    return Response(feed.atom_str(pretty=True), mimetype=ATOM)
