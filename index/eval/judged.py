"""Retrieval evaluation: judged queries, the metrics of `eval/README.md`, and a side-by-side report.

The definitions are those of the README, word for word:

- a passage *hits* a target when the normalised passage text contains the normalised phrase;
- each target is credited at most once, to the first passage that hits it; a passage hitting several
  uncredited targets takes the highest grade among them and credits all of them;
- gain = credited grade, DCG@k = sum of (2^gain - 1) / log2(r + 1), IDCG@k the same over the targets
  sorted by grade (one target a rank, cut at k), nDCG@k = DCG@k / IDCG@k;
- Recall@k = credited targets / all targets; MRR@k = 1 / rank of the first passage hitting any target.

A mode's figure is the mean over its queries, overall and per query kind.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from index.errors import BadRequest
from index.eval.fts5 import Fts5Baseline
from index.facade import LIMITS, Archive

OVERALL = "overall"

T = TypeVar("T")

_CHARACTER_MAP = str.maketrans(
    {
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "*": None,
        "_": None,
        "#": None,
        "`": None,
        "\\": None,
    }
)

Ranker = Callable[[str, int], Sequence[tuple[str, str]]]
"""Takes (query text, k), returns the ranked (passage_id, passage_text) pairs, best first."""


def normalise(text: str) -> str:
    """The README's normalisation, applied to passage texts and target phrases alike.

    Whitespace is collapsed with `str.split`, which also drops it at both ends: a phrase with a
    stray leading or trailing space still matches where the words do.
    """
    text = unicodedata.normalize("NFKC", text).translate(_CHARACTER_MAP)
    return " ".join(text.split()).lower()


@dataclass(frozen=True)
class Target:
    """A judged phrase: grade 2 is the answer, grade 1 useful context."""

    contains: str
    grade: int


@dataclass(frozen=True)
class JudgedQuery:
    id: str
    kind: str
    query: str
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Scores:
    ndcg: float
    recall: float
    mrr: float

    def to_json(self) -> dict:
        return {"ndcg": self.ndcg, "recall": self.recall, "mrr": self.mrr}


# ---------------------------------------------------------------------------------------------
# Loading the judged queries


def load_queries(path: str | Path) -> list[JudgedQuery]:
    """Read a `queries.jsonl` file; any defect raises `BadRequest` naming the file and line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise BadRequest(f"{path}: cannot read the judged queries ({error})") from error
    queries: list[JudgedQuery] = []
    seen_ids: set[str] = set()
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            query = _parse_query(line)
        except ValueError as error:
            raise BadRequest(f"{path}, line {line_number}: {error}") from error
        if query.id in seen_ids:
            raise BadRequest(f"{path}, line {line_number}: query id {query.id!r} is used twice")
        seen_ids.add(query.id)
        queries.append(query)
    if not queries:
        raise BadRequest(f"{path}: holds no judged queries")
    return queries


def _parse_query(line: str) -> JudgedQuery:
    """One line to a query; a `ValueError` says what is wrong with it (json's errors are ValueErrors)."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    relevant = _required(record, "relevant", list)
    if not relevant:
        raise ValueError("'relevant' lists no targets")
    return JudgedQuery(
        id=_required(record, "id", str),
        kind=_required(record, "kind", str),
        query=_required(record, "query", str),
        targets=tuple(_parse_target(entry) for entry in relevant),
    )


def _parse_target(entry: object) -> Target:
    if not isinstance(entry, dict):
        raise ValueError("each 'relevant' entry must be a JSON object")
    contains = _required(entry, "contains", str)
    grade = _required(entry, "grade", int)
    if not normalise(contains):
        raise ValueError("a target phrase is empty after normalisation")
    if isinstance(grade, bool) or grade < 1:
        raise ValueError(f"grade must be a positive integer, not {grade!r}")
    return Target(contains=contains, grade=grade)


def _required(record: dict, name: str, kind: type[T]) -> T:
    if name not in record:
        raise ValueError(f"missing field {name!r}")
    value = record[name]
    if not isinstance(value, kind):
        raise ValueError(f"field {name!r} must be a {kind.__name__}, not {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------------------------
# Scoring one ranked list


def score(ranked_texts: Sequence[str], targets: Sequence[Target], k: int = 10) -> Scores:
    """nDCG@k, Recall@k and MRR@k of one ranked list of passage texts against judged targets."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    if not targets:
        raise ValueError("a query needs at least one target to be scored")
    phrases = [normalise(target.contains) for target in targets]
    credited: set[int] = set()  # indexes into targets
    dcg = 0.0
    first_hit_rank: int | None = None
    for rank, text in enumerate(ranked_texts[:k], start=1):
        passage = normalise(text)
        hit = {i for i, phrase in enumerate(phrases) if phrase in passage}
        if hit and first_hit_rank is None:
            first_hit_rank = rank
        newly_credited = hit - credited
        if newly_credited:
            gain = max(targets[i].grade for i in newly_credited)
            dcg += _discounted(gain, rank)
            credited |= newly_credited
    return Scores(
        ndcg=dcg / _ideal_dcg(targets, k),
        recall=len(credited) / len(targets),
        mrr=1.0 / first_hit_rank if first_hit_rank else 0.0,
    )


def _discounted(gain: int, rank: int) -> float:
    return (2**gain - 1) / math.log2(rank + 1)


def _ideal_dcg(targets: Sequence[Target], k: int) -> float:
    """Every target at its own rank, best grade first, as many as fit in k."""
    grades = sorted((target.grade for target in targets), reverse=True)[:k]
    return sum(_discounted(grade, rank) for rank, grade in enumerate(grades, start=1))


def mean_scores(scores: Sequence[Scores]) -> Scores:
    if not scores:
        raise ValueError("no scores to average")
    count = len(scores)
    return Scores(
        ndcg=sum(s.ndcg for s in scores) / count,
        recall=sum(s.recall for s in scores) / count,
        mrr=sum(s.mrr for s in scores) / count,
    )


# ---------------------------------------------------------------------------------------------
# Evaluating several modes side by side


@dataclass(frozen=True)
class Run:
    """What one mode returned for one query (cut at k), and how it scored."""

    query_id: str
    kind: str
    mode: str
    hits: tuple[tuple[str, str], ...]  # (passage_id, passage_text), best first
    scores: Scores

    def to_json(self) -> dict:
        return {
            "id": self.query_id,
            "mode": self.mode,
            "hits": [{"passage_id": passage_id, "text": text} for passage_id, text in self.hits],
        }


@dataclass(frozen=True)
class Row:
    """A mode's mean scores over one group of queries: all of them (`OVERALL`) or one kind."""

    mode: str
    group: str
    queries: int
    scores: Scores


@dataclass(frozen=True)
class Report:
    """Rows in order: for each mode (as given), the overall row, then one per kind (first seen first)."""

    k: int
    rows: tuple[Row, ...]
    runs: tuple[Run, ...]

    def scores(self, mode: str, group: str = OVERALL) -> Scores:
        for row in self.rows:
            if row.mode == mode and row.group == group:
                return row.scores
        raise KeyError((mode, group))

    def to_json(self) -> dict:
        """`{"k": 10, "modes": {mode: {group: {"ndcg", "recall", "mrr", "queries"}}}}`."""
        modes: dict[str, dict[str, dict]] = {}
        for row in self.rows:
            modes.setdefault(row.mode, {})[row.group] = {
                **row.scores.to_json(),
                "queries": row.queries,
            }
        return {"k": self.k, "modes": modes}

    def runs_jsonl_lines(self) -> Iterator[str]:
        """One JSON line per (query, mode): `{"id", "mode", "hits": [{"passage_id", "text"}]}`."""
        for run in self.runs:
            yield json.dumps(run.to_json(), ensure_ascii=False)


def evaluate(queries: Sequence[JudgedQuery], rankers: Mapping[str, Ranker], k: int = 10) -> Report:
    """Run every query through every ranker and score the first k passages each returns."""
    if not queries:
        raise ValueError("no queries to evaluate")
    runs = tuple(
        _run(query, mode, ranker, k) for mode, ranker in rankers.items() for query in queries
    )
    kinds = list(dict.fromkeys(query.kind for query in queries))
    rows = tuple(_row(mode, group, runs) for mode in rankers for group in [OVERALL, *kinds])
    return Report(k=k, rows=rows, runs=runs)


def _run(query: JudgedQuery, mode: str, ranker: Ranker, k: int) -> Run:
    hits = tuple((passage_id, text) for passage_id, text in ranker(query.query, k)[:k])
    return Run(
        query_id=query.id,
        kind=query.kind,
        mode=mode,
        hits=hits,
        scores=score([text for _, text in hits], query.targets, k),
    )


def _row(mode: str, group: str, runs: Sequence[Run]) -> Row:
    scores = [
        run.scores
        for run in runs
        if run.mode == mode and (group == OVERALL or run.kind == group)
    ]
    return Row(mode=mode, group=group, queries=len(scores), scores=mean_scores(scores))


# ---------------------------------------------------------------------------------------------
# A plain-text table


def format_table(report: Report) -> str:
    """One line per row of the report, columns aligned, figures to 3 decimals."""
    k = report.k
    header = ["mode", "kind", f"nDCG@{k}", f"Recall@{k}", f"MRR@{k}", "queries"]
    body = [
        [
            row.mode,
            row.group,
            f"{row.scores.ndcg:.3f}",
            f"{row.scores.recall:.3f}",
            f"{row.scores.mrr:.3f}",
            str(row.queries),
        ]
        for row in report.rows
    ]
    widths = [max(len(line[column]) for line in [header, *body]) for column in range(len(header))]
    return "\n".join(_format_line(line, widths) for line in [header, *body])


def _format_line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Names left-aligned, figures right-aligned."""
    names = [cell.ljust(width) for cell, width in zip(cells[:2], widths[:2])]
    figures = [cell.rjust(width) for cell, width in zip(cells[2:], widths[2:])]
    return "  ".join(names + figures)


def evaluate_archive(archive: Archive, queries_path: Path, k: int = 10) -> Report:
    """The judged queries of `queries_path` scored for each mode of `archive` (its passages, not grouped
    by story: the targets are passages) and for the plain FTS5 baseline over the same passages."""
    passages = archive.passages
    baseline = Fts5Baseline(passages)

    def ranker(mode: str) -> Ranker:
        return lambda query, depth: [(h.passage.id, h.passage.text)
                                     for h in archive.search(query, mode=mode, k=depth, group="passage").hits]

    def fts5(query: str, depth: int) -> list[tuple[str, str]]:
        return [(passages[o].id, passages[o].text) for o in baseline.search(query, depth)]

    return evaluate(load_queries(queries_path), {**{mode: ranker(mode) for mode in LIMITS.modes}, "fts5": fts5}, k)
