"""Atom feeds of a search and of a figure, read back with feedparser (the parser feed readers are built on).

From reading the corpus: "hotline" is printed in three issues (Issue 3 of 10 July 2020, the November
2020 issue with no date printed, Issue 9 of 24 December 2020), never in 2021 or 2022; "vulnerable
migrants" are counted in July 2020 (3186) and November 2020 (7,801 with victims of trafficking,
18 returned to Moldova, 3120 stranded).
"""

from __future__ import annotations

import datetime
import re
from html import unescape

import feedparser
import pytest

from webapp import create_app

JULY_2020, NOVEMBER_2020, ISSUE_9 = "002_44f630649352dfb2", "000_01b647a0f58beec8", "001_246ca7c614daeaee"


@pytest.fixture(scope="module")
def client(corpus_archive):
    return create_app(archive=corpus_archive).test_client()


def feed(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")  # well-formed XML and a feed
    assert parsed.version == "atom10"
    assert parsed.feed.id.startswith("urn:uuid:") and parsed.feed.title and parsed.feed.updated_parsed
    for entry in parsed.entries:  # what RFC 4287 asks of every entry, and a link to read it
        assert entry.id.startswith("urn:uuid:") and entry.title and entry.updated_parsed
        assert entry.link.startswith("http://localhost/")
    assert len({entry.id for entry in parsed.entries}) == len(parsed.entries)
    return parsed


def day(entry) -> datetime.date:
    return datetime.date(*entry.updated_parsed[:3])


def test_a_search_feed_has_an_entry_per_issue_that_matches_newest_first(client):
    parsed = feed(client, "/feeds/search.atom?q=hotline")
    titles = [entry.title for entry in parsed.entries]
    assert titles == ["Issue 9, 24 December 2020: 1 passage matches “hotline”",
                      "November 2020 (date inferred): 2 passages match “hotline”",
                      "Issue 3, 10 July 2020: 1 passage matches “hotline”"]
    assert [day(entry) for entry in parsed.entries] == [datetime.date(2020, 12, 24), datetime.date(2020, 11, 1),
                                                        datetime.date(2020, 7, 10)]
    assert parsed.feed.updated_parsed[:3] == (2020, 12, 24)
    assert parsed.entries[0].link == f"http://localhost/?q=hotline&mode=keyword&issue={ISSUE_9}"
    content = unescape(parsed.entries[1].content[0].value)
    assert f'href="http://localhost/passages/{NOVEMBER_2020}-s6-p2"' in content and "national hotline (1899)" in content
    self_link = next(link.href for link in parsed.feed.links if link.rel == "self")
    assert self_link == "http://localhost/feeds/search.atom?q=hotline"


def test_feed_and_entry_ids_stay_the_same_and_differ_between_queries(client):
    first, again = feed(client, "/feeds/search.atom?q=hotline"), feed(client, "/feeds/search.atom?q=hotline")
    assert [e.id for e in first.entries] == [e.id for e in again.entries] and first.feed.id == again.feed.id
    other = feed(client, "/feeds/search.atom?q=hotline&mode=hybrid")
    assert not {e.id for e in other.entries} & {e.id for e in first.entries}
    reordered = feed(client, "/feeds/search.atom?mode=keyword&country=Kazakhstan&q=training")
    same = feed(client, "/feeds/search.atom?q=training&country=Kazakhstan&mode=keyword")
    assert reordered.feed.id == same.feed.id  # the parameters' order does not make another feed


def test_a_search_feed_takes_the_searchs_filters(client):
    parsed = feed(client, f"/feeds/search.atom?q=hotline&exclude_issue={ISSUE_9}&from=2020-08")
    assert [entry.title for entry in parsed.entries] == ["November 2020 (date inferred): 2 passages match “hotline”"]
    assert feed(client, "/feeds/search.atom?q=hotline&from=2021").entries == []


def test_a_figure_feed_has_an_entry_per_issue_that_reports_the_figure(client):
    parsed = feed(client, "/feeds/figures.atom?q=vulnerable+migrants")
    assert [entry.title for entry in parsed.entries] == [
        "November 2020 (date inferred): 3 figures for “vulnerable migrants”: 7,801, 18, 3,120",
        "Issue 3, 10 July 2020: 3,186 vulnerable migrants"]
    assert parsed.entries[1].link == f"http://localhost/issues/{JULY_2020}#{JULY_2020}-s1-p1"
    content = unescape(parsed.entries[0].content[0].value)
    assert "<strong>7,801</strong> victims of trafficking and vulnerable migrants" in content
    assert f'href="http://localhost/passages/{NOVEMBER_2020}-s1-p1"' in content


def test_a_figure_feed_leaves_hotlines_out_unless_asked_for(client):
    titles = " ".join(entry.title for entry in feed(client, "/feeds/figures.atom?q=national+hotline").entries)
    assert "1899" not in titles
    asked = feed(client, "/feeds/figures.atom?q=national+hotline&kind=contact")
    assert len(asked.entries) == 3 and all("1899 Kyrgyzstan" in e.title for e in asked.entries)


@pytest.mark.parametrize("url, message", [
    ("/feeds/search.atom", "the query is empty"),
    ("/feeds/search.atom?q=hotline&k=5", "unknown parameter 'k'"),
    ("/feeds/search.atom?q=hotline&mode=fuzzy", "mode must be one of"),
    ("/feeds/figures.atom?q=x&sort=relevance", "unknown parameter 'sort'"),
    ("/feeds/figures.atom?min=abc", "min must be a number"),
])
def test_a_bad_feed_request_is_a_400_with_a_reason(client, url, message):
    response = client.get(url)
    assert response.status_code == 400 and message in unescape(response.get_data(as_text=True))


def test_search_and_figure_pages_link_their_feeds(client):
    html = client.get("/?q=hotline&k=5&offset=0").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert re.search(r'<a class="feed" href="/feeds/search.atom\?q=hotline">Atom feed</a>', html)
    html = client.get("/figures?q=vulnerable+migrants&sort=date&k=5").get_data(as_text=True)
    assert re.search(r'<a class="feed" href="/feeds/figures.atom\?q=vulnerable\+migrants">Atom feed</a>', html)
