"""The semantic side: exact cosine search over L2-normalised vectors, and the line below which a
vector's neighbour is unrelated rather than a weak match."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

SEMANTIC_MIN_SCORE = 0.15  # below this cosine a passage (or figure) is unrelated to the query, not a weak match
SCAN_THREADS = 8  # semantic scans at once in one server process (as many as its request threads)


def in_background(scan: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
    """`scan` started in another thread of this process; call the result to wait for what it returns.
    For a query's cosines: embedding the query and multiplying every vector by it let go of the GIL,
    so a search ranks its keyword side meanwhile, on the other core."""
    return _threads(os.getpid()).submit(scan).result


@functools.cache
def _threads(pid: int) -> ThreadPoolExecutor:
    """This process's scan threads (threads do not survive a fork: a forked server process has its own)."""
    return ThreadPoolExecutor(max_workers=SCAN_THREADS, thread_name_prefix=f"semantic-scan-{pid}")


def cosine_top(matrix: np.ndarray, query: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The `limit` rows of `matrix` most similar to `query`, best first, among the `allowed` rows (a bool mask)."""
    return top_rows(matrix @ query, limit, allowed)


def top_rows(scores: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The `limit` rows of highest score, best first, among the `allowed` rows (a bool mask)."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    limit = min(limit, int(np.isfinite(scores).sum()))
    if limit <= 0:
        return []
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top]


def semantic_ranking(matrix: np.ndarray, query: np.ndarray, limit: int,
                     allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """cosine_top without the rows below SEMANTIC_MIN_SCORE."""
    return ranking_of(matrix @ query, limit, allowed)


def ranking_of(cosines: np.ndarray, limit: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The `limit` best rows by their (precomputed) `cosines`, without those below SEMANTIC_MIN_SCORE."""
    return [(row, score) for row, score in top_rows(cosines, limit, allowed) if score >= SEMANTIC_MIN_SCORE]
