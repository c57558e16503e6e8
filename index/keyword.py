"""The Whoosh keyword index: schema, analyzer, query language and BM25F search.

Passages are added in order by one writer and merged into one segment, so a passage's Whoosh docnum
is its ordinal in the passage list.  Search hands back ordinals, and a filter is handed to Whoosh as
the set of allowed ordinals, used directly as docnums.

Users type plain text: words are OR'ed (a passage matching more of them scores higher), "quoted
phrases", AND / OR / NOT, parentheses and `-word` work, and nothing else is syntax.  A query the
parser cannot make sense of is searched as plain words instead of failing.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import qparser, scoring
from whoosh import query as whoosh_query
from whoosh.analysis import (
    STOP_WORDS,
    Analyzer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.matching import AndNotMatcher, Matcher
from whoosh.searching import SearchContext, Searcher

from .documents import Passage
from .errors import IndexUnavailable
from .figures import NUMBER_GROUPS, join_number_groups
from .keyword_fast import FastOrScorer

# BM25F: the story title is weighted twice the text by counting its words twice in one field, so
# that the weight applies to term frequency before BM25's saturation and length normalisation, as in
# BM25F proper.  (Whoosh's own "BM25F" saturates each field on its own and adds the scores up; on
# SciFact's training split that scored nDCG@10 0.629 with the title boosted 2, this 0.692.)
TITLE_REPEATS = 2
FIELD = "body"

# Writer settings for a 2-core machine.  One process, because Whoosh's multiprocess writer does not
# keep documents in the order they were added, and docnum == ordinal depends on that order.
WRITER_LIMIT_MB = 128
WRITER_PROCS = 1

# A thousands-grouped number ("7,801", "7 801", "330, 528") is one token; otherwise words, with
# inner dots kept so that decimals ("6.3") stay whole.
TOKEN_PATTERN = re.compile(NUMBER_GROUPS.pattern + r"|\w+(?:\.?\w+)*")
_NUMBER_SEPARATORS = re.compile(r"[ ,]")


class JoinNumberGroupsFilter(Filter):
    """Strips thousands separators, so `7,801`, `7 801` and `7801` all index as `7801`.

    Only the grouped-number branch of TOKEN_PATTERN can yield a token holding a comma or a space,
    so any such token is a grouped number.  Only the text changes: character positions stay those
    of the original, which highlighting relies on.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = _NUMBER_SEPARATORS.sub("", token.text)
            yield token


@functools.lru_cache(maxsize=50_000)
def cached_stem(word: str) -> str:
    """Porter stemming behind a thread-safe cache (Whoosh's StemFilter cache is not thread-safe)."""
    return stem(word)


def make_analyzer() -> Analyzer:
    """Whoosh's StemmingAnalyzer chain, keeping grouped numbers whole and one-character tokens."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | JoinNumberGroupsFilter()
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | StemFilter(stemfn=cached_stem, cachesize=None)
    )


ANALYZER = make_analyzer()

# A word the parser reads as one but the analyzer splits ("COVID-19", "2,5", "IOM's") is searched as
# all of its parts (AND).  As a phrase it would be exact, but Whoosh matches phrases position by
# position in Python (some 150 ms for a common pair at 100,000 passages); quotes still ask for one.
SCHEMA = Schema(
    ordinal=NUMERIC(int, stored=True),
    id=ID(stored=True, unique=True),
    body=TEXT(analyzer=ANALYZER, stored=False, multitoken_query="and"),
)


def indexed_body(passage: Passage) -> str:
    """What the keyword index reads for a passage: its story title TITLE_REPEATS times, then its text."""
    return "\n".join([passage.section_title] * TITLE_REPEATS + [passage.text])


BM25_K1, BM25_B = 0.9, 0.4


class BM25(scoring.BM25F):
    """Whoosh's BM25 with the IDF of the BM25 literature, log(1 + (N - n + 0.5) / (n + 0.5)), and
    k1 0.9, b 0.4 (Anserini's, used for the published BEIR BM25 figures) instead of Whoosh's 1.2, 0.75.

    Whoosh's own IDF, log(N / (n + 1)) + 1, is much flatter: a word found in half the passages
    ("central", "asia") weighs almost as much as one found in two ("deaths"), so a query's rare,
    telling word is drowned by its common ones.  The lower b punishes long passages less; on
    SciFact's training split it lifts hybrid nDCG@10 from 0.729 to 0.732
    (scripts/archive evaluate --beir; every k1 0.7-1.2 with b 0.4-0.5 gave 0.731-0.733).
    """

    def __init__(self) -> None:
        super().__init__(B=BM25_B, K1=BM25_K1)

    def idf(self, searcher: Searcher, fieldname: str, text: bytes) -> float:
        parent = searcher.get_parent()
        found_in = parent.doc_frequency(fieldname, text)
        total = parent.doc_count_all()
        return math.log(1 + (total - found_in + 0.5) / (found_in + 0.5))


def build_keyword_index(directory: Path, passages: Sequence[Passage]) -> None:
    """Write a keyword index of `passages` into `directory`, creating the directory if needed.

    Raises RuntimeError if Whoosh's docnums do not come out equal to the ordinals.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(directory), SCHEMA)
    writer = ix.writer(limitmb=WRITER_LIMIT_MB, procs=WRITER_PROCS)
    for ordinal, passage in enumerate(passages):
        writer.add_document(ordinal=ordinal, id=passage.id, body=indexed_body(passage))
    writer.commit(optimize=True)
    _check_docnums(ix, len(passages))


def _check_docnums(ix: whoosh_index.Index, expected: int) -> None:
    with ix.searcher() as searcher:
        pairs = [(docnum, fields["ordinal"]) for docnum, fields in searcher.reader().iter_docs()]
    if pairs != [(ordinal, ordinal) for ordinal in range(expected)]:
        raise RuntimeError(
            f"keyword index docnums do not match passage ordinals ({len(pairs)} documents, "
            f"{expected} passages): filtering by ordinal would return the wrong passages"
        )


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


def _excluded_parts(q: whoosh_query.Query) -> list[whoosh_query.Query]:
    if isinstance(q, Excluding):
        return [q.b, *_excluded_parts(q.a)]
    return [part for child in q.children() for part in _excluded_parts(child)]


def _plain_words_query(text: str) -> whoosh_query.Query:
    """Every analysed word of `text` OR'ed, as the parser would OR them."""
    return whoosh_query.Or([whoosh_query.Term(FIELD, term) for term in dict.fromkeys(_analysed(text))]).normalize()


def _analysed(text: str) -> Iterator[str]:
    return (token.text for token in ANALYZER(text))


def passage_terms(text: str) -> dict[str, str]:
    """The analysed words of a passage (stopwords left out), each with the word as first written."""
    terms: dict[str, str] = {}
    for token in ANALYZER(text, chars=True):
        terms.setdefault(token.text, text[token.startchar:token.endchar].lower())
    return terms


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


class KeywordIndex:
    """An open keyword index.  One searcher serves every call, behind a lock: Whoosh searchers are
    not documented as safe to share between threads.

    Whoosh reads its segments when a search needs them, so a file damaged after the index was
    opened fails in the middle of a search, in whatever library reads it.  `verify` (IndexUnavailable
    when the index's files are damaged) tells such damage from a bug: when it finds damage, that
    search and every later one is IndexUnavailable with the reason (an answer of 503, not 500).
    """

    def __init__(self, searcher: Searcher, verify: Callable[[], None] | None = None) -> None:
        self._searcher = searcher
        self._lock = threading.Lock()
        self._fast = FastOrScorer(searcher)  # queries scored with numpy, Whoosh's scores (index.keyword_fast)
        self._verify = verify
        self._damaged: str | None = None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Around every read of the index (under the lock): damage found is IndexUnavailable."""
        if self._damaged:
            raise IndexUnavailable(self._damaged)
        try:
            yield
        except Exception as exc:
            if self._verify is None:
                raise
            try:
                self._verify()
            except IndexUnavailable as damaged:
                self._damaged = str(damaged)
                raise IndexUnavailable(self._damaged) from exc
            raise

    @classmethod
    def open(cls, directory: Path, verify: Callable[[], None] | None = None) -> KeywordIndex:
        """Open the index in `directory`; `verify` checks its files when a search fails (see the class).

        Raises IndexUnavailable if it is missing, damaged or built with another schema.
        """
        missing = f"no keyword index in {directory}: build the index first"
        if not directory.is_dir():
            raise IndexUnavailable(missing)
        try:
            searcher = whoosh_index.open_dir(str(directory)).searcher(weighting=BM25())
        except whoosh_index.EmptyIndexError as error:
            raise IndexUnavailable(missing) from error
        # A damaged index fails in many ways (unpickling, struct, I/O errors): all mean "unusable".
        except Exception as error:
            raise IndexUnavailable(
                f"the keyword index in {directory} is damaged ({error}): rebuild the index"
            ) from error
        if set(searcher.schema.names()) != set(SCHEMA.names()):
            searcher.close()
            raise IndexUnavailable(
                f"the keyword index in {directory} was built by another version: rebuild the index"
            )
        return cls(searcher, verify)

    @property
    def doc_count(self) -> int:
        return self._searcher.doc_count()

    def search(
        self, query: str, limit: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """The best `limit` passages for `query` as (ordinal, BM25F score), best first.

        With `allowed`, only those ordinals can be returned.
        """
        q = parse_query(query)
        if limit < 1 or q is whoosh_query.NullQuery or (allowed is not None and not allowed):
            return []
        docnums = None if allowed is None else set(allowed)
        with self._lock, self._reading():
            fast = self._fast.search(q, limit, docnums)
            if fast is not None:
                return fast
            results = self._searcher.search(q, limit=limit, filter=docnums)
            return [(hit.docnum, hit.score) for hit in results]

    def excluded(self, query: str) -> np.ndarray:
        """Ordinals of the passages that the query's NOT parts rule out, so that the semantic side of
        a hybrid search can leave them out too."""
        parts = _excluded_parts(parse_query(query))
        if not parts:
            return np.zeros(0, dtype=np.int64)
        with self._lock, self._reading():
            matched = self._fast.matches(whoosh_query.Or(parts))
            if matched is not None:
                return np.flatnonzero(matched)
            return np.array(sorted(self._searcher.docs_for_query(whoosh_query.Or(parts))), dtype=np.int64)

    def document_share(self, term: str) -> float:
        """The share of passages whose text holds the analysed `term` (0.0 to 1.0)."""
        with self._lock, self._reading():
            return self._searcher.doc_frequency(FIELD, term) / max(1, self._searcher.doc_count())

    def close(self) -> None:
        with self._lock:
            self._searcher.close()
