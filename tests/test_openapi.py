"""The served OpenAPI document is valid, covers every API route, and every response of every route,
good and bad, matches the schema the document gives for its status code."""

from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from webapp import create_app

RING_PASSAGE = "003_831dd773c1231ba4-s2-p1"
ISSUE_9 = "001_246ca7c614daeaee"

# (request, the documented path it is an instance of, the status it must get)
EXCHANGES = [
    ("/api/search?q=RING+training", "/api/search", 200),
    ("/api/search?q=training&k=100&mode=keyword&country=Tajikistan&country=Uzbekistan&from=2020&to=2021-12",
     "/api/search", 200),
    ("/api/search?q=coronavirus&mode=semantic&exclude_year=2020&exclude_country=Kazakhstan", "/api/search", 200),
    (f"/api/search?q=training&issue={ISSUE_9}&exclude_issue=000_01b647a0f58beec8&year=2020", "/api/search", 200),
    ("/api/search?q=xyzzyqq&mode=keyword", "/api/search", 200),
    ("/api/search?q=trafficing", "/api/search", 200),  # a suggestion, related passages only
    ("/api/search?q=trafficking+in+2021&sort=newest", "/api/search", 200),  # a date offered as a filter
    ("/api/search?q=trafficking&group=passage&sort=oldest&utm_source=feed&fbclid=abc", "/api/search", 200),
    ("/api/search?q=trafficking&year=2021&exclude_country=Kazakhstan", "/api/search", 200),  # facets list both
    ("/api/search?q=ring&sort=date", "/api/search", 400),
    ("/api/search?q=ring&group=issue", "/api/search", 400),
    ("/api/search?q=", "/api/search", 400),
    ("/api/search?q=ring&k=abc", "/api/search", 400),
    ("/api/search?q=ring&from=2022&to=2021", "/api/search", 400),
    ("/api/search?q=ring&unknown=1", "/api/search", 400),
    ("/api/figures?q=victims+of+trafficking+assisted", "/api/figures", 200),
    ("/api/figures", "/api/figures", 200),
    ("/api/figures?q=7801&min=1000&max=10,000&kind=count&sort=date&from=2020&to=2020-12&k=5", "/api/figures", 200),
    ("/api/figures?kind=contact&k=100", "/api/figures", 200),
    ("/api/figures?kind=duration", "/api/figures", 200),
    ("/api/figures?q=migrants&offset=5&k=5", "/api/figures", 200),
    ("/api/figures?offset=-1", "/api/figures", 400),
    ("/api/figures?min=abc", "/api/figures", 400),
    ("/api/figures?min=5&max=1", "/api/figures", 400),
    ("/api/figures?kind=ratio", "/api/figures", 400),
    ("/api/figures?q=x&q=y", "/api/figures", 400),
    ("/api/figures?colour=red", "/api/figures", 400),
    ("/api/search?q=7801&mode=semantic", "/api/search", 200),
    (f"/api/passages/{RING_PASSAGE}", "/api/passages/{passage_id}", 200),
    ("/api/passages/nope", "/api/passages/{passage_id}", 404),
    (f"/api/passages/{RING_PASSAGE}?k=1", "/api/passages/{passage_id}", 400),
    (f"/api/passages/{RING_PASSAGE}/similar?k=5", "/api/passages/{passage_id}/similar", 200),
    ("/api/passages/002_44f630649352dfb2-s3-p2/similar", "/api/passages/{passage_id}/similar", 200),
    (f"/api/passages/{RING_PASSAGE}/similar?k=0", "/api/passages/{passage_id}/similar", 400),
    ("/api/passages/nope/similar", "/api/passages/{passage_id}/similar", 404),
    (f"/api/passages/{RING_PASSAGE}/cite?format=xml", "/api/passages/{passage_id}/cite", 400),
    (f"/api/passages/{RING_PASSAGE}/cite?style=apa", "/api/passages/{passage_id}/cite", 400),
    ("/api/passages/nope/cite?format=ris", "/api/passages/{passage_id}/cite", 404),
    ("/api/issues", "/api/issues", 200),
    ("/api/issues?page=2", "/api/issues", 400),
    (f"/api/issues/{ISSUE_9}", "/api/issues/{issue_id}", 200),
    ("/api/issues/000_01b647a0f58beec8", "/api/issues/{issue_id}", 200),
    ("/api/issues/nope", "/api/issues/{issue_id}", 404),
    ("/api/openapi.json", "/api/openapi.json", 200),
    ("/api/openapi.json?v=2", "/api/openapi.json", 400),
]


@pytest.fixture(scope="module")
def client(corpus_archive):
    return create_app(archive=corpus_archive).test_client()


@pytest.fixture(scope="module")
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def response_schema(spec: dict, path: str, status: int) -> dict:
    """The JSON schema the document gives for `status` on GET `path`, its $refs resolvable."""
    responses = spec["paths"][path]["get"]["responses"]
    assert str(status) in responses, f"{path} does not document status {status}"
    response = resolve_ref(spec, responses[str(status)])
    return {**resolve_schema_root(spec), **response["content"]["application/json"]["schema"]}


def resolve_ref(spec: dict, node: dict) -> dict:
    """`node`, or the part of the document its local `$ref` points at."""
    while "$ref" in node:
        assert node["$ref"].startswith("#/"), node["$ref"]
        target = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def resolve_schema_root(spec: dict) -> dict:
    """Schema keywords that let `#/components/...` references resolve against the document."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": spec["components"]}


def test_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_document_describes_every_api_route(client, spec):
    app_routes = {re.sub(r"<(\w+)>", r"{\1}", rule.rule) for rule in client.application.url_map.iter_rules()
                  if rule.rule.startswith("/api/")}
    assert app_routes == set(spec["paths"])


def test_every_exchange_is_listed_for_every_documented_path(spec):
    assert {path for _, path, _ in EXCHANGES} == set(spec["paths"])


@pytest.mark.parametrize("url, path, status", EXCHANGES)
def test_response_matches_documented_schema(client, spec, url, path, status):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    jsonschema.validate(response.get_json(), response_schema(spec, path, status),
                        cls=jsonschema.Draft202012Validator)


def test_unknown_api_route_answers_with_the_error_schema(client, spec):
    response = client.get("/api/no-such-route")
    assert response.status_code == 404
    schema = {**resolve_schema_root(spec), "$ref": "#/components/schemas/Error"}
    jsonschema.validate(response.get_json(), schema, cls=jsonschema.Draft202012Validator)


def test_schemas_are_strict_enough_to_catch_a_wrong_shape(client, spec):
    """A hit missing a field, or carrying one the document does not know, must fail validation."""
    body = client.get("/api/search?q=ring").get_json()
    schema = response_schema(spec, "/api/search", 200)
    del body["hits"][0]["section"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
    body = client.get("/api/search?q=ring").get_json()
    body["hits"][0]["issue"]["extra"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def test_documented_parameters_are_the_ones_the_search_takes(client, spec):
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    for name in names - {"q"}:
        value = {"mode": "keyword", "k": "3", "offset": "0", "sort": "newest", "group": "passage",
                 "from": "2020", "to": "2022", "year": "2020",
                 "exclude_year": "2021", "country": "Tajikistan", "exclude_country": "Kazakhstan",
                 "issue": ISSUE_9, "exclude_issue": ISSUE_9, "language": "en", "exclude_language": "ru"}[name]
        assert client.get(f"/api/search?q=migrants&{name}={value}").status_code == 200, name


def test_figure_schemas_are_closed(client, spec):
    """A figure or series point missing a field, or with one the document does not know, fails."""
    schema = response_schema(spec, "/api/figures", 200)
    body = client.get("/api/figures?q=registered").get_json()
    assert body["figures"] and body["series"]
    del body["figures"][0]["sentence"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
    body = client.get("/api/figures?q=registered").get_json()
    body["series"][0]["points"][0]["extra"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def test_documented_parameters_are_the_ones_the_figure_search_takes(client, spec):
    names = {p["name"] for p in spec["paths"]["/api/figures"]["get"]["parameters"]}
    values = {"q": "migrants", "min": "100", "max": "10000", "from": "2020", "to": "2022", "kind": "count",
              "sort": "date", "k": "3", "offset": "2"}
    assert names == set(values)
    for name, value in values.items():
        assert client.get(f"/api/figures?{name}={value}").status_code == 200, name
