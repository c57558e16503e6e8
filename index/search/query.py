"""The query language: what users type, read as a Whoosh query.

Words side by side (`Words`) match a passage that holds enough of them (index.search.matching says
how many) and rank it by the score of every one it holds; "quoted phrases", AND / OR / NOT,
parentheses and `-word` work, and nothing else is syntax.  A query the parser cannot make sense of
is searched as plain words instead of failing.  Words are analysed as passages are (index.text).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from whoosh import qparser
from whoosh import query as whoosh_query
from whoosh.matching import AndNotMatcher, Matcher
from whoosh.searching import SearchContext, Searcher

from index.search.matching import required_words
from index.search.schema import FIELD, SCHEMA
from index.text.analysis import analysed
from index.text.numbers import join_number_groups

# Characters that are syntax in Whoosh's full query language but not in ours ("wat*", "water^2",
# "[a TO b]", '"a b"~2'): read as spaces, so such a query still searches its words.  A field name
# ("title:water") is dropped: its value is what is looked for, the name is not a word to require.
FOREIGN_SYNTAX = re.compile(r"\b\w+:(?=[\w\"(])|[:*?^\[\]{}~]")
NOT_OPERATOR = r"(^|(?<=[\s()]))(NOT(?=\s)|-(?=[\w\"(]))"
AND_OPERATOR = r"(?<=\s)AND(?=\s)"
OR_OPERATOR = r"(?<=\s)OR(?=\s)"


class Words(whoosh_query.Or):
    """Words written side by side: a passage matches when it holds `minmatch` of them; its score is
    the sum of the scores of all it holds, as for Or (Whoosh's own matchers ignore minmatch)."""


class AnyOf(whoosh_query.Or):
    """`a OR b`, written with the operator (a class of its own, so that Whoosh's normalize never merges
    it with the Words around or inside it)."""


class AllOf(whoosh_query.And):
    """`a AND b`, written with the operator (a word the analyzer splits, "COVID-19", is a plain And)."""


class _WordsGroup(qparser.OrGroup):
    qclass = Words


class _AnyOfGroup(qparser.OrGroup):
    qclass = AnyOf


class _AllOfGroup(qparser.AndGroup):
    qclass = AllOf


# Syntax that makes a query a set of constraints (index.search.matching): nothing is added to its matches.
_OPERATOR_NODES = (_AnyOfGroup, _AllOfGroup, qparser.NotGroup, qparser.PhrasePlugin.PhraseNode)


def _make_parser() -> qparser.QueryParser:
    parser = qparser.QueryParser(
        FIELD,
        SCHEMA,
        # No coordination factor (OrGroup.factory(scale)): the summed BM25F scores already rank a
        # passage that holds more words higher, and Whoosh 2.7.4's coordination (CoordMatcher) counts
        # each word once per field and scores every hit 0.0 when only one field has the word.
        group=_WordsGroup,
    )
    for plugin in (
        qparser.FieldsPlugin,
        qparser.WildcardPlugin,
        qparser.RangePlugin,
        qparser.BoostPlugin,
        qparser.EveryPlugin,
        qparser.SingleQuotePlugin,
    ):
        parser.remove_plugin_class(plugin)
    # `-word` is NOT written short; only at the start of a word, so "COVID-19" stays one word.
    # The operators in Whoosh's default order (NOT first), AND and OR with groups of their own.
    tag = qparser.OperatorsPlugin.OpTagger
    parser.replace_plugin(qparser.OperatorsPlugin([
        (tag(NOT_OPERATOR, qparser.NotGroup, qparser.syntax.PrefixOperator, memo="not"), 0),
        (tag(AND_OPERATOR, _AllOfGroup, memo="and"), 0),
        (tag(OR_OPERATOR, _AnyOfGroup, memo="or"), 0),
    ], clean=True))
    return parser


_PARSER = _make_parser()
# Brackets nested deeper than this are not read as grouping: the query is searched as plain words.
# Whoosh's parser, and the functions here that walk its query tree, recurse once per level.
MAX_NESTING = 10


def bracket_nesting(text: str) -> int:
    """How deep the brackets of `text` nest.  Unclosed ones count, and so do those inside quotes (an
    unclosed quote would otherwise hide brackets that the parser does read)."""
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth = max(0, depth - 1)
    return deepest


@functools.lru_cache(maxsize=1024)
def parse_query(text: str) -> whoosh_query.Query:
    """The Whoosh query for what a user typed; plain words where the parser cannot make sense of it.

    Thousands-grouped numbers are joined first ("7 801" -> "7801"): the parser would read two words.
    An empty query, or one of only stopwords, gives `whoosh_query.NullQuery`.
    """
    parsed = _parsed(text)
    return _plain_words_query(text) if parsed is None else parsed


@functools.lru_cache(maxsize=1024)
def uses_operators(text: str) -> bool:
    """Whether the query uses quotes, AND, OR, NOT or `-word` (and the parser could read it)."""
    return _parsed(text) is not None and _has_operator(_PARSER.process(_cleaned(text)))


def _cleaned(text: str) -> str:
    return FOREIGN_SYNTAX.sub(" ", join_number_groups(text))


def _parsed(text: str) -> whoosh_query.Query | None:
    """The parsed query, or None when the parser cannot make sense of `text`."""
    text = _cleaned(text)
    if bracket_nesting(text) > MAX_NESTING:  # never handed to the recursive parser and query walkers
        return None
    try:
        parsed = _PARSER.parse(text, normalize=False)
        if not _has_error(parsed):
            return _with_required_words(_exclusions_applied(parsed).normalize())
    # The parser is third-party code fed arbitrary user text; whatever it raises (errors of its own,
    # RecursionError on deep brackets), the answer is to search the words.
    except Exception:
        pass
    return None


def _has_operator(node: qparser.SyntaxNode) -> bool:
    return isinstance(node, _OPERATOR_NODES) or any(_has_operator(child) for child in getattr(node, "nodes", ()))


def _with_required_words(q: whoosh_query.Query) -> whoosh_query.Query:
    """Each Words group told how many of its words a passage must hold (after normalize, which drops
    repeated words)."""
    if isinstance(q, Words):
        children = [_with_required_words(c) for c in q.subqueries]
        return Words(children, boost=q.boost, minmatch=required_words(len(children)))
    return q.apply(_with_required_words)


def with_any_word(q: whoosh_query.Query) -> whoosh_query.Query:
    """`q` with each Words group matched by any one of its words (the rule before index.search.matching's),
    for a query in a language the embedding model cannot read: no passage related by meaning can stand
    in for the words a paraphrase does not share with the text."""
    if isinstance(q, Words):
        return Words([with_any_word(c) for c in q.subqueries], boost=q.boost, minmatch=1)
    return q.apply(with_any_word)


def _has_error(q: whoosh_query.Query) -> bool:
    """Whether the parser marked part of the query as an error (it does so rather than raise)."""
    return bool(q.error) or any(_has_error(child) for child in q.children())


def _exclusions_applied(q: whoosh_query.Query) -> whoosh_query.Query:
    """Give NOT the meaning users expect, with Excluding.

    Whoosh reads `water NOT migrants`, an OR group, as "water, or anything without migrants".  Here
    the negated members of a group are taken out and subtracted from the rest: "water but not
    migrants".  A query or group that only excludes matches nothing, as in web search engines, not
    every other passage.
    """
    if isinstance(q, whoosh_query.Not):
        return whoosh_query.NullQuery
    if not isinstance(q, (whoosh_query.And, whoosh_query.Or)):
        return q.apply(_exclusions_applied)
    banned = [_exclusions_applied(c.query) for c in q.subqueries if isinstance(c, whoosh_query.Not)]
    kept = [_exclusions_applied(c) for c in q.subqueries if not isinstance(c, whoosh_query.Not)]
    group = type(q)(kept, boost=q.boost)
    return Excluding(group, AnyOf(banned)) if banned else group


class Excluding(whoosh_query.AndNot):
    """`a` without `b`: Whoosh's AndNot with its first-document bug fixed (see _AndNotMatcher)."""

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> Matcher:
        return _AndNotMatcher(
            self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context())
        )


class _AndNotMatcher(AndNotMatcher):
    """Whoosh 2.7.4's AndNotMatcher tests its first document against the excluded side only when
    both sides start on the same document, so a first match that the excluded side reaches later
    slips through ("water NOT border" returned a passage with both).  Here the test always runs."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


def excluded_parts(q: whoosh_query.Query) -> list[whoosh_query.Query]:
    if isinstance(q, Excluding):
        return [q.b, *excluded_parts(q.a)]
    return [part for child in q.children() for part in excluded_parts(child)]


def _plain_words_query(text: str) -> whoosh_query.Query:
    """Every analysed word of `text`, side by side."""
    return _with_required_words(Words([whoosh_query.Term(FIELD, term) for term in dict.fromkeys(analysed(text))]).normalize())


def query_terms(text: str) -> list[str]:
    """The analysed terms a query searches for (not those it excludes), for highlighting."""
    return list(_query_terms(text))


@functools.lru_cache(maxsize=256)
def _query_terms(text: str) -> tuple[str, ...]:
    # Cached: a results page asks once per hit (up to MAX_K) for the same query.
    return tuple(dict.fromkeys(_positive_terms(parse_query(text))))


def _positive_terms(q: whoosh_query.Query) -> Iterable[str]:
    if isinstance(q, whoosh_query.AndNot):
        yield from _positive_terms(q.a)
    elif isinstance(q, whoosh_query.Phrase):
        yield from q.words
    elif isinstance(q, whoosh_query.Term):
        yield q.text
    else:
        for child in q.children():
            yield from _positive_terms(child)
