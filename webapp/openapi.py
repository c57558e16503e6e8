"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Records are closed (`additionalProperties: false`, every field required), so a field added to or
dropped from a `to_json` in the library without updating this document fails tests/test_openapi.py.
"""

from __future__ import annotations

import copy

from index.facade import LIMITS

from .citations import DEFAULT_FORMAT, FORMATS
from .params import DEFAULT_GROUP, DEFAULT_K, DEFAULT_MODE, DEFAULT_SORT


def record(description: str, **properties) -> dict:
    """A JSON object with exactly these fields, all present (null where a schema allows it)."""
    return {"type": "object", "description": description, "properties": properties,
            "required": list(properties), "additionalProperties": False}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


STRING = {"type": "string"}
STRINGS = {"type": "array", "items": STRING}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
ISO_DATE = r"^\d{4}-\d{2}(-\d{2})?$"

ISSUE_SUMMARY = {
    "id": {"type": "string", "description": "stable id: the source file name without its extension"},
    "number": nullable("integer", description="issue number as printed; numbering restarts each year; "
                                              "null when unknown"),
    "date": nullable("string", pattern=ISO_DATE, description="YYYY-MM-DD, or YYYY-MM for a month-precision date"),
    "date_inferred": {"type": "boolean", "description": "true when the date was worked out from the stories"},
    "title": STRING,
}
ISSUE = {
    **ISSUE_SUMMARY,
    "source": {"type": "string", "description": "the file the issue was read from"},
    "date_precision": {"enum": ["day", "month", None]},
    "source_link": nullable("string"),
    "newsletter": {"type": "string", "description": "the newsletter's name (the catalog's)"},
    "author": nullable("string", description="whom a citation names as the author (the catalog's); null when not known"),
    "provenance": {"type": "object", "description": "where each metadata field came from",
                   "additionalProperties": {"enum": ["printed", "inferred", "catalog", "unknown"]}},
}
SECTION = {
    "id": STRING,
    "position": {"type": "integer", "minimum": 1},
    "title": STRING,
    "title_generated": {"type": "boolean", "description": "true when the title is the story's first words"},
    "dateline": nullable("string"),
    "countries": STRINGS,
}
PAGE = nullable("integer", minimum=1, description="the PDF page the passage starts on; null for other formats")
PASSAGE = {
    "id": STRING,
    "issue_id": STRING,
    "section_id": STRING,
    "section": {"type": "string", "description": "the section's title"},
    "position": {"type": "integer", "minimum": 1},
    "text": STRING,
    "countries": STRINGS,
    "recurring": {"type": "boolean", "description": "boilerplate repeated across issues (contacts, hotlines)"},
    "page": PAGE,
    "language": {"enum": [code for code, _ in LIMITS.languages],
                 "description": "the language most of the passage is written in: en (English), ru (Russian)"},
}
HIT = {
    "passage_id": STRING,
    "score": {"type": "number"},
    "text": STRING,
    "section": STRING,
    "issue": ref("IssueSummary"),
    "found_by": {"type": "object", "description": "each mode that found the passage, with its 1-based rank there; "
                                                  "figure: the passage holds a figure whose label and sentence "
                                                  "match the query (hybrid), or of the value a number query names "
                                                  "(ranked first for it)",
                 "properties": {"keyword": {"type": "integer", "minimum": 1},
                                "semantic": {"type": "integer", "minimum": 1},
                                "figure": {"type": "integer", "minimum": 1}},
                 "additionalProperties": False, "minProperties": 1},
    "countries": STRINGS,
    "recurring": {"type": "boolean"},
    "page": PAGE,
    "language": {"enum": [code for code, _ in LIMITS.languages]},
}
FIGURE_KIND = {"enum": list(LIMITS.figure_kinds)}
FIGURE = {
    "id": {"type": "string", "description": "the passage id and the figure's place in it, e.g. ...-s1-p1-f4"},
    "value": {"type": "number", "description": "the figure's value: thousands separators dropped, a scale applied "
                                               "(\"2,5 million\" is 2500000), a range by its lower bound"},
    "kind": FIGURE_KIND,
    "unit": {"type": "string", "description": "ISO currency code for money, time unit for a duration, percent, or empty"},
    "qualifier": {"type": "string", "description": "what bounds the figure as printed (more than, around...), or empty"},
    "label": {"type": "string", "description": "what the figure counts"},
    "as_printed": STRING,
    "sentence": {"type": "string", "description": "the sentence the figure stands in"},
    "parts": {"type": "array", "description": "a printed breakdown, e.g. male 691 and female 440",
              "items": record("one part of a breakdown", name=STRING, value={"type": "number"})},
    "passage_id": STRING,
    "section": {"type": "string", "description": "the title of the passage's section"},
    "issue": ref("IssueSummary"),
    "date": nullable("string", pattern=ISO_DATE, description="the issue's date"),
    "countries": STRINGS,
    "language": {"enum": [code for code, _ in LIMITS.languages], "description": "the language of its passage"},
    "start": {"type": "integer", "minimum": 0, "description": "offset of as_printed in the passage text"},
    "end": {"type": "integer", "minimum": 0},
}
SEARCH_HIT = record(
    "one result: a passage that matches the query, or one related to it by meaning only", **HIT,
    match={"type": "boolean", "description": "true: the passage matches the query (its quoted phrases, AND, OR, "
           "NOT and -word, and of words side by side all of them up to three, 60% of a longer run, rounded up); "
           "false: related by meaning only"},
    more_in_story={"type": "integer", "minimum": 0, "description": "only when grouped by story: how many more "
                   "passages of this story the search shows (this one speaks for it: its best, a matching one first)"})
SEARCH_HIT["required"].remove("more_in_story")
ISO_DATE_OR_YEAR = r"^\d{4}(-\d{2})?$"
SERIES_POINT = {
    "value": {"type": "number"},
    "as_printed": STRING,
    "label": {"type": "string", "description": "what the figure counts, as worded in this issue"},
    "date": {"type": "string", "pattern": ISO_DATE},
    "passage_id": STRING,
    "issue": ref("IssueSummary"),
}

SCHEMAS = {
    "Error": record("what went wrong, in words fit to show a user", error=STRING),
    "IssueSummary": record("a newsletter issue, as a hit names it", **ISSUE_SUMMARY),
    "Issue": record("a newsletter issue's metadata", **ISSUE),
    "Section": record("one story of an issue", **SECTION),
    "Passage": record("a searchable piece of a section", **PASSAGE),
    "Hit": record("one ranked passage", **HIT),
    "SearchHit": SEARCH_HIT,
    "SearchResult": record(
        "one page of results, and what the whole result set holds.  A search shows the passages that "
        "match the query and, outside keyword mode and for a query without operators (quotes, AND, OR, "
        "NOT, -word), those related to it by meaning only: a passage whose similarity to the query is at "
        f"least {LIMITS.related_min_similarity} and at least {LIMITS.related_min_margin} above the query's median "
        "similarity to the archive's passages. Both kinds are ranked together, each hit marked",
        query=STRING, mode={"enum": list(LIMITS.modes)}, sort={"enum": list(LIMITS.sorts)},
        group={"enum": list(LIMITS.groups)},
        total={"type": "integer", "minimum": 0, "description": "passages shown in all: counts.match + counts.related"},
        counts=record("the passages shown, by kind",
                      match={"type": "integer", "minimum": 0, "description": "passages that match the query; "
                             "the same number in every mode, keyword mode's total"},
                      related={"type": "integer", "minimum": 0,
                               "description": "passages related by meaning only (0 in keyword mode)"}),
        results={"type": "integer", "minimum": 0,
                 "description": "what offset and k page through: stories when group is story, else passages"},
        offset={"type": "integer", "minimum": 0}, hits={"type": "array", "items": ref("SearchHit")},
        facets=record("the passages shown by year, country, newsletter issue id and language; each value counted as if "
                      "chosen: with the other facets' filters and the dates, not its own facet's (a value "
                      "chosen or left out is listed, with 0 when nothing else is left); besides years, the 20 most "
                      "frequent values of each facet, and any chosen or left out",
                      year=COUNTS, country=COUNTS, issue=COUNTS, language=COUNTS),
        suggestion=nullable("string", description="the query with each word the archive does not hold spelt as "
                                                  "the archive's nearest word (did you mean); null when none"),
        date_filter={"oneOf": [{"type": "null"}, record(
            "a year or month the query names, offered as a filter (not applied): search `query` with "
            "from and to", label=STRING, **{"from": {"type": "string", "pattern": ISO_DATE_OR_YEAR},
                                          "to": {"type": "string", "pattern": ISO_DATE_OR_YEAR}},
            query={"type": "string", "description": "the query without the date"})]}),
    "Related": record("a passage from another issue and why it is related", **HIT, why=record(
        "reasons for a reader to judge", similarity={"type": "number"}, shared_countries=STRINGS,
        shared_figures=STRINGS, shared_names={**STRINGS, "description": "names of places, programmes and "
                                              "organisations, and phrases (points of entry), both print"})),
    "SimilarResult": record("related passages from other issues, most similar first",
                            passage_id=STRING, hits={"type": "array", "items": ref("Related")}),
    "PassageDetail": record("a passage with its issue", **PASSAGE, issue=ref("Issue")),
    "IssueWithSections": record("an issue and its section titles", **ISSUE,
                                sections={"type": "array", "items": ref("Section")}),
    "IssueList": record("every issue, oldest first", issues={"type": "array", "items": ref("IssueWithSections")}),
    "Figure": record("one figure printed in a passage", **FIGURE),
    "FigureSeries": record(
        "one quantity reported in several newsletter issues, one point per issue, oldest first",
        id={"type": "string", "description": "its first point's figure id; the chart is at /figures/series/{id}.svg "
                                             "and its points at /figures/series/{id}.csv (any point's id finds it)"},
        label={"type": "string", "description": "the most descriptive of the points' labels"},
        kind={"enum": list(LIMITS.series_kinds)}, unit=STRING,
        points={"type": "array", "minItems": 2, "items": record("one issue's figure", **SERIES_POINT)}),
    "FigureResult": record(
        "one page of figures (from offset), how many there are in all, and the series any of them is a point of",
        query=STRING, sort={"enum": list(LIMITS.figure_sorts)}, total={"type": "integer", "minimum": 0},
        offset={"type": "integer", "minimum": 0},
        figures={"type": "array", "items": ref("Figure")},
        series={"type": "array", "items": ref("FigureSeries")}),
    "IssueDetail": record("a whole issue, section by section", **ISSUE, sections={"type": "array", "items": record(
        "a section with its passages", **SECTION, passages={"type": "array", "items": ref("Passage")})}),
}


def query_parameter(name: str, schema: dict, description: str, required: bool = False) -> dict:
    """An optional parameter other than a number may be sent empty (as a form's "any" choice sends it):
    it then means no restriction, or the default."""
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description,
            **({"allowEmptyValue": True} if not required and schema.get("type") != "integer" else {})}


def repeatable(name: str, items: dict, description: str) -> dict:
    return {**query_parameter(name, {"type": "array", "items": items}, description + "; repeat for several"),
            "style": "form", "explode": True, "allowEmptyValue": True}


def path_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": STRING, "description": description}


FILTER_DATE = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
K = query_parameter("k", {"type": "integer", "minimum": 1, "maximum": LIMITS.max_k, "default": DEFAULT_K},
                    "how many results")
SEARCH_PARAMETERS = [
    query_parameter("q", {"type": "string", "minLength": 1, "maxLength": LIMITS.max_query_chars},
                    f"words, a \"phrase\", or a number (7801 finds 7,801); at most {LIMITS.max_query_words} words",
                    required=True),
    query_parameter("mode", {"enum": list(LIMITS.modes), "default": DEFAULT_MODE},
                    "keyword, semantic, or both fused (hybrid)"),
    K,
    query_parameter("offset", {"type": "integer", "minimum": 0, "maximum": LIMITS.max_offset, "default": 0},
                    "results to skip, for paging"),
    query_parameter("sort", {"enum": list(LIMITS.sorts), "default": DEFAULT_SORT},
                    "relevance (best first), newest or oldest (by issue date; undated issues last)"),
    query_parameter("group", {"enum": list(LIMITS.groups), "default": DEFAULT_GROUP},
                    "story: one result per story, its best passage, with more_in_story; passage: every passage"),
    query_parameter("from", {"type": "string", "pattern": FILTER_DATE},
                    "earliest issue date, YYYY, YYYY-MM or YYYY-MM-DD (inclusive)"),
    query_parameter("to", {"type": "string", "pattern": FILTER_DATE},
                    "latest issue date, YYYY, YYYY-MM or YYYY-MM-DD (inclusive; a year or month means its end)"),
    repeatable("issue", STRING, "only these newsletter issue ids"),
    repeatable("country", STRING, "only passages about any of these countries (Kazakhstan, Kyrgyzstan, "
                                  "Tajikistan, Turkmenistan, Uzbekistan)"),
    repeatable("year", {"type": "integer"}, "only issues of these years"),
    repeatable("exclude_issue", STRING, "leave out these newsletter issue ids"),
    repeatable("exclude_country", STRING, "leave out passages about these countries"),
    repeatable("exclude_year", {"type": "integer"}, "leave out issues of these years"),
    repeatable("language", STRING, "only passages written in any of these languages (en, ru)"),
    repeatable("exclude_language", STRING, "leave out passages written in these languages"),
]

NUMBER_TEXT = {"type": "string", "description": "a number: 1000, 7,801, 7 801 or 2.5"}
FIGURE_PARAMETERS = [
    query_parameter("q", STRING, "what is counted (matched against each figure's label and sentence, by words and "
                                 "by meaning); a number puts the figures of that value first; empty or absent: every "
                                 "figure that passes the filters, newest issue first"),
    query_parameter("min", NUMBER_TEXT, "smallest value (inclusive)"),
    query_parameter("max", NUMBER_TEXT, "largest value (inclusive)"),
    query_parameter("from", {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                    "earliest issue date, YYYY, YYYY-MM or YYYY-MM-DD (inclusive)"),
    query_parameter("to", {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                    "latest issue date (inclusive; a year or month means its end)"),
    query_parameter("kind", FIGURE_KIND, "only figures of this kind; absent: every kind but contact (phone "
                                         "numbers and hotlines are not figures unless asked for)"),
    query_parameter("sort", {"enum": list(LIMITS.figure_sorts), "default": "relevance"},
                    "relevance (best match first) or date: the figures whose label holds the query's words "
                    "that are words of some label, newest issue first"),
    query_parameter("k", {"type": "integer", "minimum": 1, "maximum": LIMITS.max_k, "default": LIMITS.default_figures_k},
                    "how many figures"),
    query_parameter("offset", {"type": "integer", "minimum": 0, "maximum": LIMITS.max_offset, "default": 0},
                    "figures to skip, for paging"),
]


def error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def success(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


RESPONSES = {
    "BadRequest": error("a parameter is unknown, repeated, of the wrong type or out of range; "
                        "the message names it"),
    "NotFound": error("no passage or newsletter issue with this id"),
    "Unavailable": error("no usable index: none built yet, or built by another version"),
    "InternalError": error("a bug; no details are given"),
}


def operation(summary: str, ok: dict, parameters: list[dict], not_found: bool = False) -> dict:
    responses = {"200": ok, "400": {"$ref": "#/components/responses/BadRequest"}}
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    responses["500"] = {"$ref": "#/components/responses/InternalError"}
    responses["503"] = {"$ref": "#/components/responses/Unavailable"}
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


PASSAGE_ID = path_parameter("passage_id", "e.g. 001_246ca7c614daeaee-s4-p1")
CSL_DATE = {"type": "object", "required": ["date-parts"], "properties": {
    "date-parts": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3},
                   "minItems": 1, "maxItems": 1},
    "circa": {"type": "boolean", "description": "true: the date is not printed in the issue but inferred from its stories"}}}
CSL_ITEMS = {"type": "array", "minItems": 1, "maxItems": 1, "description": "CSL-JSON (the Citation Style Language's data schema)",
             "items": {"type": "object", "required": ["id", "type", "title", "container-title", "URL", "accessed"],
                       "additionalProperties": False, "properties": {
                           "id": {"type": "string", "description": "the passage id"}, "type": {"const": "article-magazine"},
                           "title": {"type": "string", "description": "the story's title, in title case"},
                           "container-title": {"type": "string", "description": "the newsletter"},
                           "author": {"type": "array", "items": record("a corporate author", literal=STRING)},
                           "issue": {"type": "string", "description": "the issue number, where known"},
                           "issued": CSL_DATE, "note": STRING,
                           "page": {"type": "string", "description": "the page of the PDF the passage came from"},
                           "URL": {"type": "string", "description": "the passage's permalink"}, "accessed": CSL_DATE}}}
CITE = {"description": "the citation in the format asked for; every format but text is sent as a file to save "
                       "(Content-Disposition: attachment)",
        "content": {kind.media_type.split(";")[0]: {"schema": CSL_ITEMS if name == "csl" else STRING}
                    for name, kind in FORMATS.items()}}
CITE_FORMAT = query_parameter("format", {"enum": list(FORMATS), "default": DEFAULT_FORMAT},
                              "text (a reference to paste), bibtex, ris (Zotero, EndNote) or csl (CSL-JSON)")
ISSUE_ID = path_parameter("issue_id", "e.g. 001_246ca7c614daeaee")

PATHS = {
    "/api/search": operation("ranked passages for a query", success("one page of hits", "SearchResult"),
                             SEARCH_PARAMETERS),
    "/api/figures": operation("figures by what they count, and the quantities reported over time",
                              success("the figures and their series", "FigureResult"), FIGURE_PARAMETERS),
    "/api/passages/{passage_id}": operation("one passage and its issue", success("the passage", "PassageDetail"),
                                            [PASSAGE_ID], not_found=True),
    "/api/passages/{passage_id}/cite": operation(
        "the passage's citation: author, story title, newsletter, issue number and date where known (an inferred "
        "date says so), page, permalink and access date", CITE, [PASSAGE_ID, CITE_FORMAT], not_found=True),
    "/api/passages/{passage_id}/similar": operation(
        "related passages from other newsletter issues, boilerplate and near-copies left out",
        success("related passages, each with why", "SimilarResult"), [PASSAGE_ID, K], not_found=True),
    "/api/issues": operation("every newsletter issue with its section titles, oldest first",
                             success("the issues", "IssueList"), []),
    "/api/issues/{issue_id}": operation("a whole newsletter issue, section by section",
                                        success("the issue", "IssueDetail"), [ISSUE_ID], not_found=True),
    "/api/openapi.json": {"get": {"summary": "this document", "responses": {
        "200": {"description": "the OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}}}},
}


def openapi_document() -> dict:
    """A fresh copy each call, so no caller can change what the next one gets."""
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "Newsletter archive", "version": "1.0.0",
                 "description": "Search the IOM Central Asia Regional Response Report archive. Every route takes "
                                "only the parameters listed; any other is refused with 400, except tracking "
                                "parameters (utm_*, fbclid, gclid, mc_cid, mc_eid), which are ignored. Errors "
                                "are `{\"error\": \"...\"}`."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "responses": RESPONSES},
    })
