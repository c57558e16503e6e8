"""Related stories: the stories of other newsletter issues nearest to a passage, and why they are related."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.records import Hit, Passage
from index.search.semantic import cosine_top
from index.text.analysis import analysed
from index.text.months import MONTH_NAMES

NEAR_DUPLICATE = 0.95  # cosine above which two passages are the same text, for "similar"
KEY_NAMES = 6  # shared names shown as a reason two passages are related
KEY_NAME_MAX_SHARE = 0.2  # a name whose every word is in more than this share of passages says nothing

# A name: capitalised words in a row ("Border Forces", "Almaty Process", "Dushanbe") or an acronym ("RING").
_NAME = re.compile(r"\b[A-Z][\w'’&-]*(?:[ \t]+[A-Z][\w'’&-]*)*")
_WORD = re.compile(r"[\w'’-]+")
_PUNCTUATION = re.compile(r"[.,;:!?()\[\]\"“”•●◆|]|\s[-–—]\s")
_JOINING = frozenset({"of", "and", "for", "the", "on", "in", "to"})
# Words that say nothing on their own, beyond the analyzer's stop words: never a phrase's first or last.
_FUNCTION_WORDS = frozenset("about after all also among any been before between both but during each had has "
                            "its many more most other over some such than their them there these they those "
                            "through under was were which while who within would".split())
_CALENDAR = frozenset(name.lower() for name in (*MONTH_NAMES, "Monday", "Tuesday", "Wednesday", "Thursday",
                                                 "Friday", "Saturday", "Sunday"))


@dataclass(frozen=True)
class Related:
    """A related passage and the reasons it is related, for a reader to judge."""

    hit: Hit
    similarity: float
    shared_countries: tuple[str, ...]
    shared_figures: tuple[str, ...]
    shared_names: tuple[str, ...]

    def to_json(self) -> dict:
        return {**self.hit.to_json(), "why": {
            "similarity": round(self.similarity, 4),
            "shared_countries": list(self.shared_countries),
            "shared_figures": list(self.shared_figures),
            "shared_names": list(self.shared_names),
        }}


def nearest_distinct(vectors: np.ndarray, source: int, allowed: np.ndarray, k: int,
                     stories: np.ndarray) -> list[tuple[int, float]]:
    """The `k` allowed rows nearest to row `source`, best first, one per story (`stories`: a number
    per row; a story's nearest passage speaks for it), leaving out near-copies of the source and of
    each other (NEAR_DUPLICATE)."""
    chosen: list[tuple[int, float]] = []
    for ordinal, score in cosine_top(vectors, vectors[source], len(vectors), allowed):
        if (score >= NEAR_DUPLICATE or any(stories[o] == stories[ordinal] for o, _ in chosen)
                or any(float(vectors[ordinal] @ vectors[o]) >= NEAR_DUPLICATE for o, _ in chosen)):
            continue
        chosen.append((ordinal, score))
        if len(chosen) == k:
            break
    return chosen


def shared_names(mine: Passage, theirs: Passage, document_share: Callable[[str], float]) -> tuple[str, ...]:
    """Up to KEY_NAMES names and phrases both passages print, as `mine` prints them, rarest first:
    names of places, programmes and organisations (the longest run of capitalised words both print,
    or an acronym) and phrases of two words or more ("points of entry").  A word capitalised only
    because it starts a sentence, a month or a weekday, a lone word of a longer name ("Committee" of
    "Customs Committee"), and one whose every word is in more than KEY_NAME_MAX_SHARE of passages
    ("IOM", "Central Asia") are no reason."""
    their_text = " ".join(theirs.text.split())
    found: dict[str, float] = {}
    candidates = [_longest_shared(_without_stop_words(run.split()), their_text) for run in _NAME.findall(mine.text)]
    for name in [*filter(None, candidates), *_shared_phrases(mine.text, theirs.text)]:
        if name.lower() in (n.lower() for n in found) or not _telling(name, mine.text, their_text):
            continue
        share = min(document_share(term) for term in analysed(name))
        if share <= KEY_NAME_MAX_SHARE:
            found[name] = share
    kept = [name for name in found if not any(name.lower() in other.lower() and name != other for other in found)]
    return tuple(sorted(kept, key=lambda name: (found[name], name))[:KEY_NAMES])


def _longest_shared(words: list[str], text: str) -> str | None:
    """The longest run of `words` that `text` prints as it is (capitals included), leftmost first; a
    single word of a longer run only when it is an acronym."""
    for size in range(len(words), 0, -1):  # none for an empty run
        for start in range(len(words) - size + 1):
            name = " ".join(words[start:start + size])
            if size == 1 < len(words) and not _acronym(name):
                continue
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
                return name
    return None


def _without_stop_words(words: list[str]) -> list[str]:
    """A run of capitalised words without the stop words at its ends ("The Global Compact")."""
    while words and not any(analysed(words[0])):
        words = words[1:]
    while words and not any(analysed(words[-1])):
        words = words[:-1]
    return words


def _shared_phrases(mine: str, theirs: str, longest: int = 3) -> list[str]:
    """Runs of two to `longest` words within a clause that both texts hold (in any case), as `mine`
    prints them, the longest at each place: content words, joined by at most "of", "and", "for",
    "the", "on", "in" or "to" ("points of entry", "victims of trafficking")."""
    their_runs = " | ".join(" ".join(w.lower() for w in clause) for clause in _clauses(theirs))
    found = []
    for clause in _clauses(mine):
        for start in range(len(clause)):
            for end in range(min(len(clause), start + longest), start + 1, -1):
                run = clause[start:end]
                if not all(_content(word) or word.lower() in _JOINING for word in run) \
                        or not (_content(run[0]) and _content(run[-1])):
                    continue
                if re.search(rf"(?<![\w'’-]){re.escape(' '.join(run).lower())}(?![\w'’-])", their_runs):
                    found.append(" ".join(run))
                    break
    return found


def _content(word: str) -> bool:
    return word.lower() not in _FUNCTION_WORDS and any(analysed(word))


def _clauses(text: str) -> list[list[str]]:
    """The words of `text`, clause by clause (cut at punctuation)."""
    return [_WORD.findall(clause) for clause in _PUNCTUATION.split(text)]


def _acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _telling(name: str, *texts: str) -> bool:
    """Whether a name or phrase found in both texts tells something: several words, an acronym, or
    one word that neither text writes in lower case (a sentence's first word is); not a month or a
    weekday."""
    if name.lower() in _CALENDAR or not any(analysed(name)):
        return False
    if " " in name or _acronym(name):
        return True
    return not any(re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", text) for text in texts)


def shared_countries(mine: Passage, theirs: Passage) -> tuple[str, ...]:
    return tuple(c for c in mine.countries if c in theirs.countries)
