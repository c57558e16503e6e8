"""What the library asks of an embedding model, whatever runs it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class WordPieces:
    """A model's tokenizer as passage sizing needs it: how many word pieces the model reads of a text
    (special tokens excluded), and how many it reads at most (`limit`); what lies beyond is not seen.
    `languages`: the languages the model reads (index.embed.card), () when they are not known."""

    count: Callable[[str], int]
    limit: int
    languages: tuple[str, ...] = ()

    def reads(self, language: str) -> bool:
        """Whether the model reads text in `language` (any language, when its languages are not known)."""
        return not self.languages or language in self.languages


class Embedder(Protocol):
    """A sentence embedding model, loaded and ready.

    `model_id` names the model in an index's manifest, and an index is only served with the model
    that built it; `identity` tells one model (and backend) from another in the vector cache.
    `encode` returns L2-normalised float32 rows, so cosine similarity is a dot product.
    `tokenizer.languages` are the languages it reads (its model card's): a multilingual model is taken
    as it is, and reads Russian passages and queries once its card says "ru".
    """

    model_id: str
    identity: str
    backend: str
    dimension: int
    tokenizer: WordPieces

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for `texts`, one row each; `progress(n)` is told after each batch of n texts."""
        ...
