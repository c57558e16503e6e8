"""Which language a text is written in: English or Russian, the two languages of the newsletter,
told apart by their scripts.

A word holding Cyrillic letters is Russian, any other word English; a passage is in the language
most of its letters are written in.  This rule is the detector because on this material it is
as good as a trained one: the newsletter prints English and Russian only, and the two never share a
script.  Measured against lingua-language-detector 2.1.1 (Apache-2.0) on the 114 passages of the
archive, the newsletter fixtures and the Russian fixtures (18 Russian, mixed ones among them), the
two agreed on every passage, with lingua choosing between English and Russian and among all its 75
languages alike.  lingua takes 96 MB, 18 s to load all its models (a cost each worker would pay) and
is still a guess on a short line ("АЛМАТИНСКИЙ ПРОЦЕСС": Russian 0.86, Kazakh 0.14), where the script
is certain; the rule takes 15 ms for all 114.  A language in another script plugs in here as another
script; one that shares a script with these (Kazakh and Kyrgyz write Cyrillic) would need a
detector, and an analyzer of its own in this package.
"""

from __future__ import annotations

import re

ENGLISH, RUSSIAN = "en", "ru"
LANGUAGES = (ENGLISH, RUSSIAN)
LANGUAGE_NAMES = {ENGLISH: "English", RUSSIAN: "Russian"}

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters


def word_language(word: str) -> str:
    """The language of one word: Russian when it holds a Cyrillic letter, else English."""
    return RUSSIAN if _CYRILLIC.search(word) else ENGLISH


def language_of(text: str) -> str:
    """The language most of the letters of `text` are written in (English for a text without letters)."""
    words = _WORD.findall(text)
    cyrillic = sum(len(_CYRILLIC.findall(word)) for word in words)
    return RUSSIAN if cyrillic > sum(len(word) for word in words) - cyrillic else ENGLISH


def language_shares(text: str) -> dict[str, float]:
    """Each language's share of the words of `text` (a query), e.g. {"en": 0.5, "ru": 0.5}; {} without words."""
    words = [word_language(word) for word in _WORD.findall(text)]
    return {language: words.count(language) / len(words) for language in LANGUAGES if language in words}


def language_runs(text: str) -> list[tuple[int, int, str]]:
    """`text` cut into stretches of one language, as (start, end, language): a stretch runs from its
    first word to the next word of the other language, so the spaces, digits and punctuation between
    belong to the stretch before them.  Text before the first word belongs to the first stretch."""
    runs: list[tuple[int, int, str]] = []
    for match in _WORD.finditer(text):
        language = word_language(match.group())
        if runs and runs[-1][2] == language:
            continue
        if runs:
            runs[-1] = (runs[-1][0], match.start(), runs[-1][2])
        runs.append((match.start() if runs else 0, len(text), language))
    return runs
