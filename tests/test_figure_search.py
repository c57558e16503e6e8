"""Figures for journalists: figure records in the built index, figure search, series over time, number
queries in passage search, and `scripts/archive figures`.

Expected values come from reading the issues (archive/) and from the hand-read truth list of
tests/test_figures.py, never from running the code under test:
- November 2020 (000, no date printed): "COVID-19 in Central Asia (...): 330, 528 registered cases,
  4,378 deaths." and "IOM missions in Central Asia have assisted **7,801** victims of trafficking and
  vulnerable migrants."
- Issue 3, 10 July 2020 (002): "IOM missions in Central Asia have assisted 3186 vulnerable migrants.",
  then the stat block "COVID-19 overview in Central Asia": 76,698 Registered, 30,759 Recovered, 470 Deaths.
No other quantity is reported in two issues: those two issues are the only ones that repeat a statistic.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from conftest import write_issue
from test_figures import CORPUS_FIGURES, F0, F2, F4

from index.config import ROOT
from index.embed import models
from index.facade import (
    LIMITS,
    Archive,
    BadRequest,
    FigureQuery,
    Filters,
    IndexUnavailable,
    Settings,
    build,
    parse_figure_bound,
)
from index.figures.series import MAX_PARTNERS, SeriesCandidate, group_series, label_terms
from index.store.figure_files import read_figure_tables

NOVEMBER_2020, JULY_2020, AUGUST_2022 = F0.removesuffix(".txt"), F2.removesuffix(".txt"), F4.removesuffix(".txt")
VULNERABLE_MIGRANTS = [(3186, "2020-07-10"), (7801, "2020-11")]
REGISTERED = [(76698, "2020-07-10"), (330528, "2020-11")]
DEATHS = [(470, "2020-07-10"), (4378, "2020-11")]


def passage_holding(archive: Archive, text: str):
    """The one passage whose text holds `text`."""
    found = [passage for passage in archive.passages if text in passage.text]
    assert len(found) == 1, (text, [p.id for p in found])
    return found[0]


def figures(archive: Archive, text: str = "", **filters) -> list:
    return list(archive.search_figures(FigureQuery(text, **filters)).figures)


def points(series) -> list[tuple[float, str]]:
    return [(point.value, point.date) for point in series.points]


# --- records in the built index ---------------------------------------------------------------------


def test_the_index_holds_7801_with_its_passage_issue_and_date(corpus_archive):
    passage = passage_holding(corpus_archive, "7,801 victims of trafficking")
    [record] = [r for r in corpus_archive.figure_records() if r.value == 7801]
    assert record.passage_id == passage.id
    assert (record.kind, record.as_printed) == ("count", "7,801")
    assert record.label == "victims of trafficking and vulnerable migrants"
    assert record.sentence == ("IOM missions in Central Asia have assisted 7,801 victims of trafficking and "
                               "vulnerable migrants.")
    assert record.issue.id == NOVEMBER_2020 and record.date == "2020-11" and record.issue.date_inferred
    assert record.countries == passage.countries and "Tajikistan" in record.countries
    assert passage.text[record.start:record.end] == "7,801"


def test_every_figure_of_the_truth_list_is_a_record(corpus_archive):
    truth = Counter((name.removesuffix(".txt"), value, kind) for name, _, value, kind in CORPUS_FIGURES)
    found = Counter((r.issue.id, r.value, r.kind) for r in corpus_archive.figure_records())
    assert not truth - found


def test_figures_are_stored_in_the_generation_and_checksummed(corpus_archive, tmp_path):
    generation = corpus_archive.generation
    manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    assert {"figures/value.npy", "figures/passage.npy", "figure_vectors.npy"} <= set(manifest["checksums"])
    stored = read_figure_tables(generation, manifest["dimension"])
    by_value = {float(value): position for position, value in enumerate(stored.values)}
    assert corpus_archive.figure_index.record(by_value[7801]).date == "2020-11"
    assert np.load(generation / "figure_vectors.npy").shape == (len(stored), manifest["dimension"])

    copy = tmp_path / "generations" / generation.name
    shutil.copytree(generation, copy)
    (tmp_path / "CURRENT").write_text(generation.name, encoding="utf-8")
    values = np.load(copy / "figures" / "value.npy")
    values[0] = 1
    np.save(copy / "figures" / "value.npy", values)
    with pytest.raises(IndexUnavailable, match="figures/value.npy does not match its checksum"):
        Archive(copy, corpus_archive.settings)


# --- figure search ----------------------------------------------------------------------------------


def test_victims_of_trafficking_assisted_finds_7801_and_3186(corpus_archive):
    found = figures(corpus_archive, "victims of trafficking assisted", k=5)
    assert found[0].value == 7801
    assert {7801, 3186} <= {figure.value for figure in found}


def test_min_and_max_bound_the_value(corpus_archive):
    found = figures(corpus_archive, minimum=3000, maximum=8000, k=100)
    expected = Counter(value for _, _, value, _ in CORPUS_FIGURES if 3000 <= value <= 8000)
    assert Counter(figure.value for figure in found) == expected  # 3186, 3120, 4378, 7801, 5177
    assert all(3000 <= figure.value <= 8000 for figure in figures(corpus_archive, "migrants", minimum=3000,
                                                                  maximum=8000, k=100))


def test_without_a_query_figures_are_listed_newest_first(corpus_archive):
    found = figures(corpus_archive, minimum=3000, maximum=8000, k=100)
    # December 2020 (5,177), November 2020 in reading order (3120, 4,378, 7,801), July 2020 (3186)
    assert [figure.value for figure in found] == [5177, 3120, 4378, 7801, 3186]


def test_sort_by_date_puts_the_newest_figure_for_the_querys_label_first(corpus_archive):
    """"Vulnerable migrants" are counted in July 2020 (3186) and November 2020 (7,801 with victims of
    trafficking, 18 returned to Moldova, 3120 stranded); COVID-19 figures of July 2020 and a figure of
    August 2022 about Afghan migrants ("individuals") are found by meaning but count something else."""
    found = figures(corpus_archive, "vulnerable migrants assisted", sort="date", k=100)
    assert found[0].value == 7801 and found[0].date == "2020-11"
    assert Counter(f.value for f in found) == Counter([7801, 18, 3120, 3186])
    assert all({"vulnerable", "migrants"} <= set(f.label.split()) for f in found)
    dates = [figure.issue.date.first_day for figure in found]
    assert dates == sorted(dates, reverse=True)
    by_relevance = figures(corpus_archive, "vulnerable migrants assisted", k=100)
    assert len(by_relevance) > len(found) and any(f.label.startswith("COVID-19") for f in by_relevance)


def test_sort_by_date_of_a_number_keeps_that_number(corpus_archive):
    assert [f.value for f in figures(corpus_archive, "7,801", sort="date", k=100)] == [7801]


def test_figures_page_through_with_offset_and_total(corpus_archive):
    query = FigureQuery("migrants", k=100)
    every = corpus_archive.search_figures(query)
    pages = [corpus_archive.search_figures(replace(query, k=3, offset=offset)) for offset in range(0, every.total, 3)]
    assert [f.id for page in pages for f in page.figures] == [f.id for f in every.figures]
    assert {page.total for page in pages} == {every.total} and every.total > 6
    assert [page.offset for page in pages] == list(range(0, every.total, 3))
    assert corpus_archive.search_figures(replace(query, offset=every.total)).figures == ()


def test_contacts_are_left_out_unless_asked_for(corpus_archive):
    """Kazakhstan's hotline 11616, Kyrgyzstan's 1899 and Tajikistan's +992900800800 are printed in
    three issues; a journalist asking what was counted does not want them."""
    hotline_numbers = {11616, 1899, 992900800800}
    for query in ("vulnerable migrants assisted", "national hotline", ""):
        for sort in ("relevance", "date"):
            found = figures(corpus_archive, query, sort=sort, k=100)
            assert not {f.value for f in found} & hotline_numbers, (query, sort)
            assert all(f.kind != "contact" for f in found)
    asked = figures(corpus_archive, "national hotline", kind="contact", k=100)
    assert asked[0].value == 1899 and {f.value for f in asked} == hotline_numbers


def test_from_and_to_bound_the_issue_date(corpus_archive):
    november = figures(corpus_archive, date_from="2020-11", date_to="2020-11", k=100)
    assert {figure.issue.id for figure in november} == {NOVEMBER_2020}
    assert {3120, 330528, 4378, 7801} <= {figure.value for figure in november}
    assert {figure.issue.id for figure in figures(corpus_archive, date_to="2020-07", k=100)} == {JULY_2020}
    # November 2021 prints no figure, so from 2021 on only August 2022 has any
    assert {figure.issue.id for figure in figures(corpus_archive, date_from="2021", k=100)} == {AUGUST_2022}


def test_kind_keeps_one_kind(corpus_archive):
    contacts = figures(corpus_archive, kind="contact", k=100)
    assert {figure.value for figure in contacts} == {11616, 1899, 992900800800}
    durations = figures(corpus_archive, kind="duration", k=100)
    assert Counter(f.value for f in durations) == Counter(v for _, _, v, kind in CORPUS_FIGURES if kind == "duration")


@pytest.mark.parametrize("query", ["7801", "7 801", "7,801"])
def test_a_number_query_puts_that_figure_first(corpus_archive, query):
    assert figures(corpus_archive, query)[0].value == 7801


@pytest.mark.parametrize("query, reason", [
    (FigureQuery(minimum=5000, maximum=100), "min (5000) is more than max (100)"),
    (FigureQuery(kind="ratio"), "kind must be one of count, percentage, money, duration, contact"),
    (FigureQuery(sort="size"), "sort must be one of relevance, date"),
    (FigureQuery(k=0), "k must be between 1 and 100"),
    (FigureQuery(offset=-1), "offset must be between 0 and 1000"),
    (FigureQuery(date_from="2022", date_to="2020"), "is after to"),
    (FigureQuery(date_from="yesterday"), "from must be a date"),
    (FigureQuery("a" * 2000), "2000 characters long"),
])
def test_bad_parameters_are_refused_with_a_reason(corpus_archive, query, reason):
    with pytest.raises(BadRequest, match=reason.replace("(", r"\(").replace(")", r"\)")):
        corpus_archive.search_figures(query)


def test_bounds_are_read_however_a_number_is_printed():
    assert parse_figure_bound("7,801", "min") == parse_figure_bound("7 801", "min") == 7801
    assert parse_figure_bound(" 2.5 ", "max") == 2.5
    for bad in ("abc", "2,5", "1e3", ""):
        with pytest.raises(BadRequest, match="min must be a number"):
            parse_figure_bound(bad, "min")


# --- series ------------------------------------------------------------------------------------------


def test_the_two_series_come_out_in_date_order(corpus_archive):
    found = [points(series) for series in corpus_archive.figure_index.series]
    assert VULNERABLE_MIGRANTS in found
    assert REGISTERED in found


def test_series_hold_one_quantity_each(corpus_archive):
    """The corpus repeats exactly three statistics; deaths and registered cases stay apart, and the
    other "vulnerable migrants" of November 2020 (3120 returned, 18 to Moldova) are not points."""
    all_series = corpus_archive.figure_index.series
    assert sorted(points(series) for series in all_series) == sorted([VULNERABLE_MIGRANTS, REGISTERED, DEATHS])
    for series in all_series:
        labels = " ".join(point.label.lower() for point in series.points)
        assert not ("deaths" in labels and "registered" in labels), labels
        assert len({point.issue.id for point in series.points}) == len(series.points)


def test_a_search_returns_the_series_of_its_figures(corpus_archive):
    result = corpus_archive.search_figures(FigureQuery("victims of trafficking assisted", k=3))
    assert points(result.series[0]) == VULNERABLE_MIGRANTS
    data = json.loads(json.dumps(result.to_json()))
    assert data["query"] == "victims of trafficking assisted"
    first = data["figures"][0]
    assert first["value"] == 7801 and isinstance(first["value"], int)
    assert first["issue"]["date"] == "2020-11" and first["passage_id"].startswith(NOVEMBER_2020)
    assert [(p["value"], p["date"]) for p in data["series"][0]["points"]] == VULNERABLE_MIGRANTS
    assert data["series"][0]["points"][1]["issue"]["id"] == NOVEMBER_2020


def candidate(position: int, label: str, issue: str, kind: str = "count") -> SeriesCandidate:
    return SeriesCandidate(position, kind, "", label, issue, f"2020-0{position + 1}-01")


def test_grouping_needs_matching_labels_not_only_similar_sentences():
    same_sentence = np.ones((2, 4), dtype=np.float32) / 2  # cosine 1.0
    assert group_series([candidate(0, "deaths", "a"), candidate(1, "registered", "b")], same_sentence) == []
    assert group_series([candidate(0, "female participants", "a"), candidate(1, "male participants", "b")],
                        same_sentence) == []  # words in common, but neither label says all the other says
    assert group_series([candidate(0, "participants", "a"), candidate(1, "male participants", "b")],
                        same_sentence) == [[0, 1]]
    assert group_series([candidate(0, "registered cases", "a"), candidate(1, "Overview: Registered", "b")],
                        same_sentence) == [[0, 1]]


def test_grouping_needs_similar_sentences_other_issues_and_a_quantity():
    orthogonal = np.eye(2, dtype=np.float32)
    assert group_series([candidate(0, "migrants", "a"), candidate(1, "migrants", "b")], orthogonal) == []
    same = np.ones((2, 4), dtype=np.float32) / 2
    assert group_series([candidate(0, "migrants", "a"), candidate(1, "migrants", "a")], same) == []
    assert group_series([candidate(0, "people", "a"), candidate(1, "people", "b")], same) == []
    undated = SeriesCandidate(1, "count", "", "migrants", "b", None)
    assert group_series([candidate(0, "migrants", "a"), undated], same) == []
    assert group_series([candidate(0, "days", "a", "duration"), candidate(1, "days", "b", "duration")], same) == []


def test_grouping_is_complete_linkage_and_one_point_per_issue():
    # b is like a and like c, but a and c are unlike: no series of all three, and the issue of b and d
    # gives the series its more similar mention.
    vectors = np.array([[1, 0, 0], [0.8, 0.6, 0], [0.28, 0.96, 0], [0.75, 0.66, 0]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chain = [candidate(0, "migrants", "a"), candidate(1, "migrants", "b"), candidate(2, "migrants", "c")]
    assert all(len(series) < 3 for series in group_series(chain, vectors[:3]))
    rivals = [candidate(0, "migrants", "a"), candidate(1, "migrants", "b"), candidate(3, "migrants", "b")]
    assert group_series(rivals, vectors) == [[0, 1]]


def test_a_series_is_at_most_one_mention_and_its_partners_long():
    # Every issue reports the same quantity in the same words: each mention pairs with at most
    # MAX_PARTNERS others, so the longest series has MAX_PARTNERS + 1 points, in date order.
    issues = 2 * MAX_PARTNERS + 5
    mentions = [SeriesCandidate(i, "count", "", "migrants assisted", f"issue-{i}", f"{2000 + i // 12}-{i % 12 + 1:02d}-01")
                for i in range(issues)]
    series = group_series(mentions, np.ones((issues, 4), dtype=np.float32) / 2)
    assert max(len(points) for points in series) == MAX_PARTNERS + 1
    assert all(points == sorted(points) for points in series)


def test_label_terms_drop_headings_stopwords_and_generic_count_nouns():
    assert label_terms("COVID-19 overview in Central Asia: Registered") == label_terms("registered cases")
    assert label_terms("Total number of people covered") == label_terms("covered")
    assert label_terms("individuals") == frozenset()


# --- passage search knows figures -------------------------------------------------------------------


@pytest.mark.parametrize("mode", LIMITS.modes)
@pytest.mark.parametrize("query, printed", [
    ("7801", "7,801 victims"), ("7 801", "7,801 victims"), ("7,801", "7,801 victims"),
    ("330528", "330, 528 registered"), ("76698", "76,698"), ("3186", "3186 vulnerable"),
])
def test_a_number_query_ranks_the_passage_holding_it_first(corpus_archive, mode, query, printed):
    hits = corpus_archive.search(query, mode=mode, k=5).hits
    assert hits and printed in hits[0].passage.text
    assert hits[0].found_by["figure"] == 1


def test_a_number_query_respects_the_filters(corpus_archive):
    hits = corpus_archive.search("7801", mode="semantic", k=5, filters=Filters(date_from="2021")).hits
    assert not any("7,801" in hit.passage.text for hit in hits)


def test_a_query_of_words_is_not_reordered(corpus_archive):
    """Only a number query moves passages to the front: for words, hits stay in fused score order."""
    hits = corpus_archive.search("victims of trafficking", mode="hybrid", k=10).hits
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive_command(corpus_settings):
    env = {**os.environ, "ARCHIVE_INDEX_DIR": str(corpus_settings.index_dir),
           "ARCHIVE_DIR": str(corpus_settings.archive_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(ROOT / "scripts" / "archive"), *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300, check=False)

    return run


def test_cli_figures_json(archive_command):
    done = archive_command("figures", "victims of trafficking assisted", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {7801, 3186} <= {figure["value"] for figure in data["figures"]}
    assert [(p["value"], p["date"]) for p in data["series"][0]["points"]] == VULNERABLE_MIGRANTS


def test_cli_figures_csv_with_filters(archive_command):
    done = archive_command("figures", "--min", "3,000", "--max", "8000", "--from", "2020-11", "--to", "2020-11",
                           "--kind", "count", "--csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [row["value"] for row in rows] == ["3120", "4378", "7801"]
    seven = rows[2]
    assert seven["issue_date"] == "2020-11" and seven["issue_id"] == NOVEMBER_2020
    assert seven["url"].endswith(f"/passages/{seven['passage_id']}")
    assert seven["sentence"].startswith("IOM missions in Central Asia have assisted 7,801")


def test_cli_figures_pages_like_search(archive_command):
    first = archive_command("figures", "migrants", "--k", "2", "--json")
    second = archive_command("figures", "migrants", "--k", "2", "--offset", "2", "--json")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["total"] == two["total"] and (one["offset"], two["offset"]) == (0, 2)
    both = archive_command("figures", "migrants", "--k", "4", "--json")
    assert [f["id"] for f in one["figures"] + two["figures"]] == [f["id"] for f in json.loads(both.stdout)["figures"]]
    shown = archive_command("figures", "migrants", "--k", "2", "--offset", "2")
    assert "figures match 'migrants', by relevance; showing 3-4" in shown.stdout
    assert "\n  3. " in shown.stdout and "\n  1. " not in shown.stdout


def test_cli_figures_refuses_bad_bounds_clearly(archive_command):
    done = archive_command("figures", "--min", "5000", "--max", "100")
    assert done.returncode == 2
    assert "error: min (5000) is more than max (100)" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_archive_without_figures_rebuilds_without_the_model(tmp_path, monkeypatch):
    write_issue(tmp_path / "archive", "a.txt", "WATER FOR BORDER VILLAGES\n\nIOM Tajikistan delivered clean water "
                                              "to villages near the border.\n")
    settings = Settings(archive_dir=tmp_path / "archive", index_dir=tmp_path / "index", model=None)
    build(settings, show_progress=False)
    monkeypatch.setattr(models, "load_embedder", lambda settings=None: pytest.fail("the model was loaded"))
    build(settings, show_progress=False)
    archive = Archive.open(settings)
    try:
        assert len(archive.figure_records()) == 0
        assert archive.search_figures(FigureQuery()).figures == ()
    finally:
        archive.close()
