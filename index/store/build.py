"""Building the index: archive files -> parsed issues -> keyword index + vectors -> a new generation.

A file that cannot be read is skipped and reported; anything else that goes wrong (a broken
catalog, no readable issue at all, an interrupted embedding) fails the whole build, and the
generation being served stays as it was.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.config import Settings
from index.embed.cache import VectorCache, embed_with_cache
from index.embed.models import ModelSource, backend_for, load_word_pieces, model_id
from index.embed.protocol import Embedder, WordPieces
from index.errors import ArchiveError
from index.figures.tables import build_figure_tables
from index.ingest.catalog import CATALOG_NAME, Catalog, load_catalog
from index.ingest.reader import ISSUE_SUFFIXES, UnreadableFile, read_issue
from index.records import Corpus, ParsedIssue
from index.search.keyword import build_keyword_index, compact_keyword_index, segment_health, update_keyword_index
from index.store.columns import write_array
from index.store.documents import read_corpus, write_corpus
from index.store.figure_files import (
    FIGURES_DIR,
    SERIES_FILES,
    read_figure_tables,
    regroup_series,
    updated_figure_tables,
    write_figure_tables,
    write_series,
)
from index.store.generations import Store, corpus_fingerprint, load_vectors, read_manifest, verify_checksums
from index.store.increments import PassageChanges, kept_vectors, passage_changes
from index.store.reuse import (
    KEYWORD_DIR,
    ParseCache,
    Served,
    code_digest,
    figure_files,
    keyword_files_to_update,
    same_documents,
    served_for,
    take_over,
)
from index.store.storage_errors import storage_errors

# A keyword index updated build after build is merged into one segment (in a further generation, after
# the updated one is served) once this share of its documents are deleted ones, or it has this many segments.
COMPACT_DELETED_SHARE = 0.2
COMPACT_SEGMENTS = 10


@dataclass
class BuildReport:
    generation: Path | None = None
    issues: int = 0
    passages: int = 0
    embedded: int = 0  # passages whose vectors were computed, not taken from the cache
    reused: list[str] = field(default_factory=list)  # files taken over from the served generation
    updated: dict[str, dict[str, int]] = field(default_factory=dict)  # index -> what an update changed
    served_first: Path | None = None  # an update served before `generation`, which regrouped its series or merged its index
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall time

    def to_json(self) -> dict:
        return {"generation": self.generation.name if self.generation else None, "issues": self.issues,
                "passages": self.passages, "embedded": self.embedded, "reused": self.reused, "updated": self.updated,
                "served_first": self.served_first.name if self.served_first else None,
                "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def archive_files(archive_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The issue files of the archive, and the other files with why they are not read.

    A file's name without its suffix is its issue id, so of `x.md` and `x.pdf` only the first is read.
    """
    if not archive_dir.is_dir():
        raise ArchiveError(f"archive directory {archive_dir} does not exist")
    issues, ignored = [], []
    by_id: dict[str, str] = {}
    for path in sorted(archive_dir.iterdir()):
        if path.name.startswith(".") or path.name == CATALOG_NAME:
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(archive_dir.resolve()):
            ignored.append((path.name, "a link to a file outside the archive; put the file itself there"))
        elif path.is_file() and path.suffix.lower() in ISSUE_SUFFIXES:
            if path.stem in by_id:
                reason = f"issue id {path.stem!r} is already that of {by_id[path.stem]}; rename one of them"
                ignored.append((path.name, reason))
            else:
                by_id[path.stem] = path.name
                issues.append(path)
        else:
            ignored.append((path.name, f"not a newsletter issue (expected {', '.join(ISSUE_SUFFIXES)})"))
    return issues, ignored


def stale_reason(settings: Settings) -> str | None:
    """Why the served index does not match `archive/` and this code, or None when it does."""
    store = Store(settings.index_dir)
    try:
        current = store.current()
        if current is None:
            return "no index has been built yet"
        manifest = read_manifest(current)
        verify_checksums(current, manifest)  # a damaged generation must be built again, not served
    except ArchiveError as exc:
        return str(exc)
    files, _ = archive_files(settings.archive_dir)
    catalog = settings.archive_dir / CATALOG_NAME
    if manifest.get("fingerprint") != corpus_fingerprint(files + ([catalog] if catalog.exists() else [])):
        return "the archive has changed since the index was built"
    if manifest.get("model_config") != settings.model:
        wanted = settings.model or "the packaged default"
        return f"the index was built with model {manifest.get('model')}, the configuration asks for {wanted}"
    if manifest.get("embedding_backend", "torch") != backend_for(settings.embedding):
        return (f"the index was built with embedding backend {manifest.get('embedding_backend', 'torch')}, "
                f"the configuration asks for {backend_for(settings.embedding)}")
    return None


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _progress_bar(total: int, show: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="passage", disable=not show, file=sys.stderr)


def read_archive(settings: Settings, report: BuildReport,
                 parse_cache: ParseCache | None = None) -> tuple[Corpus, str]:
    """Parse every readable issue of the archive, oldest first, and fingerprint what was read.

    Files `parse_cache` has parsed before are taken from it.  Unreadable files are recorded in
    `report.skipped` and warned about; ArchiveError when none is left.
    """
    files, ignored = archive_files(settings.archive_dir)
    catalog_path = settings.archive_dir / CATALOG_NAME
    catalog = load_catalog(settings.archive_dir)
    pieces = functools.cache(lambda: load_word_pieces(settings.embedding))  # only when a file is parsed
    parsed = []
    for path in files:
        try:
            parsed.append(_parse(path, catalog, parse_cache, pieces))
        except UnreadableFile as exc:
            report.skipped.append((path.name, str(exc).removeprefix(f"{path.name}: ")))
    report.skipped += ignored
    for name, reason in report.skipped:
        _warn(f"skipped {name}: {reason}")
    if not parsed:
        raise ArchiveError(f"no readable newsletter issue in {settings.archive_dir}; the index was not changed")
    parsed.sort(key=lambda p: (p.issue.date.first_day if p.issue.date else "9999", p.issue.id))
    corpus = Corpus(tuple(p.issue for p in parsed), tuple(s for p in parsed for s in p.sections),
                    tuple(x for p in parsed for x in p.passages))
    fingerprint = corpus_fingerprint(files + ([catalog_path] if catalog_path.exists() else []))
    return corpus, fingerprint


def _parse(path: Path, catalog: Catalog, parse_cache: ParseCache | None,
           pieces: Callable[[], WordPieces]) -> ParsedIssue:
    """`path` parsed, its passages sized for the tokenizer `pieces()` gives (the embedding model's)."""
    if parse_cache is None:
        return read_issue(path, catalog, pieces())
    key = parse_cache.key(path, catalog)
    parsed = parse_cache.get(key)
    if parsed is None:
        parsed = read_issue(path, catalog, pieces())
        parse_cache.put(key, parsed)
    return parsed


def write_generation(store: Store, corpus: Corpus, model: ModelSource, manifest: dict,
                     report: BuildReport, show_progress: bool, with_figures: bool = True) -> Path:
    """Index `corpus` (documents, vectors, keyword index, and unless told not to, figures) into a new
    generation of `store` and switch to it.  What the served generation holds is taken over where
    index.store.reuse allows: whole when the documents are the same, else updated passage by passage.
    Anything that fails or is interrupted leaves no trace and the served generation as it was."""
    manifest = {**manifest, "code_digest": code_digest(), "model": model.model_id,
                "embedding_backend": model.backend}  # how the vectors were computed (index.embed)
    building = store.new_generation()
    try:
        write_corpus(building, corpus)
        served = served_for(*_served(store), manifest)
        known: dict[str, str] = {}  # checksums of files that need no hashing at commit
        same = same_documents(served, building) if served else None
        changes = passage_changes(read_corpus(served.path), corpus) if served and same is None else None
        if same is not None:
            taken = served.named(KEYWORD_DIR) + (figure_files(served) if served.same_model else [])
            if take_over(served.path, served.manifest["checksums"], building, taken):
                report.reused = taken
                known.update(same, **served.checksums(taken))
                if served.same_model:
                    manifest["series_complete"] = served.manifest.get("series_complete", True)

        stage = time.perf_counter()
        matrix, report.embedded = _passage_vectors(corpus, model, store, served, changes, show_progress)
        write_array(building / "vectors.npy", matrix)
        report.seconds["embed"] = time.perf_counter() - stage

        stage = time.perf_counter()
        if not (building / KEYWORD_DIR).is_dir():
            _keyword_index(building, corpus, served, changes, report, known)
        report.seconds["keyword"] = time.perf_counter() - stage

        stage = time.perf_counter()
        if not (building / FIGURES_DIR).is_dir():
            # A benchmark collection (with_figures=False) is there to measure text retrieval: no figures.
            figures_of = corpus if with_figures else Corpus(corpus.issues, corpus.sections, ())
            dimension = int(matrix.shape[1])
            if changes is not None and served.same_model and with_figures:
                earlier = read_figure_tables(served.path, served.manifest["dimension"])
                tables, read = updated_figure_tables(earlier, changes.same_text, corpus, model, store.cache_path,
                                                     dimension, show_progress)
                report.updated["figures"] = {"passages_read": read, "figures": len(tables)}
            else:
                tables = build_figure_tables(figures_of, model, store.cache_path, dimension, show_progress)
            manifest["series_complete"] = "figures" not in report.updated  # else grouped after it is served
            write_figure_tables(building, tables)
        report.seconds["figures"] = time.perf_counter() - stage
        return store.commit(building, {
            **manifest,
            "dimension": int(matrix.shape[1]),
            "passages": len(corpus.passages),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }, known)
    except BaseException:
        store.discard(building)
        raise


def _passage_vectors(corpus: Corpus, model: ModelSource, store: Store, served: Served | None,
                     changes: PassageChanges | None, show_progress: bool) -> tuple[np.ndarray, int]:
    """The passage vectors of `corpus` and how many were embedded: the served generation's for passages
    that did not change (same model), the rest from the vector cache or the model."""
    texts = [p.embedding_text for p in corpus.passages]
    kept, kept_rows = np.zeros(0, dtype=np.int64), None
    if changes is not None and served.same_model:
        kept, kept_rows = kept_vectors(changes, load_vectors(served.path, served.manifest))
    missing = np.setdiff1d(np.arange(len(texts)), kept)
    matrix, embedded = kept_rows, 0
    if len(missing) or not len(kept):
        cache = VectorCache(store.cache_path)
        try:
            with _progress_bar(len(texts), show_progress) as bar:
                bar.update(len(kept))
                fresh, embedded = embed_with_cache(model, [texts[i] for i in missing], cache, bar.update)
        finally:
            cache.close()
        matrix = fresh
    if len(kept):
        matrix = np.zeros((len(texts), kept_rows.shape[1]), dtype=np.float32)
        matrix[kept] = kept_rows
        if len(missing):
            matrix[missing] = fresh
    return matrix, embedded


def _keyword_index(building: Path, corpus: Corpus, served: Served | None, changes: PassageChanges | None,
                   report: BuildReport, known: dict[str, str]) -> None:
    """The keyword index of `corpus`: the served one updated where there is one, else written anew."""
    directory = building / KEYWORD_DIR
    copied = keyword_files_to_update(served) if changes is not None else []
    if not copied or not take_over(served.path, served.manifest["checksums"], building, copied):
        build_keyword_index(directory, corpus.passages)
        return
    update_keyword_index(directory, corpus.passages, changes.removed, changes.added)
    report.reused += copied
    report.updated["keyword"] = changes.summary
    known.update(served.checksums(copied))  # Whoosh writes new files beside them, never into them


def complete_after_serving(store: Store, generation: Path, corpus: Corpus, report: BuildReport) -> None:
    """What an update leaves for after it is served, in a further generation (the rest copied): the
    series grouped again over all figures, and when the keyword index has gathered many deleted
    documents or segments, the index merged into one segment.  The update is served already, so a
    failure here (a full disk, say) is a warning: the next build tries again."""
    manifest = read_manifest(generation)
    segments, documents, deleted = segment_health(generation / KEYWORD_DIR)
    compact = deleted > COMPACT_DELETED_SHARE * documents or segments > COMPACT_SEGMENTS
    regroup = not manifest.get("series_complete", True)
    if not (compact or regroup):
        return
    stage = time.perf_counter()
    building = store.new_generation()
    try:
        rewritten = {f"{FIGURES_DIR}/{name}" for name in SERIES_FILES} if regroup else set()
        names = [name for name in manifest["checksums"] if name not in rewritten]
        if not take_over(generation, manifest["checksums"], building, names):
            store.discard(building)  # damaged since it was committed: the next build starts over
            return
        if compact:
            compact_keyword_index(building / KEYWORD_DIR, corpus.passages)
        if regroup:
            write_series(building, *regroup_series(generation, corpus, manifest["dimension"]))
        kept = {name: manifest["checksums"][name] for name in names if not name.startswith(f"{KEYWORD_DIR}/")}
        manifest = {k: v for k, v in manifest.items() if k not in ("checksums", "stamps")}
        report.served_first = generation
        report.generation = store.commit(building, {**manifest, "series_complete": True}, kept)
    except (OSError, ArchiveError) as exc:
        store.discard(building)
        _warn(f"{generation.name} is served; grouping its figure series or merging its keyword index "
              f"failed ({exc}) and is left to the next build")
        return
    except BaseException:
        store.discard(building)
        raise
    report.seconds["after_serving"] = time.perf_counter() - stage


def _served(store: Store) -> tuple[Path | None, dict | None]:
    """The served generation and its manifest; (None, None) when there is none or it cannot be read."""
    try:
        current = store.current()
        return (current, read_manifest(current)) if current else (None, None)
    except ArchiveError:
        return None, None


def build_index(settings: Settings, show_progress: bool = True, embedder: Embedder | None = None) -> BuildReport:
    """Build a new generation from `settings.archive_dir` and switch to it when complete; StorageError
    (the served generation untouched) when the disk refuses.  Vectors come from the configured model,
    or from `embedder` (the benchmark's approximation, say)."""
    with storage_errors(f"building the index in {settings.index_dir}", "The index being served is as it was."):
        return _build_index(settings, show_progress, embedder)


def _build_index(settings: Settings, show_progress: bool, embedder: Embedder | None) -> BuildReport:
    report = BuildReport()
    started = time.perf_counter()
    store = Store(settings.index_dir)
    parse_cache = ParseCache(store.parse_cache_dir, model_id(settings.model))
    corpus, fingerprint = read_archive(settings, report, parse_cache)
    report.issues, report.passages = len(corpus.issues), len(corpus.passages)
    report.seconds["parse"] = time.perf_counter() - started
    model = ModelSource.loaded(embedder) if embedder else ModelSource.configured(settings.embedding)
    report.generation = write_generation(store, corpus, model, {
        "fingerprint": fingerprint,
        "model_config": settings.model,  # None: the packaged default
        "files": [issue.source for issue in corpus.issues],
        "skipped": [{"file": f, "reason": r} for f, r in report.skipped],
    }, report, show_progress)
    complete_after_serving(store, report.generation, corpus, report)
    parse_cache.forget_unused()
    report.seconds["total"] = time.perf_counter() - started
    return report
