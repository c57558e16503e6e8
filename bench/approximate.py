"""Approximate vectors for synthetic archives, and the embedding figures the benchmark reports.

A synthetic archive's vectors are not computed by running the model on every passage (100,000
passages would take hours here): every distinct sentence is embedded once, and a passage's (or
figure's) vector is the normalised mean of its sentences' (bench.synthetic.approximate_vectors).
`ApproximateEmbedder` does this behind the library's Embedder protocol, under the real model's
identity, so one build with it fills the scale's vector cache and the timed builds after it find
every vector there.  Latency and memory do not depend on the vectors' values.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from bench.synthetic import approximate_vectors
from index.facade import Embedder, Settings, build, embedder_for

Log = Callable[[str], None]


class ApproximateEmbedder:
    """The real model's identity and tokenizer, with vectors approximated from sentence vectors."""

    def __init__(self, real: Embedder):
        self._real = real
        self.model_id, self.identity, self.backend = real.model_id, real.identity, real.backend
        self.dimension, self.tokenizer = real.dimension, real.tokenizer
        self.texts_approximated = self.sentences_embedded = 0

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        matrix, embedded = approximate_vectors(texts, self._real.encode, self.dimension)
        self.texts_approximated += len(texts)
        self.sentences_embedded += embedded
        if progress:
            progress(len(texts))
        return matrix


def prefill_vectors(settings: Settings, log: Log) -> dict:
    """Put approximate vectors of every passage and figure of the synthetic archive `settings` names
    into its vector cache, by one build with ApproximateEmbedder (once per archive and model)."""
    approximate = ApproximateEmbedder(embedder_for(settings))
    marker = settings.index_dir / "cache" / "approximated.txt"
    if marker.exists() and marker.read_text(encoding="utf-8").splitlines()[0] == approximate.identity:
        return json.loads(marker.read_text(encoding="utf-8").splitlines()[1])
    log(f"{settings.archive_dir.parent.name}: computing approximate vectors (once; cached in {marker.parent})")
    started = time.perf_counter()
    build(settings, show_progress=False, embedder=approximate)
    info = {"texts": approximate.texts_approximated, "sentences_embedded": approximate.sentences_embedded,
            "seconds": round(time.perf_counter() - started, 1)}
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(approximate.identity + "\n" + json.dumps(info) + "\n", encoding="utf-8")
    return info


def embedding_rate(settings: Settings, texts: list[str]) -> float:
    """Passages per second of the configured model and backend on `texts`."""
    started = time.perf_counter()
    embedder_for(settings).encode(texts)
    return len(texts) / (time.perf_counter() - started)


def embedding_rates(settings: Settings, texts: list[str], rounds: int) -> dict:
    """Passages per second of plain sentence-transformers on PyTorch (fp32) and of the configured
    backend, on the same texts, rounds interleaved, median of rounds."""
    chosen = embedder_for(settings)
    baseline = embedder_for(replace(settings, embedding_backend="torch"))  # what the project used before
    baseline.encode(texts[:8])
    chosen.encode(texts[:8])
    rates: dict[str, list[float]] = {"torch": [], chosen.backend: []}
    for _ in range(rounds):
        for name, embedder in (("torch", baseline), (chosen.backend, chosen)):
            started = time.perf_counter()
            embedder.encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    return {"backend": chosen.backend, "baseline_per_s": round(statistics.median(rates["torch"]), 1),
            "chosen_per_s": round(statistics.median(rates[chosen.backend]), 1), "texts": len(texts),
            "rounds": rounds, "mean_words": round(float(np.mean([len(t.split()) for t in texts])), 1)}
