"""The semantic side: an embedding model, a cache of passage vectors, and exact cosine search.

The model is loaded once per process (`load_embedder` is memoised) because loading takes seconds.
Vectors are L2-normalised, so cosine similarity is one matrix-vector product.  Passage vectors
are cached by a hash of the model and the text, so a rebuild embeds only what changed.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .config import default_model

BATCH_SIZE = 32


class Embedder:
    """A sentence-transformers model that turns texts into normalised float32 vectors."""

    def __init__(self, model: str | None = None):
        from sentence_transformers import SentenceTransformer  # heavy import, only when a model is needed

        self.name = model or default_model()
        self._model = SentenceTransformer(self.name, device="cpu")
        self.dimension = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads at once

    @property
    def model_id(self) -> str:
        """What the manifest records: the model directory's or hub name's last part."""
        return Path(self.name).name if Path(self.name).exists() else self.name

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts`, one row each; `progress(n)` is told after each batch of n texts."""
        rows = []
        with self._lock:
            for start in range(0, len(texts), BATCH_SIZE):
                batch = list(texts[start : start + BATCH_SIZE])
                rows.append(self._model.encode(batch, batch_size=BATCH_SIZE, normalize_embeddings=True,
                                               convert_to_numpy=True, show_progress_bar=False))
                if progress:
                    progress(len(batch))
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack(rows).astype(np.float32)


@functools.lru_cache(maxsize=4)
def load_embedder(model: str | None = None) -> Embedder:
    """The process-wide embedder for `model` (None: the packaged default)."""
    return Embedder(model)


class VectorCache:
    """Passage vectors on disk, keyed by model and text, so unchanged passages are never re-embedded."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    @staticmethod
    def key(model_id: str, text: str) -> str:
        return hashlib.sha256(f"{model_id}\n{text}".encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                 [(key, vector.astype(np.float32).tobytes()) for key, vector in items.items()])

    def close(self) -> None:
        self._db.close()


def embed_with_cache(embedder: Embedder, texts: Sequence[str], cache: VectorCache,
                     progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, int]:
    """The matrix of vectors for `texts`, embedding only those not in `cache`; also how many were embedded."""
    keys = [VectorCache.key(embedder.model_id, text) for text in texts]
    cached = cache.get_many(keys)
    missing = [i for i, key in enumerate(keys) if key not in cached or cached[key].shape != (embedder.dimension,)]
    if progress and len(missing) < len(texts):
        progress(len(texts) - len(missing))
    if missing:
        fresh = embedder.encode([texts[i] for i in missing], progress)
        cache.put_many({keys[i]: fresh[row] for row, i in enumerate(missing)})
        cached.update({keys[i]: fresh[row] for row, i in enumerate(missing)})
    matrix = np.vstack([cached[key] for key in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
    return matrix.astype(np.float32), len(missing)


def cosine_top(matrix: np.ndarray, query: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The `limit` rows of `matrix` most similar to `query`, best first, among the `allowed` rows (a bool mask)."""
    scores = matrix @ query
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    limit = min(limit, int(np.isfinite(scores).sum()))
    if limit <= 0:
        return []
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top]
