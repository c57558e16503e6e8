"""The JSON API.  Shapes are the facade's `to_json` (the same as `scripts/archive ... --json`),
described in webapp/openapi.py; errors are `{"error": "..."}` (see create_app's handlers)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request


from .citations import DEFAULT_FORMAT, citation_response
from .openapi import openapi_document
from .params import (
    current_archive,
    parse_figures,
    parse_search,
    parse_similar_k,
    reject_unknown,
    single,
)

bp = Blueprint("api", __name__)


def no_parameters() -> None:
    reject_unknown(request.args, ())


@bp.get("/search")
def search():
    return jsonify(parse_search(request.args).run(current_archive()).to_json())


@bp.get("/figures")
def figures():
    return jsonify(current_archive().search_figures(parse_figures(request.args)).to_json())


@bp.get("/passages/<passage_id>")
def passage(passage_id: str):
    no_parameters()
    found, issue = current_archive().passage(passage_id)
    return jsonify({**found.to_json(), "issue": issue.to_json()})


@bp.get("/passages/<passage_id>/cite")
def cite(passage_id: str):
    """The passage's citation as plain text, BibTeX, RIS or CSL-JSON (see webapp.citations)."""
    reject_unknown(request.args, ("format",))
    return citation_response(passage_id, single(request.args, "format").strip() or DEFAULT_FORMAT)


@bp.get("/passages/<passage_id>/similar")
def similar(passage_id: str):
    k = parse_similar_k(request.args)
    related = current_archive().similar(passage_id, k=k)
    return jsonify({"passage_id": passage_id, "hits": [r.to_json() for r in related]})


@bp.get("/issues")
def issues():
    no_parameters()
    return jsonify({"issues": [view.to_json(with_passages=False) for view in current_archive().issues()]})


@bp.get("/issues/<issue_id>")
def issue(issue_id: str):
    no_parameters()
    return jsonify(current_archive().issue(issue_id).to_json())


@bp.get("/openapi.json")
def openapi():
    no_parameters()
    return jsonify(openapi_document())
