"""The Whoosh keyword index, on a handful of passages written for the purpose.

Every expected ordinal below is read off the PASSAGES fixture by hand.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import make_passage as passage
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from index.errors import IndexUnavailable
from index.search.keyword import LAYOUT_ORDINALS, KeywordIndex, build_keyword_index, update_keyword_index
from index.search.query import parse_query, query_terms
from index.text.analysis import ANALYZER

PASSAGES = [
    passage(0, "Border management", "IOM organised a training for border guards in Osh."),
    passage(1, "Water supply", "Clean water was delivered to 7,801 migrants stranded at the border."),
    passage(2, "COVID-19 situation", "Central Asia counted 330, 528 registered cases and 4,378 deaths."),
    passage(3, "Media outreach", "TV and radio programmes reached an audience of 2,5 million people."),
    passage(4, "Hotline", "Call the hotline +992900800800 for free counselling on safe migration."),
    passage(5, "Returning migrants", "Migrants returning home received water and hygiene kits."),
    passage(6, "Reintegration grants", "Small grants covered 6.3 percent of the start-up costs."),
    passage(7, "Food parcels", "Volunteers distributed food parcels in Dushanbe."),
    passage(8, "Community volunteers", "Volunteers distributed food parcels in Dushanbe."),
    passage(9, "Winter support", "Families collected kits: school kits and winter kits."),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keyword") / "not-yet-created"
    build_keyword_index(directory, PASSAGES)
    return directory


@pytest.fixture(scope="module")
def keyword(index_dir: Path):
    opened = KeywordIndex.open(index_dir)
    yield opened
    opened.close()


def ordinals(keyword: KeywordIndex, query: str, **kwargs) -> list[int]:
    return [ordinal for ordinal, _ in keyword.search(query, limit=20, **kwargs)]


# --- building -------------------------------------------------------------------------------------


def test_a_fresh_index_holds_passage_i_at_docnum_i(index_dir: Path) -> None:
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        stored = dict(searcher.reader().iter_docs())
    assert sorted(stored) == list(range(len(PASSAGES)))
    for docnum, fields in stored.items():
        assert fields == {"id": PASSAGES[docnum].id}  # no text or title stored
    assert np.load(index_dir / LAYOUT_ORDINALS).tolist() == list(range(len(PASSAGES)))


def test_doc_count(keyword: KeywordIndex) -> None:
    assert keyword.doc_count == len(PASSAGES)


def test_a_passage_with_two_documents_fails_the_update(tmp_path: Path) -> None:
    build_keyword_index(tmp_path, PASSAGES[:3])
    with pytest.raises(RuntimeError, match="not one for each"):
        update_keyword_index(tmp_path, PASSAGES[:3], removed=[], added=[1])


def test_a_passage_without_a_document_fails_the_update(tmp_path: Path) -> None:
    build_keyword_index(tmp_path, PASSAGES[:3])
    with pytest.raises(RuntimeError, match="not one for each"):
        update_keyword_index(tmp_path, PASSAGES[:3], removed=[PASSAGES[2].id], added=[])


# A newer corpus: passage 3 gone, passage 5's text changed, two new passages, and the order changed.
CHANGED = replace(PASSAGES[5], text="Migrants returning home received blankets, water and winter kits.")
NEWER = [PASSAGES[9], PASSAGES[0], CHANGED, PASSAGES[1], PASSAGES[2], PASSAGES[4], PASSAGES[6], PASSAGES[7],
         PASSAGES[8], replace(PASSAGES[0], id="p10", text="A new well brought water to the border post in Osh."),
         replace(PASSAGES[1], id="p11", section_title="Water for schools", text="Schools got clean water.")]
QUERIES = ["water", "border guards", "7 801", "parcels", "hotline OR grants", "migrants NOT water", "kits",
           "Osh water border", "(water OR kits) AND migrants"]


def test_an_updated_index_ranks_as_a_fresh_one(tmp_path: Path) -> None:
    """Documents of removed and changed passages deleted, new ones added in a new segment: every score
    is the one a fresh index of the newer corpus gives (BM25's statistics are the live documents')."""
    build_keyword_index(tmp_path / "earlier", PASSAGES)
    shutil.copytree(tmp_path / "earlier", tmp_path / "updated")
    removed = [PASSAGES[3].id, PASSAGES[5].id]
    added = [NEWER.index(CHANGED), len(NEWER) - 2, len(NEWER) - 1]
    update_keyword_index(tmp_path / "updated", NEWER, removed, added)
    build_keyword_index(tmp_path / "fresh", NEWER)
    updated, fresh = KeywordIndex.open(tmp_path / "updated"), KeywordIndex.open(tmp_path / "fresh")
    try:
        assert updated.doc_count == fresh.doc_count == len(NEWER)
        for query in QUERIES:
            got, expected = updated.search(query, limit=20), fresh.search(query, limit=20)
            assert [o for o, _ in got] == [o for o, _ in expected], query
            assert [s for _, s in got] == pytest.approx([s for _, s in expected]), query
            assert updated.search(query, limit=20, allowed={0, 2, 9}) == [h for h in got if h[0] in {0, 2, 9}]
        assert updated.search("blankets", limit=5)[0][0] == NEWER.index(CHANGED)
        assert updated.search("audience", limit=5) == []  # passage 3 is gone
        assert list(updated.excluded("migrants NOT water")) == list(fresh.excluded("migrants NOT water"))
    finally:
        updated.close()
        fresh.close()
    # The earlier index, whose files the update only read, is as it was.
    earlier = KeywordIndex.open(tmp_path / "earlier")
    try:
        assert earlier.search("audience", limit=5)[0][0] == 3
    finally:
        earlier.close()


def test_empty_passage_list_builds_an_empty_index(tmp_path: Path) -> None:
    build_keyword_index(tmp_path / "empty", [])
    empty = KeywordIndex.open(tmp_path / "empty")
    try:
        assert empty.doc_count == 0
        assert empty.search("water", limit=5) == []
    finally:
        empty.close()


# --- opening --------------------------------------------------------------------------------------


def test_missing_directory_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="no keyword index"):
        KeywordIndex.open(tmp_path / "absent")


def test_empty_directory_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable):
        KeywordIndex.open(tmp_path)


@pytest.mark.parametrize("suffix", [".toc", ".seg"])
def test_damaged_index_is_unavailable(tmp_path: Path, suffix: str) -> None:
    build_keyword_index(tmp_path, PASSAGES[:3])
    damaged = [path for path in tmp_path.iterdir() if path.suffix == suffix]
    assert damaged
    for path in damaged:
        path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(IndexUnavailable, match="damaged"):
        KeywordIndex.open(tmp_path)


# --- analysis -------------------------------------------------------------------------------------


def test_analyzer_keeps_grouped_numbers_whole_with_original_positions() -> None:
    text = "Assisted 7,801 and 330, 528 people; 2,5 million; 6.3 percent; 5 kits"
    tokens = [(t.text, text[t.startchar : t.endchar]) for t in ANALYZER(text, chars=True)]
    assert tokens == [
        ("assist", "Assisted"),
        ("7801", "7,801"),
        ("330528", "330, 528"),
        ("peopl", "people"),
        ("2", "2"),
        ("5", "5"),
        ("million", "million"),
        ("6.3", "6.3"),
        ("percent", "percent"),
        ("5", "5"),
        ("kit", "kits"),
    ]


def test_query_terms_are_analysed_and_leave_out_exclusions() -> None:
    assert query_terms('"border guards" 7 801 NOT water') == ["border", "guard", "7801"]
    assert query_terms("trainings -water") == ["train"]


# --- searching ------------------------------------------------------------------------------------


def test_stemming(keyword: KeywordIndex) -> None:
    assert ordinals(keyword, "trainings") == [0]
    assert ordinals(keyword, "returned") == [5]


def test_title_weighs_more_than_text(keyword: KeywordIndex) -> None:
    hits = keyword.search("parcels", limit=5)
    assert [ordinal for ordinal, _ in hits] == [7, 8]
    assert hits[0][1] > hits[1][1]
    # "volunteers" is in the title of 8 only
    assert ordinals(keyword, "volunteers") == [8, 7]


def test_single_word_in_text_only_is_ranked_by_bm25(keyword: KeywordIndex) -> None:
    # "kits" is in no title; 9 says it three times in a short text, 5 once in a longer one
    hits = keyword.search("kits", limit=5)
    assert [ordinal for ordinal, _ in hits] == [9, 5]
    assert hits[0][1] > hits[1][1] > 0
    assert keyword.search("7801", limit=5)[0][1] > 0


def test_more_matching_words_rank_higher(keyword: KeywordIndex) -> None:
    assert ordinals(keyword, "border guards") == [0, 1]


def test_phrase_matches_only_adjacent_words(keyword: KeywordIndex) -> None:
    assert ordinals(keyword, '"border guards"') == [0]
    assert ordinals(keyword, '"guards border"') == []


def test_and(keyword: KeywordIndex) -> None:
    assert sorted(ordinals(keyword, "water AND migrants")) == [1, 5]
    assert ordinals(keyword, "water AND border") == [1]


def test_or(keyword: KeywordIndex) -> None:
    assert sorted(ordinals(keyword, "hotline OR grants")) == [4, 6]


def test_parentheses(keyword: KeywordIndex) -> None:
    assert sorted(ordinals(keyword, "water AND (border OR hygiene)")) == [1, 5]
    assert ordinals(keyword, "water AND (guards OR hygiene)") == [5]


@pytest.mark.parametrize("query", ["water NOT border", "water -border", "water AND NOT border"])
def test_not_excludes(keyword: KeywordIndex, query: str) -> None:
    assert ordinals(keyword, query) == [5]


def test_nested_not(keyword: KeywordIndex) -> None:
    # water, minus the passages about migrants that are not about hygiene
    assert ordinals(keyword, "water NOT (migrants NOT hygiene)") == [5]


@pytest.mark.parametrize("query", ["NOT water", "-water"])
def test_only_exclusions_find_nothing(keyword: KeywordIndex, query: str) -> None:
    assert keyword.search(query, limit=20) == []


def test_hyphenated_word_is_not_an_exclusion(keyword: KeywordIndex) -> None:
    assert ordinals(keyword, "COVID-19") == [2]
    assert ordinals(keyword, "start-up") == [6]


@pytest.mark.parametrize("query", ["7801", "7 801", "7,801"])
def test_grouped_number_is_found_however_written(keyword: KeywordIndex, query: str) -> None:
    assert ordinals(keyword, query) == [1]


@pytest.mark.parametrize("query", ["330528", "330, 528", "330,528", "330 528"])
def test_number_broken_by_a_space_is_one_number(keyword: KeywordIndex, query: str) -> None:
    assert ordinals(keyword, query) == [2]


def test_decimal_comma_is_not_a_thousands_group(keyword: KeywordIndex) -> None:
    assert ordinals(keyword, "25") == []
    assert ordinals(keyword, "2,5 million") == [3]
    assert ordinals(keyword, '"2 5"') == [3]


def test_decimal_point_stays_one_token(keyword: KeywordIndex) -> None:
    assert ordinals(keyword, "6.3") == [6]
    assert ordinals(keyword, "6") == []


def test_hotline_number(keyword: KeywordIndex) -> None:
    assert ordinals(keyword, "+992900800800") == [4]


def test_allowed_restricts_results(keyword: KeywordIndex) -> None:
    assert sorted(ordinals(keyword, "water")) == [1, 5]
    assert ordinals(keyword, "water", allowed={5, 0}) == [5]
    assert ordinals(keyword, "water", allowed=[0, 2]) == []
    assert ordinals(keyword, "water", allowed=set()) == []


def test_limit(keyword: KeywordIndex) -> None:
    assert len(keyword.search("border guards water", limit=1)) == 1


def test_scores_are_best_first(keyword: KeywordIndex) -> None:
    scores = [score for _, score in keyword.search("migrants water border", limit=20)]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(score, float) and score > 0 for score in scores)


ODD_QUERIES = [
    '"unbalanced',
    "(bracket",
    "bracket)",
    "a:",
    ":",
    "title:water",
    "AND",
    "NOT",
    "OR",
    "AND OR NOT",
    "NOT NOT water",
    "***",
    "wat*",
    "water^3",
    "[a TO z]",
    "-",
    "((((",
    "",
    "   ",
    "x" * 10_000,
    "water " * 2_000,
    "(" * 5_000 + "water",
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=lambda q: repr(q[:20]))
def test_odd_queries_return_a_list(keyword: KeywordIndex, query: str) -> None:
    hits = keyword.search(query, limit=10)
    assert isinstance(hits, list)
    assert all(isinstance(ordinal, int) and isinstance(score, float) for ordinal, score in hits)


def test_odd_query_falls_back_to_plain_words(keyword: KeywordIndex) -> None:
    assert ordinals(keyword, '"hotline') == [4]
    assert ordinals(keyword, "(hotline") == [4]
    assert ordinals(keyword, "title:hotline") == [4]
    assert ordinals(keyword, "hotl*") == []


def test_searches_from_several_threads_agree(keyword: KeywordIndex) -> None:
    queries = ["water", "border guards", "7 801", "parcels", "hotline OR grants"] * 20
    expected = {query: keyword.search(query, limit=5) for query in queries}
    failures: list[str] = []

    def worker(offset: int) -> None:
        for query in queries[offset:] + queries[:offset]:
            if keyword.search(query, limit=5) != expected[query]:
                failures.append(query)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_query_returns_a_list(keyword: KeywordIndex, query: str) -> None:
    hits = keyword.search(query, limit=10)
    assert isinstance(hits, list)
    assert {ordinal for ordinal, _ in hits} <= set(range(len(PASSAGES)))
    parse_query(query)
    query_terms(query)


# --- what matches (index.search.matching) ----------------------------------------------------------


def matching(keyword: KeywordIndex, query: str) -> list[int]:
    return [int(o) for o in np.flatnonzero(keyword.matching(query))]


def test_words_side_by_side_all_match_up_to_three(keyword: KeywordIndex) -> None:
    assert matching(keyword, "border guards") == [0]  # 1 holds "border" only: ranked, not a match
    assert ordinals(keyword, "border guards") == [0, 1]
    assert matching(keyword, "water migrants border") == [1]
    assert matching(keyword, "kits") == [5, 9]


def test_a_longer_run_of_words_needs_sixty_percent_of_them(keyword: KeywordIndex) -> None:
    # 4 words: 3 needed.  0 holds training, border, guards; 1 holds border (and water, migrants)
    assert matching(keyword, "training border guards Osh") == [0]
    assert matching(keyword, "training border guards Dushanbe") == [0]
    assert matching(keyword, "training border Dushanbe parcels") == []
    # 5 words: 3 needed (60%, rounded up): 1 holds four of them, 5 three (water, migrants, hygiene)
    assert matching(keyword, "water migrants stranded border hygiene") == [1, 5]
    assert matching(keyword, "water migrants stranded border parcels") == [1]


def test_operators_are_constraints_in_matching(keyword: KeywordIndex) -> None:
    assert matching(keyword, "water AND migrants") == [1, 5]
    assert matching(keyword, "hotline OR grants") == [4, 6]
    assert matching(keyword, "water -border") == [5]
    assert matching(keyword, '"border guards"') == [0]
    assert matching(keyword, "NOT water") == []
    # NOT leaves out what its words side by side match: passages holding both hygiene and kits
    assert matching(keyword, "migrants NOT (hygiene kits)") == [1]


def test_a_word_split_by_the_analyzer_is_one_word(keyword: KeywordIndex) -> None:
    # "COVID-19" is one of two words: both needed, and it counts as one of them
    assert matching(keyword, "COVID-19 deaths") == [2]
    assert matching(keyword, "COVID-19 water") == []


def test_a_field_name_is_not_a_word_to_require(keyword: KeywordIndex) -> None:
    assert matching(keyword, "title:hotline") == [4]


def test_word_matches_row_per_word(keyword: KeywordIndex) -> None:
    rows = keyword.word_matches("water border")
    assert [list(np.flatnonzero(row)) for row in rows] == [[1, 5], [0, 1]]
    assert keyword.word_matches("water AND border") is None


def test_scores_rank_every_word_held(keyword: KeywordIndex) -> None:
    scores = keyword.scores("border guards")
    assert scores[0] > scores[1] > 0 and not scores[[2, 3, 4, 5, 6, 7, 8, 9]].any()
