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
from index.figures.figure_index import FIGURES_FILE, write_figure_index
from index.ingest.catalog import CATALOG_NAME, Catalog, load_catalog
from index.ingest.reader import ISSUE_SUFFIXES, UnreadableFile, read_issue
from index.records import Corpus, ParsedIssue
from index.search.keyword import build_keyword_index
from index.store.generations import (Store, corpus_fingerprint, file_sha256, read_manifest, verify_checksums,
                                     write_documents)
from index.store.reuse import ParseCache, code_digest, reusable_outputs, take_over
from index.store.storage_errors import storage_errors


@dataclass
class BuildReport:
    generation: Path | None = None
    issues: int = 0
    passages: int = 0
    embedded: int = 0  # passages whose vectors were computed, not taken from the cache
    reused: list[str] = field(default_factory=list)  # files taken over from the served generation
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall time

    def to_json(self) -> dict:
        return {"generation": self.generation.name if self.generation else None, "issues": self.issues,
                "passages": self.passages, "embedded": self.embedded, "reused": self.reused,
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
    generation of `store` and switch to it.  The keyword and figure indexes are taken over from the
    served generation where index.store.reuse allows.  Anything that fails or is interrupted leaves no
    trace and the served generation as it was."""
    manifest = {**manifest, "code_digest": code_digest(), "model": model.model_id,
                "embedding_backend": model.backend}  # how the vectors were computed (index.embed)
    building = store.new_generation()
    try:
        write_documents(building / "documents.json", corpus)
        previous, previous_manifest = _served(store)
        reused = reusable_outputs(previous, previous_manifest, manifest, file_sha256(building / "documents.json"))
        report.reused = take_over(previous, previous_manifest, building, reused) if reused else []

        stage = time.perf_counter()
        cache = VectorCache(store.cache_path)
        try:
            with _progress_bar(len(corpus.passages), show_progress) as bar:
                matrix, report.embedded = embed_with_cache(
                    model, [p.embedding_text for p in corpus.passages], cache, bar.update)
        finally:
            cache.close()
        np.save(building / "vectors.npy", matrix)
        report.seconds["embed"] = time.perf_counter() - stage

        stage = time.perf_counter()
        if not (building / "keyword").is_dir():
            build_keyword_index(building / "keyword", corpus.passages)
        report.seconds["keyword"] = time.perf_counter() - stage

        stage = time.perf_counter()
        if not (building / FIGURES_FILE).exists():
            # A benchmark collection (with_figures=False) is there to measure text retrieval: no figures.
            figures_of = corpus if with_figures else Corpus(corpus.issues, corpus.sections, ())
            write_figure_index(building, figures_of, model, store.cache_path, int(matrix.shape[1]), show_progress)
        report.seconds["figures"] = time.perf_counter() - stage
        return store.commit(building, {
            **manifest,
            "dimension": int(matrix.shape[1]),
            "passages": len(corpus.passages),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        })
    except BaseException:
        store.discard(building)
        raise


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
    parse_cache.forget_unused()
    report.seconds["total"] = time.perf_counter() - started
    return report
