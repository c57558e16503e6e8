"""Search results a reader can trust, on the real corpus through the facade: what matches and what is
only related by meaning, counts and facets of what is shown, operators in every mode, did you mean,
a date in the query, sort and one result per story.

Expected passages come from reading the five newsletter files (which passages print which words),
counted here with regular expressions over the passages' titles and texts, not with the search.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from index.facade import LIMITS, Archive, BadRequest, Filters
from index.search.facets import FACET_VALUES, facet_counts
from index.search.filters import FilterMasks, IssueDays
from index.search.fusion import Fusion

MODES = ("hybrid", "keyword", "semantic")


def words_of(passage) -> str:
    """What the keyword index reads of a passage: its story title and its text."""
    return f"{passage.section_title}\n{passage.text}".lower()


def printing(archive: Archive, *patterns: str) -> set[str]:
    """Ids of the passages whose title or text matches every pattern."""
    return {p.id for p in archive.passages if all(re.search(pattern, words_of(p)) for pattern in patterns)}


def every_hit(archive: Archive, query: str, **kwargs):
    """All the hits of a search, page by page, one per passage."""
    hits, offset = [], 0
    while True:
        result = archive.search(query, k=LIMITS.max_k, offset=offset, group="passage", **kwargs)
        hits += result.hits
        offset += LIMITS.max_k
        if offset >= result.results:
            return result, hits


# --- the issue's four queries ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_trafficking_counts_the_passages_that_print_it(corpus_archive: Archive, mode):
    result, hits = every_hit(corpus_archive, "trafficking", mode=mode)
    matching = printing(corpus_archive, r"\btraffick")  # trafficking, traffickers, Trafficking
    assert result.counts["match"] == len(matching) == 12
    assert {h.passage.id for h in hits if h.match} == matching
    assert result.total == result.counts["match"] + result.counts["related"] == len(hits)
    if mode == "keyword":
        assert result.counts["related"] == 0


@pytest.mark.parametrize("mode", MODES)
def test_and_holds_in_every_mode(corpus_archive: Archive, mode):
    result, hits = every_hit(corpus_archive, "Kyrgyzstan AND trafficking", mode=mode)
    expected = printing(corpus_archive, r"\bkyrgyzstan\b", r"\btraffick")
    assert {h.passage.id for h in hits} == expected and len(expected) == 3
    assert result.counts == {"match": 3, "related": 0}
    assert all(h.match for h in hits)


@pytest.mark.parametrize("mode", MODES)
def test_nonsense_finds_nothing_in_any_mode(corpus_archive: Archive, mode):
    result = corpus_archive.search("xyzzyqqq", mode=mode)
    assert result.hits == () and result.counts == {"match": 0, "related": 0} and result.total == 0
    assert result.suggestion is None


def test_a_misspelling_gets_its_spelling_and_only_passages_close_in_meaning(corpus_archive: Archive):
    result = corpus_archive.search("trafficing")
    assert result.suggestion == "trafficking"
    assert result.counts["match"] == 0
    assert all(not hit.match for hit in result.hits) and len(result.hits) == result.results
    assert corpus_archive.search("trafficing", mode="keyword").counts == {"match": 0, "related": 0}
    assert corpus_archive.search("Kyrgystan hotline").suggestion == "Kyrgyzstan hotline"
    assert corpus_archive.search("7802").suggestion is None  # a number the archive does not print is no typo


# --- what matches, what is related ---------------------------------------------------------------------


@pytest.mark.parametrize("query", ["RING training", "national hotline", "remittances Kyrgyzstan",
                                   "International Migrants Day events in Tajikistan", '"Almaty Process"',
                                   "trafficking -Tajikistan", "7801", "coronavirus"])
@pytest.mark.parametrize("filters", [Filters(), Filters(years=(2020,)), Filters(exclude_countries=("Tajikistan",))])
def test_matches_are_keyword_modes_total_in_every_mode(corpus_archive: Archive, query, filters):
    keyword = corpus_archive.search(query, mode="keyword", filters=filters)
    assert keyword.total == keyword.counts["match"]
    for mode in ("hybrid", "semantic"):
        assert corpus_archive.search(query, mode=mode, filters=filters).counts["match"] == keyword.counts["match"]


def test_three_words_side_by_side_are_all_needed(corpus_archive: Archive):
    _, hits = every_hit(corpus_archive, "remittances Kyrgyzstan cash")
    matched = {h.passage.id for h in hits if h.match}
    assert matched == printing(corpus_archive, r"\bremittance", r"\bkyrgyzstan\b", r"\bcash\b") != set()


def test_a_question_written_as_a_sentence_matches_on_most_of_its_words(corpus_archive: Archive):
    # 8 words ("to" is a stop word): 5 needed.  The answer (3120 migrants returned) holds
    # stranded, migrants, returned, Tajikistan, Uzbekistan, not "how", "many" or "through".
    result = corpus_archive.search("how many stranded migrants returned to Tajikistan through Uzbekistan")
    assert result.counts["match"] >= 1
    assert any(hit.match and "3120" in hit.passage.text for hit in result.hits)


def test_a_paraphrase_finds_passages_related_by_meaning(corpus_archive: Archive):
    # "coronavirus" is no word of the corpus; COVID-19 and the pandemic are
    result = corpus_archive.search("coronavirus", group="passage")
    assert result.counts["match"] == 0 and result.counts["related"] > 0
    assert all(re.search(r"covid|pandemic|health", words_of(hit.passage)) for hit in result.hits)


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_operators_are_constraints_the_meaning_never_adds_to(corpus_archive: Archive, mode):
    _, hits = every_hit(corpus_archive, "trafficking -Tajikistan", mode=mode)
    assert hits and all(hit.match for hit in hits)
    assert all("traffick" in words_of(h.passage) and "tajikistan" not in words_of(h.passage) for h in hits)
    _, hits = every_hit(corpus_archive, '"Migration Film Festival"', mode=mode)
    assert hits and all("migration film festival" in " ".join(words_of(h.passage).split()) for h in hits)
    _, hits = every_hit(corpus_archive, "(remittances OR diaspora) AND Kazakhstan", mode=mode)
    assert hits and all(re.search(r"remittance|diaspora", words_of(h.passage)) and "kazakhstan" in words_of(h.passage)
                        for h in hits)


def test_related_hits_are_marked_and_ranked_with_the_matches(corpus_archive: Archive):
    result = corpus_archive.search("money that workers abroad send to their families", group="passage", k=20)
    kinds = {hit.match for hit in result.hits}
    assert False in kinds
    assert sum(not hit.match for hit in result.hits) == result.counts["related"]
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)  # one ranking, each hit marked
    assert any("remittance" in words_of(hit.passage) for hit in result.hits[:3])


# --- facets count what is shown, as if chosen --------------------------------------------------------------


def test_facets_count_what_is_shown(corpus_archive: Archive):
    for query in ("trafficking", "trafficing", "coronavirus"):
        result = corpus_archive.search(query)
        assert sum(result.facets["issue"].values()) == result.total
        assert sum(result.facets["year"].values()) == result.total


@pytest.mark.parametrize("chosen", [Filters(countries=("Kyrgyzstan",)), Filters(countries=("Kyrgyzstan",), years=(2020,)),
                                    Filters(years=(2021,)), Filters(issue_ids=("000_01b647a0f58beec8",))])
def test_each_facet_value_counts_what_choosing_it_gives(corpus_archive: Archive, chosen):
    query = "migrants"
    result = corpus_archive.search(query, filters=chosen)
    for value, count in result.facets["country"].items():
        alone = corpus_archive.search(query, filters=Filters(countries=(value,), years=chosen.years,
                                                             issue_ids=chosen.issue_ids))
        assert count == alone.total, value
    for value, count in result.facets["year"].items():
        alone = corpus_archive.search(query, filters=Filters(years=(int(value),), countries=chosen.countries,
                                                             issue_ids=chosen.issue_ids))
        assert count == alone.total, value
    assert len(result.facets["year"]) > len(chosen.years)  # the other years stay


def test_kyrgyzstan_chosen_then_kazakhstan_adds_what_its_count_said(corpus_archive: Archive):
    one = corpus_archive.search("trafficking", filters=Filters(countries=("Kyrgyzstan",)))
    both = corpus_archive.search("trafficking", filters=Filters(countries=("Kyrgyzstan", "Kazakhstan")))
    kazakhstan = corpus_archive.search("trafficking", filters=Filters(countries=("Kazakhstan",)))
    assert one.facets["country"]["Kazakhstan"] == kazakhstan.total
    overlap = {h.passage.id for h in every_hit(corpus_archive, "trafficking", filters=Filters(
        countries=("Kyrgyzstan",)))[1] if "Kazakhstan" in h.passage.countries}
    assert both.total == one.total + kazakhstan.total - len(overlap)


def test_a_facet_lists_its_most_frequent_values_and_every_chosen_one():
    """A result at 100,000 passages can span thousands of newsletter issues: the issue facet lists the
    FACET_VALUES most frequent (ties: the earlier issue), and a chosen issue even when it is not among them."""
    issues = 3 * FACET_VALUES
    issue_of = np.repeat(np.arange(issues), np.arange(issues) % 7 + 1)  # issue n holds n % 7 + 1 passages
    ids = [f"issue-{n:02d}" for n in range(issues)]
    days = IssueDays(*(np.full(issues, value, dtype) for value, dtype in
                       ((20210101, np.int32), (20210131, np.int32), (2021, np.int16))))
    none = np.zeros(len(issue_of), dtype=np.uint8)
    masks = FilterMasks(issue_of, ids, days, {issue_id: n for n, issue_id in enumerate(ids)}.get, none, none,
                        none.astype(bool))
    shown = np.ones(len(issue_of), dtype=bool)
    most_frequent = sorted(range(issues), key=lambda n: (-(n % 7 + 1), n))[:FACET_VALUES]
    assert facet_counts(masks, shown, Filters())["issue"] == {ids[n]: n % 7 + 1 for n in most_frequent}
    chosen = facet_counts(masks, shown, Filters(issue_ids=("issue-00",)))["issue"]
    assert chosen["issue-00"] == 1 and len(chosen) == FACET_VALUES + 1


def test_a_value_left_out_stays_listed(corpus_archive: Archive):
    result = corpus_archive.search("migrants", filters=Filters(exclude_years=(2020,), exclude_countries=("Kazakhstan",)))
    assert not any(hit.issue.date.year == 2020 or "Kazakhstan" in hit.passage.countries for hit in result.hits)
    assert result.facets["year"]["2020"] == corpus_archive.search(
        "migrants", filters=Filters(years=(2020,), exclude_countries=("Kazakhstan",))).total
    assert "Kazakhstan" in result.facets["country"]


# --- sort and one result per story ---------------------------------------------------------------------


@pytest.mark.parametrize("sort, newest_first", [("newest", True), ("oldest", False)])
def test_sort_by_date(corpus_archive: Archive, sort, newest_first):
    result, hits = every_hit(corpus_archive, "migrants", sort=sort)
    days = [hit.issue.date.first_day for hit in hits]
    assert days == sorted(days, reverse=newest_first)
    assert result.sort == sort and result.to_json()["sort"] == sort


def test_results_are_stories_by_default(corpus_archive: Archive):
    grouped = corpus_archive.search("trafficking", k=100)
    _, passages = every_hit(corpus_archive, "trafficking")
    stories = [hit.passage.section_id for hit in grouped.hits]
    assert len(stories) == len(set(stories)) == grouped.results
    assert grouped.total == len(passages)  # counts are passages either way
    for hit in grouped.hits:
        same_story = [h for h in passages if h.passage.section_id == hit.passage.section_id]
        assert hit.more_in_story == len(same_story) - 1
        assert hit.match == any(h.match for h in same_story)  # a story with a match shows a matching passage
    assert sum(hit.more_in_story + 1 for hit in grouped.hits) == grouped.total
    assert all("more_in_story" not in hit.to_json() for hit in passages)
    assert all("more_in_story" in hit.to_json() for hit in grouped.hits)


def test_pages_step_through_stories(corpus_archive: Archive):
    first = corpus_archive.search("migrants", k=3)
    second = corpus_archive.search("migrants", k=3, offset=3)
    assert first.results == second.results > 6
    assert not {h.passage.section_id for h in first.hits} & {h.passage.section_id for h in second.hits}


@pytest.mark.parametrize("kwargs, mentions", [({"sort": "date"}, "sort must be one of relevance, newest, oldest"),
                                              ({"group": "issue"}, "group must be one of story, passage")])
def test_bad_sort_or_group(corpus_archive: Archive, kwargs, mentions):
    with pytest.raises(BadRequest, match=mentions):
        corpus_archive.search("migrants", **kwargs)


# --- a date in the query ---------------------------------------------------------------------------------


def test_a_year_in_the_query_is_offered_not_applied(corpus_archive: Archive):
    result = corpus_archive.search("trafficking in 2021")
    offer = result.date_filter
    assert (offer.label, offer.date_from, offer.date_to, offer.rest) == ("2021", "2021", "2021", "trafficking")
    assert {hit.issue.date.year for hit in result.hits} != {2021}  # not applied: other years are shown
    taken = corpus_archive.search(offer.rest, filters=Filters(date_from=offer.date_from, date_to=offer.date_to))
    assert taken.hits and {hit.issue.date.year for hit in taken.hits} == {2021}
    assert taken.date_filter is None
    already = corpus_archive.search("trafficking in 2021", filters=Filters(date_from="2021", date_to="2021"))
    assert already.date_filter is None  # the filter is on


def test_a_date_with_no_issue_is_not_offered(corpus_archive: Archive):
    assert corpus_archive.search("trafficking in 2019").date_filter is None
    assert corpus_archive.search("RING training November 2021").date_filter.label == "November 2021"


def test_the_json_shape(corpus_archive: Archive):
    data = corpus_archive.search("trafficing").to_json()
    assert data["counts"]["related"] == data["total"] and data["suggestion"] == "trafficking"
    assert data["sort"] == "relevance" and data["group"] == "story" and data["date_filter"] is None
    assert all(hit["match"] is False for hit in data["hits"])


def test_passages_beyond_the_depth_fusion_reads_are_still_shown(corpus_archive: Archive, corpus_settings):
    """An archive whose fusion reads only 2 passages a side still shows every match and related passage,
    each with its place in the side's whole ranking (the same as the full archive's, or a tie's first)."""
    shallow = Archive(corpus_archive.generation, corpus_settings, Fusion("convex", weights={"semantic": 2.0}, depth=2))
    try:
        for mode in MODES:
            full, full_hits = every_hit(corpus_archive, "migrants", mode=mode)
            result, hits = every_hit(shallow, "migrants", mode=mode)
            assert result.counts == full.counts and len(hits) == result.total > 10
            assert {h.passage.id for h in hits} == {h.passage.id for h in full_hits}
            ranks = {h.passage.id: h.found_by for h in full_hits}
            for hit in hits:
                assert hit.found_by
                for side, rank in hit.found_by.items():
                    assert 1 <= rank <= ranks[hit.passage.id].get(side, rank), (mode, side)
    finally:
        shallow.close()
