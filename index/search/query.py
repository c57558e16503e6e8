"""The query language: what users type, read as a Whoosh query.

Words are OR'ed (a passage matching more of them scores higher), "quoted phrases", AND / OR / NOT,
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

from index.search.schema import FIELD, SCHEMA
from index.text.analysis import analysed
from index.text.numbers import join_number_groups

# Characters that are syntax in Whoosh's full query language but not in ours ("title:water", "wat*",
# "water^2", "[a TO b]", '"a b"~2'): read as spaces, so such a query still searches its words.
FOREIGN_SYNTAX = re.compile(r"[:*?^\[\]{}~]")
NOT_OPERATOR = r"(^|(?<=[\s()]))(NOT(?=\s)|-(?=[\w\"(]))"


def _make_parser() -> qparser.QueryParser:
    parser = qparser.QueryParser(
        FIELD,
        SCHEMA,
        # Plain OR, not OrGroup.factory(scale): the summed BM25F scores already rank a passage that
        # matches more words higher, and Whoosh 2.7.4's coordination (CoordMatcher) counts each
        # word once per field and scores every hit 0.0 when only one field has the word.
        group=qparser.OrGroup,
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
    parser.replace_plugin(
        qparser.OperatorsPlugin(Not=NOT_OPERATOR, AndNot=None, AndMaybe=None, Require=None)
    )
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
    text = FOREIGN_SYNTAX.sub(" ", join_number_groups(text))
    if bracket_nesting(text) > MAX_NESTING:  # never handed to the recursive parser and query walkers
        return _plain_words_query(text)
    try:
        parsed = _PARSER.parse(text, normalize=False)
        if not _has_error(parsed):
            return _exclusions_applied(parsed).normalize()
    # The parser is third-party code fed arbitrary user text; whatever it raises (errors of its own,
    # RecursionError on deep brackets), the answer is to search the words.
    except Exception:
        pass
    return _plain_words_query(text)


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
    if isinstance(q, whoosh_query.Or):
        group: whoosh_query.Query = whoosh_query.Or(kept, boost=q.boost)
    else:
        group = whoosh_query.And(kept, boost=q.boost)
    return Excluding(group, whoosh_query.Or(banned)) if banned else group


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
    """Every analysed word of `text` OR'ed, as the parser would OR them."""
    return whoosh_query.Or([whoosh_query.Term(FIELD, term) for term in dict.fromkeys(analysed(text))]).normalize()


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
