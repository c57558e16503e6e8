"""One file of `archive/` -> a ParsedIssue: its metadata, sections and passages.

This is the parsing stage's entry point: it decodes the file (text, or the text of a PDF; refusing
what cannot be read), reads the printed header or infers the date, applies the catalog, and gives
every section and passage an id made from the file name and its position, so ids stay the same
across rebuilds.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import dates
from .catalog import Catalog, CatalogEntry
from .countries import countries_in
from .documents import COUNTRIES, Issue, IssueDate, ParsedIssue, Passage, Section
from .errors import ArchiveError
from .parsing import Block, read_blocks
from .passages import size_passages
from .pdf import PdfUnreadable, pdf_text
from .sections import DraftSection, group_sections

ISSUE_SUFFIXES = (".txt", ".md", ".pdf")
# The largest file read.  A newsletter issue's text is ~50 KB and its PDF a few MB; anything far
# bigger is not an issue, and is refused before it is read into memory.
MAX_FILE_BYTES = 20 * 2**20
MAX_PDF_BYTES = 50 * 2**20  # photos make a PDF large


class UnreadableFile(ArchiveError):
    """A file in the archive that is not a newsletter issue we can read: empty, binary, not UTF-8,
    a damaged PDF."""


def decode(path: Path) -> str:
    """The text of `path` (a PDF's extracted text), or UnreadableFile saying why it is not usable."""
    limit = MAX_PDF_BYTES if path.suffix.lower() == ".pdf" else MAX_FILE_BYTES
    try:
        with path.open("rb") as handle:
            too_large = os.fstat(handle.fileno()).st_size > limit
            data = b"" if too_large else handle.read(limit + 1)  # never more, even if the file grew
    except OSError as exc:
        raise UnreadableFile(f"{path.name}: cannot be read ({exc.strerror})") from exc
    if too_large or len(data) > limit:
        raise UnreadableFile(f"{path.name}: too large (over {limit // 2**20} MB); "
                             "a newsletter issue is far smaller")
    if not data.strip():
        raise UnreadableFile(f"{path.name}: the file is empty")
    text = _decode_pdf(path.name, data) if path.suffix.lower() == ".pdf" else _decode_text(path.name, data)
    if not any(ch.isalpha() for ch in text):
        raise UnreadableFile(f"{path.name}: holds no words")
    return text


def _decode_text(name: str, data: bytes) -> str:
    if b"\x00" in data:
        raise UnreadableFile(f"{name}: binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{name}: not UTF-8 text (byte {exc.start})") from exc


def _decode_pdf(name: str, data: bytes) -> str:
    try:
        return pdf_text(data)
    except PdfUnreadable as exc:
        raise UnreadableFile(f"{name}: {exc}") from exc


def display_date(date: IssueDate) -> str:
    """"24 December 2020" or "November 2020"."""
    year, month = int(date.iso[:4]), int(date.iso[5:7])
    month_name = ("January February March April May June July August September October November "
                  "December").split()[month - 1]
    return f"{int(date.iso[8:10])} {month_name} {year}" if date.precision == "day" else f"{month_name} {year}"


def _metadata(source: str, text: str, blocks: list[Block], entry: CatalogEntry, newsletter_title: str) -> Issue:
    printed = next((found for block in blocks if block.kind == "header"
                    and (found := dates.read_header(block.text))), None)
    number, date, provenance = None, None, {"number": "unknown", "date": "unknown"}
    if printed:
        number, date = printed
        provenance = {"number": "printed", "date": "printed"}
    elif inferred := dates.latest_event_month(text):
        date, provenance["date"] = inferred, "inferred"
    if entry.number is not None:
        number, provenance["number"] = entry.number, "catalog"
    if entry.date is not None:
        date, provenance["date"] = entry.date, "catalog"
    provenance["title"] = "catalog" if entry.title else "inferred"
    provenance["source_link"] = "catalog" if entry.source_link else "unknown"
    title = entry.title or ", ".join(
        [newsletter_title] + ([f"Issue {number}"] if number is not None else []) + ([display_date(date)] if date else [])
    )
    return Issue(
        id=Path(source).stem,
        source=source,
        number=number,
        date=date,
        date_inferred=provenance["date"] == "inferred",
        title=title,
        source_link=entry.source_link,
        provenance=provenance,
    )


def _build(issue: Issue, drafts: list[DraftSection]) -> ParsedIssue:
    sections, passages = [], []
    for section_no, draft in enumerate(drafts, start=1):
        section_id = f"{issue.id}-s{section_no}"
        story = [p.text for p in draft.paragraphs if not p.recurring]  # contact lists name every country
        section_text = " ".join([draft.title, draft.dateline or ""] + story)
        sections.append(Section(section_id, issue.id, section_no, draft.title, draft.title_generated,
                                draft.dateline, countries_in(section_text)))
        story_countries = set(countries_in(f"{draft.title} {draft.dateline or ''}"))
        for passage_no, piece in enumerate(size_passages(draft.paragraphs, draft.title), start=1):
            countries = tuple(c for c in COUNTRIES if c in story_countries | set(countries_in(piece.text)))
            passages.append(Passage(
                id=f"{section_id}-p{passage_no}",
                issue_id=issue.id,
                section_id=section_id,
                section_title=draft.title,
                position=len(passages) + 1,
                text=piece.text,
                countries=countries,
                recurring=piece.recurring,
            ))
    return ParsedIssue(issue, tuple(sections), tuple(passages))


def parse_issue(source: str, text: str, catalog: Catalog) -> ParsedIssue:
    """Parse the text of the file named `source` (its name in `archive/`)."""
    blocks = read_blocks(text)
    issue = _metadata(source, text, blocks, catalog.entry(source), catalog.newsletter_title)
    return _build(issue, group_sections(blocks))


def read_issue(path: Path, catalog: Catalog) -> ParsedIssue:
    """Read and parse one file of the archive; UnreadableFile if it is not usable text."""
    parsed = parse_issue(path.name, decode(path), catalog)
    if not parsed.passages:
        raise UnreadableFile(f"{path.name}: no story text found")
    return parsed
