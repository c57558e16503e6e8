"""Did you mean: for a query word the archive does not hold, the archive's own word nearest to it.

Nearest is by edit distance (optimal string alignment, so a swapped pair of letters is one edit),
then by how often the archive uses the word: "trafficing" becomes "trafficking".  Numbers are never
changed (a figure the archive does not print is an answer, not a typo), nor words shorter than four
letters, nor the operators AND, OR and NOT.  Names are words like any other: "Kyrgystan" becomes
"Kyrgyzstan", and a name the archive does not hold and nothing comes near is left alone.
rapidfuzz compares a word with the whole vocabulary in compiled code, so no index of it is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from index.text.analysis import analysed

LETTERS = re.compile(r"[^\W\d_]+")
OPERATORS = frozenset({"AND", "OR", "NOT"})
MIN_LETTERS = 4
ONE_EDIT_UP_TO = 5  # letters; longer words may be two edits from their spelling


def words_by_use(texts: Iterable[str]) -> list[str]:
    """The words of `texts` (lower case, three letters or more), the most used first: what a Speller
    chooses among, computed when an index is built (reading 100,000 passages for it took seconds)."""
    counts = Counter(word.lower() for text in texts for word in LETTERS.findall(text) if len(word) >= 3)
    return [word for word, _ in counts.most_common()]


class Speller:
    """The archive's words, the most used first (the tie-break), from `words_by_use`."""

    def __init__(self, words: Iterable[str]):
        self._words = list(words)

    def correction(self, word: str) -> str | None:
        """The archive's word fewest edits from `word`, the most used of those, cased as `word` is;
        None when none is close enough."""
        most = 1 if len(word) <= ONE_EDIT_UP_TO else 2
        found = process.extract(word.lower(), self._words, scorer=OSA.distance, score_cutoff=most, limit=None)
        if not found:
            return None
        best = min(found, key=lambda item: (item[1], item[2]))[0]
        return best.upper() if word.isupper() else best.capitalize() if word[0].isupper() else best


def corrected(query: str, speller: Callable[[], Speller], holds: Callable[[str], bool]) -> str | None:
    """`query` with each word whose analysed terms the archive does not all hold (`holds`) replaced by
    its correction, or None when there is nothing to correct.  Quotes, operators and every other
    character stay where they are.  `speller` is called only when a word needs correcting."""
    pieces, start, changed = [], 0, False
    for match in LETTERS.finditer(query):
        word = match.group()
        if len(word) < MIN_LETTERS or word in OPERATORS or all(holds(term) for term in analysed(word)):
            continue
        replacement = speller().correction(word)
        if replacement and replacement.lower() != word.lower():
            pieces += [query[start:match.start()], replacement]
            start, changed = match.end(), True
    return "".join(pieces) + query[start:] if changed else None
