"""What the disk refuses, said so that a person can act on it: a full disk, a read-only one, no
permission, a directory where a file belongs.  `storage_errors` turns such an OSError into an
ArchiveError with that message (the command line prints it, instead of a traceback); any other
OSError passes through unchanged.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import ArchiveError


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


def describe(exc: OSError) -> str | None:
    """A message for `exc` that names the path and what to do, or None when it is not a storage problem."""
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
    except OSError as exc:
        message = describe(exc)
        if message is None:
            raise
        raise StorageError(f"{doing} failed: {message}. {outcome}") from exc
