"""Absolute addresses, for what leaves the site (citations, feeds, downloads): built in this one place."""

from __future__ import annotations

from flask import url_for


def absolute_url(endpoint: str, **values) -> str:
    """The full address of `endpoint` with `values`, as a reader outside the site must be given it."""
    return url_for(endpoint, _external=True, **values)
