"""scripts/bench runs and reports every figure (speed is never asserted: timings belong to the benchmark).

Also the synthetic archive maker (bench.synthetic) the larger scales use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from bench.synthetic import approximate_vectors, sentences, write_synthetic_archive
from index.config import ROOT

pytestmark = pytest.mark.slow  # servers, subprocesses or many builds: run by CI, skipped by -m 'not slow'


def test_bench_quick_small_reports_every_figure():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "scripts.bench_main", "--scale", "small", "--quick", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    table = "\n".join(lines[:-1])
    assert "command: scripts/bench --scale small --quick --json" in table and "machine:" in table

    assert {"cpu", "cores", "memory_gb", "python"} <= result["machine"].keys()
    embedding = result["embedding"]
    assert isinstance(embedding["backend"], str)
    assert embedding["baseline_per_s"] > 0 and embedding["chosen_per_s"] > 0

    small = result["scales"]["small"]
    assert small["passages"] > 0
    for stage in ("parse_per_s", "keyword_per_s", "embed_per_s"):
        assert small["build"]["cold"][stage] > 0, stage
    assert small["build"]["cold"]["embedded"] == small["passages"] and small["build"]["cold"]["reused"] == []
    unchanged = small["build"]["unchanged"]
    assert unchanged["parse_per_s"] > 0 and unchanged["embed_per_s"] > 0
    assert unchanged["embedded"] == 0 and unchanged["keyword_per_s"] is None  # the keyword index was taken over
    assert "figure_vectors.npy" in unchanged["reused"]
    assert small["build"]["cold_over_unchanged"] > 0
    for mode in ("keyword", "semantic", "hybrid", "fts5"):
        assert 0 <= small["latency_ms"][mode]["p50"] <= small["latency_ms"][mode]["p95"]
    server = small["server"]
    assert server["start_s"] > 0 and server["rss_mb"] > 0 and server["workers"] >= 1
    assert 0 < small["add_one_issue_s"] <= small["add"]["add_command_s"] and small["add"]["remove_one_issue_s"] > 0
    assert small["add"]["passages"] >= small["passages"] + 40  # about 50 passages added
    assert small["add"]["updated"]["keyword"]["added"] == small["add"]["passages"] - small["passages"]
    for clients in ("1", "4", "16"):
        assert server["clients"][clients]["rps"] > 0
        assert server["clients"][clients]["errors"] == 0
        assert server["clients"][clients]["p95_ms"] > 0


def test_synthetic_archive_recombines_real_sentences(corpus_archive, tmp_path):
    real = corpus_archive.issues()
    pool = {s for p in corpus_archive.passages if not p.recurring for s in sentences(p.text)}
    files = write_synthetic_archive(real, tmp_path / "a", passages=300, seed=1)
    again = write_synthetic_archive(real, tmp_path / "b", passages=300, seed=1)
    written = sorted((tmp_path / "a").iterdir())
    assert files == again == len(written) > len(real)
    assert [p.read_text() for p in written] == [p.read_text() for p in sorted((tmp_path / "b").iterdir())]
    first = written[0].read_text(encoding="utf-8")
    assert first.startswith("IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 1, 01/01/2000")
    story = [line for line in first.splitlines() if line and not line.startswith(("IOM CENTRAL", "## "))]
    assert any(set(sentences(line)) <= pool for line in story)


def test_approximate_vectors_are_normalised_means_of_sentence_vectors():
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    matrix, distinct = approximate_vectors(["One sentence. Another one.", "One sentence."], embed, 2)
    assert distinct == 2 and sorted(calls[0]) == ["Another one.", "One sentence."]
    expected = np.array([(13 + 12) / 2, 1.0]) / np.linalg.norm([(13 + 12) / 2, 1.0])
    assert np.allclose(matrix[0], expected) and np.allclose(np.linalg.norm(matrix, axis=1), 1.0)
