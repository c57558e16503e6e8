"""A generation's documents: newsletter issues and sections as JSON (a few thousand at most), passages
as columns (index.store.columns), memory-mapped when the generation is opened.

    documents.json            {"issues": [...], "sections": [...]}
    passages/                 one column per Passage field, the lookup order of the ids, and per
                              passage its issue's position and its countries as bits (for filters)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.records import Corpus, Issue, IssueDate, Passage, Section
from index.search.filters import country_bits
from index.store.columns import Records, SortedLookup, open_array, write_array, write_records

DOCUMENTS_FILE = "documents.json"
PASSAGES_DIR = "passages"


def _issue_from_json(data: dict) -> Issue:
    date = IssueDate(data["date"], data["date_precision"]) if data["date"] else None
    return Issue(data["id"], data["source"], data["number"], date, data["date_inferred"], data["title"],
                 data["source_link"], data["provenance"])


def _section_from_json(issue_id: str, data: dict) -> Section:
    return Section(data["id"], issue_id, data["position"], data["title"], data["title_generated"],
                   data["dateline"], tuple(data["countries"]))


def write_corpus(generation: Path, corpus: Corpus) -> None:
    """`corpus` into `generation`: documents.json and the passage columns."""
    data = {
        "issues": [issue.to_json() for issue in corpus.issues],
        "sections": [{"issue_id": s.issue_id, **s.to_json()} for s in corpus.sections],
    }
    (generation / DOCUMENTS_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    directory = generation / PASSAGES_DIR
    write_records(directory, corpus.passages, Passage)
    SortedLookup.write(directory, "id", [p.id for p in corpus.passages])
    issue_position = {issue.id: n for n, issue in enumerate(corpus.issues)}
    write_array(directory / "issue.position.npy",
                np.array([issue_position[p.issue_id] for p in corpus.passages], dtype=np.int32))
    write_array(directory / "countries.bits.npy",
                np.array([country_bits(p.countries) for p in corpus.passages], dtype=np.uint8))


@dataclass(frozen=True)
class StoredCorpus:
    """An opened generation's documents.  `passages` builds a Passage when one is read; the arrays
    hold, per passage (in ordinal order), what filters, facets and fusion need of it."""

    issues: tuple[Issue, ...]
    sections: tuple[Section, ...]
    passages: Records[Passage]
    issue_of: np.ndarray  # int32: the position in `issues` of each passage's issue
    country_bits: np.ndarray  # uint8: bit i set when the passage names COUNTRIES[i]
    recurring: np.ndarray  # bool
    ids: SortedLookup

    def ordinal_of(self, passage_id: str) -> int | None:
        return self.ids.find(passage_id)

    def passages_of_issues(self) -> list[np.ndarray]:
        """For each issue (by position), the ordinals of its passages, in order."""
        order = np.argsort(self.issue_of, kind="stable")
        ends = np.cumsum(np.bincount(self.issue_of, minlength=len(self.issues)))
        return np.split(order, ends[:-1]) if len(self.issues) else []


def read_corpus(generation: Path) -> StoredCorpus:
    """The documents of `generation`; ValueError (or an OSError, KeyError) when they do not fit together."""
    data = json.loads((generation / DOCUMENTS_FILE).read_text(encoding="utf-8"))
    issues = tuple(_issue_from_json(d) for d in data["issues"])
    sections = tuple(_section_from_json(d["issue_id"], d) for d in data["sections"])
    directory = generation / PASSAGES_DIR
    passages = Records.open(directory, Passage)
    issue_of = open_array(directory / "issue.position.npy")
    bits = open_array(directory / "countries.bits.npy")
    ids = passages.column("id")
    if len(issue_of) != len(passages) or len(bits) != len(passages):
        raise ValueError(f"{PASSAGES_DIR}: the per-passage arrays do not fit the passages")
    if len(issue_of) and (int(issue_of.min()) < 0 or int(issue_of.max()) >= len(issues)):
        raise ValueError(f"{PASSAGES_DIR}: a passage names an issue the generation does not hold")
    return StoredCorpus(issues, sections, passages, issue_of, bits, passages.column("recurring"),
                        SortedLookup.open(directory, "id", ids))
