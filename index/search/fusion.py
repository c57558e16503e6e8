"""Fusion: one ranking from the keyword and semantic rankings.

Two methods, chosen by the `Fusion` setting:
- "rrf", reciprocal rank fusion: sum of weight / (k + rank).  It uses ranks alone, so BM25 scores and
  cosines never have to be put on one scale.
- "convex", a normalised score combination: each side's scores are divided by its best score (BM25
  and cosine both start at 0, so this maps each side onto [0, 1] whatever the candidate depth; a side
  that did not find a passage contributes 0), then weighted and summed.  It keeps how much better the
  first candidate is than the tenth, which ranks throw away.

Per language: the semantic side's weight is scaled by the share of the query's words written in a
language the embedding model reads (`readable_share`), and that side ranks only passages in those
languages.  all-MiniLM-L6-v2 reads English only: on the 23 judged Russian queries over the Russian
fixtures (tests/fixtures/russian/) its semantic ranking scores nDCG@10 0.484 against keyword's 0.915,
and fused at full weight it pulled hybrid down to 0.890; weighted by language, hybrid scores 0.931 (the
figure side adds to keyword's).  So a Russian query is ranked by the keyword and figure sides alone,
an English one as before, and a query in both languages with the semantic side at the English words'
share.  A side of weight 0 takes no part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from index.text.languages import language_shares

Ranking = Sequence[tuple[int, float]]  # (ordinal, score), best first


@dataclass(frozen=True)
class Fused:
    ordinal: int
    score: float
    found_by: dict[str, int]  # mode -> 1-based rank in that mode's list


@dataclass(frozen=True)
class Fusion:
    """How hybrid search combines the sides.  `weights` default to 1.0 per side."""

    method: str = "rrf"
    rrf_k: int = 60
    weights: dict[str, float] = field(default_factory=dict, hash=False)
    depth: int = 100  # candidates taken from each side by a search

    def weight(self, mode: str) -> float:
        return self.weights.get(mode, 1.0)

    def reading(self, share: float) -> Fusion:
        """This fusion for a query of which the embedding model reads `share` (0.0 to 1.0): the semantic
        side's weight scaled by it."""
        return self if share == 1.0 else replace(self, weights={**self.weights, "semantic": self.weight("semantic") * share})

    def fuse(self, rankings: Mapping[str, Ranking]) -> list[Fused]:
        rankings = {mode: ranking for mode, ranking in rankings.items() if self.weight(mode) > 0}
        combine = _rrf_scores if self.method == "rrf" else _convex_scores
        scores = combine(rankings, self)
        found_by: dict[int, dict[str, int]] = {}
        for mode, ranking in rankings.items():
            for rank, (ordinal, _) in enumerate(ranking, start=1):
                found_by.setdefault(ordinal, {})[mode] = rank
        # Ties: the best single rank first, then the order of `rankings`, so the result is deterministic.
        order = sorted(scores, key=lambda o: (-scores[o], min(found_by[o].values()), list(found_by[o])))
        return [Fused(o, scores[o], found_by[o]) for o in order]


def _rrf_scores(rankings: Mapping[str, Ranking], fusion: Fusion) -> dict[int, float]:
    scores: dict[int, float] = {}
    for mode, ranking in rankings.items():
        weight = fusion.weight(mode)
        for rank, (ordinal, _) in enumerate(ranking, start=1):
            scores[ordinal] = scores.get(ordinal, 0.0) + weight / (fusion.rrf_k + rank)
    return scores


def _convex_scores(rankings: Mapping[str, Ranking], fusion: Fusion) -> dict[int, float]:
    scores: dict[int, float] = {}
    for mode, ranking in rankings.items():
        if not ranking:
            continue
        weight = fusion.weight(mode)
        top = ranking[0][1] or 1.0
        for ordinal, score in ranking:
            scores[ordinal] = scores.get(ordinal, 0.0) + weight * max(score, 0.0) / top
    return scores


# Chosen on SciFact's training split (scripts/tune_fusion.py): the normalised score combination with
# the semantic side weighted 2 beat every reciprocal rank fusion tried (k 10-60, weights 0.5-2),
# and 300 candidates a side beat 100 and 50.  The figure side (passages whose figures' labels match the
# query; SciFact has none) weighs a quarter of the keyword side: on the archive's judged queries it
# settles near-ties between a story's passages in favour of the one holding the figure asked about.
DEFAULT_FUSION = Fusion("convex", weights={"semantic": 2.0, "figure": 0.25}, depth=300)


def readable_share(query: str, reads: Callable[[str], bool]) -> float:
    """The share of the query's words in languages the embedding model reads (`reads(language)`); 1.0
    for a query without words (a number)."""
    shares = language_shares(query)
    return sum(share for language, share in shares.items() if reads(language)) if shares else 1.0


def demote_repeated_boilerplate(fused: list[Fused], recurring: Sequence[bool]) -> list[Fused]:
    """The first boilerplate passage (contacts, hotlines) keeps its rank; the copies from other
    issues move to the end, so one query about a hotline does not fill a page with the same block.
    `recurring` says for each ordinal whether its passage is boilerplate."""
    kept, demoted, seen = [], [], False
    for item in fused:
        if recurring[item.ordinal]:
            if seen:
                demoted.append(item)
                continue
            seen = True
        kept.append(item)
    return kept + demoted


def promote(fused: list[Fused], first: Sequence[int], found_by: str) -> list[Fused]:
    """`fused` with the items `first` moved to the front (in their fused order; those no side found
    after them), each marked in its found_by with its rank among them."""
    position = {item.ordinal: n for n, item in enumerate(fused)}
    ordered = sorted(first, key=lambda o: (position.get(o, len(fused)), o))
    promoted = [Fused(o, fused[position[o]].score if o in position else 0.0,
                      {**(fused[position[o]].found_by if o in position else {}), found_by: rank})
                for rank, o in enumerate(ordered, start=1)]
    chosen = set(ordered)
    return promoted + [item for item in fused if item.ordinal not in chosen]
