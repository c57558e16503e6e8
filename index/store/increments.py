"""A build that starts from the served generation: which passages are the same, and the vectors it
can keep.

A passage is known across builds by its id (stable for an unchanged file, see index.ingest).  Its
keyword document and its vector depend on its story title and text, its figures on its text alone,
so a passage of the new corpus is "the same" as the earlier one of its id for figures when the texts
are equal, and for the keyword index and vectors when the titles are equal too.  Everything else is
what a build updates: the keyword documents of the passages that went or changed are deleted, those
of the passages that came or changed added (index.search.keyword.update_keyword_index); figures are
extracted for the passages whose text is new (index.figures.tables).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.records import Corpus
from index.store.documents import StoredCorpus


@dataclass(frozen=True)
class PassageChanges:
    """How a new corpus stands to an earlier one, passage by passage (arrays by new ordinal: the
    earlier ordinal of the same passage, or -1)."""

    same_text: np.ndarray
    same_body: np.ndarray  # same text and same story title
    removed: list[str]  # earlier passage ids whose keyword documents go
    added: list[int]  # new ordinals whose keyword documents come

    @property
    def summary(self) -> dict[str, int]:
        return {"removed": len(self.removed), "added": len(self.added), "kept": int((self.same_body >= 0).sum())}


def passage_changes(earlier: StoredCorpus, corpus: Corpus) -> PassageChanges:
    earlier_ids = list(earlier.passages.column("id"))
    texts = earlier.passages.column("text")
    titles = earlier.passages.column("section_title")
    earlier_ordinal = {passage_id: ordinal for ordinal, passage_id in enumerate(earlier_ids)}
    same_text = np.full(len(corpus.passages), -1, dtype=np.int64)
    same_body = np.full(len(corpus.passages), -1, dtype=np.int64)
    for ordinal, passage in enumerate(corpus.passages):
        before = earlier_ordinal.get(passage.id)
        if before is not None and texts[before] == passage.text:
            same_text[ordinal] = before
            if titles[before] == passage.section_title:
                same_body[ordinal] = before
    kept = set(same_body[same_body >= 0].tolist())
    removed = [passage_id for ordinal, passage_id in enumerate(earlier_ids) if ordinal not in kept]
    added = np.flatnonzero(same_body < 0).tolist()
    return PassageChanges(same_text, same_body, removed, added)


def kept_vectors(changes: PassageChanges, earlier_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(new ordinals, their vectors) of the passages whose vectors the earlier generation holds."""
    kept = np.flatnonzero(changes.same_body >= 0)
    return kept, np.asarray(earlier_vectors[changes.same_body[kept]])
