"""One file of `archive/` -> a ParsedIssue: its metadata, sections and passages.

This is the parsing stage's entry point: it reads the file with the reader of its format (text and
markdown here, a PDF with its layout, a saved web page, a Word document; refusing what cannot be
read), reads the printed header or infers the date, applies the catalog, and gives every section
and passage an id made from the file name and its position, so ids stay the same across rebuilds.
"""

from __future__ import annotations

import os
from pathlib import Path

from index.embed.protocol import WordPieces
from index.errors import ArchiveError
from index.ingest import dates
from index.ingest.blocks import read_blocks
from index.ingest.catalog import Catalog, CatalogEntry
from index.ingest.chrome import without_chrome
from index.ingest.countries import countries_in
from index.ingest.passages import default_word_pieces, size_passages
from index.ingest.reading import DocumentUnreadable, Reading
from index.ingest.stories import DraftSection, group_sections
from index.records import COUNTRIES, Issue, ParsedIssue, Passage, PrintedHeader, Section
from index.text.languages import language_of

ISSUE_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")
# The largest file read.  A newsletter issue's text is ~50 KB and its PDF a few MB; anything far
# bigger is not an issue, and is refused before it is read into memory.
MAX_FILE_BYTES = 20 * 2**20
MAX_PDF_BYTES = 50 * 2**20  # photos make a PDF (or a Word document) large
_WITH_PHOTOS = (".pdf", ".docx")


class UnreadableFile(ArchiveError):
    """A file in the archive that is not a newsletter issue we can read: empty, binary, not UTF-8,
    a damaged PDF."""


def read_document(path: Path) -> Reading:
    """The blocks of `path` as the reader of its format reads them, or UnreadableFile saying why
    it is not usable."""
    data = _read_bytes(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            from index.ingest.ocr import read_pdf_or_scan  # pdfplumber loads only for a PDF

            reading = read_pdf_or_scan(data)
        elif suffix in (".html", ".htm"):
            from index.ingest.html_reader import read_html

            reading = read_html(data)
        elif suffix == ".docx":
            from index.ingest.docx_reader import read_docx

            reading = read_docx(data)
        else:
            reading = read_text(_decode_text(path.name, data))
    except DocumentUnreadable as exc:
        raise UnreadableFile(f"{path.name}: {exc}") from exc
    if not any(ch.isalpha() for block in reading.blocks for ch in block.text):
        raise UnreadableFile(f"{path.name}: holds no words")
    return reading


def read_text(text: str) -> Reading:
    """A text or markdown issue: its blocks, less a news portal's chrome where it was copied from one."""
    kept, dropped = without_chrome(text)
    return Reading(tuple(read_blocks(kept)), dropped, text=kept)


def decode(path: Path) -> str:
    """The text of the text file `path`, or UnreadableFile saying why it is not usable."""
    text = _decode_text(path.name, _read_bytes(path))
    if not any(ch.isalpha() for ch in text):
        raise UnreadableFile(f"{path.name}: holds no words")
    return text


def _read_bytes(path: Path) -> bytes:
    """The bytes of `path`, refused when empty or far larger than an issue (before being read)."""
    limit = MAX_PDF_BYTES if path.suffix.lower() in _WITH_PHOTOS else MAX_FILE_BYTES
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
    return data


def _decode_text(name: str, data: bytes) -> str:
    if b"\x00" in data:
        raise UnreadableFile(f"{name}: binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{name}: not UTF-8 text (byte {exc.start})") from exc


def printed_header(reading: Reading) -> PrintedHeader | None:
    """The header line the issue's number and date are printed in, and where it stands."""
    if reading.header and dates.read_header(reading.header.text):
        return reading.header
    text = next((block.text for block in reading.blocks if block.kind == "header" and dates.read_header(block.text)), None)
    return PrintedHeader(text, "text") if text else None


def _metadata(source: str, reading: Reading, entry: CatalogEntry, newsletter_title: str, author: str | None) -> Issue:
    header = printed_header(reading)
    number, date, provenance = None, None, {"number": "unknown", "date": "unknown"}
    if header:
        number, date = dates.read_header(header.text)
        provenance = {"number": "printed", "date": "printed"}
    elif inferred := dates.latest_event_month(reading.all_text):
        date, provenance["date"] = inferred, "inferred"
    if entry.number is not None:
        number, provenance["number"] = entry.number, "catalog"
    if entry.date is not None:
        date, provenance["date"] = entry.date, "catalog"
    provenance["title"] = "catalog" if entry.title else "inferred"
    provenance["source_link"] = "catalog" if entry.source_link else "unknown"
    author = entry.author or author
    provenance["author"] = "catalog" if author else "unknown"
    title = entry.title or ", ".join(
        [newsletter_title] + ([f"Issue {number}"] if number is not None else []) + ([date.display()] if date else [])
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
        newsletter=newsletter_title,
        author=author,
    )


def _build(issue: Issue, drafts: list[DraftSection], pieces: WordPieces) -> ParsedIssue:
    sections, passages = [], []
    for section_no, draft in enumerate(drafts, start=1):
        section_id = f"{issue.id}-s{section_no}"
        story = [p.text for p in draft.paragraphs if not p.recurring]  # contact lists name every country
        section_text = " ".join([draft.title, draft.dateline or ""] + story)
        sections.append(Section(section_id, issue.id, section_no, draft.title, draft.title_generated,
                                draft.dateline, countries_in(section_text)))
        story_countries = set(countries_in(f"{draft.title} {draft.dateline or ''}"))
        for passage_no, piece in enumerate(size_passages(draft.paragraphs, draft.title, pieces), start=1):
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
                page=piece.page,
                language=language_of(piece.text),
            ))
    return ParsedIssue(issue, tuple(sections), tuple(passages))


def parse_reading(source: str, reading: Reading, catalog: Catalog, pieces: WordPieces | None = None) -> ParsedIssue:
    """Parse what was read from the file named `source` (its name in `archive/`), its passages sized
    for the tokenizer `pieces` (default: the packaged model's)."""
    issue = _metadata(source, reading, catalog.entry(source), catalog.newsletter_title, catalog.author)
    parsed = _build(issue, group_sections(list(reading.blocks)), pieces or default_word_pieces())
    return ParsedIssue(parsed.issue, parsed.sections, parsed.passages, reading.dropped, printed_header(reading))


def parse_issue(source: str, text: str, catalog: Catalog, pieces: WordPieces | None = None) -> ParsedIssue:
    """Parse the text of the text file named `source` (its name in `archive/`)."""
    return parse_reading(source, read_text(text), catalog, pieces)


def read_issue(path: Path, catalog: Catalog, pieces: WordPieces | None = None) -> ParsedIssue:
    """Read and parse one file of the archive; UnreadableFile if it is not a usable issue."""
    parsed = parse_reading(path.name, read_document(path), catalog, pieces)
    if not parsed.passages:
        raise UnreadableFile(f"{path.name}: no story text found")
    return parsed
