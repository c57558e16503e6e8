"""The JSON API, through Flask's test client, on the real five issues.  Shapes are checked against
the OpenAPI document in test_openapi.py; here: content, status codes and error messages."""

from __future__ import annotations

import pytest

from webapp import create_app

RING_PASSAGE = "003_831dd773c1231ba4-s2-p1"  # "RING TRAINING IN TASHKENT", November 2021 (no date printed)
ISSUE_9 = "001_246ca7c614daeaee"  # ISSUE 9, 24/12/2020
TAJIK_BORDER_HEALTH = "004_b65f6fdd4f2a120b-s3-p1"  # ToT on recognizing, isolation, referral, support (Aug 2022)


@pytest.fixture(scope="module")
def client(corpus_archive):
    return create_app(archive=corpus_archive).test_client()


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    assert "Traceback" not in body["error"]
    return body["error"]


def test_search_returns_the_tashkent_ring_story_first(client):
    body = client.get("/api/search?q=RING+training").get_json()
    first = body["hits"][0]
    assert first["passage_id"] == RING_PASSAGE
    assert first["section"] == "RING TRAINING IN TASHKENT"
    assert first["issue"] == {"id": "003_831dd773c1231ba4", "number": None, "date": "2021-11",
                              "date_inferred": True,
                              "title": "IOM Central Asia Regional Response Report, November 2021"}
    assert first["found_by"] == {"keyword": 1, "semantic": 1}
    assert "IOM Tashkent held a RING" in first["text"]
    assert body["query"] == "RING training" and body["mode"] == "hybrid" and body["offset"] == 0
    assert len(body["hits"]) == 10 or len(body["hits"]) == body["total"]


def test_search_k_offset_and_mode(client):
    two = client.get("/api/search?q=training&k=2&mode=keyword").get_json()
    assert len(two["hits"]) == 2
    assert all(list(hit["found_by"]) == ["keyword"] for hit in two["hits"])
    next_two = client.get("/api/search?q=training&k=2&offset=2&mode=keyword").get_json()
    assert next_two["offset"] == 2
    assert {h["passage_id"] for h in two["hits"]}.isdisjoint(h["passage_id"] for h in next_two["hits"])
    assert len(client.get("/api/search?q=training&k=100").get_json()["hits"]) <= 100


def test_search_repeated_filters_mean_any_of_them(client):
    url = "/api/search?q=training&k=100&country=Turkmenistan&country=Kyrgyzstan"
    hits = client.get(url).get_json()["hits"]
    assert hits
    assert all({"Turkmenistan", "Kyrgyzstan"} & set(hit["countries"]) for hit in hits)
    url = f"/api/search?q=migrants&k=100&issue={ISSUE_9}&issue=002_44f630649352dfb2"
    issues = {hit["issue"]["id"] for hit in client.get(url).get_json()["hits"]}
    assert issues == {ISSUE_9, "002_44f630649352dfb2"}


def test_search_date_range_and_exclusions(client):
    hits = client.get("/api/search?q=migration&k=100&from=2021-01&to=2022-12").get_json()["hits"]
    assert hits and all(hit["issue"]["date"] >= "2021" for hit in hits)
    body = client.get("/api/search?q=migration&k=100&exclude_year=2020&exclude_country=Kazakhstan").get_json()
    assert body["hits"]
    assert all(not hit["issue"]["date"].startswith("2020") for hit in body["hits"])
    assert all("Kazakhstan" not in hit["countries"] for hit in body["hits"])
    # a year left out stays in its facet, counted as if chosen (with Kazakhstan still left out)
    assert body["facets"]["year"]["2020"] > 0
    assert "Kazakhstan" in body["facets"]["country"]


def test_search_facets_count_the_whole_result_set(client):
    body = client.get("/api/search?q=training&k=1").get_json()
    assert sum(body["facets"]["issue"].values()) == body["total"]
    assert set(body["facets"]["year"]) <= {"2020", "2021", "2022"}


def test_search_country_names_are_case_insensitive(client):
    hits = client.get("/api/search?q=training&country=tajikistan").get_json()["hits"]
    assert hits and all("Tajikistan" in hit["countries"] for hit in hits)


def test_search_figure_written_with_separator(client):
    hits = client.get("/api/search?q=7801&mode=keyword").get_json()["hits"]
    assert hits and "7,801" in hits[0]["text"]


@pytest.mark.parametrize("query, message", [
    ("", "the query is empty"),
    ("q=", "the query is empty"),
    ("q=%20%20", "the query is empty"),
    ("q=" + "x" * 10_000, "the limit is 1000"),
    ("q=ring&k=0", "k must be between 1 and 100, not 0"),
    ("q=ring&k=1000", "k must be between 1 and 100, not 1000"),
    ("q=ring&k=abc", "k must be a whole number, not 'abc'"),
    ("q=ring&k=", "k must be a whole number"),
    ("q=ring&offset=-1", "offset must be between 0"),
    ("q=ring&offset=1.5", "offset must be a whole number"),
    ("q=ring&from=2021-06-01&to=2021-01-01", "from (2021-06-01) is after to (2021-01-01)"),
    ("q=ring&from=not-a-date", "from must be a date as YYYY-MM-DD, YYYY-MM or YYYY, not 'not-a-date'"),
    ("q=ring&to=2021-13", "to must be a date"),
    ("q=ring&mode=boolean", "mode must be one of hybrid, keyword, semantic"),
    ("q=ring&country=Mars", "unknown country 'Mars'"),
    ("q=ring&issue=000_nope", "no newsletter issue with id '000_nope'"),
    ("q=ring&exclude_issue=000_nope", "exclude_issue: no newsletter issue"),
    ("q=ring&year=twenty", "year must be a whole number"),
    ("q=ring&limit=5", "unknown parameter 'limit'"),
    ("query=ring", "unknown parameter 'query'"),
    ("q=ring&mode=keyword&mode=semantic", "mode is given 2 times"),
])
def test_search_bad_parameters_are_400_with_the_reason(client, query, message):
    assert message in error_of(client.get("/api/search?" + query), 400)


def test_passage(client):
    body = client.get(f"/api/passages/{RING_PASSAGE}").get_json()
    assert body["id"] == RING_PASSAGE
    assert body["section"] == "RING TRAINING IN TASHKENT"
    assert body["section_id"] == "003_831dd773c1231ba4-s2"
    assert body["issue"]["id"] == "003_831dd773c1231ba4"
    assert body["issue"]["provenance"]["date"] == "inferred"
    assert body["issue"]["date_precision"] == "month"


def test_similar_passages_come_from_other_issues_with_reasons(client):
    body = client.get(f"/api/passages/{RING_PASSAGE}/similar?k=3").get_json()
    assert body["passage_id"] == RING_PASSAGE
    assert 1 <= len(body["hits"]) <= 3
    assert all(hit["issue"]["id"] != "003_831dd773c1231ba4" for hit in body["hits"])
    assert TAJIK_BORDER_HEALTH in [hit["passage_id"] for hit in body["hits"]]
    tajik = next(hit for hit in body["hits"] if hit["passage_id"] == TAJIK_BORDER_HEALTH)
    assert "Tajikistan" in tajik["why"]["shared_countries"]
    assert 0 < tajik["why"]["similarity"] <= 1


def test_similar_default_k_and_bad_k(client):
    assert len(client.get(f"/api/passages/{RING_PASSAGE}/similar").get_json()["hits"]) == 10
    assert "k must be between 1 and 100" in error_of(client.get(f"/api/passages/{RING_PASSAGE}/similar?k=0"), 400)
    assert "k must be a whole number" in error_of(client.get(f"/api/passages/{RING_PASSAGE}/similar?k=abc"), 400)
    assert "unknown parameter 'q'" in error_of(client.get(f"/api/passages/{RING_PASSAGE}/similar?q=x"), 400)


def test_issues_in_date_order_with_sections(client):
    issues = client.get("/api/issues").get_json()["issues"]
    assert [issue["date"] for issue in issues] == ["2020-07-10", "2020-11", "2020-12-24", "2021-11", "2022-08"]
    issue_9 = next(issue for issue in issues if issue["id"] == ISSUE_9)
    assert issue_9["number"] == 9 and issue_9["date_inferred"] is False
    assert "INTERNATIONAL MIGRANTS DAY – TAJIKISTAN" in [s["title"] for s in issue_9["sections"]]
    assert all("passages" not in section for section in issue_9["sections"])


def test_issue_with_its_passages(client):
    body = client.get(f"/api/issues/{ISSUE_9}").get_json()
    assert body["number"] == 9 and body["date"] == "2020-12-24"
    assert body["provenance"]["number"] == "printed"
    tajikistan = next(s for s in body["sections"] if s["title"] == "INTERNATIONAL MIGRANTS DAY – TAJIKISTAN")
    assert tajikistan["passages"] and all(p["section_id"] == tajikistan["id"] for p in tajikistan["passages"])


@pytest.mark.parametrize("url, message", [
    ("/api/passages/nope", "no passage with id 'nope'"),
    ("/api/passages/nope/similar", "no passage with id 'nope'"),
    ("/api/issues/nope", "no newsletter issue with id 'nope'"),
    ("/api/nothing-here", "there is nothing at /api/nothing-here"),
    ("/api/", "there is nothing at /api/"),
    ("/api/passages/", "there is nothing at /api/passages/"),
])
def test_unknown_ids_and_routes_are_json_404(client, url, message):
    assert message in error_of(client.get(url), 404)


def test_unknown_parameter_on_routes_without_parameters(client):
    for url in ("/api/issues?x=1", f"/api/issues/{ISSUE_9}?x=1", f"/api/passages/{RING_PASSAGE}?x=1",
                "/api/openapi.json?x=1"):
        assert "unknown parameter 'x'" in error_of(client.get(url), 400)


def test_wrong_method_is_json_405(client):
    assert "POST is not allowed" in error_of(client.post("/api/search?q=ring"), 405)


def test_unexpected_error_is_a_generic_json_500(corpus_archive):
    class Broken:
        """An archive whose search fails the way a bug would."""

        def __getattr__(self, name):
            return getattr(corpus_archive, name)

        def current(self):
            return self

        def search(self, *args, **kwargs):
            raise RuntimeError("secret internal detail")

    client = create_app(archive=Broken()).test_client()
    message = error_of(client.get("/api/search?q=ring"), 500)
    assert "secret" not in message and "RuntimeError" not in message
    page = client.get("/?q=ring")
    assert page.status_code == 500 and "secret" not in page.get_data(as_text=True)


def test_api_responses_forbid_inline_script(client):
    assert "default-src 'self'" in client.get("/api/issues").headers["Content-Security-Policy"]
