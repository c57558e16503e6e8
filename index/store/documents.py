"""A generation's documents: newsletter issues, sections and passages, as columns memory-mapped when the
generation is opened (index.store.columns), so that opening reads none of them.

    documents.json            how many issues, sections and passages the columns hold
    words                     the words of the passages and story titles, the most used first (did
                              you mean, index.search.suggest), as a Strings column
    issues/                   each issue's JSON (Issue.to_json) as a string; its id's lookup order;
                              its first and last day and its year as numbers (index.search.filters.IssueDays)
    sections/                 each section's JSON as a string, and its issue's position
    passages/                 one column per Passage field, the lookup order of the ids, and per
                              passage its issue's and its section's position, its countries as bits and
                              its language's code (for filters, facets and grouping by story)

An archive of 100,000 passages has some 13,000 issues and 75,000 sections: read as JSON into objects
they alone took a second and a half to open.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.records import Corpus, Issue, IssueDate, Passage, Section
from index.search.filters import IssueDays, country_bits, language_codes
from index.search.suggest import words_by_use
from index.store.columns import Records, SortedLookup, Strings, open_array, write_array, write_records

DOCUMENTS_FILE = "documents.json"
ISSUES_DIR, SECTIONS_DIR, PASSAGES_DIR = "issues", "sections", "passages"
DOCUMENT_DIRS = (ISSUES_DIR, SECTIONS_DIR, PASSAGES_DIR)
WORDS = "words"


# --- records <-> JSON (issues and sections stored here, and the parse cache's entries) -------------

def _issue_from_json(data: dict) -> Issue:
    date = IssueDate(data["date"], data["date_precision"]) if data["date"] else None
    return Issue(data["id"], data["source"], data["number"], date, data["date_inferred"], data["title"],
                 data["source_link"], data["provenance"], data["newsletter"], data["author"])


def _section_from_json(data: dict) -> Section:
    return Section(data["id"], data["issue_id"], data["position"], data["title"], data["title_generated"],
                   data["dateline"], tuple(data["countries"]))


def _section_to_json(section: Section) -> dict:
    return {"issue_id": section.issue_id, **section.to_json()}


def _passage_from_json(data: dict) -> Passage:
    return Passage(data["id"], data["issue_id"], data["section_id"], data["section"], data["position"],
                   data["text"], tuple(data["countries"]), data["recurring"], data["page"], data["language"])


def corpus_to_json(corpus: Corpus) -> dict:
    return {
        "issues": [issue.to_json() for issue in corpus.issues],
        "sections": [_section_to_json(s) for s in corpus.sections],
        "passages": [p.to_json() for p in corpus.passages],
    }


def corpus_from_json(data: dict) -> Corpus:
    return Corpus(
        tuple(_issue_from_json(d) for d in data["issues"]),
        tuple(_section_from_json(d) for d in data["sections"]),
        tuple(_passage_from_json(d) for d in data["passages"]),
    )


class JsonRows(Sequence):
    """Records stored as one JSON object each (a Strings column), made by `make` when read."""

    def __init__(self, rows: Strings, make):
        self._rows = rows
        self._make = make

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: int):  # type: ignore[override]
        return self._make(json.loads(self._rows[index]))


def write_corpus(generation: Path, corpus: Corpus) -> None:
    """`corpus` into `generation`: documents.json and the issue, section and passage columns."""
    counts = {"issues": len(corpus.issues), "sections": len(corpus.sections), "passages": len(corpus.passages)}
    (generation / DOCUMENTS_FILE).write_text(json.dumps(counts), encoding="utf-8")
    position = {issue.id: n for n, issue in enumerate(corpus.issues)}

    issues = generation / ISSUES_DIR
    issues.mkdir()
    Strings.write(issues, "json", [json.dumps(issue.to_json(), ensure_ascii=False) for issue in corpus.issues])
    Strings.write(issues, "id", [issue.id for issue in corpus.issues])
    SortedLookup.write(issues, "id", [issue.id for issue in corpus.issues])
    days = IssueDays.of(corpus.issues)
    for name in ("first", "last", "year"):
        write_array(issues / f"{name}.npy", getattr(days, name))

    sections = generation / SECTIONS_DIR
    sections.mkdir()
    Strings.write(sections, "json", [json.dumps(_section_to_json(s), ensure_ascii=False) for s in corpus.sections])
    write_array(sections / "issue.position.npy", np.array([position[s.issue_id] for s in corpus.sections], np.int32))

    passages = generation / PASSAGES_DIR
    write_records(passages, corpus.passages, Passage)
    SortedLookup.write(passages, "id", [p.id for p in corpus.passages])
    write_array(passages / "issue.position.npy", np.array([position[p.issue_id] for p in corpus.passages], np.int32))
    section_position = {section.id: n for n, section in enumerate(corpus.sections)}
    write_array(passages / "section.position.npy",
                np.array([section_position[p.section_id] for p in corpus.passages], np.int32))
    write_array(passages / "countries.bits.npy", np.array([country_bits(p.countries) for p in corpus.passages], np.uint8))
    Strings.write(generation, WORDS, words_by_use([*(p.text for p in corpus.passages), *(s.title for s in corpus.sections)]))
    write_array(passages / "language.code.npy", np.array([language_codes([p.language])[0] for p in corpus.passages], np.uint8))


class Grouping:
    """Rows grouped by an owner's position (passages or sections by issue), in row order within a group."""

    def __init__(self, owner_of: np.ndarray, owners: int):
        self._order = np.argsort(owner_of, kind="stable")
        self._starts = np.searchsorted(owner_of[self._order], np.arange(owners + 1))

    def rows(self, owner: int) -> np.ndarray:
        return self._order[self._starts[owner]:self._starts[owner + 1]]


@dataclass(frozen=True)
class StoredCorpus:
    """An opened generation's documents.  `issues`, `sections` and `passages` build a record when one is
    read; the arrays hold, per passage (in ordinal order), what filters, facets and fusion need of it."""

    issues: Sequence[Issue]
    issue_ids: tuple[str, ...]  # decoded once: facets name every issue a result holds
    days: IssueDays
    sections: Sequence[Section]
    passages: Records[Passage]
    issue_of: np.ndarray  # int32: the position in `issues` of each passage's issue
    section_of: np.ndarray  # int32: the position in `sections` of each passage's story
    country_bits: np.ndarray  # uint8: bit i set when the passage names COUNTRIES[i]
    language_codes: np.ndarray  # uint8: the position of the passage's language in LANGUAGES
    words: Strings  # the archive's words, the most used first (index.search.suggest.words_by_use)
    recurring: np.ndarray  # bool
    issue_lookup: SortedLookup
    passage_lookup: SortedLookup
    sections_by_issue: Grouping
    passages_by_issue: Grouping

    def issue_position(self, issue_id: str) -> int | None:
        return self.issue_lookup.find(issue_id)

    def ordinal_of(self, passage_id: str) -> int | None:
        return self.passage_lookup.find(passage_id)


def read_corpus(generation: Path) -> StoredCorpus:
    """The documents of `generation`, mapped; ValueError (or an OSError, KeyError) when they do not fit
    together."""
    counts = json.loads((generation / DOCUMENTS_FILE).read_text(encoding="utf-8"))
    issues, sections, passages = (generation / name for name in (ISSUES_DIR, SECTIONS_DIR, PASSAGES_DIR))
    issue_rows, issue_ids, section_rows = Strings.open(issues, "json"), Strings.open(issues, "id"), Strings.open(sections, "json")
    days = IssueDays(*(open_array(issues / f"{name}.npy") for name in ("first", "last", "year")))
    records = Records.open(passages, Passage)
    issue_of = open_array(passages / "issue.position.npy")
    section_of = open_array(passages / "section.position.npy")
    section_issue = open_array(sections / "issue.position.npy")
    bits = open_array(passages / "countries.bits.npy")
    languages = open_array(passages / "language.code.npy")
    words = Strings.open(generation, WORDS)
    for column in (issue_rows, issue_ids, section_rows, words):
        column.check(generation.name)
    if ([len(issue_rows), len(issue_ids), len(days.first), len(days.last), len(days.year)] != [counts["issues"]] * 5
            or len(section_rows) != len(section_issue) or len(section_rows) != counts["sections"]
            or len(records) != counts["passages"] or len(issue_of) != len(records) or len(bits) != len(records)
            or len(languages) != len(records) or len(section_of) != len(records)):
        raise ValueError(f"{DOCUMENTS_FILE}: the columns do not hold the issues, sections and passages it counts")
    for owner_of in (issue_of, section_issue):
        if len(owner_of) and (int(owner_of.min()) < 0 or int(owner_of.max()) >= counts["issues"]):
            raise ValueError("a passage or section names an issue the generation does not hold")
    if len(section_of) and (int(section_of.min()) < 0 or int(section_of.max()) >= counts["sections"]):
        raise ValueError("a passage names a section the generation does not hold")
    return StoredCorpus(
        JsonRows(issue_rows, _issue_from_json), tuple(issue_ids), days, JsonRows(section_rows, _section_from_json), records,
        issue_of, section_of, bits, languages, words, records.column("recurring"), SortedLookup.open(issues, "id", issue_ids),
        SortedLookup.open(passages, "id", records.column("id")), Grouping(section_issue, counts["issues"]),
        Grouping(issue_of, counts["issues"]))
