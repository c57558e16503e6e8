"""Calibrating what a match is and when a passage that does not match is related by meaning
(index.search.matching), on the judged sets: the archive's judged queries and a BEIR collection.

For each match rule: nDCG@10 of keyword mode (what matches, best first) and of hybrid mode (matches,
then passages related by meaning), and the share of the matches that are judged relevant.  For each
related-by-meaning threshold: of the passages that do not match but that the semantic side ranks
(what hybrid search showed by meaning before there was a threshold), the share of the judged relevant
ones it keeps and of the others it drops; hybrid nDCG@10; and what a few probe queries show.
Everything a rule or a threshold needs is computed once per query; each setting is then a few array
operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.config import Settings
from index.eval.beir import BEIR_PASSAGE_DEPTH, _collection_archive, best_passage_per_document, load_collection, measure
from index.eval.judged import load_queries, normalise, score
from index.facade import Archive
from index.search.matching import MATCH_RULE, RELATED, MatchRule, RelatedThreshold
from index.search.ordering import relevance_order

RULES = {
    "any word": MatchRule(all_up_to=0, share=0.0),
    "half (3<50%)": MatchRule(all_up_to=3, share=0.5),
    "3<60%": MatchRule(all_up_to=3, share=0.6),
    "3<75%": MatchRule(all_up_to=3, share=0.75),
    "all words": MatchRule(all_up_to=10**6),
}
THRESHOLDS = [RelatedThreshold(similarity, margin) for similarity in (0.15, 0.2, 0.25, 0.3, 0.35)
              for margin in (0.0, 0.08, 0.1, 0.12, 0.15, 0.2)]
# Queries to see a threshold at work: nonsense and off-topic ones should show nothing related, the
# others (a misspelling, a word the archive does not use, a paraphrase) passages close in meaning.
PROBES = ("xyzzyqqq", "asdfgh jkl", "lorem ipsum dolor sit amet", "football world cup final", "trafficing",
          "coronavirus", "trafficking", "counter-trafficking Kyrgyzstan", "money that workers abroad send to their families")


@dataclass(frozen=True)
class Query:
    """One query and everything a setting needs: which passages hold each of its words (None for a
    query with operators, whose matches are `operator_match`), the keyword side's and the fused
    rankings, the cosines, and which passages are judged relevant."""

    id: str
    words: np.ndarray | None
    operator_match: np.ndarray
    keyword: list[int]
    fused: list[int]
    semantic: list[int]
    cosines: np.ndarray
    relevant: np.ndarray

    def match(self, rule: MatchRule) -> np.ndarray:
        if self.words is None:
            return self.operator_match
        return self.words.sum(axis=0) >= rule.required(len(self.words))

    def related(self, rule: MatchRule, threshold: RelatedThreshold) -> np.ndarray:
        match = self.match(rule)
        return np.zeros_like(match) if self.words is None else threshold.related(self.cosines, match)

    def keyword_run(self, rule: MatchRule) -> list[int]:
        return relevance_order(self.keyword, self.match(rule), self.cosines).tolist()

    def hybrid_run(self, rule: MatchRule, threshold: RelatedThreshold) -> list[int]:
        shown = self.match(rule) | self.related(rule, threshold)
        return relevance_order(self.fused, shown, self.cosines).tolist()


def prepare(archive: Archive, queries: Mapping[str, str], relevant: Callable[[str], np.ndarray]) -> list[Query]:
    prepared = []
    for qid, text in queries.items():
        sides = archive.side_rankings(text, "hybrid", BEIR_PASSAGE_DEPTH)
        candidates = archive.candidates(text, "semantic")
        prepared.append(Query(qid, archive.word_matches(text), candidates.match,
                              [o for o, _ in sides["keyword"]], [f.ordinal for f in archive.fusion.fuse(sides)],
                              [o for o, _ in sides["semantic"]], candidates.fallback, relevant(qid)))
    return prepared


@dataclass(frozen=True)
class JudgedSet:
    """Prepared queries and how a set of runs (query id -> ordinals, best first) scores: nDCG@10."""

    name: str
    queries: list[Query]
    ndcg: Callable[[Mapping[str, list[int]]], float]


def archive_set(archive: Archive, queries_path: Path) -> JudgedSet:
    judged = {query.id: query for query in load_queries(queries_path)}
    texts = [normalise(p.text) for p in archive.passages]

    def relevant(qid: str) -> np.ndarray:
        phrases = [normalise(target.contains) for target in judged[qid].targets]
        return np.array([any(phrase in text for phrase in phrases) for text in texts])

    def ndcg(runs: Mapping[str, list[int]]) -> float:
        return float(np.mean([score([archive.passages[o].text for o in runs[qid][:10]], judged[qid].targets).ndcg
                              for qid in runs]))

    return JudgedSet("archive", prepare(archive, {qid: q.query for qid, q in judged.items()}, relevant), ndcg)


def beir_set(directory: Path, settings: Settings, split: str = "train") -> JudgedSet:
    collection = load_collection(directory, split)
    archive = _collection_archive(collection, settings, show_progress=False)
    documents = np.array([p.section_id for p in archive.passages], dtype=object)

    def relevant(qid: str) -> np.ndarray:
        return np.isin(documents, [doc for doc, grade in collection.qrels.get(qid, {}).items() if grade > 0])

    def ndcg(runs: Mapping[str, list[int]]) -> float:
        documented = {qid: best_passage_per_document((documents[o], float(len(run) - place))
                                                     for place, o in enumerate(run)) for qid, run in runs.items()}
        return measure(collection.qrels, documented, 10)["ndcg@10"]

    return JudgedSet(collection.name, prepare(archive, collection.queries, relevant), ndcg)


def rule_rows(sets: Sequence[JudgedSet]) -> list[dict]:
    """Per match rule and judged set: keyword and hybrid nDCG@10 (at the archive's threshold), and the
    share of matches judged relevant (over the queries with any match)."""
    rows = []
    for name, rule in RULES.items():
        row: dict = {"rule": name}
        for judged in sets:
            row[f"{judged.name} keyword"] = judged.ndcg({q.id: q.keyword_run(rule) for q in judged.queries})
            row[f"{judged.name} hybrid"] = judged.ndcg({q.id: q.hybrid_run(rule, RELATED) for q in judged.queries})
            shares = [float(q.relevant[m].mean()) for q in judged.queries if (m := q.match(rule)).any()]
            row[f"{judged.name} relevant share"] = float(np.mean(shares)) if shares else 0.0
        rows.append(row)
    return rows


def threshold_rows(sets: Sequence[JudgedSet], probes: Archive | None = None) -> list[dict]:
    """Per related-by-meaning threshold (at the archive's match rule) and judged set: the share of the
    judged relevant meaning-only passages it keeps, of the others it drops, and hybrid nDCG@10; and
    for each probe query, how many passages it shows as related."""
    probe_queries = prepare(probes, dict(zip(PROBES, PROBES)), lambda _: np.zeros(len(probes.passages), bool)) \
        if probes else []
    rows = []
    for threshold in THRESHOLDS:
        row: dict = {"similarity": threshold.min_similarity, "margin": threshold.min_margin}
        for judged in sets:
            kept, dropped = _kept_and_dropped(judged.queries, threshold)
            row[f"{judged.name} kept"], row[f"{judged.name} dropped"] = kept, dropped
            row[f"{judged.name} hybrid"] = judged.ndcg({q.id: q.hybrid_run(MATCH_RULE, threshold) for q in judged.queries})
        for query in probe_queries:
            row[query.id] = int(query.related(MATCH_RULE, threshold).sum())
        rows.append(row)
    return rows


def _kept_and_dropped(queries: Iterable[Query], threshold: RelatedThreshold) -> tuple[float, float]:
    kept = relevant = dropped = others = 0
    for query in queries:
        pool = np.zeros(len(query.cosines), dtype=bool)
        pool[query.semantic] = True
        pool &= ~query.match(MATCH_RULE)
        related = query.related(MATCH_RULE, threshold)
        relevant += int((pool & query.relevant).sum())
        kept += int((pool & query.relevant & related).sum())
        others += int((pool & ~query.relevant).sum())
        dropped += int((pool & ~query.relevant & ~related).sum())
    return kept / max(1, relevant), dropped / max(1, others)


def format_rows(rows: Sequence[dict]) -> str:
    """A plain table: one line per row, figures to 3 decimals."""
    header = list(rows[0])
    cells = [[f"{value:.3f}" if isinstance(value, float) else str(value) for value in row.values()] for row in rows]
    widths = [max(len(line[n]) for line in [header, *cells]) for n in range(len(header))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(line, widths)) for line in [header, *cells])
