"""Errors a user can cause, each with a message fit to show them.  The web app maps them to 4xx."""


class ArchiveError(Exception):
    """Base of every error the library raises on purpose."""


class BadRequest(ArchiveError):
    """A parameter the caller can fix: an unknown mode, a bad date, a range that ends before it starts."""


class UnknownId(ArchiveError):
    """A passage or newsletter issue id that this index does not hold."""


class IndexUnavailable(ArchiveError):
    """No usable index: none built yet, or built by another version (schema, model) than this code."""
