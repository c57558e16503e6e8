"""What the keyword index holds for a passage: its schema and the text it reads.

BM25F: the story title is weighted twice the text by counting its words twice in one field, so
that the weight applies to term frequency before BM25's saturation and length normalisation, as in
BM25F proper.  (Whoosh's own "BM25F" saturates each field on its own and adds the scores up; on
SciFact's training split that scored nDCG@10 0.629 with the title boosted 2, this 0.692.)
"""

from __future__ import annotations

from whoosh.fields import ID, TEXT, Schema

from index.records import Passage
from index.text.analysis import ANALYZER

TITLE_REPEATS = 2
FIELD = "body"

# A word the parser reads as one but the analyzer splits ("COVID-19", "2,5", "IOM's") is searched as
# all of its parts (AND).  As a phrase it would be exact, but Whoosh matches phrases position by
# position in Python (some 150 ms for a common pair at 100,000 passages); quotes still ask for one.
# A passage's document is known by its id (a column, read whole when an index is laid out; see
# index.search.keyword): docnums are not ordinals once passages are deleted and added.
SCHEMA = Schema(
    id=ID(stored=True, unique=True, sortable=True),
    body=TEXT(analyzer=ANALYZER, stored=False, multitoken_query="and"),
)


def indexed_body(passage: Passage) -> str:
    """What the keyword index reads for a passage: its story title TITLE_REPEATS times, then its text."""
    return "\n".join([passage.section_title] * TITLE_REPEATS + [passage.text])
