"""Vectors on disk, keyed by model identity and text, so a rebuild embeds only what changed."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from index.embed.models import ModelSource


class VectorCache:
    """Passage vectors on disk, keyed by model identity and text, so unchanged passages are never re-embedded."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    @staticmethod
    def key(identity: str, text: str) -> str:
        return hashlib.sha256(f"{identity}\n{text}".encode()).hexdigest()

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


def embed_with_cache(model: ModelSource, texts: Sequence[str], cache: VectorCache,
                     progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, int]:
    """The matrix of vectors for `texts` by `model`, embedding only those not in `cache`; also how
    many texts were embedded.  The model is loaded only when one must be (or there are no texts)."""
    keys = [VectorCache.key(model.identity, text) for text in texts]
    vectors = cache.get_many(keys)
    dimension = _usual_dimension(vectors.values())
    missing = _missing(keys, vectors, dimension)
    if progress and len(missing) < len(texts):
        progress(len(texts) - len(missing))
    if missing or dimension is None:
        embedder = model.load()
        dimension = embedder.dimension
        missing = _missing(keys, vectors, dimension)
        fresh = embedder.encode([texts[i] for i in missing], progress)
        computed = {keys[i]: fresh[row] for row, i in enumerate(missing)}
        cache.put_many(computed)
        vectors.update(computed)
    matrix = np.vstack([vectors[key] for key in keys]) if keys else np.zeros((0, dimension), np.float32)
    return matrix.astype(np.float32), len(missing)


def _usual_dimension(vectors: Iterable[np.ndarray]) -> int | None:
    """The length most cached vectors have (a stray vector of another length is re-embedded)."""
    lengths = Counter(len(vector) for vector in vectors)
    return lengths.most_common(1)[0][0] if lengths else None


def _missing(keys: Sequence[str], vectors: dict[str, np.ndarray], dimension: int | None) -> list[int]:
    return [i for i, key in enumerate(keys) if key not in vectors or vectors[key].shape != (dimension,)]
