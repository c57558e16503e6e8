"""The index on disk: generations, their manifest, and the atomic switch between them.

    <index dir>/
      CURRENT                      name of the generation being served (replaced atomically)
      generations/<name>/          one complete build
        manifest.json              schema version, model, vector size, corpus fingerprint, and for
                                   every other file its checksum and its file system stamp
        documents.json             issues and sections (index.store.documents)
        passages/                  passages as columns, memory-mapped when opened (index.store.columns)
        vectors.npy                passage vectors, row i = passage i, memory-mapped
        keyword/                   the Whoosh index, and its layout: the passage of each docnum
        figures/                   figure mentions, their series and search postings (index.store.figure_files)
        figure_vectors.npy         figure vectors ("label: sentence"), row i = figure i
      cache/vectors.sqlite         passage and figure vectors by model and text, shared by builds
      cache/parsed/                parsed files by name, content, catalog entry and code (index.store.reuse)

A build writes a new generation under a temporary name and renames it when complete; only then is
CURRENT switched.  A failed or interrupted build leaves CURRENT, and so the served index, untouched.
What a killed build leaves (its `.building-*` folder, a `.CURRENT-*` file) is removed by the next
build: a folder still being built is known by the lock its build holds on it.

Checksums are computed when a generation is committed, with each file's stamp (inode, size and
modification time in nanoseconds).  Opening compares the stamps, which costs a `stat` per file: a file
written, truncated, replaced or copied since has another stamp, and only then is it hashed (all such
files at once, one thread per core) before the generation is served.
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
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from index.errors import IndexUnavailable

SCHEMA_VERSION = 9  # 2: figures.json and figure_vectors.npy; 3: one keyword field, the title counted twice;
# 4: each figure record holds its analysed terms; 5: the keyword index's analyzer is index.text.analysis's
# (Whoosh stores the schema with its classes' module paths, so a generation of 4 no longer opens);
# 6: each passage holds the PDF page it starts on; 7: an issue names its newsletter and author;
# 8: each passage holds its language, and Russian words are indexed as their lemmas;
# 9: columnar passages and figures, memory-mapped (index.store.columns), keyword docnums mapped to ordinals
KEEP_GENERATIONS = 2  # the current one and the last good one before it
CHECKSUMMED = ("documents.json", "vectors.npy", "figure_vectors.npy")  # besides every other file it holds
CHECKSUMMED_NAME = re.compile(r"(\w[\w.-]*/)?\w[\w.-]*")  # a file of the generation, never a path out of it
GENERATION_NAME = re.compile(r"gen-[\w.-]{1,80}")
BUILDING_LOCK = ".lock"  # held (flock) by the build writing a .building-* folder
SWITCH_SECONDS = 60  # a .CURRENT-* file or an unlocked new folder older than this belongs to no running build


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def files_sha256(paths: Iterable[Path]) -> list[str]:
    """The checksum of each of `paths`, several files at once (hashlib lets go of the GIL)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(file_sha256, paths))


def file_stamp(path: Path) -> list[int]:
    """What changes when a file is written, truncated, replaced or copied: inode, size and modification
    time (ns).  A file whose stamp is the one recorded with its checksum has not changed.  (Not the
    change time, which a change of owner or mode moves too.)"""
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def corpus_fingerprint(files: Iterable[Path]) -> str:
    """One hash over the names and contents of the archive's files and the schema version."""
    digest = hashlib.sha256(f"schema {SCHEMA_VERSION}\n".encode())
    for path in sorted(files, key=lambda p: p.name):
        digest.update(f"{path.name}\t{file_sha256(path)}\n".encode())
    return digest.hexdigest()


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

    def commit(self, building: Path, manifest: dict, known: Mapping[str, str] | None = None) -> Path:
        """Seal a finished build: checksums and stamps into the manifest, rename into place, switch
        CURRENT.  `known` gives the checksums of files copied from a generation and checked as they were
        copied (index.store.reuse), which are not hashed again."""
        known = known or {}
        names = generation_files(building)
        stamps = {name: file_stamp(building / name) for name in names}
        checksums = {name: known[name] for name in names if name in known}
        unknown = [name for name in names if name not in known]
        checksums.update(zip(unknown, files_sha256(building / name for name in unknown)))
        manifest = {**manifest, "schema_version": SCHEMA_VERSION, "checksums": dict(sorted(checksums.items())),
                    "stamps": stamps}
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


def generation_files(generation: Path) -> list[str]:
    """Every file of a generation (in it, or one directory down) but its manifest and Whoosh's lock,
    as the manifest names them: all are checksummed, for Whoosh reads parts of a segment only when a
    search needs them, and columns are read row by row, so damage would otherwise show late or as
    wrong results."""
    found = []
    for path in generation.iterdir():
        if path.is_dir():
            found += [f"{path.name}/{p.name}" for p in path.iterdir() if p.is_file() and _checksummed(p.name)]
        elif path.is_file() and _checksummed(path.name) and path.name != "manifest.json":
            found.append(path.name)
    return sorted(found)


def _checksummed(name: str) -> bool:
    return not name.startswith(".") and not name.endswith("WRITELOCK")


def verify_checksums(generation: Path, manifest: dict) -> None:
    """IndexUnavailable unless every file the manifest names is there with its checksum: by its
    stamp where that is unchanged, else by hashing it."""
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict):
        raise IndexUnavailable(f"{generation.name}: manifest.json holds no checksums; rebuild the index")
    names = list(dict.fromkeys([*CHECKSUMMED, *checksums]))
    for name in names:
        if not isinstance(name, str) or not CHECKSUMMED_NAME.fullmatch(name):
            raise IndexUnavailable(f"{generation.name}: manifest.json names a file {str(name)[:80]!r} outside "
                                   "the generation; rebuild the index")
        if not (generation / name).exists():
            raise IndexUnavailable(f"{generation.name}: {name} is missing; rebuild the index")
    changed = changed_files(generation, manifest, names)
    if changed:
        raise IndexUnavailable(f"{generation.name}: {changed[0]} does not match its checksum (damaged); rebuild the index")


def changed_files(generation: Path, manifest: dict, names: Iterable[str]) -> list[str]:
    """Those of `names` (files of `generation`) that do not match the checksum its manifest records:
    missing, not named there, or hashed to something else where their stamp changed."""
    checksums = manifest.get("checksums") if isinstance(manifest.get("checksums"), dict) else {}
    stamps = manifest.get("stamps") if isinstance(manifest.get("stamps"), dict) else {}
    names = list(names)
    missing = [name for name in names if name not in checksums or not (generation / name).is_file()]
    present = [name for name in names if name not in missing]
    unsure = [name for name in present if stamps.get(name) != file_stamp(generation / name)]
    hashed = files_sha256(generation / name for name in unsure)
    return missing + [name for name, digest in zip(unsure, hashed) if digest != checksums[name]]


def load_vectors(generation: Path, manifest: dict) -> np.ndarray:
    """The passage vectors, memory-mapped: the pages are the page cache's, shared by every process."""
    matrix = np.load(generation / "vectors.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
    expected = (manifest["passages"], manifest["dimension"])
    if matrix.shape != expected or matrix.dtype != np.float32:
        raise IndexUnavailable(f"{generation.name}: vectors.npy holds {matrix.shape} {matrix.dtype}, "
                               f"the manifest says {expected} float32; rebuild the index")
    return matrix
