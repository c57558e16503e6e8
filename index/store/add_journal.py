"""`add` as a transaction: the archive and the index end as they were, or with the new files indexed.

Before a file of the archive is touched, a journal (`archive/.add-journal.json`) names every file
the add will write and, for each one it replaces, a hidden hard link that keeps the old file's bytes
(`.add-old-<id>-<name>`; a copy where the file system has no hard links).  Then the new files are
written and an ordinary build indexes them; only when the new generation is served is the add
complete, and the journal and the old files are removed.

Whatever stops it on the way is settled the same way, by `settle`:

- when every file holds its new bytes and the index being served matches the archive as it now
  is, the add got as far as serving the new generation: it is finished (the old files removed);
- otherwise it is undone: the old files renamed back into place (no space needed), the new ones
  removed, and the index left as it was (the build never switched to its generation).

An add that fails or is sent SIGTERM, SIGHUP or SIGINT settles before it exits; one killed outright
(SIGKILL, a power cut) leaves the journal, and the next add, build or `scripts/run` settles it first
(`settle_interrupted_add`).  Builds ignore hidden files, so a half-done add is never indexed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.config import Settings
from index.store.build import stale_reason
from index.store.generations import file_sha256

JOURNAL_NAME = ".add-journal.json"
INTERRUPTING = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class Interrupted(BaseException):
    """A signal that stops an add: raised where the add is, so that it settles before the process ends."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.outcome = "undone"  # how the add was settled: "undone", or "finished" if it was already served


@dataclass(frozen=True)
class Entry:
    name: str  # the file of the archive the add writes
    sha256: str  # of the bytes it writes there
    backup: str | None  # the hidden link to its old bytes; None for a file that is new to the archive


@dataclass(frozen=True)
class AddJournal:
    archive_dir: Path
    id: str
    entries: tuple[Entry, ...]

    @classmethod
    def begin(cls, archive_dir: Path, targets: dict[Path, str]) -> AddJournal:
        """Record what the add will write (each target and the sha256 of its new bytes), then keep
        the bytes of every file it replaces."""
        add_id = uuid.uuid4().hex[:8]
        entries = tuple(Entry(t.name, sha256, f".add-old-{add_id}-{t.name}" if t.exists() else None)
                        for t, sha256 in targets.items())
        journal = cls(archive_dir, add_id, entries)
        journal._write()
        try:
            for entry in entries:
                if entry.backup:
                    _keep(archive_dir / entry.name, archive_dir / entry.backup)
        except BaseException:
            journal.undo()  # nothing was written yet: only the kept links and the journal go
            raise
        return journal

    def partial_name(self, target: Path) -> Path:
        """Where a new file is written before it is renamed into place (hidden: builds ignore it)."""
        return target.with_name(f".adding-{self.id}-{target.name}")

    def settle(self, settings: Settings) -> str:
        """Finish the add if the index already serves its files, else undo it: "finished" or "undone"."""
        written = all((self.archive_dir / e.name).is_file() and file_sha256(self.archive_dir / e.name) == e.sha256
                      for e in self.entries)
        if written and stale_reason(settings) is None:
            self.finish()
            return "finished"
        self.undo()
        return "undone"

    def finish(self) -> None:
        """The new files are served: the old ones are no longer needed."""
        for entry in self.entries:
            if entry.backup:
                (self.archive_dir / entry.backup).unlink(missing_ok=True)
        self._close()

    def undo(self) -> None:
        """The archive as it was: old files back in place, new ones removed.  Safe to repeat."""
        for entry in self.entries:
            target = self.archive_dir / entry.name
            if entry.backup is None:
                target.unlink(missing_ok=True)
            elif (self.archive_dir / entry.backup).exists():
                os.replace(self.archive_dir / entry.backup, target)
                # Renaming a link onto another link of the same file does nothing: the file was
                # never replaced, and its second name goes.
                (self.archive_dir / entry.backup).unlink(missing_ok=True)
        self._close()

    def _close(self) -> None:
        for entry in self.entries:
            self.partial_name(self.archive_dir / entry.name).unlink(missing_ok=True)
        (self.archive_dir / JOURNAL_NAME).unlink(missing_ok=True)

    def _write(self) -> None:
        data = {"id": self.id, "files": [{"name": e.name, "sha256": e.sha256, "backup": e.backup} for e in self.entries]}
        temporary = self.archive_dir / f"{JOURNAL_NAME}.{self.id}.tmp"
        try:
            with temporary.open("w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.archive_dir / JOURNAL_NAME)
        finally:
            temporary.unlink(missing_ok=True)

    @classmethod
    def read(cls, archive_dir: Path) -> AddJournal | None:
        """The journal a killed add left, or None.  A journal that cannot be read is one the add never
        finished writing: nothing was touched yet, so it is discarded."""
        path = archive_dir / JOURNAL_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = tuple(Entry(_plain_name(f["name"]), str(f["sha256"]), _plain_name(f["backup"]) if f["backup"] else None)
                            for f in data["files"])
            return cls(archive_dir, _plain_name(data["id"]), entries)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            return None


def _plain_name(name: object) -> str:
    """A file name of the archive directory, never a path out of it (the journal is only data)."""
    if not isinstance(name, str) or not name or "/" in name or "\0" in name or name in (".", ".."):
        raise ValueError(f"not a file name: {name!r}")
    return name


def _keep(target: Path, backup: Path) -> None:
    """`backup` holds `target`'s bytes: a hard link (no space used), else a copy."""
    try:
        os.link(target, backup)
    except OSError:
        shutil.copy2(target, backup)


def settle_interrupted_add(settings: Settings) -> str | None:
    """Settle an add that was killed before it could ("finished" or "undone"), or None when there is none."""
    journal = AddJournal.read(settings.archive_dir) if settings.archive_dir.is_dir() else None
    if journal is None:
        return None
    outcome = journal.settle(settings)
    print(f"warning: an earlier add was interrupted; it has been {outcome}", file=sys.stderr)
    return outcome


@contextmanager
def interruptible() -> Iterator[None]:
    """Inside, SIGTERM, SIGHUP and SIGINT raise Interrupted where the add is, so that it can settle;
    outside, they do what they did before.  (Only the main thread can receive signals.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, _frame):
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, interrupt) for signum in INTERRUPTING}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def signals_held() -> Iterator[None]:
    """Inside, the interrupting signals wait: settling is not itself interrupted half way."""
    signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPTING)
