"""What the disk refuses, said so that a person can act on it: a full disk, a read-only one, no
permission, a directory where a file belongs.  `storage_errors` turns such an OSError (or the same
refusal as SQLite, which holds the vector cache, reports it) into an ArchiveError with that message
(the command line prints it, instead of a traceback); anything else passes through unchanged.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from index.errors import ArchiveError


class StorageError(ArchiveError):
    """The disk refused to store or read something: full, read-only, not permitted, not a file."""


_REMEDY = {
    errno.ENOSPC: "the disk is full: free some space (or point ARCHIVE_INDEX_DIR at a disk with room) and run it again",
    errno.EDQUOT: "the disk quota is used up: free some space and run it again",
    errno.EROFS: "the file system is read-only: make it writable (or point ARCHIVE_INDEX_DIR elsewhere) and run it again",
    errno.EACCES: "permission denied: run it as a user who may write there, or change the permissions",
    errno.EPERM: "the operation is not permitted there: run it as a user who may write there",
    errno.EISDIR: "a directory stands where a file belongs: remove that directory and run it again",
    errno.ENOTDIR: "a file stands where a directory belongs: remove that file and run it again",
    errno.ENAMETOOLONG: "the name is too long for the file system",
}


# SQLite's messages for the same refusals (sqlite3 gives no errno).
_SQLITE_ERRNO = {"database or disk is full": errno.ENOSPC, "attempt to write a readonly database": errno.EROFS}


def describe(exc: OSError | sqlite3.OperationalError) -> str | None:
    """A message for `exc` that names the path and what to do, or None when it is not a storage problem."""
    if isinstance(exc, sqlite3.OperationalError):
        number = _SQLITE_ERRNO.get(str(exc))
        return f"{_REMEDY[number]} (the vector cache)" if number else None
    remedy = _REMEDY.get(exc.errno)
    if remedy is None:
        return None
    where = f" ({str(exc.filename)[:300]})" if exc.filename else ""
    return f"{remedy}{where}"


@contextmanager
def storage_errors(doing: str, outcome: str) -> Iterator[None]:
    """Inside, an OSError that `describe` knows becomes a StorageError: "`doing` failed: what and
    where, what to do. `outcome`" (outcome: what state things are left in)."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        message = describe(exc)
        if message is None:
            raise
        raise StorageError(f"{doing} failed: {message}. {outcome}") from exc
