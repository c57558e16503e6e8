"""`scripts/archive` run as a user runs it, against the index of the real corpus built for this session.

Every call is a subprocess that loads the library (and, for semantic work, the model), so there are
only ten of them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import EVAL_QUERIES
from test_parsing import EXPECTED_TITLES

from index.config import ROOT

SCRIPT = ROOT / "scripts" / "archive"
I000 = "000_01b647a0f58beec8"
I001 = "001_246ca7c614daeaee"
I002 = "002_44f630649352dfb2"
I003 = "003_831dd773c1231ba4"
I004 = "004_b65f6fdd4f2a120b"
RING_PASSAGE = f"{I003}-s2-p1"


@pytest.fixture(scope="module")
def run(corpus_settings):
    env = {**os.environ, "ARCHIVE_INDEX_DIR": str(corpus_settings.index_dir),
           "ARCHIVE_DIR": str(corpus_settings.archive_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPT), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)

    return run


def check_hit_shape(hit: dict) -> None:
    assert {"passage_id", "score", "text", "section", "issue", "found_by"} <= set(hit)
    assert {"id", "number", "date", "date_inferred", "title"} <= set(hit["issue"])
    assert isinstance(hit["score"], (int, float))
    assert hit["text"].strip() and hit["passage_id"].startswith(hit["issue"]["id"])
    assert hit["found_by"] and all(isinstance(rank, int) and rank >= 1 for rank in hit["found_by"].values())


def test_search_json(run):
    done = run("search", "RING training", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["query"] == "RING training" and data["mode"] == "hybrid"
    assert 1 <= len(data["hits"]) <= 10
    for hit in data["hits"]:
        check_hit_shape(hit)
        assert set(hit["found_by"]) <= {"keyword", "semantic", "figure"}
    first = data["hits"][0]
    assert first["passage_id"] == RING_PASSAGE
    assert first["section"] == "RING TRAINING IN TASHKENT"
    assert first["issue"] == {**first["issue"], "id": I003, "number": None, "date": "2021-11", "date_inferred": True}


def test_search_keyword_mode_with_country_and_dates(run):
    done = run("search", "migrants", "--mode", "keyword", "--country", "kazakhstan",
               "--from", "2020-11", "--to", "2020-12", "--k", "100", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["mode"] == "keyword"
    assert data["hits"]
    for hit in data["hits"]:
        check_hit_shape(hit)
        assert set(hit["found_by"]) == {"keyword"}
        assert "Kazakhstan" in hit["countries"]
    # November 2020 (000, month inferred) and 24 December 2020 (001); not July 2020 or later years
    assert {hit["issue"]["id"] for hit in data["hits"]} == {I000, I001}


def test_search_json_sorted_by_date_passage_by_passage(run):
    done = run("search", "trafficking", "--sort", "oldest", "--group", "passage", "--k", "100", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["sort"], data["group"]) == ("oldest", "passage")
    assert data["counts"] == {"match": 12, "related": 0} and data["total"] == data["results"] == 12
    dates = [hit["issue"]["date"] for hit in data["hits"]]
    assert dates == sorted(dates) and dates[0] == "2020-07-10"
    assert all(hit["match"] is True and "more_in_story" not in hit for hit in data["hits"])


def test_search_text_says_what_matches_and_what_is_only_related(run):
    done = run("search", "trafficing")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "did you mean: trafficking"
    assert lines[1] == "No passage matches 'trafficing'"
    assert lines[2].endswith("passages related by meaning only")
    assert all("related by meaning only" in line for line in lines if "found by" in line)


def test_similar_json(run):
    done = run("similar", RING_PASSAGE, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["passage_id"] == RING_PASSAGE
    assert data["hits"]
    for hit in data["hits"]:
        check_hit_shape(hit)
        assert hit["issue"]["id"] != I003
        assert hit["recurring"] is False
        assert {"similarity", "shared_countries", "shared_figures", "shared_names"} <= set(hit["why"])


def test_issues_json(run):
    done = run("issues", "--json")
    assert done.returncode == 0, done.stderr
    issues = json.loads(done.stdout)
    assert [issue["id"] for issue in issues] == [I002, I000, I001, I003, I004]
    by_id = {issue["id"]: issue for issue in issues}
    for issue in issues:
        assert {"id", "source", "number", "date", "date_inferred", "title", "sections"} <= set(issue)
        assert issue["source"] == issue["id"] + ".txt"
        titles = [section["title"] for section in issue["sections"]]
        expected = EXPECTED_TITLES[issue["id"]]
        assert len(titles) == len(expected)
        for title, want in zip(titles, expected):
            assert title.startswith(want[:-1]) if want.endswith("…") else title == want
    assert (by_id[I001]["number"], by_id[I001]["date"], by_id[I001]["date_inferred"]) == (9, "2020-12-24", False)
    assert (by_id[I002]["number"], by_id[I002]["date"], by_id[I002]["date_inferred"]) == (3, "2020-07-10", False)
    assert (by_id[I000]["number"], by_id[I000]["date"], by_id[I000]["date_inferred"]) == (None, "2020-11", True)
    assert (by_id[I003]["number"], by_id[I003]["date"], by_id[I003]["date_inferred"]) == (None, "2021-11", True)
    assert (by_id[I004]["number"], by_id[I004]["date"], by_id[I004]["date_inferred"]) == (None, "2022-08", True)
    assert "Issue 9" in by_id[I001]["title"]


def test_evaluate(run, tmp_path):
    runs_file = tmp_path / "runs.jsonl"
    done = run("evaluate", "--queries", str(EVAL_QUERIES), "--runs-out", str(runs_file))
    assert done.returncode == 0, done.stderr
    table = done.stdout.splitlines()
    for mode in ("hybrid", "keyword", "semantic", "fts5"):
        assert any(line.split()[:2] == [mode, "overall"] for line in table if line.split()), mode
    query_ids = [json.loads(line)["id"] for line in Path(EVAL_QUERIES).read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    runs = [json.loads(line) for line in runs_file.read_text(encoding="utf-8").splitlines()]
    assert len(runs) == 4 * len(query_ids)
    assert {(r["id"], r["mode"]) for r in runs} == {(q, m) for q in query_ids
                                                    for m in ("hybrid", "keyword", "semantic", "fts5")}
    for record in runs:
        assert set(record) == {"id", "mode", "hits"}
        assert len(record["hits"]) <= 10
        for hit in record["hits"]:
            assert set(hit) == {"passage_id", "text"} and hit["text"]
    p09 = next(r for r in runs if r["id"] == "p09" and r["mode"] == "hybrid")
    assert "7,801" in p09["hits"][0]["text"]


@pytest.mark.parametrize("args, message", [
    (("search", ""), "empty"),
    (("search", "migrants", "--k", "0"), "--k"),
    (("similar", "nonexistent"), "nonexistent"),
])
def test_bad_input_exits_non_zero_with_a_message(run, args, message):
    done = run(*args)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.strip() == ""
