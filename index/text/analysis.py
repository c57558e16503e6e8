"""The analyzer: what a passage's or a query's words become in the keyword index.

Words are lower-cased, stop words dropped, and each word is reduced by the analysis of its own
language (index.text.languages tells it by its script): an English word is Porter-stemmed, a Russian
one replaced by its lemma (index.text.russian).  So a passage or a query that mixes the languages has
each of its words analysed as its language wants, and a query is analysed for the languages it is
written in.  A thousands-grouped number ("7,801", "7 801") is one token, written without its
separators, so it matches "7801".  The chain is built from Whoosh's analysis toolkit, which is a
tokenizer library of its own: nothing here knows the index.  Another language plugs in as another
script in index.text.languages, with its stop words and its stemmer here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from whoosh.analysis import STOP_WORDS, Analyzer, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter, Token
from whoosh.lang.porter import stem

from index.text import russian
from index.text.languages import RUSSIAN, word_language
from index.text.numbers import GROUP_SEPARATORS, NUMBER_GROUPS

# A thousands-grouped number ("7,801", "7 801", "330, 528") is one token; otherwise words, with
# inner dots kept so that decimals ("6.3") stay whole.
TOKEN_PATTERN = re.compile(NUMBER_GROUPS.pattern + r"|\w+(?:\.?\w+)*")


class JoinNumberGroupsFilter(Filter):
    """Strips thousands separators, so `7,801`, `7 801` and `7801` all index as `7801`.

    Only the grouped-number branch of TOKEN_PATTERN can yield a token holding a comma or a space,
    so any such token is a grouped number.  Only the text changes: character positions stay those
    of the original, which highlighting relies on.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = GROUP_SEPARATORS.sub("", token.text)
            yield token


@functools.lru_cache(maxsize=50_000)
def cached_stem(word: str) -> str:
    """Porter stemming behind a thread-safe cache (Whoosh's StemFilter cache is not thread-safe)."""
    return stem(word)


def stem_word(word: str) -> str:
    """A lower-case word reduced by its language's analysis: a Russian word to its lemma, any other Porter-stemmed."""
    return russian.lemma(word) if word_language(word) == RUSSIAN else cached_stem(word)


def make_analyzer() -> Analyzer:
    """Whoosh's StemmingAnalyzer chain, keeping grouped numbers whole and one-character tokens, with the
    English and Russian stop words and each word stemmed by its language."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | JoinNumberGroupsFilter()
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS | russian.STOP_WORDS, minsize=1)
        | StemFilter(stemfn=stem_word, cachesize=None)
    )


ANALYZER = make_analyzer()


def analysed(text: str) -> Iterator[str]:
    """The analysed terms of `text`, in order, repeats kept."""
    return (token.text for token in ANALYZER(text))


def passage_terms(text: str) -> dict[str, str]:
    """The analysed words of a passage (stopwords left out), each with the word as first written."""
    terms: dict[str, str] = {}
    for token in ANALYZER(text, chars=True):
        terms.setdefault(token.text, text[token.startchar:token.endchar].lower())
    return terms
