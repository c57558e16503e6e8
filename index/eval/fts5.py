"""The plain baseline: SQLite FTS5 ranked by bm25(), the search a Datasette user would get.

Deliberately nothing clever: the default unicode61 tokenizer, no stemming, no number
normalisation (`7801` does not find `7,801` here).  The evaluation reports it beside our own modes
so that their figures have something to be compared with.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

from index.errors import BadRequest, IndexUnavailable
from index.records import Passage

# unicode61 splits on everything that is not a letter or a digit; `_` is a separator there too.
_WORD = re.compile(r"[^\W_]+")


def fts5_query(text: str) -> str:
    """Any user text to an FTS5 query that cannot fail to parse: its words, each quoted, ORed.

    Returns "" when the text holds no word at all.
    """
    words = dict.fromkeys(word.casefold() for word in _WORD.findall(text))
    return " OR ".join(_quoted(word) for word in words)


def _quoted(word: str) -> str:
    """An FTS5 string literal: inside double quotes, a double quote is written twice."""
    return '"' + word.replace('"', '""') + '"'


class Fts5Baseline:
    """An in-memory FTS5 table of section titles and passage texts, searched by bm25()."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._connection = sqlite3.connect(":memory:")
        try:
            self._connection.execute("CREATE VIRTUAL TABLE passages USING fts5(title, text)")
        except sqlite3.OperationalError as error:
            raise IndexUnavailable(
                f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5: {error}"
            ) from error
        # rowid = the passage's position in the sequence given, so a match maps straight back.
        self._connection.executemany(
            "INSERT INTO passages (rowid, title, text) VALUES (?, ?, ?)",
            ((ordinal, p.section_title, p.text) for ordinal, p in enumerate(passages)),
        )

    def search(self, query: str, k: int) -> list[int]:
        """The ordinals of the best k passages for `query`, best first; [] if it holds no word."""
        if k < 1:
            raise BadRequest(f"k must be at least 1, not {k}")
        match = fts5_query(query)
        if not match:
            return []
        rows = self._connection.execute(
            "SELECT rowid FROM passages WHERE passages MATCH ? ORDER BY bm25(passages), rowid LIMIT ?",
            (match, k),
        )
        return [rowid for (rowid,) in rows]
