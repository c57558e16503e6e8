"""The HTML pages, through Flask's test client, on the real five issues.

Expected values come from reading the corpus (archive/), never from the code under test."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from webapp import create_app

RING_PASSAGE = "003_831dd773c1231ba4-s2-p1"  # "RING TRAINING IN TASHKENT", November 2021 (no date printed)
ISSUE_9 = "001_246ca7c614daeaee"  # ISSUE 9, 24/12/2020
NOVEMBER_2020 = "000_01b647a0f58beec8"  # no number or date printed; latest story is of November 2020


@pytest.fixture(scope="module")
def client(corpus_archive):
    return create_app(archive=corpus_archive).test_client()


def text_of(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed, for asserting on wording."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def hit_passage_ids(response) -> list[str]:
    """Passage ids of the result list, in rank order (each hit's title links to its passage page)."""
    return re.findall(r'<h2><a href="/passages/([^"]+)">', response.get_data(as_text=True))


# --- search -------------------------------------------------------------------------------------------


def test_search_ranks_the_tashkent_ring_story_first(client):
    response = client.get("/?q=RING+training")
    assert response.status_code == 200
    assert hit_passage_ids(response)[0] == RING_PASSAGE
    page = text_of(response)
    assert "RING TRAINING IN TASHKENT" in page
    assert "November 2021 (date not printed: worked out from its stories)" in page
    assert "Matches your search, close in meaning too" in page
    assert "#1" not in page  # ranks in each mode are the JSON's, not the reader's


def test_search_hit_highlights_query_words_and_links_to_issue_and_passage(client):
    html = client.get("/?q=RING+training").get_data(as_text=True)
    assert "<mark>RING</mark>" in html
    assert "<mark>training</mark>" in html
    assert f'href="/issues/003_831dd773c1231ba4#{RING_PASSAGE}"' in html
    assert f'href="/passages/{RING_PASSAGE}"' in html


def test_printed_date_is_not_marked_inferred(client):
    page = text_of(client.get("/?q=International+Migrants+Day+Tajikistan&issue=" + ISSUE_9))
    assert "Issue 9, 24 December 2020" in page
    assert "24 December 2020 (date inferred)" not in page


def test_search_finds_a_figure_written_with_a_thousands_separator(client):
    response = client.get("/?q=7801&mode=keyword")
    assert "7,801" in text_of(response)
    assert "<mark>7,801</mark>" in response.get_data(as_text=True)


def test_empty_query_says_so_and_suggests_examples(client):
    for url in ("/", "/?q=", "/?q=+++"):
        response = client.get(url)
        assert response.status_code == 200
        page = text_of(response)
        assert "Try one of these" in page
        assert 'href="/?q=RING+training"' in response.get_data(as_text=True)
    assert "The query is empty" in text_of(client.get("/?q="))


def test_unmatched_query_suggests_other_words_and_the_meaning(client):
    response = client.get("/?q=xyzzyqq&mode=keyword")
    assert response.status_code == 200
    page = text_of(response)
    assert "No passage matches “xyzzyqq”" in page
    assert "other or fewer words" in page
    assert 'href="/?q=xyzzyqq&amp;mode=hybrid"' in response.get_data(as_text=True)
    hybrid = text_of(client.get("/?q=xyzzyqq"))  # nonsense: nothing close in meaning either
    assert "No passage matches “xyzzyqq”" in hybrid and "No passage is close enough in meaning" in hybrid
    assert hit_passage_ids(client.get("/?q=xyzzyqq")) == []


def test_query_only_the_semantic_side_answers_still_gets_results(client):
    # "coronavirus" is not a word of the corpus ("COVID-19" and "pandemic" are).
    assert hit_passage_ids(client.get("/?q=coronavirus&mode=keyword")) == []
    response = client.get("/?q=coronavirus")
    assert hit_passage_ids(response)
    page = text_of(response)
    assert "No passage matches “coronavirus”" in page
    assert "related by meaning only, marked below" in page
    assert page.count("related by meaning close in meaning, but it does not contain all your words") == \
        len(hit_passage_ids(response))
    assert "Matches your search" not in page


def test_script_in_query_is_escaped(client):
    html = client.get("/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_csp_forbids_inline_script(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize("query, reason", [
    ("q=" + "a" * 10_000, "10000 characters long"),
    ("q=ring&k=0", "k must be between 1 and 100"),
    ("q=ring&k=1000", "k must be between 1 and 100"),
    ("q=ring&k=abc", "k must be a whole number"),
    ("q=ring&offset=-1", "offset must be between 0"),
    ("q=ring&from=2022&to=2020", "is after to"),
    ("q=ring&from=yesterday", "from must be a date"),
    ("q=ring&to=2021-02-30", "to must be a date"),
    ("q=ring&mode=fuzzy", "mode must be one of hybrid, keyword, semantic"),
    ("q=ring&country=Atlantis", "unknown country 'Atlantis'"),
    ("q=ring&issue=nope", "no newsletter issue with id 'nope'"),
    ("q=ring&year=last", "year must be a whole number"),
    ("q=ring&colour=red", "unknown parameter 'colour'"),
    ("q=ring&q=training", "q is given 2 times"),
])
def test_bad_search_parameters_show_the_form_and_the_reason(client, query, reason):
    response = client.get("/?" + query)
    assert response.status_code == 400
    page = text_of(response)
    assert reason in page
    assert '<form class="search"' in response.get_data(as_text=True)


def test_filters_narrow_by_country_year_and_issue(client):
    only_tajikistan = text_of(client.get("/?q=training&country=Tajikistan&k=100"))
    assert "RING TRAINING IN TASHKENT" in only_tajikistan  # the RING story names Tajikistan too
    ids = hit_passage_ids(client.get("/?q=training&year=2022&k=100"))
    assert ids and all(i.startswith("004_b65f6fdd4f2a120b") for i in ids)  # the only 2022 issue
    ids = hit_passage_ids(client.get(f"/?q=training&issue={NOVEMBER_2020}&k=100"))
    assert ids and all(i.startswith(NOVEMBER_2020) for i in ids)
    ids = hit_passage_ids(client.get("/?q=training&exclude_year=2021&k=100"))
    assert ids and RING_PASSAGE not in ids


def test_date_range_filter_keeps_month_precision_issue_in_its_month(client):
    ids = hit_passage_ids(client.get("/?q=RING+training&from=2021-11-15&to=2021-11-20&k=100"))
    assert ids == [RING_PASSAGE] or RING_PASSAGE in ids
    assert all(i.startswith("003_831dd773c1231ba4") for i in ids)


def test_facets_link_to_narrowed_and_excluding_searches(client):
    html = client.get("/?q=training").get_data(as_text=True)
    assert 'href="/?q=training&amp;year=2021"' in html
    assert 'href="/?q=training&amp;exclude_year=2021"' in html
    assert 'href="/?q=training&amp;country=Tajikistan"' in html
    assert f'href="/?q=training&amp;issue={ISSUE_9}"' in html
    assert "November 2020 (date not printed: worked out from its stories)" in text_of(client.get("/?q=training"))


def test_active_filter_is_shown_with_a_link_removing_it(client):
    html = client.get("/?q=training&exclude_country=Kazakhstan&offset=0").get_data(as_text=True)
    assert "not Kazakhstan" in html
    assert 'href="/?q=training"' in html


def test_pagination_links_keep_the_search(client):
    first = client.get("/?q=training&k=2").get_data(as_text=True)
    assert 'href="/?q=training&amp;k=2&amp;offset=2"' in first
    second = client.get("/?q=training&k=2&offset=2")
    assert 'href="/?q=training&amp;k=2&amp;offset=0"' in second.get_data(as_text=True)
    assert set(hit_passage_ids(second)).isdisjoint(hit_passage_ids(client.get("/?q=training&k=2")))


def test_export_links_carry_the_filters(client):
    html = client.get("/?q=training&country=Uzbekistan&mode=keyword").get_data(as_text=True)
    assert 'href="/search.csv?q=training&amp;country=Uzbekistan&amp;mode=keyword&amp;k=100"' in html
    assert 'href="/api/search?q=training&amp;country=Uzbekistan&amp;mode=keyword&amp;k=100"' in html


def test_csv_export(client):
    response = client.get("/search.csv?q=RING+training&country=Uzbekistan")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["passage_id"] == RING_PASSAGE
    assert rows[0]["section"] == "RING TRAINING IN TASHKENT"
    assert rows[0]["issue_date"] == "2021-11" and rows[0]["date_inferred"] == "True"
    assert rows[0]["url"].endswith(f"/passages/{RING_PASSAGE}")
    assert all("Uzbekistan" in row["countries"] for row in rows)


def test_csv_export_refuses_bad_parameters(client):
    assert client.get("/search.csv?q=ring&k=abc").status_code == 400


# --- issue, archive and passage pages -------------------------------------------------------------


def test_issue_page_shows_metadata_sections_and_anchors(client):
    response = client.get(f"/issues/{ISSUE_9}")
    assert response.status_code == 200
    page = text_of(response)
    html = response.get_data(as_text=True)
    assert "Issue 9, 24 December 2020" in page
    assert "INTERNATIONAL MIGRANTS DAY – TAJIKISTAN" in page
    assert f"{ISSUE_9}.txt" in page
    assert "Number 9 printed in the newsletter" in page
    assert f'id="{ISSUE_9}-s4"' in html
    assert f'id="{ISSUE_9}-s4-p1"' in html


def test_issue_page_marks_inferred_date_and_unknown_number(client):
    page = text_of(client.get(f"/issues/{NOVEMBER_2020}"))
    assert "November 2020 (date inferred)" in page
    assert "Number unknown not printed, not in the catalog" in page
    assert "Date November 2020 inferred from its stories" in page


def test_issue_page_marks_recurring_boilerplate(client):
    html = client.get("/issues/002_44f630649352dfb2").get_data(as_text=True)
    assert 'class="passage recurring" id="002_44f630649352dfb2-s3-p2"' in html
    assert "recurring block" in html


def test_unknown_issue_is_a_friendly_404(client):
    response = client.get("/issues/no-such-issue")
    assert response.status_code == 404
    assert "no newsletter issue with id 'no-such-issue'" in text_of(response)
    assert "search page" in text_of(response)


def test_archive_lists_every_issue_by_date_with_section_links(client):
    response = client.get("/issues")
    html = response.get_data(as_text=True)
    positions = [html.index(f'href="/issues/{issue_id}"') for issue_id in (
        "002_44f630649352dfb2", NOVEMBER_2020, ISSUE_9, "003_831dd773c1231ba4", "004_b65f6fdd4f2a120b")]
    assert positions == sorted(positions)  # July 2020, Nov 2020, Dec 2020, Nov 2021, Aug 2022
    assert f'href="/issues/{ISSUE_9}#{ISSUE_9}-s4"' in html
    assert "INTERNATIONAL MIGRANTS DAY – TAJIKISTAN" in text_of(response)


def test_passage_page_shows_the_passage_citation_and_related_stories(client):
    response = client.get(f"/passages/{RING_PASSAGE}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = text_of(response)
    assert f'class="passage current" id="{RING_PASSAGE}"' in html
    citation = citation_on(html)
    # No number or date is printed in this issue; its stories place it in November 2021.
    assert citation.startswith("IOM Central Asia (c. 2021) ‘RING Training in Tashkent’, "
                               "IOM Central Asia Regional Response Report, "
                               "date not printed, inferred from its stories as November 2021. ")
    assert f"Available at: http://localhost/passages/{RING_PASSAGE} (Accessed: " in citation
    assert "Related stories from other issues" in page
    # The Tajik border-health ToT of August 2022 trains the same RING steps at points of entry.
    assert "IOM TAJIKISTAN EXTENDED MULTISECTORAL APPROACH FOR BORDER HEALTHCARE" in page
    assert "Why related:" in page and "similar in meaning" in page
    related_ids = re.findall(r'<h3><a href="/passages/([^"]+)">', html)
    assert related_ids and not any(i.startswith("003_831dd773c1231ba4") for i in related_ids)


def test_passage_page_shows_the_other_passages_of_its_section(client):
    html = client.get("/passages/002_44f630649352dfb2-s3-p2").get_data(as_text=True)
    assert 'class="passage neighbour" id="002_44f630649352dfb2-s3-p1"' in html
    assert 'class="passage current recurring" id="002_44f630649352dfb2-s3-p2"' in html


def test_unknown_passage_and_unknown_page_are_friendly_404s(client):
    for url in ("/passages/nope", "/no/such/page"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert "Not found" in text_of(response)


def test_pages_refuse_unknown_parameters(client):
    response = client.get(f"/issues/{ISSUE_9}?foo=1")
    assert response.status_code == 400
    assert "unknown parameter 'foo'" in text_of(response)


def test_stylesheet_is_served(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert "mark" in response.get_data(as_text=True)


def citation_on(html: str) -> str:
    """The citation shown on a passage page."""
    return unescape(re.search(r'<pre id="citation"[^>]*>(.*?)</pre>', html, re.S).group(1))


def test_citation_of_a_printed_issue_gives_its_number_and_date(client):
    citation = citation_on(client.get(f"/passages/{ISSUE_9}-s4-p1").get_data(as_text=True))
    assert citation.startswith("IOM Central Asia (2020) ‘International Migrants Day – Tajikistan’, "
                               "IOM Central Asia Regional Response Report, no. 9, 24 December 2020. ")


# --- figures ---------------------------------------------------------------------------------------

SEVEN_THOUSAND = '<span class="figure" title="count: victims of trafficking and vulnerable migrants">'


def test_search_hit_marks_its_figures(client):
    html = client.get("/?q=7801").get_data(as_text=True)
    assert SEVEN_THOUSAND + "<mark>7,801</mark></span>" in html
    assert '<span class="figure" title="count: deaths">4,378</span>' in html


def test_passage_page_marks_its_figures(client):
    html = client.get(f"/passages/{NOVEMBER_2020}-s1-p1").get_data(as_text=True)
    assert SEVEN_THOUSAND + "7,801</span>" in html
    assert '<span class="figure" title="count: registered cases">330, 528</span>' in html


def test_figures_page_is_linked_from_the_nav_and_lists_figures_by_date(client):
    assert 'href="/figures"' in client.get("/").get_data(as_text=True)
    response = client.get("/figures?min=3000&max=8000")
    assert response.status_code == 200
    values = re.findall(r'<td class="value">([\d,]+)', response.get_data(as_text=True))
    assert values == ["5,177", "3,120", "4,378", "7,801", "3,186"]  # December, November (reading order), July 2020
    page = text_of(response)
    assert "Issue 3, 10 July 2020" in page and "November 2020 (date inferred)" in page


def test_figures_page_draws_the_series_with_points_linked_to_passages(client):
    html = client.get("/figures?q=victims+of+trafficking+assisted").get_data(as_text=True)
    chart = re.search(r'<figure class="series-chart".*?</figure>', html, re.S).group(0)
    assert "victims of trafficking and vulnerable migrants" in chart
    assert "<svg" in chart and "<script" not in html
    links = re.findall(r'<a class="point" href="/passages/([^"]+)">', chart)
    assert [link.split("-s")[0] for link in links] == ["002_44f630649352dfb2", NOVEMBER_2020]
    values = re.findall(r'<text class="value"[^>]*>([^<]+)</text>', chart)
    assert values == ["3,186", "7,801"]
    assert "How figures are grouped into a series" in text_of(client.get("/figures"))


def test_figures_page_pages_through_the_figures(client):
    first = client.get("/figures?q=migrants&k=3")
    html = first.get_data(as_text=True)
    total = int(re.search(r"(\d+) figures match", text_of(first)).group(1))
    assert total > 6 and "showing 1–3" in text_of(first) and 'rel="prev"' not in html
    seen = re.findall(r'<td class="value">([^<]+)', html)
    next_link = unescape(re.search(r'<a rel="next" href="([^"]+)"', html).group(1))
    assert next_link == "/figures?q=migrants&k=3&offset=3"
    second = client.get(next_link)
    assert "showing 4–6" in text_of(second)
    assert unescape(re.search(r'<a rel="prev" href="([^"]+)"', second.get_data(as_text=True)).group(1)) == \
        "/figures?q=migrants&k=3&offset=0"
    seen += re.findall(r'<td class="value">([^<]+)', second.get_data(as_text=True))
    every = re.findall(r'<td class="value">([^<]+)', client.get("/figures?q=migrants&k=6").get_data(as_text=True))
    assert seen == every
    last = client.get(f"/figures?q=migrants&k=3&offset={total - 1}").get_data(as_text=True)
    assert 'rel="next"' not in last and len(re.findall(r'<td class="value">', last)) == 1


def test_figures_page_leaves_hotlines_out_unless_asked(client):
    page = text_of(client.get("/figures?q=hotline&k=100"))
    assert "1899" not in page and "11616" not in page and "kind “contact” to find them" in page
    asked = text_of(client.get("/figures?q=hotline&kind=contact&k=100"))
    assert "1899" in asked and "11616" in asked and "+992900800800" in asked


def test_figures_page_escapes_the_query(client):
    html = client.get("/figures?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("query, reason", [
    ("min=abc", "min must be a number"),
    ("min=5000&max=100", "min (5000) is more than max (100)"),
    ("kind=ratio", "kind must be one of count, percentage, money, duration, contact"),
    ("sort=size", "sort must be one of relevance, date"),
    ("from=2022&to=2020", "is after to"),
    ("k=0", "k must be between 1 and 100"),
    ("offset=x", "offset must be a whole number"),
    ("offset=5000", "offset must be between 0 and 1000"),
    ("colour=red", "unknown parameter 'colour'"),
])
def test_bad_figure_parameters_show_the_form_and_the_reason(client, query, reason):
    response = client.get("/figures?" + query)
    assert response.status_code == 400
    assert reason in text_of(response)
    assert 'class="search figures-form"' in response.get_data(as_text=True)
    api = client.get("/api/figures?" + query)
    assert api.status_code == 400 and reason in api.get_json()["error"]


def test_figures_csv_export(client):
    response = client.get("/figures.csv?q=registered&k=5")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_value = {row["value"]: row for row in rows}
    registered = by_value["330528"]
    assert registered["as_printed"] == "330, 528" and registered["issue_date"] == "2020-11"
    assert registered["url"] == f"http://localhost/passages/{registered['passage_id']}"
    assert registered["sentence"].startswith("COVID-19 in Central Asia")
    assert by_value["76698"]["issue_date"] == "2020-07-10"
    assert 'href="/figures.csv?q=registered&amp;k=100"' in client.get("/figures?q=registered").get_data(as_text=True)


def test_figures_api(client):
    data = client.get("/api/figures?q=victims+of+trafficking+assisted&k=5").get_json()
    assert {7801, 3186} <= {figure["value"] for figure in data["figures"]}
    assert [(p["value"], p["date"]) for p in data["series"][0]["points"]] == [(3186, "2020-07-10"), (7801, "2020-11")]
    dated = client.get("/api/figures?min=7,801&max=7 801").get_json()["figures"]
    assert [figure["value"] for figure in dated] == [7801]


# --- results a reader can trust ---------------------------------------------------------------------


TRACKING = "utm_source=newsletter&utm_medium=email&fbclid=IwAR0abc&gclid=Cj0K&mc_cid=12ab&mc_eid=34cd"


@pytest.mark.parametrize("path", ["/?q=trafficking", "/search.csv?q=trafficking", "/issues", f"/issues/{ISSUE_9}",
                                  f"/passages/{RING_PASSAGE}", "/figures", "/figures?q=registered",
                                  "/api/search?q=trafficking", "/api/figures?q=registered", "/api/issues",
                                  f"/api/issues/{ISSUE_9}", f"/api/passages/{RING_PASSAGE}",
                                  f"/api/passages/{RING_PASSAGE}/similar", "/api/openapi.json"])
def test_tracking_parameters_are_ignored_on_every_route(client, path):
    plain = client.get(path)
    tracked = client.get(path + ("&" if "?" in path else "?") + TRACKING)
    assert plain.status_code == tracked.status_code == 200
    if path.startswith("/api/"):
        assert tracked.get_json() == plain.get_json()
    assert client.get(path + ("&" if "?" in path else "?") + "utm=1&colour=red").status_code == 400


def test_links_leave_tracking_parameters_behind(client):
    html = client.get("/?q=trafficking&utm_source=newsletter&fbclid=IwAR0abc").get_data(as_text=True)
    assert "utm_source" not in html and "fbclid" not in html
    assert 'href="/?q=trafficking&amp;sort=newest"' in html


def test_the_form_address_drops_empty_fields(client):
    response = client.get("/?q=trafficking&mode=hybrid&from=&to=&k=&utm_source=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?q=trafficking&mode=hybrid"
    assert client.get("/?q=&from=").headers["Location"] == "/?q="  # an empty query still says it is empty
    assert client.get("/?q=ring&mode=hybrid").status_code == 200


def test_the_page_has_a_heading_a_skip_link_and_plain_words(client):
    html = client.get("/?q=trafficking").get_data(as_text=True)
    assert "<h1>Results for “trafficking”</h1>" in html
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert "12 passages match “trafficking”" in text_of(client.get("/?q=trafficking"))
    assert "<h1>Search the newsletter archive</h1>" in client.get("/").get_data(as_text=True)
    assert "date inferred" not in text_of(client.get("/?q=trafficking"))


def test_did_you_mean_is_a_link_and_related_passages_are_marked(client):
    response = client.get("/?q=trafficing")
    html, page = response.get_data(as_text=True), text_of(response)
    assert 'Did you mean <a href="/?q=trafficking">trafficking</a>?' in html
    assert "No passage matches “trafficing”." in page
    assert "2 passages are related by meaning only, marked below" in page
    assert html.count('class="hit related"') == len(hit_passage_ids(response)) == 2


def test_a_year_in_the_query_is_one_click_away(client):
    html = client.get("/?q=trafficking+in+2021").get_data(as_text=True)
    assert 'href="/?q=trafficking&amp;from=2021&amp;to=2021">Search “trafficking” in 2021</a>' in html
    taken = client.get("/?q=trafficking&from=2021&to=2021")
    assert hit_passage_ids(taken) and all(i.startswith("003_831dd773c1231ba4") for i in hit_passage_ids(taken))


def test_sort_and_grouping_links(client):
    html = client.get("/?q=migrants").get_data(as_text=True)
    assert 'href="/?q=migrants&amp;sort=newest">newest first</a>' in html
    assert 'href="/?q=migrants&amp;group=passage">every passage</a>' in html
    newest = hit_passage_ids(client.get("/?q=migrants&sort=newest&k=100"))
    assert newest[0].startswith("004_b65f6fdd4f2a120b")  # August 2022, the newest issue
    assert hit_passage_ids(client.get("/?q=migrants&sort=oldest"))[0].startswith("002_44f630649352dfb2")  # July 2020


def test_one_result_per_story_links_to_the_rest_of_the_story(client):
    html = client.get("/?q=trafficking").get_data(as_text=True)
    assert f'href="/issues/{ISSUE_9}#{ISSUE_9}-s4">2 more passages from this story</a>' in html
    grouped = hit_passage_ids(client.get("/?q=trafficking&k=100"))
    every = hit_passage_ids(client.get("/?q=trafficking&k=100&group=passage"))
    assert len(grouped) == len({i.rsplit("-", 1)[0] for i in every}) < len(every) == 12


def test_facet_values_are_toggles_and_stay_when_chosen(client):
    html = client.get("/?q=migrants&year=2020").get_data(as_text=True)
    assert 'href="/?q=migrants" role="checkbox" aria-checked="true"' in html  # choosing it again removes it
    assert 'href="/?q=migrants&amp;year=2020&amp;year=2021" role="checkbox" aria-checked="false"' in html
    left_out = client.get("/?q=migrants&exclude_year=2021").get_data(as_text=True)
    assert 'href="/?q=migrants" aria-label="include 2021 again"' in left_out
