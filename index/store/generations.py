"""The index on disk: generations, their manifest, and the atomic switch between them.

    <index dir>/
      CURRENT                      name of the generation being served (replaced atomically)
      generations/<name>/          one complete build
        manifest.json              schema version, model, vector size, corpus fingerprint, checksums
        documents.json             issues, sections and passages
        vectors.npy                passage vectors, row i = passage i
        keyword/                   the Whoosh index, docnum i = passage i
        figures.json               figure mentions with their passage and issue, and their series
        figure_vectors.npy         figure vectors ("label: sentence"), row i = figure i
      cache/vectors.sqlite         passage and figure vectors by model and text, shared by builds
      cache/parsed/                parsed files by name, content, catalog entry and code (index.store.reuse)

A build writes a new generation under a temporary name and renames it when complete; only then is
CURRENT switched.  A failed or interrupted build leaves CURRENT, and so the served index, untouched.
What a killed build leaves (its `.building-*` folder, a `.CURRENT-*` file) is removed by the next
build: a folder still being built is known by the lock its build holds on it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from index.errors import IndexUnavailable
from index.records import Corpus, Issue, IssueDate, Passage, Section

SCHEMA_VERSION = 8  # 2: figures.json and figure_vectors.npy; 3: one keyword field, the title counted twice;
# 4: each figure record holds its analysed terms; 5: the keyword index's analyzer is index.text.analysis's
# (Whoosh stores the schema with its classes' module paths, so a generation of 4 no longer opens);
# 6: each passage holds the PDF page it starts on; 7: an issue names its newsletter and author;
# 8: each passage holds its language, and Russian words are indexed as their lemmas
KEEP_GENERATIONS = 2  # the current one and the last good one before it
CHECKSUMMED = ("documents.json", "vectors.npy", "figures.json", "figure_vectors.npy")
CHECKSUMMED_NAME = re.compile(r"(keyword/)?\w[\w.-]*")  # a file of the generation, never a path out of it
GENERATION_NAME = re.compile(r"gen-[\w.-]{1,80}")
BUILDING_LOCK = ".lock"  # held (flock) by the build writing a .building-* folder
SWITCH_SECONDS = 60  # a .CURRENT-* file or an unlocked new folder older than this belongs to no running build


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def corpus_fingerprint(files: Iterable[Path]) -> str:
    """One hash over the names and contents of the archive's files and the schema version."""
    digest = hashlib.sha256(f"schema {SCHEMA_VERSION}\n".encode())
    for path in sorted(files, key=lambda p: p.name):
        digest.update(f"{path.name}\t{file_sha256(path)}\n".encode())
    return digest.hexdigest()


# --- records <-> JSON ---------------------------------------------------------------------------

def _issue_from_json(data: dict) -> Issue:
    date = IssueDate(data["date"], data["date_precision"]) if data["date"] else None
    return Issue(data["id"], data["source"], data["number"], date, data["date_inferred"], data["title"],
                 data["source_link"], data["provenance"], data["newsletter"], data["author"])


def _section_from_json(issue_id: str, data: dict) -> Section:
    return Section(data["id"], issue_id, data["position"], data["title"], data["title_generated"],
                   data["dateline"], tuple(data["countries"]))


def _passage_from_json(data: dict) -> Passage:
    return Passage(data["id"], data["issue_id"], data["section_id"], data["section"], data["position"],
                   data["text"], tuple(data["countries"]), data["recurring"], data["page"], data["language"])


def corpus_to_json(corpus: Corpus) -> dict:
    return {
        "issues": [issue.to_json() for issue in corpus.issues],
        "sections": [{"issue_id": s.issue_id, **s.to_json()} for s in corpus.sections],
        "passages": [p.to_json() for p in corpus.passages],
    }


def corpus_from_json(data: dict) -> Corpus:
    return Corpus(
        tuple(_issue_from_json(d) for d in data["issues"]),
        tuple(_section_from_json(d["issue_id"], d) for d in data["sections"]),
        tuple(_passage_from_json(d) for d in data["passages"]),
    )


def write_documents(path: Path, corpus: Corpus) -> None:
    path.write_text(json.dumps(corpus_to_json(corpus), ensure_ascii=False), encoding="utf-8")


def read_documents(path: Path) -> Corpus:
    return corpus_from_json(json.loads(path.read_text(encoding="utf-8")))


# --- generations --------------------------------------------------------------------------------

class Store:
    """The index directory: where generations are made, switched to, found and cleaned up."""

    def __init__(self, root: Path):
        self.root = root
        self.generations = root / "generations"
        self.cache_path = root / "cache" / "vectors.sqlite"
        self.parse_cache_dir = root / "cache" / "parsed"
        self._locks: dict[str, int] = {}  # .building-* folder name -> the descriptor holding its lock

    def new_generation(self) -> Path:
        """An empty directory to build into, hidden from readers until `commit`, locked while this
        build lives; what killed builds left behind is removed first."""
        self._remove_abandoned()
        path = self.generations / f".building-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        lock = os.open(path / BUILDING_LOCK, os.O_CREAT | os.O_WRONLY, 0o644)
        fcntl.flock(lock, fcntl.LOCK_EX)
        self._locks[path.name] = lock
        return path

    def _release(self, building_name: str, folder: Path) -> None:
        lock = self._locks.pop(building_name, None)
        if lock is not None:
            (folder / BUILDING_LOCK).unlink(missing_ok=True)
            os.close(lock)

    def _remove_abandoned(self) -> None:
        """Remove the .building-* folders no build holds and the .CURRENT-* files no switch is writing."""
        if self.generations.is_dir():
            for path in self.generations.iterdir():
                if path.name.startswith(".building-") and not _being_built(path):
                    shutil.rmtree(path, ignore_errors=True)
        for path in self.root.glob(".CURRENT-*"):
            if _age(path) > SWITCH_SECONDS:
                path.unlink(missing_ok=True)

    def commit(self, building: Path, manifest: dict) -> Path:
        """Seal a finished build: checksums into the manifest, rename into place, switch CURRENT."""
        manifest = {**manifest, "schema_version": SCHEMA_VERSION,
                    "checksums": {name: file_sha256(building / name) for name in (*CHECKSUMMED, *keyword_files(building))}}
        (building / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        final = self.generations / generation_name(time.time_ns())
        building.rename(final)
        self._release(building.name, final)
        self._switch_to(final.name)
        self._clean_up()
        return final

    def _switch_to(self, name: str) -> None:
        tmp = self.root / f".CURRENT-{uuid.uuid4().hex[:8]}"
        try:
            tmp.write_text(name + "\n", encoding="utf-8")
            os.replace(tmp, self.root / "CURRENT")  # atomic: a reader sees the old name or the new, never half
        finally:
            tmp.unlink(missing_ok=True)

    def current(self) -> Path | None:
        """The served generation's directory, or None when there is none yet."""
        try:
            with (self.root / "CURRENT").open("rb") as handle:
                name = handle.read(200).decode("utf-8").strip()  # a name is 29 characters; never read more
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexUnavailable(f"{self.root}/CURRENT cannot be read ({exc}); rebuild the index "
                                   "(scripts/archive build)") from None
        path = self.generations / name
        if not GENERATION_NAME.fullmatch(name) or not _is_dir(path):
            raise IndexUnavailable(f"{self.root}/CURRENT names generation {name[:80]!r}, which does not exist; "
                                   "rebuild the index (scripts/archive build)")
        return path

    def complete(self) -> list[Path]:
        """Every complete generation, newest first."""
        if not self.generations.is_dir():
            return []
        return sorted((p for p in self.generations.iterdir() if GENERATION_NAME.fullmatch(p.name) and _is_dir(p)),
                      reverse=True)

    def _clean_up(self) -> None:
        """Remove abandoned builds and all but the newest KEEP_GENERATIONS complete generations."""
        current = self.current()
        complete = sorted(p for p in self.generations.iterdir() if p.name.startswith("gen-"))
        keep = set(complete[-KEEP_GENERATIONS:]) | {current}
        for path in self.generations.iterdir():
            if path.name.startswith("gen-") and path not in keep:
                shutil.rmtree(path, ignore_errors=True)
        self._remove_abandoned()

    def discard(self, building: Path) -> None:
        self._release(building.name, building)
        shutil.rmtree(building, ignore_errors=True)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return False


def _age(path: Path) -> float:
    """Seconds since `path` last changed; 0 when it is gone already."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _being_built(folder: Path) -> bool:
    """Whether a build still holds `folder` (a .building-* folder): its lock cannot be taken."""
    try:
        lock = os.open(folder / BUILDING_LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return _age(folder) <= SWITCH_SECONDS  # made a moment ago, not locked yet; or left by a killed build
    except OSError:
        return True  # cannot tell: leave it
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(lock)


def generation_name(now_ns: int) -> str:
    """A name that sorts by build time: seconds and nanoseconds come from one clock reading, so two
    builds within a second never swap order (clean-up keeps the newest names)."""
    seconds, nanoseconds = divmod(now_ns, 10**9)
    return f"gen-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(seconds))}-{nanoseconds:09d}"


def read_manifest(generation: Path) -> dict:
    try:
        manifest = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexUnavailable(f"{generation.name}: manifest.json is missing; rebuild the index") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexUnavailable(f"{generation.name}: manifest.json is corrupt ({exc}); rebuild the index") from None
    if not isinstance(manifest, dict) or manifest.get("schema_version") != SCHEMA_VERSION:
        found = manifest.get("schema_version") if isinstance(manifest, dict) else None
        raise IndexUnavailable(f"{generation.name}: built with index schema {found!r}, this code reads schema "
                               f"{SCHEMA_VERSION}; rebuild the index (scripts/archive build)")
    return manifest


def keyword_files(generation: Path) -> list[str]:
    """The Whoosh index's files (segments, table of contents), checksummed like the rest: Whoosh
    reads parts of a segment only when a search needs them, so damage there would otherwise show
    late, or as wrong results."""
    directory = generation / "keyword"
    return sorted(f"keyword/{p.name}" for p in directory.iterdir()
                  if p.is_file() and not p.name.endswith("WRITELOCK")) if directory.is_dir() else []


def verify_checksums(generation: Path, manifest: dict) -> None:
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict):
        raise IndexUnavailable(f"{generation.name}: manifest.json holds no checksums; rebuild the index")
    for name in dict.fromkeys([*CHECKSUMMED, *checksums]):
        if not isinstance(name, str) or not CHECKSUMMED_NAME.fullmatch(name):
            raise IndexUnavailable(f"{generation.name}: manifest.json names a file {str(name)[:80]!r} outside "
                                   "the generation; rebuild the index")
        path = generation / name
        if not path.exists():
            raise IndexUnavailable(f"{generation.name}: {name} is missing; rebuild the index")
        if file_sha256(path) != checksums.get(name):
            raise IndexUnavailable(f"{generation.name}: {name} does not match its checksum (damaged); rebuild the index")


def verify_files(generation: Path, manifest: dict, names: Iterable[str]) -> bool:
    """Whether each of `names` is in `generation` with the checksum its manifest records."""
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict):
        return False
    return all(name in checksums and (generation / name).is_file() and file_sha256(generation / name) == checksums[name]
               for name in names)


def load_vectors(generation: Path, manifest: dict) -> np.ndarray:
    matrix = np.load(generation / "vectors.npy", allow_pickle=False)
    expected = (manifest["passages"], manifest["dimension"])
    if matrix.shape != expected or matrix.dtype != np.float32:
        raise IndexUnavailable(f"{generation.name}: vectors.npy holds {matrix.shape} {matrix.dtype}, "
                               f"the manifest says {expected} float32; rebuild the index")
    return matrix
