"""A PDF newsletter issue -> text laid out the way the text issues are, for the same parser.

Text extraction uses pypdf (https://github.com/py-pdf/pypdf): BSD-3-Clause licence, pure Python (nothing
to compile, no system library), actively maintained.  What this module adds to pypdf's text, and why:

- Paragraphs.  pypdf's plain text has one line per printed line and no gap between paragraphs, but
  the parser reads blocks separated by blank lines (a heading is a short block of its own).  pypdf
  reports where each piece of text sits and its type size (`visitor_text`), so a blank line is put
  where the gap above a line is clearly wider than the usual line spacing of its type size, where
  the type size changes (a heading), and where the text goes back up the page (a new column or frame).
- Reading order.  Text is taken in content-stream order (pypdf's "plain" mode), the order in which
  the producing program wrote its text frames: Word, LibreOffice, InDesign and LaTeX write a
  column's lines one after another, so columns come out one after the other.  pypdf's "layout"
  mode was rejected: it prints the page as a character grid, which interleaves the lines of
  side-by-side columns.  A PDF whose producer wrote both columns line by line cannot be untangled
  from pypdf's output and comes out interleaved.
- Running headers and footers.  A line that, digits aside, stands among the first or last
  RUNNING_ZONE lines of more than half of the pages (two at least) is removed from every page.  When
  it is the issue's printed header ("..., ISSUE 9, 24/12/2020"), its first copy is kept as a block of
  its own, because the parser reads the issue number and date from it (and keeps it out of passages).
- Hyphenation.  A word hyphenated at a line end is joined when the next line starts in lowercase
  ("migra-" + "tion" -> "migration"); before a capital or a digit the hyphen is kept and the line
  break removed ("COVID-" + "19" -> "COVID-19").  Also across a page break.
- Pages end with a blank line, so a paragraph cut by a page break is mended by the parser.
"""

from __future__ import annotations

import io
import logging
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TYPE_CHECKING

from index.ingest import dates

if TYPE_CHECKING:
    from pypdf import PageObject

RUNNING_ZONE = 2  # lines at the top and at the bottom of a page where running headers and footers stand
PARAGRAPH_GAP = 1.3  # a gap this many times the usual line spacing separates paragraphs
SIZE_CHANGE = 0.15  # a type size this much larger or smaller than the line above starts a block
HEADER_SEARCH_BYTES = 1024  # the PDF header may follow up to this much leading junk
EOF_SEARCH_BYTES = 2048  # the end-of-file marker may be followed by this much trailing junk


class PdfUnreadable(ValueError):
    """The bytes are not a PDF whose text can be read; the message says why (without the file name)."""


@dataclass(frozen=True)
class Line:
    """One printed line: its text, the height of its baseline on the page and its type size
    (None where pypdf reported no position).  `starts_block`: a blank line goes before it."""

    text: str
    y: float | None
    size: float | None
    starts_block: bool = False


def pdf_text(data: bytes) -> str:
    """The text of a PDF issue, one printed line a line, blank lines between blocks and pages."""
    _check_complete(data)
    pages = _read_pages(data)
    if not any(line.text.strip() for page in pages for line in page):
        raise PdfUnreadable("no text in the PDF (a scanned image? it needs OCR first)")
    pitches = _usual_line_pitches(pages)
    running = running_lines(pages)
    lines = [line for page in _without_running_lines(pages, running) for line in _mark_blocks(page, pitches)]
    return _render(join_hyphenated(lines))


def _check_complete(data: bytes) -> None:
    """PdfUnreadable for bytes that are not a PDF or are cut short.

    pypdf reads a truncated PDF without complaint, recovering what it can; an issue missing its
    last pages must be refused, not indexed half.  Every complete PDF ends with "%%EOF".
    """
    if b"%PDF-" not in data[:HEADER_SEARCH_BYTES]:
        raise PdfUnreadable("not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-EOF_SEARCH_BYTES:]:
        raise PdfUnreadable("damaged PDF: truncated (its end-of-file marker is missing)")


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs a warning for every oddity it repairs; the caller reports what matters."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _read_pages(data: bytes) -> list[list[Line]]:
    from pypdf import PdfReader  # imported here: only PDF issues need it

    try:
        with _quiet_pypdf():
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise PdfUnreadable("the PDF is password-protected; add an unprotected copy")
            return [page_lines(page) for page in reader.pages]
    except PdfUnreadable:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on damaged input
        raise PdfUnreadable(f"damaged PDF ({type(exc).__name__}: {exc})") from exc


# --- lines and their positions ---------------------------------------------------------------------

def page_lines(page: PageObject) -> list[Line]:
    """The non-blank lines of a pypdf page in content-stream order, each with its position and size.

    pypdf's text is exactly the concatenation of the pieces it hands to `visitor_text`, so the
    lines are those of `page.extract_text()`, and a line's position is that of its first piece.
    """
    pieces: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, font_size: float) -> None:
        # the text origin in page space: the text matrix tm, then the transformation matrix cm
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        pieces.append((text, y, abs(font_size * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]))))

    page.extract_text(visitor_text=visit)
    lines: list[Line] = []
    text, y, size = "", None, None
    for piece, piece_y, piece_size in pieces:
        for number, part in enumerate(piece.split("\n")):
            if number:
                lines.append(Line(text, y, size))
                text, y, size = "", None, None
            if part.strip() and y is None:
                y, size = piece_y, piece_size
            text += part
    lines.append(Line(text, y, size))
    return [replace(line, text=line.text.strip()) for line in lines if line.text.strip()]


def _usual_line_pitches(pages: list[list[Line]]) -> dict[float, float]:
    """For each type size, the usual distance between consecutive lines of a paragraph."""
    gaps: dict[float, list[float]] = {}
    for page in pages:
        for above, line in pairwise(page):
            if above.y is None or line.y is None or not line.size or above.size != line.size:
                continue
            drop = above.y - line.y
            if 0.5 * line.size < drop < 3 * line.size:
                gaps.setdefault(round(line.size, 1), []).append(drop)
    return {size: statistics.median(drops) for size, drops in gaps.items()}


def _starts_block(above: Line, line: Line, pitches: dict[float, float]) -> bool:
    """Whether a blank line belongs between `above` and `line` (see the module docstring)."""
    if above.y is None or line.y is None or not above.size or not line.size:
        return False
    if abs(line.size - above.size) > SIZE_CHANGE * max(line.size, above.size):
        return True
    drop = above.y - line.y
    if drop < -0.5 * line.size:
        return True
    return drop > PARAGRAPH_GAP * pitches.get(round(line.size, 1), 1.2 * line.size)


def _mark_blocks(page: list[Line], pitches: dict[float, float]) -> list[Line]:
    """The page's lines with `starts_block` set.  The first line of a page starts a block, and a
    printed issue header is a block of its own, as the parser expects to find it."""
    return [replace(line, starts_block=i == 0 or dates.is_header(line.text) or dates.is_header(page[i - 1].text)
                    or _starts_block(page[i - 1], line, pitches))
            for i, line in enumerate(page)]


# --- running headers and footers -------------------------------------------------------------------

def _running_key(text: str) -> str:
    """A line as compared across pages: digits (page numbers, dates) aside, case and spacing ignored."""
    return " ".join(re.sub(r"\d+", "#", text).casefold().split())


def _in_zone(index: int, page: list[Line]) -> bool:
    """Whether the line at `index` stands where running headers and footers do."""
    return index < RUNNING_ZONE or index >= len(page) - RUNNING_ZONE


def running_lines(pages: list[list[Line]]) -> set[str]:
    """The keys (`_running_key`) of lines standing at the top or bottom of more than half of the pages."""
    counts = Counter(key for page in pages
                     for key in {_running_key(line.text) for i, line in enumerate(page) if _in_zone(i, page)})
    needed = max(2, len(pages) // 2 + 1)
    return {key for key, count in counts.items() if count >= needed}


def _without_running_lines(pages: list[list[Line]], running: set[str]) -> list[list[Line]]:
    """Running lines taken out of each page's top and bottom, except the first printed issue header."""
    kept_header = False
    cleaned = []
    for page in pages:
        lines = []
        for i, line in enumerate(page):
            if _in_zone(i, page) and _running_key(line.text) in running:
                if kept_header or not dates.is_header(line.text):
                    continue
                kept_header = True
            lines.append(line)
        cleaned.append(lines)
    return cleaned


# --- hyphenation and the text -------------------------------------------------------------------------

_HYPHEN_END = re.compile(r"(?<=[^\W\d_])[-\u00ad]$")


def join_hyphenated(lines: list[Line]) -> list[Line]:
    """Words hyphenated at a line end joined with the next line (see the module docstring)."""
    joined: list[Line] = []
    for line in lines:
        above = joined[-1] if joined else None
        if above is None or not _HYPHEN_END.search(above.text) or not line.text[0].isalnum():
            joined.append(line)
        elif line.text[0].islower():
            joined[-1] = replace(above, text=above.text[:-1] + line.text)
        elif not line.starts_block:
            joined[-1] = replace(above, text=above.text.removesuffix("\u00ad") + line.text)
        else:
            joined.append(line)
    return joined


def _render(lines: list[Line]) -> str:
    out = []
    for line in lines:
        if line.starts_block and out:
            out.append("")
        out.append(line.text)
    return "\n".join(out) + "\n"
