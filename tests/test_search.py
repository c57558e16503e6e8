"""Searching the real corpus through the facade: the three modes, query syntax, filters, bad input,
similar passages and the judged evaluation set.

Expected passages come from reading the five newsletter files: which story holds which words.
"""

from __future__ import annotations

import re

import pytest
from conftest import EVAL_QUERIES

from index.eval.judged import evaluate_archive
from index.facade import Archive, BadRequest, Filters, Related, SearchResult, UnknownId
from index.records import COUNTRIES
from index.text.numbers import join_number_groups

I000 = "000_01b647a0f58beec8"
I001 = "001_246ca7c614daeaee"
I002 = "002_44f630649352dfb2"
I003 = "003_831dd773c1231ba4"
I004 = "004_b65f6fdd4f2a120b"

# The span of days each issue covers, from its printed or inferred date (month precision: the whole month).
ISSUE_SPANS = {
    I000: ("2020-11-01", "2020-11-30"),
    I001: ("2020-12-24", "2020-12-24"),
    I002: ("2020-07-10", "2020-07-10"),
    I003: ("2021-11-01", "2021-11-30"),
    I004: ("2022-08-01", "2022-08-31"),
}

# Names that stand for each country in the text (cities, adjectives), for checking country filters.
COUNTRY_WORDS = {
    "Kazakhstan": r"kazakh|astana|nur-sultan|almaty|shymkent|karaganda|semey|aktau",
    "Kyrgyzstan": r"kyrgyz|bishkek|osh\b",
    "Tajikistan": r"tajik|dushanbe|khujand|khorog|khorugh|gbao|sughd|khatlon|yovon",
    "Turkmenistan": r"turkmen|ashgabat",
    "Uzbekistan": r"uzbek|tashkent",
}


def full_text(hit) -> str:
    return f"{hit.passage.section_title}\n{hit.passage.text}".lower()


def issue_ids(result: SearchResult) -> set[str]:
    return {hit.issue.id for hit in result.hits}


# --- the three modes -----------------------------------------------------------------------------

def test_keyword_finds_the_ring_training_first(corpus_archive: Archive):
    result = corpus_archive.search("RING", mode="keyword", k=5)
    assert result.mode == "keyword" and result.query == "RING"
    first = result.hits[0]
    assert first.passage.section_title == "RING TRAINING IN TASHKENT"
    assert first.issue.id == I003
    assert "Recognize, Isolate, Notify, Give support" in first.passage.text
    for hit in result.hits:
        assert re.search(r"\bring\b", full_text(hit))


def test_semantic_finds_remittances_for_a_paraphrase(corpus_archive: Archive):
    result = corpus_archive.search("money that workers abroad send to their families", mode="semantic", k=3)
    assert len(result.hits) == 3
    assert any("remittance" in full_text(hit) for hit in result.hits)
    for hit in result.hits:
        assert set(hit.found_by) == {"semantic"}


def test_hybrid_finds_a_figure_written_with_a_comma(corpus_archive: Archive):
    result = corpus_archive.search("7801", mode="hybrid", k=10)
    first = result.hits[0]
    assert "7,801" in first.passage.text
    assert first.issue.id == I000
    assert first.found_by.get("keyword") == 1


@pytest.mark.parametrize("query", ["7801", "7,801", "7 801"])
def test_every_way_of_writing_a_number_finds_it(corpus_archive: Archive, query):
    result = corpus_archive.search(query, mode="keyword", k=5)
    assert [hit.passage.id for hit in result.hits if "7,801" in hit.passage.text]
    assert "7,801" in result.hits[0].passage.text


@pytest.mark.parametrize("query, printed", [
    ("330528", "330, 528"),  # one number broken by a space
    ("330, 528", "330, 528"),
    ("4378", "4,378 deaths"),
    ("76698", "76,698"),
    ("560000", "560,000"),
    ("3120", "3120"),  # printed **3120**
    ("+992900800800", "+992900800800"),
    ("11616", "(11616)"),
])
def test_keyword_figures(corpus_archive: Archive, query, printed):
    result = corpus_archive.search(query, mode="keyword", k=10)
    assert result.hits, query
    assert printed in result.hits[0].passage.text


def test_decimal_comma_is_not_a_thousands_group(corpus_archive: Archive):
    # "2,5 million" stays two numbers: searching 25 must not find it.
    result = corpus_archive.search("25", mode="keyword", k=100)
    assert not any("2,5 million" in hit.passage.text for hit in result.hits)
    phrase = corpus_archive.search('"2,5 million"', mode="keyword", k=5)
    assert phrase.hits and "2,5 million" in phrase.hits[0].passage.text


def test_found_by_names_the_modes_and_their_ranks(corpus_archive: Archive):
    query = "RING training at points of entry"
    hybrid = corpus_archive.search(query, mode="hybrid", k=20, group="passage")
    keyword = corpus_archive.search(query, mode="keyword", k=100, group="passage")
    semantic = corpus_archive.search(query, mode="semantic", k=100, group="passage")
    keyword_rank = {hit.passage.id: hit.found_by["keyword"] for hit in keyword.hits}
    semantic_rank = {hit.passage.id: hit.found_by["semantic"] for hit in semantic.hits}
    assert hybrid.hits
    for hit in hybrid.hits:
        assert hit.found_by and set(hit.found_by) <= {"keyword", "semantic", "figure"}
        if hit.match:  # keyword mode shows the matches, each at its rank among passages holding any word
            assert hit.found_by["keyword"] == keyword_rank[hit.passage.id]
        else:
            assert hit.passage.id not in keyword_rank
        if "semantic" in hit.found_by:
            assert hit.found_by["semantic"] == semantic_rank[hit.passage.id]
        else:
            assert hit.passage.id not in semantic_rank
    # somewhere both modes agree
    assert any(set(hit.found_by) == {"keyword", "semantic"} for hit in hybrid.hits)
    scores = [hit.score for hit in hybrid.hits]
    assert scores == sorted(scores, reverse=True)


def test_keyword_mode_only_reports_keyword(corpus_archive: Archive):
    result = corpus_archive.search("trafficking", mode="keyword", k=10)
    assert result.hits
    for hit in result.hits:
        assert set(hit.found_by) == {"keyword"}
    ranks = [hit.found_by["keyword"] for hit in result.hits]
    assert len(set(ranks)) == len(ranks)


def test_hits_carry_issue_and_section(corpus_archive: Archive):
    hit = corpus_archive.search("World Association of Kazakhs", mode="keyword", k=1).hits[0]
    assert hit.passage.section_title == "NEW PARTNERSHIP IN KAZAKHSTAN"
    assert hit.issue.id == I003 and hit.issue.number is None
    assert hit.issue.date.iso == "2021-11" and hit.issue.date_inferred
    data = hit.to_json()
    assert data["passage_id"] == hit.passage.id
    assert data["section"] == "NEW PARTNERSHIP IN KAZAKHSTAN"
    assert data["issue"]["id"] == I003 and data["issue"]["date"] == "2021-11"


# --- query syntax --------------------------------------------------------------------------------

def test_phrase_query(corpus_archive: Archive):
    result = corpus_archive.search('"Almaty Process"', mode="keyword", k=20)
    assert result.hits
    assert any("Special Session of the Almaty Process" in hit.passage.text for hit in result.hits)
    for hit in result.hits:
        assert "almaty process" in " ".join(full_text(hit).split())


def test_phrase_is_stricter_than_its_words(corpus_archive: Archive):
    words = corpus_archive.search("migration OR film OR festival", mode="keyword", k=100)
    phrase = corpus_archive.search('"Migration Film Festival"', mode="keyword", k=100)
    assert phrase.hits and len(phrase.hits) < len(words.hits)
    for hit in phrase.hits:
        assert "migration film festival" in full_text(hit)
    assert phrase.hits[0].passage.section_title == "SAVE THE DATE!"


def test_and_query(corpus_archive: Archive):
    result = corpus_archive.search("remittances AND Kyrgyzstan", mode="keyword", k=100)
    assert result.hits
    for hit in result.hits:
        assert "remittance" in full_text(hit) and "kyrgyzstan" in full_text(hit)
    assert any(hit.issue.id == I003 for hit in result.hits)  # the digital remittances report


def test_or_query(corpus_archive: Archive):
    result = corpus_archive.search("Khorog OR Karaganda", mode="keyword", k=100)
    assert result.hits
    texts = [full_text(hit) for hit in result.hits]
    for text in texts:
        assert "khorog" in text or "karaganda" in text
    assert any("khorog" in t for t in texts) and any("karaganda" in t for t in texts)


@pytest.mark.parametrize("query", ["trafficking NOT Tajikistan", "trafficking -Tajikistan"])
def test_not_query(corpus_archive: Archive, query):
    everything = corpus_archive.search("trafficking", mode="keyword", k=100)
    assert any(re.search(r"\btajikistan", full_text(hit)) for hit in everything.hits)
    result = corpus_archive.search(query, mode="keyword", k=100)
    assert result.hits
    for hit in result.hits:
        assert "traffick" in full_text(hit)
        assert not re.search(r"\btajikistan", full_text(hit)), hit.passage.id


@pytest.mark.parametrize("query", ['"unbalanced', "(bracket", "(training", "a:", "AND", "OR", "NOT", "-", '"',
                                   "title:RING", "wat*", "water^2", "[a TO b]", "((((((((", "NOT NOT NOT migrants",
                                   ")))", "AND OR NOT", "\\", "COVID-19", "IOM's", "(" * 400, '"' * 7])
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_queries_the_whoosh_parser_rejects_give_results(corpus_archive: Archive, query, mode):
    result = corpus_archive.search(query, mode=mode, k=10)
    assert isinstance(result, SearchResult)
    assert len(result.hits) <= 10


@pytest.mark.parametrize("query, word", [('"training', "training"), ("(training", "training"),
                                         ("training:", "training"), ("title:RING", "ring")])
def test_broken_syntax_still_searches_the_words(corpus_archive: Archive, query, word):
    result = corpus_archive.search(query, mode="keyword", k=10)
    assert result.hits
    assert word in full_text(result.hits[0])


# --- filters -------------------------------------------------------------------------------------

def overlaps(issue_id: str, date_from: str, date_to: str) -> bool:
    first, last = ISSUE_SPANS[issue_id]
    return last >= date_from and first <= date_to


@pytest.mark.parametrize("date_from, date_to, expected", [
    ("2020-11-20", "2020-12-10", {I000}),  # overlaps the inferred month of 000 only
    ("2020-11-15", "2020-12-31", {I000, I001}),
    ("2020-11-30", "2020-11-30", {I000}),  # the last day of a month-precision issue
    ("2020-01-01", "2020-07-10", {I002}),
    ("2021-01-01", "2022-12-31", {I003, I004}),
    ("2022-08-31", "2023-01-01", {I004}),
])
@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_date_range_filter(corpus_archive: Archive, date_from, date_to, expected, mode):
    result = corpus_archive.search("migrants", mode=mode, k=100,
                                   filters=Filters(date_from=date_from, date_to=date_to))
    assert result.hits
    for hit in result.hits:
        assert overlaps(hit.issue.id, date_from, date_to), hit.issue.id
    if mode == "keyword":  # every issue speaks of migrants
        assert issue_ids(result) == expected


def test_date_range_with_no_issue_returns_nothing(corpus_archive: Archive):
    result = corpus_archive.search("migrants", mode="hybrid", k=10,
                                   filters=Filters(date_from="2021-01-01", date_to="2021-10-31"))
    assert result.hits == () and result.total == 0


def test_month_as_filter_bound_means_the_whole_month(corpus_archive: Archive):
    result = corpus_archive.search("migrants", mode="keyword", k=100,
                                   filters=Filters(date_from="2020-11", date_to="2020-11"))
    assert issue_ids(result) == {I000}


@pytest.mark.parametrize("mode", ["keyword", "hybrid", "semantic"])
def test_issue_filter(corpus_archive: Archive, mode):
    result = corpus_archive.search("training", mode=mode, k=100, filters=Filters(issue_ids=(I003,)))
    assert result.hits
    assert issue_ids(result) == {I003}
    excluded = corpus_archive.search("training", mode=mode, k=100, filters=Filters(exclude_issue_ids=(I003,)))
    assert excluded.hits and I003 not in issue_ids(excluded)


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_country_filter(corpus_archive: Archive, country, mode):
    result = corpus_archive.search("migration", mode=mode, k=100, filters=Filters(countries=(country,)))
    assert result.hits
    datelines = {s.id: s.dateline or "" for view in corpus_archive.issues() for s in view.sections}
    for hit in result.hits:
        assert country in hit.passage.countries
        said = full_text(hit) + " " + datelines[hit.passage.section_id].lower()
        assert re.search(COUNTRY_WORDS[country], said), (country, hit.passage.id)


def test_country_filter_finds_the_story_of_that_country(corpus_archive: Archive):
    result = corpus_archive.search("youth employment roundtable", mode="hybrid", k=5,
                                   filters=Filters(countries=("Turkmenistan",)))
    assert result.hits[0].passage.section_title.startswith("IOM TURKMENISTAN, EURASIA FOUNDATION AND USAID")
    # and leaving Turkmenistan out removes that story
    without = corpus_archive.search("youth employment roundtable", mode="hybrid", k=100,
                                    filters=Filters(exclude_countries=("Turkmenistan",)))
    assert not any(h.passage.section_title.startswith("IOM TURKMENISTAN") for h in without.hits)


def test_filters_combine(corpus_archive: Archive):
    filters = Filters(date_from="2020-01-01", date_to="2020-12-31", countries=("Tajikistan",))
    result = corpus_archive.search("migrants", mode="keyword", k=100, filters=filters)
    assert result.hits
    for hit in result.hits:
        assert hit.issue.id in {I000, I001, I002}
        assert "Tajikistan" in hit.passage.countries
    # 001's International Migrants Day in Tajikistan story is among them
    assert any(hit.passage.section_title == "INTERNATIONAL MIGRANTS DAY – TAJIKISTAN" for hit in result.hits)


def test_year_filter(corpus_archive: Archive):
    result = corpus_archive.search("migrants", mode="keyword", k=100, filters=Filters(years=(2021,)))
    assert issue_ids(result) == {I003}


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, mentions", [
    ({"query": "migrants", "mode": "fuzzy"}, "mode"),
    ({"query": "migrants", "k": 0}, "k"),
    ({"query": "migrants", "k": 101}, "k"),
    ({"query": "migrants", "k": -5}, "k"),
    ({"query": "migrants", "offset": -1}, "offset"),
    ({"query": ""}, "empty"),
    ({"query": "   \n\t "}, "empty"),
    ({"query": "migrant " * 1250}, "characters"),  # 10,000 characters
    ({"query": "migrants", "filters": Filters(date_from="2020-13-01")}, "from"),
    ({"query": "migrants", "filters": Filters(date_from="yesterday")}, "from"),
    ({"query": "migrants", "filters": Filters(date_from="2021-01-01", date_to="2020-01-01")}, "after"),
    ({"query": "migrants", "filters": Filters(countries=("Narnia",))}, "Narnia"),
])
def test_bad_requests(corpus_archive: Archive, kwargs, mentions):
    query = kwargs.pop("query")
    with pytest.raises(BadRequest) as caught:
        corpus_archive.search(query, **kwargs)
    assert mentions in str(caught.value)
    assert len(str(caught.value)) < 300  # a message, not the query echoed back


def test_paging(corpus_archive: Archive):
    first = corpus_archive.search("migrants", mode="keyword", k=5)
    second = corpus_archive.search("migrants", mode="keyword", k=5, offset=5)
    assert first.total == second.total and first.total > 10
    assert second.offset == 5
    assert not {h.passage.id for h in first.hits} & {h.passage.id for h in second.hits}
    ten = corpus_archive.search("migrants", mode="keyword", k=10)
    assert [h.passage.id for h in ten.hits] == [h.passage.id for h in first.hits + second.hits]


# --- boilerplate ---------------------------------------------------------------------------------

def test_hotline_number_is_searchable(corpus_archive: Archive):
    result = corpus_archive.search("1899", mode="keyword", k=10)
    assert result.hits and "national hotline (1899)" in result.hits[0].passage.text
    assert result.hits[0].passage.recurring


def test_repeated_boilerplate_does_not_crowd_the_top(corpus_archive: Archive):
    # "hotline" is in the hotline block of 000, 001 and 002 (recurring) and in the story of 000's
    # 16-days campaign ("crisis centers and hotlines"): one copy of the block, then the story.
    result = corpus_archive.search("hotline", mode="keyword", k=10, group="passage")
    assert result.hits[0].passage.recurring
    assert not result.hits[1].passage.recurring
    assert "crisis centers and hotlines" in result.hits[1].passage.text
    assert sum(hit.passage.recurring for hit in result.hits) == 3  # the copies are still found, further down


# --- similar passages ----------------------------------------------------------------------------

RING_PASSAGE = f"{I003}-s2-p1"  # "RING TRAINING IN TASHKENT", the story's one passage


def test_similar_passages(corpus_archive: Archive):
    source, source_issue = corpus_archive.passage(RING_PASSAGE)
    assert source.section_title == "RING TRAINING IN TASHKENT"
    related = corpus_archive.similar(RING_PASSAGE, k=8)
    assert 1 <= len(related) <= 8
    texts = []
    for item in related:
        assert isinstance(item, Related)
        passage = item.hit.passage
        assert passage.issue_id != source.issue_id
        assert not passage.recurring
        assert 0 < item.similarity < 0.95
        assert set(item.shared_countries) <= set(source.countries) & set(passage.countries)
        for name in item.shared_names:  # as the source prints it; the other passage in any case
            assert name in source.text and name.lower() in " ".join(passage.text.lower().split())
        for figure in item.shared_figures:
            assert figure in join_number_groups(source.text) and figure in join_number_groups(passage.text)
        texts.append(" ".join(passage.text.lower().split()))
    assert len(set(texts)) == len(texts)
    sims = [item.similarity for item in related]
    assert sims == sorted(sims, reverse=True)
    # every one says why, beyond the vectors
    assert any(item.shared_countries or item.shared_names for item in related)
    stories = [item.hit.passage.section_id for item in related]
    assert len(set(stories)) == len(stories)  # one passage speaks for each story
    # the border-health training of points of entry in Tajikistan (004) is a related story
    sections = [item.hit.passage.section_title for item in related[:3]]
    assert "IOM TAJIKISTAN EXTENDED MULTISECTORAL APPROACH FOR BORDER HEALTHCARE" in sections
    # both train staff of the points of entry: that, not a common word, is the reason given
    border = next(item for item in related if item.hit.passage.section_title.startswith("IOM TAJIKISTAN EXTENDED"))
    assert border.shared_names == ("Points of Entry",)


def test_similar_leaves_out_boilerplate_and_near_copies(corpus_archive: Archive):
    hotline = corpus_archive.search("national hotline 1899", mode="keyword", k=1).hits[0].passage
    assert hotline.recurring
    related = corpus_archive.similar(hotline.id, k=10)
    for item in related:
        assert not item.hit.passage.recurring
        assert item.hit.passage.issue_id != hotline.issue_id
        assert "iomuz@iom.int" not in item.hit.passage.text


def test_similar_pairwise_distinct(corpus_archive: Archive):
    related = corpus_archive.similar(f"{I001}-s1-p1", k=10)
    words = [set(item.hit.passage.text.lower().split()) for item in related]
    for i in range(len(words)):
        for j in range(i + 1, len(words)):
            jaccard = len(words[i] & words[j]) / len(words[i] | words[j])
            assert jaccard < 0.9


@pytest.mark.parametrize("passage_id", ["nonexistent", "", f"{I003}-s99-p1", "x" * 5000])
def test_similar_unknown_id(corpus_archive: Archive, passage_id):
    with pytest.raises(UnknownId):
        corpus_archive.similar(passage_id, k=5)


@pytest.mark.parametrize("k", [0, 101])
def test_similar_bad_k(corpus_archive: Archive, k):
    with pytest.raises(BadRequest):
        corpus_archive.similar(RING_PASSAGE, k=k)


# --- reading -------------------------------------------------------------------------------------

def test_issues_oldest_first(corpus_archive: Archive):
    views = corpus_archive.issues()
    assert [view.issue.id for view in views] == [I002, I000, I001, I003, I004]
    for view in views:
        assert view.passages and view.sections
        assert all(p.issue_id == view.issue.id for p in view.passages)


def test_unknown_issue(corpus_archive: Archive):
    with pytest.raises(UnknownId):
        corpus_archive.issue("nope")


# --- the judged evaluation set -------------------------------------------------------------------

def test_hybrid_beats_every_single_mode_on_the_eval_set(corpus_archive: Archive):
    report = evaluate_archive(corpus_archive, EVAL_QUERIES)
    hybrid = report.scores("hybrid").ndcg
    for mode in ("keyword", "semantic", "fts5"):
        assert hybrid >= report.scores(mode).ndcg, mode
    assert report.scores("hybrid", "figure").mrr == 1.0
    assert report.k == 10
