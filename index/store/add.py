"""Adding newsletter issues to the archive: check the files, copy them in, bring the index up to date.

All or nothing.  Every file is read and checked before anything is copied; when one is refused
(unreadable, a link to a file outside its folder, or a different file of the same name is already
in the archive and replacing was not asked for) nothing is copied and the index is not touched.  The
copied files are indexed by an ordinary build, which takes the vectors of unchanged passages from
the cache and switches to the new generation only when it is complete.  The add is a transaction
(index.add_journal): if the build fails, the disk fills up or the add is interrupted, even killed,
the archive is put back as it was, so the archive and the index being served keep agreeing.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from index.config import Settings
from index.errors import ArchiveError
from index.figures.extract import numbers_in
from index.ingest.catalog import Catalog, load_catalog
from index.ingest.reader import ISSUE_SUFFIXES, UnreadableFile, read_issue
from index.records import ParsedIssue
from index.store.add_journal import AddJournal, Interrupted, interruptible, settle_interrupted_add, signals_held
from index.store.build import BuildReport, build_index, stale_reason
from index.store.generations import file_sha256
from index.store.storage_errors import StorageError, storage_errors

NEW, REPLACES, IDENTICAL = "new", "replaces", "identical"


class AddRefused(ArchiveError):
    """Files that cannot be added; nothing was copied and the index is as it was."""


@dataclass(frozen=True)
class Arrival:
    """One file given to `add`: where it goes, how it stands to the archive, and what was read from it.

    `status`: NEW, REPLACES (a different file of the same name, replaced on request) or IDENTICAL
    (already in the archive: nothing to do, and not read again).
    """

    source: Path
    target: Path
    status: str
    parsed: ParsedIssue | None

    def figures(self) -> dict[str, int]:
        """For each passage id, how many numbers it holds (`index.figures.extract.numbers_in`)."""
        passages = self.parsed.passages if self.parsed else ()
        return {passage.id: len(numbers_in(passage.text)) for passage in passages}


@dataclass(frozen=True)
class AddReport:
    arrivals: tuple[Arrival, ...]
    build: BuildReport | None  # None when nothing was copied and the index was already up to date

    @property
    def copied(self) -> tuple[Arrival, ...]:
        return tuple(a for a in self.arrivals if a.status != IDENTICAL)


def add_files(settings: Settings, paths: list[Path], force: bool = False, show_progress: bool = False) -> AddReport:
    """Copy the newsletter issue files `paths` into the archive and update the index; AddRefused
    (nothing copied, index untouched) when any of them cannot be added.  Any failure leaves the
    archive and the index as they were (StorageError for a full or read-only disk); SIGTERM, SIGHUP
    and SIGINT do too, and then end the process as they would have."""
    settle_interrupted_add(settings)
    arrivals = _check_all(paths, settings.archive_dir, load_catalog(settings.archive_dir), force)
    copied = [a for a in arrivals if a.status != IDENTICAL]
    if not copied and stale_reason(settings) is None:
        return AddReport(tuple(arrivals), None)
    try:
        with storage_errors(f"adding to {settings.archive_dir}",
                            "Nothing was added; the archive and the index are as they were."), interruptible():
            try:
                return AddReport(tuple(arrivals), _add(settings, copied, show_progress))
            except StorageError as exc:  # the build's, which says what became of the index
                raise StorageError(f"{exc} Nothing was added; the archive is as it was.") from exc
    except Interrupted as exc:
        print(f"add interrupted by {exc}: " + ("nothing was added; the archive and the index are as they were"
              if exc.outcome == "undone" else "the new files were already indexed and served; the add is complete"),
              file=sys.stderr)
        signal.raise_signal(exc.signum)  # now with the handler the process had: end as asked
        raise


def check_files(settings: Settings, paths: list[Path], force: bool = False) -> tuple[Arrival, ...]:
    """What `add_files` would do with `paths`: every file read and checked (AddRefused as there),
    nothing copied, the index untouched."""
    return tuple(_check_all(paths, settings.archive_dir, load_catalog(settings.archive_dir), force))


def _add(settings: Settings, copied: list[Arrival], show_progress: bool) -> BuildReport:
    """The transaction: journal and old files kept, new files written, the index built and served;
    settled (finished or undone, see index.add_journal) on any failure."""
    contents = {arrival.target: arrival.source.read_bytes() for arrival in copied}
    journal = AddJournal.begin(settings.archive_dir, {target: hashlib.sha256(data).hexdigest()
                                                      for target, data in contents.items()})
    try:
        for target, data in contents.items():
            _write_atomically(target, data, journal.partial_name(target))
        report = build_index(settings, show_progress)
    except BaseException as exc:
        with signals_held():
            outcome = journal.settle(settings)
        if isinstance(exc, Interrupted):
            exc.outcome = outcome
        raise
    journal.finish()
    return report


def _check_all(paths: list[Path], archive_dir: Path, catalog: Catalog, force: bool) -> list[Arrival]:
    """Every file checked; AddRefused naming each one that cannot be added, and why."""
    if not archive_dir.is_dir():
        raise ArchiveError(f"archive directory {archive_dir} does not exist")
    arrivals, problems = [], []
    for number, path in enumerate(paths):
        try:
            if any(other.stem == path.stem for other in paths[:number]):
                raise AddRefused(f"{path.name}: another file given here has the issue id {path.stem!r}")
            arrivals.append(_check(path, archive_dir, catalog, force))
        except (AddRefused, UnreadableFile) as exc:
            problems.append(str(exc))
    if problems:
        raise AddRefused("nothing was added; the archive and the index are unchanged:\n  " + "\n  ".join(problems))
    return arrivals


def _check(source: Path, archive_dir: Path, catalog: Catalog, force: bool) -> Arrival:
    """How `source` stands to the archive, and what it reads as; AddRefused or UnreadableFile."""
    if source.suffix.lower() not in ISSUE_SUFFIXES:
        raise AddRefused(f"{source.name}: not a newsletter issue file (expected {', '.join(ISSUE_SUFFIXES)})")
    if source.name.startswith("."):
        raise AddRefused(f"{source.name}: a hidden file's name; rename it")
    outside = _link_outside_its_folder(source)
    if outside:
        raise AddRefused(f"{source.name}: a link to {str(outside)[:200]}, outside the folder the link is in; "
                         "give the file itself")
    target = archive_dir / source.name
    if target.is_file() and source.is_file() and file_sha256(source) == file_sha256(target):
        return Arrival(source, target, IDENTICAL, None)
    parsed = read_issue(source, catalog)
    if target.exists() and not force:
        raise AddRefused(f"{source.name}: the archive already holds a different file of this name; "
                         "give --force to replace it")
    clash = _same_issue_id(source, archive_dir)
    if clash:
        raise AddRefused(f"{source.name}: its issue id {source.stem!r} is already that of {clash} in the archive; "
                         "rename the file")
    return Arrival(source, target, REPLACES if target.exists() else NEW, parsed)


def _link_outside_its_folder(source: Path) -> Path | None:
    """Where `source` leads when it is a link (or a chain of links) to a file outside its own folder:
    `add` copies what is named, not whatever a link given to it points at (/etc/passwd)."""
    folder = source.absolute().parent.resolve()
    resolved = source.resolve()
    return None if resolved.is_relative_to(folder) else resolved


def _same_issue_id(source: Path, archive_dir: Path) -> str | None:
    """The name of another issue file of the archive with the id (name less suffix) of `source`."""
    return next((p.name for p in archive_dir.iterdir()
                 if p.stem == source.stem and p.name != source.name and p.suffix.lower() in ISSUE_SUFFIXES), None)


def _write_atomically(target: Path, data: bytes, partial: Path) -> None:
    """`target` holds `data` whole or is as it was: a reader (or a build) never sees half a file.
    `partial` (hidden: builds ignore it) is where it is written first."""
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
