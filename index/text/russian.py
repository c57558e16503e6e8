"""Russian words: their dictionary forms, stop words and parts of speech.

A Russian word is indexed and searched as its lemma, as pymorphy3 (MIT) finds it with its packaged
OpenCorpora dictionary (pymorphy3-dicts-ru, MIT): "трудовым мигрантам, вернувшимся" and "трудовой
мигрант вернулся" are both "трудовой мигрант вернуться".  Snowball's Russian stemmer (in Whoosh)
was measured against it on the 23 judged Russian queries of tests/fixtures/russian/queries.jsonl
over the Russian fixtures: in keyword mode both score nDCG@10 0.915, MRR@10 0.957 (lower-casing
alone: 0.783, 0.815), but pymorphy3 finds 83% of a query's words in the passage that answers it,
Snowball 78%, and hybrid scores 0.890 against 0.885.  A stemmer cuts endings by rule, so the forms
of a word whose stem changes fall apart ("Кыргызстане" -> "кыргызстан" but "Кыргызстана" ->
"кыргызста"; "вернулся" -> "вернул" but "вернувшимся" -> "вернувш"; "людей" is not "человек");
the dictionary knows the word.  A word it lacks (a name) is analysed by its ending, as pymorphy3
guesses it.  Where a form has several lemmas ("стали": "стать" or "сталь") the most frequent reading
wins, the same in passages and queries.
"""

from __future__ import annotations

import functools

from whoosh.lang import stopwords_for_language

# Snowball's Russian stop list, as Whoosh ships it: pronouns, prepositions, particles, auxiliaries.
STOP_WORDS = frozenset(stopwords_for_language("ru"))


@functools.cache
def _analyzer():
    """The morphological analyzer, loaded on first use (its dictionary takes a fraction of a second)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@functools.lru_cache(maxsize=100_000)
def lemma(word: str) -> str:
    """The dictionary form of a lower-case Russian word, "ё" written "е" as most Russian text does."""
    return _analyzer().parse(word)[0].normal_form.replace("ё", "е")


@functools.lru_cache(maxsize=20_000)
def part_of_speech(word: str) -> str | None:
    """The OpenCorpora part of speech of the word's most frequent reading: "NOUN", "ADJF", "VERB",
    "PREP", "CONJ"...; None when it has none (a number, punctuation)."""
    return _analyzer().parse(word.lower())[0].tag.POS


@functools.lru_cache(maxsize=20_000)
def cases(word: str) -> frozenset[str]:
    """The cases the word can stand in, over its readings as its most frequent part of speech:
    "службы" -> {"gent", "nomn", "accs"}; empty for a word that does not decline."""
    readings = _analyzer().parse(word.lower())
    return frozenset(r.tag.case for r in readings if r.tag.POS == readings[0].tag.POS and r.tag.case)
