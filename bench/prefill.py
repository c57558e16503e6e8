"""What `scripts/bench` needs from inside the library: the real archive's passage texts, embedding
throughput of the configured backend against plain sentence-transformers, and synthetic archives
with approximate vectors put into their vector cache.  `scripts/bench_main.py` reaches these through
index.facade like every other script.

A synthetic archive's vectors are not computed by running the model on every passage (100,000
passages would take hours here): every distinct sentence is embedded once and a passage's (or
figure's) vector is the normalised mean of its sentences' (bench.synthetic.approximate_vectors).
Latency and memory do not depend on the vectors' values.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.store.build import BuildReport, read_archive
from index.config import Settings
from index.figures.figure_index import embedding_text, figure_rows
from index.store.generations import corpus_fingerprint
from bench.synthetic import GENERATOR_VERSION, approximate_vectors, write_synthetic_archive
from index.embed.models import Embedder, VectorCache, embedding_backend, load_embedder, model_identity

Log = Callable[[str], None]


def passage_texts(settings: Settings) -> list[str]:
    """What the model reads for each passage of the archive `settings` names, parsed afresh."""
    corpus, _ = read_archive(settings, BuildReport())
    return [p.embedding_text for p in corpus.passages]


def embedding_rate(settings: Settings, texts: list[str]) -> float:
    """Passages per second of the configured model and backend on `texts`."""
    started = time.perf_counter()
    load_embedder(settings.model).encode(texts)
    return len(texts) / (time.perf_counter() - started)


def embedding_rates(texts: list[str], rounds: int) -> dict:
    """Passages per second of plain sentence-transformers on PyTorch (fp32) and of the configured
    backend, on the same texts, rounds interleaved, median of rounds."""
    chosen_backend = embedding_backend(None)
    baseline = Embedder(None)  # sentence-transformers on PyTorch, what the project used before
    chosen = load_embedder(None)
    baseline.encode(texts[:8])
    chosen.encode(texts[:8])
    rates: dict[str, list[float]] = {"torch": [], chosen_backend: []}
    for _ in range(rounds):
        for name, embedder in (("torch", baseline), (chosen_backend, chosen)):
            started = time.perf_counter()
            embedder.encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    return {"backend": chosen_backend, "baseline_per_s": round(statistics.median(rates["torch"]), 1),
            "chosen_per_s": round(statistics.median(rates[chosen_backend]), 1), "texts": len(texts),
            "rounds": rounds, "mean_words": round(float(np.mean([len(t.split()) for t in texts])), 1)}


def bench_root(settings: Settings) -> Path:
    return settings.cache_dir / "bench"


def synthetic_settings(settings: Settings, name: str, passages: int, log: Log) -> Settings:
    """Settings of the synthetic archive `name` (written on first use, from the real archive that
    `settings` names) and its index directory."""
    real_files = sorted(p for p in settings.archive_dir.iterdir() if p.is_file())
    key = corpus_fingerprint(real_files)[:12]
    root = bench_root(settings) / f"{name}-g{GENERATOR_VERSION}-{key}"
    archive = root / "archive"
    if not (root / "archive.done").exists():
        shutil.rmtree(archive, ignore_errors=True)
        log(f"{name}: writing a synthetic archive of about {passages} passages into {archive}")
        real_corpus, _ = read_archive(settings, BuildReport())
        files = write_synthetic_archive(real_corpus, archive, passages)
        (root / "archive.done").write_text(f"{files} issues\n", encoding="utf-8")
    return replace(settings, archive_dir=archive, index_dir=root / "index")


def prefill_vectors(settings: Settings, log: Log) -> dict:
    """Put approximate vectors of every passage and figure of the synthetic archive into its index's
    vector cache (once per archive and model identity); see the module docstring."""
    identity = model_identity(settings.model)
    marker = settings.index_dir / "cache" / "approximated.txt"
    if marker.exists() and marker.read_text(encoding="utf-8").splitlines()[0] == identity:
        return json.loads(marker.read_text(encoding="utf-8").splitlines()[1])
    log(f"{settings.archive_dir.parent.name}: computing approximate vectors (once; cached in {marker.parent})")
    corpus, _ = read_archive(settings, BuildReport())
    texts = [p.embedding_text for p in corpus.passages]
    texts += [embedding_text(r["label"], r["sentence"]) for r in figure_rows(corpus)]
    texts = list(dict.fromkeys(texts))
    embedder = load_embedder(settings.model)
    started = time.perf_counter()
    matrix, sentences = approximate_vectors(texts, embedder.encode, embedder.dimension)
    cache = VectorCache(settings.index_dir / "cache" / "vectors.sqlite")
    try:
        cache.put_many({VectorCache.key(identity, text): matrix[i] for i, text in enumerate(texts)})
    finally:
        cache.close()
    info = {"texts": len(texts), "sentences_embedded": sentences, "seconds": round(time.perf_counter() - started, 1)}
    marker.write_text(identity + "\n" + json.dumps(info) + "\n", encoding="utf-8")
    return info
