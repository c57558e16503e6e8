"""The model on sentence-transformers and PyTorch, float32: the reference backend ("torch")."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.embed.card import card_languages
from index.embed.protocol import WordPieces

BATCH_SIZE = 32


class SentenceTransformerEmbedder:
    """A sentence-transformers model that turns texts into normalised float32 vectors (an Embedder)."""

    backend = "torch"

    def __init__(self, name: str, model_id: str, identity: str):
        from sentence_transformers import SentenceTransformer  # heavy import, only when a model is needed

        self.name = name
        self.model_id = model_id
        self.identity = identity
        self._model = SentenceTransformer(name, device="cpu")
        self.dimension = int(self._model.get_embedding_dimension())
        tokenizer = self._model.tokenizer
        self.tokenizer = WordPieces(lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"]),
                                    int(self._model.max_seq_length) - 2, card_languages(Path(name)))
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads at once

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
