"""The FTS5 baseline on a handful of hand-written passages."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import make_passage as passage

from index.errors import BadRequest
from index.eval.fts5 import Fts5Baseline, fts5_query

TEXTS = [
    ("Border health", "Training on RING at points of entry for border guards."),  # 0
    ("Remittances", "Money transfers sent home by migrants working abroad."),  # 1
    ("Hotline", "Call the national hotline (1899) for free advice."),  # 2
    ("Almaty Process", "A special session was held online."),  # 3
    ("Kyrgyzstan hotline", "The number is printed on the back page."),  # 4
    ("Returns", "In total **7,801** migrants returned home."),  # 5
    ("\u0410\u041b\u041c\u0410\u0422\u0418\u041d\u0421\u041a\u0418\u0419 \u041f\u0420\u041e\u0426\u0415\u0421\u0421", "Regional meeting."),  # 6
]


@pytest.fixture(scope="module")
def baseline() -> Fts5Baseline:
    return Fts5Baseline([passage(i, title, text) for i, (title, text) in enumerate(TEXTS)])


def test_this_python_sqlite_has_fts5() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE probe USING fts5(body)")


def test_passage_with_the_query_words_ranks_first(baseline: Fts5Baseline) -> None:
    assert baseline.search("RING training", 5) == [0]


def test_more_query_words_rank_above_fewer(baseline: Fts5Baseline) -> None:
    # Passage 2 has "national" and "hotline" (title and text); passage 4 only "hotline" in its title.
    assert baseline.search("national hotline", 5) == [2, 4]


def test_ranking_is_by_relevance_not_by_position() -> None:
    # The passage with both words, twice each and in its title, comes after the weaker one.
    weak_first = Fts5Baseline(
        [
            passage(0, "Notes", "A hotline exists."),
            passage(1, "National hotline", "Call the national hotline: the national hotline is free."),
        ]
    )
    assert weak_first.search("national hotline", 5) == [1, 0]


def test_title_only_match_is_found(baseline: Fts5Baseline) -> None:
    assert baseline.search("Almaty", 5) == [3]


def test_search_is_case_insensitive_also_in_cyrillic(baseline: Fts5Baseline) -> None:
    assert baseline.search("\u0430\u043b\u043c\u0430\u0442\u0438\u043d\u0441\u043a\u0438\u0439", 5) == [6]


def test_any_word_is_enough(baseline: Fts5Baseline) -> None:
    # Words are ORed: "money" finds passage 1, "almaty" passage 3, "zebra" nothing.
    assert sorted(baseline.search("money almaty zebra", 5)) == [1, 3]


def test_k_limits_the_results(baseline: Fts5Baseline) -> None:
    # "hotline" occurs in passages 2 and 4, "migrants" in 1 and 5.
    assert len(baseline.search("hotline migrants", 3)) == 3
    assert len(baseline.search("hotline migrants", 10)) == 4


def test_plain_baseline_has_no_stemming_and_no_number_normalisation(baseline: Fts5Baseline) -> None:
    assert baseline.search("trainings", 5) == []
    assert baseline.search("7801", 5) == []
    assert baseline.search("7,801", 5) == [5]  # "7" OR "801": the same tokens as the text


def test_no_words_no_results(baseline: Fts5Baseline) -> None:
    assert baseline.search("", 5) == []
    assert baseline.search("   ", 5) == []
    assert baseline.search('?! "" ()', 5) == []


@pytest.mark.parametrize(
    "odd_query",
    ['"', '""', 'ring"training', "(ring", "ring)", "title:ring", "NEAR(ring training)", "ring AND",
     "OR", "NOT ring", "ring*", "^ring", "-ring", "+ring", "'ring'", "ring; DROP TABLE passages", "{title}: ring",
     "a_b", "\u0000ring", "\U0001f600 ring"],
)
def test_odd_queries_never_raise(baseline: Fts5Baseline, odd_query: str) -> None:
    assert isinstance(baseline.search(odd_query, 5), list)


def test_syntax_characters_are_only_separators(baseline: Fts5Baseline) -> None:
    assert baseline.search("title:ring", 5) == [0]  # "title" OR "ring", not a column filter
    assert baseline.search("NOT ring", 5) == [0]  # "not" OR "ring", not a negation


def test_fts5_query_quotes_each_word_once() -> None:
    assert fts5_query('Say "hi" (now), say HI!') == '"say" OR "hi" OR "now"'
    assert fts5_query("a_b") == '"a" OR "b"'  # unicode61 splits on "_" too
    assert fts5_query("...") == ""


def test_search_refuses_k_below_one(baseline: Fts5Baseline) -> None:
    with pytest.raises(BadRequest):
        baseline.search("ring", 0)


def test_empty_archive_finds_nothing() -> None:
    assert Fts5Baseline([]).search("ring", 5) == []
