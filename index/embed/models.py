"""The semantic side: an embedding model, a cache of passage vectors, and exact cosine search.

The model is loaded once per process (`load_embedder` is memoised) because loading takes seconds,
and only when a text must be embedded: a rebuild whose passage vectors are all cached never loads it.
Vectors are L2-normalised, so cosine similarity is one matrix-vector product.  Passage vectors
are cached by a hash of the model's identity and the text, so a rebuild embeds only what changed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from index.config import default_model
from index.errors import ArchiveError

BATCH_SIZE = 32


def model_name(model: str | None) -> str:
    """The sentence-transformers path or name of `model` (None: the packaged default)."""
    return model or default_model()


DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"

# How the model is run (see index.embed.onnx_backend): ONNX Runtime with int8 weights by default, or
# sentence-transformers on PyTorch ("torch", float32).  Recorded in the manifest and in the cache keys.
BACKENDS = ("onnx-int8", "onnx", "torch")
DEFAULT_BACKEND = "onnx-int8"


def embedding_backend(model: str | None = None) -> str:
    """The backend that runs `model`: ARCHIVE_EMBEDDING_BACKEND, default onnx-int8.  The ONNX backends
    export the model from its directory, so a model given by hub name runs on "torch"."""
    backend = os.environ.get("ARCHIVE_EMBEDDING_BACKEND", "").strip() or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise ArchiveError(f"ARCHIVE_EMBEDDING_BACKEND must be one of {', '.join(BACKENDS)}, not {backend[:40]!r}")
    if backend != "torch" and not Path(model_name(model)).is_dir():
        return "torch"
    return backend


def model_id(model: str | None) -> str:
    """What the manifest records and an index is checked against: the model's name.  The packaged
    default is named as published; another directory by its last two path parts, a hub name as is."""
    name = model_name(model)
    if Path(name).resolve() == Path(default_model()).resolve():
        return DEFAULT_MODEL_ID
    path = Path(name)
    return f"{path.parent.name}/{path.name}" if path.exists() else name


def model_identity(model: str | None) -> str:
    """What tells one model from another in the vector cache, known without loading the model.

    A model directory is known by its full path and the size and time of each of its files, so
    two models in directories of the same name, or a model replaced in place, never share vectors.
    A hub name stands for itself.  A backend other than "torch" is part of the identity ("#onnx-int8"):
    its vectors differ slightly from the float32 model's.
    """
    name = model_name(model)
    directory = Path(name)
    if not directory.is_dir():
        return name
    backend = embedding_backend(model)
    return model_files_identity(directory) + ("" if backend == "torch" else f"#{backend}")


def model_files_identity(directory: Path) -> str:
    """A model directory's full path and a hash of the size and time of each of its files."""
    files = sorted(p for p in directory.resolve().rglob("*") if p.is_file())
    stamps = "".join(f"{p.relative_to(directory.resolve())}\t{p.stat().st_size}\t{p.stat().st_mtime_ns}\n"
                     for p in files)
    return f"{directory.resolve()}@{hashlib.sha256(stamps.encode()).hexdigest()[:16]}"


class Embedder:
    """A sentence-transformers model that turns texts into normalised float32 vectors."""

    backend = "torch"

    def __init__(self, model: str | None = None):
        from sentence_transformers import SentenceTransformer  # heavy import, only when a model is needed

        self.name = model_name(model)
        self._model = SentenceTransformer(self.name, device="cpu")
        self.dimension = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads at once

    @property
    def model_id(self) -> str:
        return model_id(self.name)

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


_embedders: dict[tuple[str | None, str], Embedder] = {}
_embedders_lock = threading.Lock()


def load_embedder(model: str | None = None) -> Embedder:
    """The process-wide embedder for `model` (None: the packaged default) on the configured backend
    (see embedding_backend), loaded once even when several threads ask for it at the same time.
    An ONNX backend's embedder has the same attributes and `encode` (index.embed.onnx_backend.OnnxEmbedder)."""
    backend = embedding_backend(model)
    with _embedders_lock:
        if (model, backend) not in _embedders:
            if backend == "torch":
                _embedders[model, backend] = Embedder(model)
            else:
                from index.embed.onnx_backend import OnnxEmbedder

                name = model_name(model)
                _embedders[model, backend] = OnnxEmbedder(name, model_files_identity(Path(name)), backend)
        return _embedders[model, backend]


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


def embed_with_cache(model: str | None, texts: Sequence[str], cache: VectorCache,
                     progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, int]:
    """The matrix of vectors for `texts` by `model`, embedding only those not in `cache`; also how
    many texts were embedded.  The model is loaded only when one must be (or there are no texts)."""
    identity = model_identity(model)
    keys = [VectorCache.key(identity, text) for text in texts]
    vectors = cache.get_many(keys)
    dimension = _usual_dimension(vectors.values())
    missing = _missing(keys, vectors, dimension)
    if progress and len(missing) < len(texts):
        progress(len(texts) - len(missing))
    if missing or dimension is None:
        embedder = load_embedder(model)
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
