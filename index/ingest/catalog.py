"""The curated catalog (`archive/catalog.toml`): what a person set or corrected about each issue.

It wins over what is read from the text.  Example:

    [newsletter]
    title = "IOM Central Asia Regional Response Report"
    author = "IOM Central Asia"     # who citations name as the author

    ["issues"."003_831dd773c1231ba4.txt"]
    number = 10
    date = "2021-11"            # YYYY-MM-DD, or YYYY-MM where only the month is known
    title = "..."
    source_link = "https://..."
    author = "..."              # this issue's author, where it is not the newsletter's
"""

from __future__ import annotations

import datetime
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import ArchiveError
from index.records import IssueDate

CATALOG_NAME = "catalog.toml"
DEFAULT_NEWSLETTER_TITLE = "Newsletter"
_FIELDS = {"number", "date", "title", "source_link", "author"}


class CatalogError(ArchiveError):
    """The catalog cannot be read, or sets a field to something it cannot be."""


@dataclass(frozen=True)
class CatalogEntry:
    number: int | None = None
    date: IssueDate | None = None
    title: str | None = None
    source_link: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class Catalog:
    newsletter_title: str = DEFAULT_NEWSLETTER_TITLE
    entries: dict[str, CatalogEntry] = field(default_factory=dict)
    author: str | None = None  # the newsletter's author, for citations; an issue's entry may name another

    def entry(self, source: str) -> CatalogEntry:
        return self.entries.get(source, CatalogEntry())


def _parse_date(value: object, where: str) -> IssueDate:
    """A real calendar date or month; TOML's own unquoted dates (2020-11-30) are accepted too."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return IssueDate(value.isoformat(), "day")
    try:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return IssueDate(datetime.date.fromisoformat(value).isoformat(), "day")
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
            return IssueDate(datetime.date.fromisoformat(value + "-01").isoformat()[:7], "month")
    except ValueError:
        pass
    raise CatalogError(f"{where}: date must be a real date as 'YYYY-MM-DD' or 'YYYY-MM', not {value!r}")


def _parse_entry(source: str, raw: object, path: Path) -> CatalogEntry:
    where = f"{path} [issues.\"{source}\"]"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected a table of fields")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_FIELDS))}")
    number = raw.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number < 0):
        raise CatalogError(f"{where}: number must be a whole number, not {number!r}")
    for text_field in ("title", "source_link", "author"):
        if text_field in raw and not isinstance(raw[text_field], str):
            raise CatalogError(f"{where}: {text_field} must be text")
    return CatalogEntry(
        number=number,
        date=_parse_date(raw["date"], where) if "date" in raw else None,
        title=raw.get("title"),
        source_link=raw.get("source_link"),
        author=raw.get("author"),
    )


def load_catalog(archive_dir: Path) -> Catalog:
    """The catalog of `archive_dir`; an absent file is an empty catalog, a broken one a CatalogError."""
    path = archive_dir / CATALOG_NAME
    if not path.exists():
        return Catalog()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from exc
    newsletter, issues = data.get("newsletter", {}), data.get("issues", {})
    if not isinstance(newsletter, dict) or not all(isinstance(newsletter.get(name, ""), str) for name in ("title", "author")):
        raise CatalogError(f"{path}: [newsletter] must be a table whose title and author are text")
    if not isinstance(issues, dict):
        raise CatalogError(f"{path}: [issues] must be a table of tables, one per file name")
    entries = {source: _parse_entry(source, raw, path) for source, raw in issues.items()}
    return Catalog(newsletter.get("title", DEFAULT_NEWSLETTER_TITLE), entries, newsletter.get("author"))
