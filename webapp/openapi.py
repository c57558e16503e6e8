"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Records are closed (`additionalProperties: false`, every field required), so a field added to or
dropped from a `to_json` in the library without updating this document fails tests/test_openapi.py.
"""

from __future__ import annotations

import copy

from index.facade import MAX_K, MODES

from .params import DEFAULT_K, DEFAULT_MODE


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
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}
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
PASSAGE = {
    "id": STRING,
    "issue_id": STRING,
    "section_id": STRING,
    "section": {"type": "string", "description": "the section's title"},
    "position": {"type": "integer", "minimum": 1},
    "text": STRING,
    "countries": STRINGS,
    "recurring": {"type": "boolean", "description": "boilerplate repeated across issues (contacts, hotlines)"},
}
HIT = {
    "passage_id": STRING,
    "score": {"type": "number"},
    "text": STRING,
    "section": STRING,
    "issue": ref("IssueSummary"),
    "found_by": {"type": "object", "description": "each mode that found the passage, with its 1-based rank there",
                 "properties": {"keyword": {"type": "integer", "minimum": 1},
                                "semantic": {"type": "integer", "minimum": 1}},
                 "additionalProperties": False, "minProperties": 1},
    "countries": STRINGS,
    "recurring": {"type": "boolean"},
}

SCHEMAS = {
    "Error": record("what went wrong, in words fit to show a user", error=STRING),
    "IssueSummary": record("a newsletter issue, as a hit names it", **ISSUE_SUMMARY),
    "Issue": record("a newsletter issue's metadata", **ISSUE),
    "Section": record("one story of an issue", **SECTION),
    "Passage": record("a searchable piece of a section", **PASSAGE),
    "Hit": record("one ranked passage", **HIT),
    "SearchResult": record(
        "one page of ranked hits; total and facets count the whole result set",
        query=STRING, mode={"enum": list(MODES)}, total={"type": "integer", "minimum": 0},
        offset={"type": "integer", "minimum": 0}, hits={"type": "array", "items": ref("Hit")},
        facets=record("passages of the whole result set by year, country and newsletter issue id",
                      year=COUNTS, country=COUNTS, issue=COUNTS)),
    "Related": record("a passage from another issue and why it is related", **HIT, why=record(
        "reasons for a reader to judge", similarity={"type": "number"}, shared_countries=STRINGS,
        shared_figures=STRINGS, shared_terms=STRINGS)),
    "SimilarResult": record("related passages from other issues, most similar first",
                            passage_id=STRING, hits={"type": "array", "items": ref("Related")}),
    "PassageDetail": record("a passage with its issue", **PASSAGE, issue=ref("Issue")),
    "IssueWithSections": record("an issue and its section titles", **ISSUE,
                                sections={"type": "array", "items": ref("Section")}),
    "IssueList": record("every issue, oldest first", issues={"type": "array", "items": ref("IssueWithSections")}),
    "IssueDetail": record("a whole issue, section by section", **ISSUE, sections={"type": "array", "items": record(
        "a section with its passages", **SECTION, passages={"type": "array", "items": ref("Passage")})}),
}


def query_parameter(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def repeatable(name: str, items: dict, description: str) -> dict:
    return {**query_parameter(name, {"type": "array", "items": items}, description + "; repeat for several"),
            "style": "form", "explode": True}


def path_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": STRING, "description": description}


K = query_parameter("k", {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": DEFAULT_K},
                    "how many results")
SEARCH_PARAMETERS = [
    query_parameter("q", {"type": "string", "minLength": 1}, "words, a \"phrase\", or a number (7801 finds 7,801)",
                    required=True),
    query_parameter("mode", {"enum": list(MODES), "default": DEFAULT_MODE},
                    "keyword, semantic, or both fused (hybrid)"),
    K,
    query_parameter("offset", {"type": "integer", "minimum": 0, "default": 0}, "results to skip, for paging"),
    query_parameter("from", {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                    "earliest issue date, YYYY, YYYY-MM or YYYY-MM-DD (inclusive)"),
    query_parameter("to", {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
                    "latest issue date, YYYY, YYYY-MM or YYYY-MM-DD (inclusive; a year or month means its end)"),
    repeatable("issue", STRING, "only these newsletter issue ids"),
    repeatable("country", STRING, "only passages about any of these countries (Kazakhstan, Kyrgyzstan, "
                                  "Tajikistan, Turkmenistan, Uzbekistan)"),
    repeatable("year", {"type": "integer"}, "only issues of these years"),
    repeatable("exclude_issue", STRING, "leave out these newsletter issue ids"),
    repeatable("exclude_country", STRING, "leave out passages about these countries"),
    repeatable("exclude_year", {"type": "integer"}, "leave out issues of these years"),
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
ISSUE_ID = path_parameter("issue_id", "e.g. 001_246ca7c614daeaee")

PATHS = {
    "/api/search": operation("ranked passages for a query", success("one page of hits", "SearchResult"),
                             SEARCH_PARAMETERS),
    "/api/passages/{passage_id}": operation("one passage and its issue", success("the passage", "PassageDetail"),
                                            [PASSAGE_ID], not_found=True),
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
                                "only the parameters listed; any other is refused with 400. Errors are "
                                "`{\"error\": \"...\"}`."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "responses": RESPONSES},
    })
