"""What a match is, and which other passages are related by meaning only.

A passage *matches* a query when it satisfies the query as written: its quoted phrases, AND, OR, NOT
and `-word`, and of words written side by side, all of them up to three words, and 60% (rounded up)
of a longer run: 3 of 4 or 5 words, 4 of 6, 6 of 9.  Ranking still uses every word a passage holds.
A query in a language the embedding model cannot read (Russian, with the packaged English model)
matches by any of its words: nothing related by meaning can be shown for it, so a paraphrase
("мобильная клиника осматривает строителей" for "мобильные клиники ... осмотрели") would find nothing.
Measured on the judged sets (index.eval.calibrate, README "What matches"): requiring every word finds
nothing for most questions written as sentences ("how many stranded migrants returned to Tajikistan
through Uzbekistan"), whose words ("how", "many", "through") the text need not use; any one word
(the old rule) made "38 passages match" a count of the whole archive.

A passage that does not match is *related by meaning* when the query has no operators (operators
are constraints: nothing they leave out is added back), and the passage's cosine similarity to the
query is at least RELATED_MIN_SIMILARITY and at least RELATED_MIN_MARGIN above the query's median
similarity to the archive's passages.  The floor keeps nonsense from finding anything; the margin
keeps a query that is like every passage (a country's name, in an archive about that region) from
calling all of them related.  Both were calibrated on the judged sets (index.eval.calibrate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MatchRule:
    """How many of the words written side by side a passage must hold: all of them up to
    `all_up_to` words, `share` of them (rounded up, at least one) beyond."""

    all_up_to: int = 3
    share: float = 0.6

    def required(self, words: int) -> int:
        return words if words <= self.all_up_to else max(1, math.ceil(self.share * words))


MATCH_RULE = MatchRule()


def required_words(words: int) -> int:
    """How many of `words` words written side by side a passage must hold to match (MATCH_RULE)."""
    return MATCH_RULE.required(words)


@dataclass(frozen=True)
class RelatedThreshold:
    """How similar in meaning a passage that does not match must be to be shown as related."""

    min_similarity: float = 0.2
    min_margin: float = 0.12

    def related(self, cosines: np.ndarray, match: np.ndarray) -> np.ndarray:
        """True for the passages that do not match and clear both lines."""
        background = float(np.median(cosines)) if len(cosines) else 0.0
        return ~match & (cosines >= self.min_similarity) & (cosines - background >= self.min_margin)


RELATED = RelatedThreshold()


@dataclass(frozen=True)
class Candidates:
    """What a query finds among all passages, before filters: the passages that match it, and those
    related to it by meaning only (none in keyword mode, none for a query with operators); `fallback`
    orders those beyond the depth of the rankings fusion reads (cosines, or keyword scores)."""

    match: np.ndarray
    related: np.ndarray
    fallback: np.ndarray

    @property
    def shown(self) -> np.ndarray:
        return self.match | self.related
