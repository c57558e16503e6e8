"""The pieces a search's results are made of, each on small inputs written for the purpose: the match
rule, the related-by-meaning threshold, the order and grouping of results, did you mean, and a date
named in a query.  (tests/test_results.py runs them together on the real corpus.)"""

from __future__ import annotations

import numpy as np
import pytest

from index.search.matching import MATCH_RULE, MatchRule, RelatedThreshold
from index.search.ordering import arrange, rank_of, relevance_order
from index.search.query import parse_query, uses_operators
from index.search.query_dates import date_in_query
from index.search.suggest import Speller, corrected, words_by_use

# --- the match rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("words, required", [(1, 1), (2, 2), (3, 3), (4, 3), (5, 3), (6, 4), (8, 5), (9, 6)])
def test_all_words_up_to_three_then_sixty_percent(words, required):
    assert MATCH_RULE.required(words) == required


def test_other_rules_for_calibration():
    assert [MatchRule(all_up_to=0, share=0.0).required(n) for n in (1, 4, 9)] == [1, 1, 1]  # any word
    assert [MatchRule(all_up_to=10**6).required(n) for n in (1, 4, 9)] == [1, 4, 9]  # every word


def test_the_parsed_query_carries_how_many_words_are_needed():
    assert parse_query("how many stranded migrants returned to Tajikistan").minmatch == 4  # 6 words ("to" is a stop word)
    assert parse_query("migrants migrants hotline").minmatch == 2  # a repeated word counts once


@pytest.mark.parametrize("query, operators", [
    ("trafficking", False), ("RING training", False), ("COVID-19 deaths", False), ('"unbalanced', False),
    ("Kyrgyzstan AND trafficking", True), ("hotline OR grants", True), ("trafficking -Tajikistan", True),
    ("NOT water", True), ('"human trafficking" victims', True), ("(a b) OR c", True),
])
def test_operators_are_told_apart_from_words(query, operators):
    assert uses_operators(query) is operators


# --- related by meaning ----------------------------------------------------------------------------


def test_related_needs_the_floor_and_the_margin_over_the_median():
    threshold = RelatedThreshold(min_similarity=0.2, min_margin=0.12)
    cosines = np.array([0.50, 0.45, 0.40, 0.30, 0.25, 0.10, 0.05])  # median 0.30
    match = np.array([True, False, False, False, False, False, False])
    # 0.45 is 0.15 above the median; 0.40 only 0.10
    assert threshold.related(cosines, match).tolist() == [False, True, False, False, False, False, False]
    # a query like nothing: its best is above the median by a margin, but below the floor
    nonsense = np.array([0.18, 0.05, 0.04, 0.03])
    assert not threshold.related(nonsense, np.zeros(4, dtype=bool)).any()


# --- order and grouping ----------------------------------------------------------------------------

#                 ordinal: 0         1         2         3         4         5
DAYS = np.array([20201110, 20211101, 20200710, 0, 20220801, 20211101])  # 3: date unknown
STORIES = np.array([0, 1, 1, 2, 3, 1])
MATCH = np.array([True, False, True, True, True, True])
BEST_FIRST = np.array([1, 0, 3, 2, 4, 5])


def test_relevance_order_keeps_the_fused_ranking_then_the_rest_by_fallback():
    shown = np.array([True, True, False, True, True, False])
    fallback = np.array([0.1, 0.9, 0.0, 0.5, 0.7, 0.0])
    assert relevance_order([3, 0, 2], shown, fallback).tolist() == [3, 0, 1, 4]


@pytest.mark.parametrize("sort, expected", [
    ("relevance", [1, 0, 3, 2, 4, 5]),
    ("newest", [4, 1, 5, 0, 2, 3]),  # the undated last
    ("oldest", [2, 0, 1, 5, 4, 3]),  # the undated last here too; ties keep relevance order
])
def test_sorting_passages(sort, expected):
    arranged = arrange(BEST_FIRST, MATCH, DAYS, STORIES, sort, "passage")
    assert arranged.ordinals.tolist() == expected
    assert not arranged.more_in_story.any()


def test_a_story_is_shown_once_by_its_best_matching_passage_at_its_best_place():
    arranged = arrange(BEST_FIRST, MATCH, DAYS, STORIES, "relevance", "story")
    # story 1 (passages 1, 2, 5) comes first, where 1 ranks, but 2 speaks for it: 1 does not match
    assert arranged.ordinals.tolist() == [2, 0, 3, 4]
    assert arranged.more_in_story.tolist() == [2, 0, 0, 0]


def test_grouping_after_sorting_by_date():
    arranged = arrange(BEST_FIRST, MATCH, DAYS, STORIES, "newest", "story")
    assert arranged.ordinals.tolist() == [4, 5, 0, 3]  # story 1's newest passages are 1 and 5; 5 matches


def test_rank_of_a_passage_beyond_the_lists():
    assert rank_of(np.array([0.2, 0.9, 0.5, 0.0]), 2) == 2


# --- did you mean ----------------------------------------------------------------------------------

SPELLER = Speller(words_by_use(["Victims of trafficking were assisted in Kyrgyzstan.", "Trafficking in persons.",
                                "Migrants returned to Tajikistan.", "The national hotline 1899."]))
ARCHIVE_TERMS = {"victim", "traffick", "assist", "kyrgyzstan", "person", "migrant", "return", "tajikistan", "nation",
                 "hotlin", "1899"}


def did_you_mean(query: str) -> str | None:
    return corrected(query, lambda: SPELLER, ARCHIVE_TERMS.__contains__)


@pytest.mark.parametrize("query, suggestion", [
    ("trafficing", "trafficking"),  # a letter left out
    ("Kyrgystan hotline", "Kyrgyzstan hotline"),  # a name, its capital kept
    ("migrnats", "migrants"),  # two letters swapped: one edit
    ('"human traficking" -Tajikstan', '"human trafficking" -Tajikistan'),  # quotes and operators stay
    ("HOTLNIE", "HOTLINE"),
])
def test_a_word_the_archive_does_not_hold_gets_its_nearest_word(query, suggestion):
    assert did_you_mean(query) == suggestion


@pytest.mark.parametrize("query", [
    "trafficking hotline",  # every word is held
    "7802",  # a number is never corrected
    "xyzzyqqq",  # nothing near
    "Samarkand",  # a name the archive does not print, nothing near
    "trafficking AND NOT Tajikistan",  # operators are not words
    "tbe",  # under four letters: left alone
])
def test_no_suggestion(query):
    assert did_you_mean(query) is None


def test_of_words_as_near_the_most_used_wins():
    speller = Speller(words_by_use(["migrant migrant migrant", "migrate"]))
    assert speller.correction("migrat") == "migrant"  # one edit from both


def test_the_speller_is_read_only_when_a_word_needs_it():
    calls = []
    corrected("trafficking", lambda: calls.append(1) or SPELLER, ARCHIVE_TERMS.__contains__)
    assert calls == []


# --- a date named in the query ----------------------------------------------------------------------


@pytest.mark.parametrize("query, label, date_from, date_to, rest", [
    ("trafficking in 2021", "2021", "2021", "2021", "trafficking"),
    ("RING training November 2021", "November 2021", "2021-11", "2021-11", "RING training"),
    ("hotline Nov. 2020", "November 2020", "2020-11", "2020-11", "hotline"),
    ("remittances 2020-11", "November 2020", "2020-11", "2020-11", "remittances"),
    ("during 2022 border health", "2022", "2022", "2022", "border health"),
])
def test_a_year_or_month_in_the_query(query, label, date_from, date_to, rest):
    offer = date_in_query(query)
    assert (offer.label, offer.date_from, offer.date_to, offer.rest) == (label, date_from, date_to, rest)
    assert offer.to_json() == {"label": label, "from": date_from, "to": date_to, "query": rest}


@pytest.mark.parametrize("query", ["2021", "in 2021", "7801", "2,021 people", "COVID-19 deaths", "3120 migrants"])
def test_no_date_in_the_query(query):
    assert date_in_query(query) is None
