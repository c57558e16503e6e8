"""Reciprocal rank fusion: one ranking from several, by rank alone, so scores on different scales
(BM25 and cosine) never have to be compared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RRF_K = 60


@dataclass(frozen=True)
class Fused:
    ordinal: int
    score: float
    found_by: dict[str, int]  # mode -> 1-based rank in that mode's list


def reciprocal_rank_fusion(rankings: Mapping[str, Sequence[int]], k: int = RRF_K,
                           weights: Mapping[str, float] | None = None) -> list[Fused]:
    """Items of all `rankings` ordered by sum(weight / (k + rank)), best first.

    Ties are broken by the best single rank, then by the order of `rankings`, so the result is
    deterministic.
    """
    scores: dict[int, float] = {}
    found_by: dict[int, dict[str, int]] = {}
    for mode, ranking in rankings.items():
        weight = (weights or {}).get(mode, 1.0)
        for rank, ordinal in enumerate(ranking, start=1):
            scores[ordinal] = scores.get(ordinal, 0.0) + weight / (k + rank)
            found_by.setdefault(ordinal, {})[mode] = rank
    order = sorted(scores, key=lambda o: (-scores[o], min(found_by[o].values()), list(found_by[o])))
    return [Fused(o, scores[o], found_by[o]) for o in order]


def demote_repeated_boilerplate(fused: list[Fused], passages: Sequence) -> list[Fused]:
    """The first boilerplate passage (contacts, hotlines) keeps its rank; the copies from other
    issues move to the end, so one query about a hotline does not fill a page with the same block."""
    kept, demoted, seen = [], [], False
    for item in fused:
        if passages[item.ordinal].recurring:
            if seen:
                demoted.append(item)
                continue
            seen = True
        kept.append(item)
    return kept + demoted
