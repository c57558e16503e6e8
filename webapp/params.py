"""Request parameters turned into facade calls: the one place both the pages and the API read them.

Only the types are checked here (a whole number, a date, a known parameter name); ranges and
meaning (k between 1 and MAX_K, a known mode, a known country, from before to) are the facade's
to judge, so the rules live in one place and the messages are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask import current_app, g
from werkzeug.datastructures import MultiDict

from index.facade import (
    LIMITS,
    Archive,
    BadRequest,
    FigureQuery,
    Filters,
    SearchResult,
    parse_figure_bound,
    parse_filter_date,
)

DEFAULT_K = 10
DEFAULT_MODE = "hybrid"
DEFAULT_SORT = "relevance"
DEFAULT_GROUP = "story"
MAX_PARAMETERS = 200  # values in one query string, repeats included (a form sends one per chosen issue)

# Each filter parameter and the Filters field it fills; all of them may be repeated.
REPEATABLE = {
    "issue": "issue_ids",
    "country": "countries",
    "year": "years",
    "exclude_issue": "exclude_issue_ids",
    "exclude_country": "exclude_countries",
    "exclude_year": "exclude_years",
    "language": "languages",
    "exclude_language": "exclude_languages",
}
SEARCH_PARAMS = frozenset({"q", "mode", "k", "offset", "sort", "group", "from", "to", *REPEATABLE})
# What a link shared on social media or sent in a newsletter picks up on the way: ignored on every route.
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid"})
SIMILAR_PARAMS = frozenset({"k"})
FIGURE_PARAMS = frozenset({"q", "min", "max", "from", "to", "kind", "sort", "k", "offset"})


@dataclass(frozen=True)
class SearchRequest:
    """A search as the URL states it; `query` may be empty (the search page then shows examples)."""

    query: str
    mode: str
    k: int
    offset: int
    filters: Filters
    sort: str = DEFAULT_SORT
    group: str = DEFAULT_GROUP

    def run(self, archive: Archive) -> SearchResult:
        return archive.search(self.query, mode=self.mode, k=self.k, offset=self.offset, filters=self.filters,
                              sort=self.sort, group=self.group)


def is_tracking(name: str) -> bool:
    """A tracking parameter (utm_*, fbclid, gclid, mc_cid, mc_eid): not ours, ignored."""
    return name.startswith("utm_") or name in TRACKING_PARAMS


def reject_unknown(args: MultiDict, allowed: Collection[str]) -> None:
    """BadRequest naming the first parameter that the route does not take: a typo must not be ignored
    (tracking parameters are not typos: they are ignored).  Also BadRequest for more than
    MAX_PARAMETERS values in all: each page link repeats them all."""
    count = sum(len(values) for values in args.listvalues())
    if count > MAX_PARAMETERS:
        raise BadRequest(f"{count} parameter values given; the limit is {MAX_PARAMETERS}")
    for name in args:
        if name not in allowed and not is_tracking(name):
            known = ", ".join(sorted(allowed)) or "none"
            raise BadRequest(f"unknown parameter {name[:40]!r}; this address takes: {known}")


def single(args: MultiDict, name: str, default: str = "") -> str:
    """The one value of `name`; BadRequest when it is given more than once (which one would win?)."""
    values = args.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"{name} is given {len(values)} times; give it once")
    return values[0] if values else default


def whole_number(value: str, name: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {value[:40]!r}") from None


def parse_search(args: MultiDict) -> SearchRequest:
    reject_unknown(args, SEARCH_PARAMS)
    return SearchRequest(
        query=single(args, "q"),
        mode=single(args, "mode").strip() or DEFAULT_MODE,
        k=whole_number(single(args, "k", str(DEFAULT_K)), "k"),
        offset=whole_number(single(args, "offset", "0"), "offset"),
        filters=parse_filters(args),
        sort=single(args, "sort").strip() or DEFAULT_SORT,
        group=single(args, "group").strip() or DEFAULT_GROUP,
    )


def parse_figures(args: MultiDict) -> FigureQuery:
    """A figure search from the query string; empty values (a form's "any") mean no restriction."""
    reject_unknown(args, FIGURE_PARAMS)
    value = {name: single(args, name).strip() for name in FIGURE_PARAMS - {"q", "k", "offset"}}
    return FigureQuery(
        text=single(args, "q"),
        minimum=parse_figure_bound(value["min"], "min") if value["min"] else None,
        maximum=parse_figure_bound(value["max"], "max") if value["max"] else None,
        date_from=value["from"] or None,
        date_to=value["to"] or None,
        kind=value["kind"] or None,
        sort=value["sort"] or "relevance",
        k=whole_number(single(args, "k", str(LIMITS.default_figures_k)), "k"),
        offset=whole_number(single(args, "offset", "0"), "offset"),
    )


def parse_similar_k(args: MultiDict) -> int:
    reject_unknown(args, SIMILAR_PARAMS)
    return whole_number(single(args, "k", str(DEFAULT_K)), "k")


def parse_filters(args: MultiDict) -> Filters:
    """Filters from the query string.  Empty values (a form's "any" choice) mean no restriction."""
    date_from, date_to = single(args, "from").strip(), single(args, "to").strip()
    values = {name: [v.strip() for v in args.getlist(name) if v.strip()] for name in REPEATABLE}
    for name in ("year", "exclude_year"):
        values[name] = [whole_number(v, name) for v in values[name]]
    for name in ("country", "exclude_country"):
        values[name] = [v.title() for v in values[name]]
    for name in ("language", "exclude_language"):
        values[name] = [v.lower() for v in values[name]]
    return Filters(
        date_from=parse_filter_date(date_from, "from") if date_from else None,
        date_to=parse_filter_date(date_to, "to", end=True) if date_to else None,
        **{field: tuple(values[name]) for name, field in REPEATABLE.items()},
    )


def current_archive() -> Archive:
    """The archive this request uses.  It is taken once per request, so a request is answered from one
    index generation even when a build finishes and the server switches to the next one meanwhile."""
    if "archive" not in g:
        g.archive = current_app.extensions["archive"].current()
    return g.archive
