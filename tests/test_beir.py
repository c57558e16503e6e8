"""`evaluate --beir` on a collection in BEIR layout written for the purpose (tests/fixtures/beir-mini):
twelve short documents, one of them longer than a passage, and four queries with one relevant
document each, worded so that only that document holds the query's telling words."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from index.config import ROOT, Settings
from index.eval.beir import evaluate_beir
from index.facade import Archive, BadRequest

FIXTURE = Path(__file__).parent / "fixtures" / "beir-mini"
DOCUMENT_IDS = {f"d{n}" for n in range(1, 13)}
MODES = {"hybrid", "keyword", "semantic", "fts5"}


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(archive_dir=tmp_path / "unused", index_dir=tmp_path / "unused-index", model=None,
                    cache_dir=tmp_path / "cache")


def test_every_mode_is_measured_and_runs_name_documents(settings: Settings, tmp_path: Path) -> None:
    result = evaluate_beir(FIXTURE, "test", settings=settings, runs_out=tmp_path / "runs", show_progress=False)

    assert (result["collection"], result["split"], result["queries"]) == ("beir-mini", "test", 4)
    assert set(result["modes"]) == MODES
    for scores in result["modes"].values():
        assert set(scores) == {"ndcg@10", "recall@100", "mrr@10"}
        assert all(0.0 <= value <= 1.0 for value in scores.values())
    # Each query's words are found in its one relevant document only: BM25 ranks it first.
    assert result["modes"]["keyword"] == {"ndcg@10": 1.0, "recall@100": 1.0, "mrr@10": 1.0}

    for mode in MODES:
        lines = (tmp_path / "runs" / f"{mode}.run").read_text().splitlines()
        rows = [line.split() for line in lines]
        assert rows and all(len(row) == 6 and row[1] == "Q0" and row[5] == mode for row in rows)
        assert {row[2] for row in rows} <= DOCUMENT_IDS  # documents, not their passages
        for query in ("q1", "q2", "q3", "q4"):
            ranked = [row[2] for row in rows if row[0] == query]
            assert len(ranked) == len(set(ranked))
            assert [int(row[3]) for row in rows if row[0] == query] == list(range(1, len(ranked) + 1))


def test_the_long_document_is_scored_by_its_best_passage(settings: Settings, tmp_path: Path) -> None:
    """d10's relevant sentence is in its last passage; the document still comes first for q4."""
    evaluate_beir(FIXTURE, "test", settings=settings, runs_out=tmp_path / "runs", show_progress=False)
    archive = Archive(next((settings.cache_dir / "beir").glob("*/generations/gen-*")), settings)
    try:
        assert len([p for p in archive.passages if p.section_id == "d10"]) >= 2
    finally:
        archive.close()
    first_for_q4 = [line.split()[2] for line in (tmp_path / "runs" / "keyword.run").read_text().splitlines()
                    if line.startswith("q4 ")][0]
    assert first_for_q4 == "d10"


def test_a_second_run_reuses_the_cached_index(settings: Settings) -> None:
    evaluate_beir(FIXTURE, "test", settings=settings, show_progress=False)
    evaluate_beir(FIXTURE, "test", settings=settings, show_progress=False)
    assert len(list((settings.cache_dir / "beir").glob("*/generations/gen-*"))) == 1


def test_a_missing_split_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(BadRequest, match="train.tsv is missing"):
        evaluate_beir(FIXTURE, "train", settings=settings, show_progress=False)


def test_the_command_prints_one_json_object_last(tmp_path: Path) -> None:
    env = {**os.environ, "ARCHIVE_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([str(ROOT / "scripts" / "archive"), "evaluate", "--beir", str(FIXTURE), "--split", "test",
                           "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["collection"] == "beir-mini" and set(last["modes"]) == MODES
