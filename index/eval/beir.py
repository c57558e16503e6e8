"""A public retrieval benchmark in BEIR layout, run through the same engine as the archive.

    <dir>/corpus.jsonl      {"_id", "title", "text"} per document
    <dir>/queries.jsonl     {"_id", "text"} per query
    <dir>/qrels/<split>.tsv query-id <tab> corpus-id <tab> score, with a header line

Each document becomes a section (its title the section title) of one pseudo newsletter issue, and
its text passages sized like the archive's; a document's score is its best passage's.  Metrics are
the standard BEIR ones, computed by trec_eval (pytrec-eval-terrier), not by hand.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from index.config import Settings
from index.embed.models import ModelSource, load_word_pieces, model_identity
from index.embed.protocol import WordPieces
from index.errors import BadRequest
from index.eval.fts5 import Fts5Baseline
from index.facade import Archive
from index.ingest.passages import size_passages
from index.ingest.stories import Paragraph
from index.records import Corpus, Issue, Passage, Section
from index.search.fusion import Fused, Fusion
from index.search.matching import Candidates
from index.search.ordering import relevance_order
from index.store.build import BuildReport, write_generation
from index.store.generations import SCHEMA_VERSION, Store
from index.text.languages import language_of

RUN_DEPTH = 100  # documents per query in a run: enough for Recall@100


@dataclass(frozen=True)
class Collection:
    name: str
    split: str
    documents: list[dict]
    fingerprint: str
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    def corpus(self, pieces: WordPieces) -> Corpus:
        """The documents as sections and passages sized for the tokenizer `pieces` (only needed when
        the index is built)."""
        return _document_corpus(self.name, self.documents, pieces)


def _read_jsonl(path: Path) -> Iterable[dict]:
    if not path.is_file():
        raise BadRequest(f"{path} is missing: not a BEIR collection directory")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BadRequest(f"{path}:{number}: not JSON ({exc.msg})") from None


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise BadRequest(f"{path} is missing: no relevance judgments for this split")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows, None)  # header
        for row in rows:
            if len(row) >= 3:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def _document_corpus(name: str, documents: list[dict], pieces: WordPieces) -> Corpus:
    issue = Issue(name, name, None, None, False, name, None, {})
    sections, passages = [], []
    for position, doc in enumerate(documents, start=1):
        doc_id, title = str(doc["_id"]), " ".join(str(doc.get("title") or "").split())
        sections.append(Section(doc_id, name, position, title, False, None, ()))
        for number, piece in enumerate(size_passages([Paragraph(str(doc.get("text") or title), False)], title, pieces), 1):
            passages.append(Passage(f"{doc_id}#{number}", name, doc_id, title, len(passages) + 1, piece.text, (), False,
                                    language=language_of(piece.text)))
    return Corpus((issue,), tuple(sections), tuple(passages))


def load_collection(directory: Path, split: str) -> Collection:
    """The collection in `directory` with the queries judged in `split`; BadRequest if it is malformed."""
    documents = list(_read_jsonl(directory / "corpus.jsonl"))
    qrels = _read_qrels(directory / "qrels" / f"{split}.tsv")
    queries = {str(q["_id"]): str(q["text"]) for q in _read_jsonl(directory / "queries.jsonl") if str(q["_id"]) in qrels}
    if not documents or not queries:
        raise BadRequest(f"{directory}: no documents, or no queries judged in split {split!r}")
    digest = hashlib.sha256()
    for doc in documents:
        digest.update(json.dumps(doc, sort_keys=True).encode())
    name = directory.resolve().name
    return Collection(name, split, documents, digest.hexdigest(), queries, qrels)


def best_passage_per_document(ranked: Iterable[tuple[str, float]], depth: int = RUN_DEPTH) -> dict[str, float]:
    """A document ranking from a ranking of (document id, passage score): each document scores its
    best passage.  `ranked` is best first, so the first passage seen of a document is its best."""
    run: dict[str, float] = {}
    for doc_id, score in ranked:
        if doc_id not in run:
            run[doc_id] = score
            if len(run) == depth:
                break
    return run


def measure(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], k: int = 10) -> dict[str, float]:
    """nDCG@k, Recall@100 and MRR@k averaged over the judged queries (a query with no results scores 0)."""
    import pytrec_eval

    measures = {f"ndcg_cut_{k}", "recall_100", "recip_rank"}
    full = {qid: run.get(qid, {}) for qid in qrels}
    top_k = {qid: dict(sorted(docs.items(), key=lambda item: -item[1])[:k]) for qid, docs in full.items()}
    per_query = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(full)
    reciprocal = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top_k)

    def mean(values: list[float]) -> float:
        return sum(values) / len(qrels)

    return {
        f"ndcg@{k}": mean([per_query.get(q, {}).get(f"ndcg_cut_{k}", 0.0) for q in qrels]),
        "recall@100": mean([per_query.get(q, {}).get("recall_100", 0.0) for q in qrels]),
        f"mrr@{k}": mean([reciprocal.get(q, {}).get("recip_rank", 0.0) for q in qrels]),
    }


def write_trec_run(path: Path, mode: str, run: dict[str, dict[str, float]]) -> None:
    """A TREC run file: `qid Q0 docid rank score tag`, best first."""
    with path.open("w", encoding="utf-8") as handle:
        for qid, docs in run.items():
            for rank, (doc_id, score) in enumerate(sorted(docs.items(), key=lambda item: -item[1]), start=1):
                handle.write(f"{qid} Q0 {doc_id} {rank} {score:.6f} {mode}\n")


BEIR_PASSAGE_DEPTH = 300  # passages per mode, enough for 100 distinct documents


def _collection_archive(collection: Collection, settings: Settings, show_progress: bool) -> Archive:
    """The index of a benchmark collection, built once and cached by collection, content and model."""
    model_key = hashlib.sha256(model_identity(settings.embedding).encode()).hexdigest()[:8]
    index_dir = (settings.cache_dir / "beir" /
                 f"{collection.name}-{collection.fingerprint[:16]}-{model_key}-schema{SCHEMA_VERSION}")
    store = Store(index_dir)
    if store.current() is None:
        write_generation(store, collection.corpus(load_word_pieces(settings.embedding)),
                         ModelSource.configured(settings.embedding), {"fingerprint": collection.fingerprint},
                         BuildReport(), show_progress, with_figures=False)
    return Archive(store.current(), replace(settings, index_dir=index_dir))


def _document_run(passages: tuple[Passage, ...], ranked: Iterable[tuple[int, float]]) -> dict[str, float]:
    return best_passage_per_document((passages[ordinal].section_id, score) for ordinal, score in ranked)


def _shown(fused: list[Fused], candidates: Candidates) -> list[tuple[int, float]]:
    """What a search shows (index.search.matching: the passages that match and those related by
    meaning, in the order of `fused`), scored by place so that the run keeps that order."""
    shown = relevance_order([f.ordinal for f in fused], candidates.shown, candidates.fallback).tolist()
    return [(ordinal, float(len(shown) - place)) for place, ordinal in enumerate(shown)]


def _beir_runs(archive: Archive, collection: Collection, fusions: Mapping[str, Fusion]) -> dict[str, dict]:
    """Runs of keyword, semantic, each fusion and FTS5, from one pass of side rankings per query; each
    run holds what a search in that mode shows."""
    passages = archive.passages
    baseline = Fts5Baseline(passages)
    runs: dict[str, dict[str, dict[str, float]]] = {name: {} for name in ["keyword", "semantic", *fusions, "fts5"]}
    for qid, text in collection.queries.items():
        sides = archive.side_rankings(text, "hybrid", BEIR_PASSAGE_DEPTH)
        found = {"keyword": archive.candidates(text, "keyword"), "semantic": archive.candidates(text, "semantic")}
        for mode, ranking in sides.items():
            runs[mode][qid] = _document_run(passages, _shown(archive.fusion.fuse({mode: ranking}), found[mode]))
        for name, fusion in fusions.items():
            candidates = {mode: ranking[:fusion.depth] for mode, ranking in sides.items()}
            runs[name][qid] = _document_run(passages, _shown(fusion.fuse(candidates), found["semantic"]))
        fts5 = baseline.search(text, BEIR_PASSAGE_DEPTH)
        runs["fts5"][qid] = _document_run(passages, ((o, 1.0 / rank) for rank, o in enumerate(fts5, start=1)))
    return runs


def evaluate_beir(directory: Path, split: str = "train", k: int = 10, settings: Settings | None = None,
                  runs_out: Path | None = None, show_progress: bool = True,
                  fusions: Mapping[str, Fusion] | None = None) -> dict:
    """nDCG@k, Recall@100 and MRR@k of keyword, semantic, hybrid (the archive's fusion, or each of
    `fusions`) and the FTS5 baseline on a BEIR collection.

    With `runs_out` (a directory), a TREC run file per mode is written there.
    """
    collection = load_collection(directory, split)
    archive = _collection_archive(collection, settings or Settings.from_env(), show_progress)
    runs = _beir_runs(archive, collection, fusions or {"hybrid": archive.fusion})
    if runs_out:
        runs_out.mkdir(parents=True, exist_ok=True)
        for mode, run in runs.items():
            write_trec_run(runs_out / f"{mode}.run", mode, run)
    return {"collection": collection.name, "split": split, "queries": len(collection.queries),
            "modes": {mode: measure(collection.qrels, run, k) for mode, run in runs.items()}}


def fusion_grid() -> dict[str, Fusion]:
    """The fusion settings scripts/tune_fusion compares: RRF and convex, several weights and depths."""
    fusions = {}
    for depth in (50, 100, 300):
        for rrf_k in (10, 30, 60):
            for semantic in (0.7, 1.0, 1.5):
                fusions[f"rrf k={rrf_k} sem={semantic} depth={depth}"] = Fusion("rrf", rrf_k, {"semantic": semantic}, depth)
        for semantic in (0.8, 1.0, 1.5, 2.0, 3.0):
            fusions[f"convex sem={semantic} depth={depth}"] = Fusion("convex", weights={"semantic": semantic}, depth=depth)
    return fusions
