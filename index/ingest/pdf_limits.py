"""How much work a PDF may ask for before it is read: pages, decompressed bytes, and time.

A PDF is a program for drawing pages: a few kilobytes of compressed stream can decompress to
gigabytes (one blank stream shared by every page is enough), and pdfminer, under pdfplumber,
decompresses without limits.  So before the layout is read, the file is measured with pypdf
(https://github.com/py-pdf/pypdf, BSD-3-Clause), which refuses any single stream that decompresses
beyond 75 MB: every stream that is not an image (page contents, forms, fonts, character maps) is
decompressed once, and a page's content streams count again on every page that draws them, because
that is how often they are interpreted.  The total must stay under MAX_DECOMPRESSED_BYTES.  Time is
checked between pages by `Deadline`.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from index.ingest.reading import DocumentUnreadable

MAX_PAGES = 200  # a newsletter issue has 4 to 30 pages
MAX_DECOMPRESSED_BYTES = 128 * 2**20  # a 30-page designed issue decompresses to a few MB of page content
MAX_SECONDS = 120.0  # to read one PDF, OCR included
HEADER_SEARCH_BYTES = 1024  # the PDF header may follow up to this much leading junk
EOF_SEARCH_BYTES = 2048  # the end-of-file marker may be followed by this much trailing junk


class PdfUnreadable(DocumentUnreadable):
    """Not a PDF whose text can be read, or one that asks for more work than an issue needs."""


class NoTextLayer(PdfUnreadable):
    """A PDF whose pages are pictures (a scan): its text can only be read by OCR."""


class Deadline:
    """The time a file may take to read, checked between pages."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = MAX_SECONDS if seconds is None else seconds
        self.started = time.monotonic()

    def check(self, pages_read: int) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise PdfUnreadable(f"reading it took longer than {self.seconds:.0f} s (after {pages_read} pages); "
                                "a newsletter issue takes a few seconds")


@contextmanager
def quiet_pdf_libraries() -> Iterator[None]:
    """pypdf and pdfminer log a warning for every oddity they repair; the caller reports what matters."""
    loggers = [logging.getLogger(name) for name in ("pypdf", "pdfminer")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def check_complete(data: bytes) -> None:
    """PdfUnreadable for bytes that are not a PDF or are cut short.

    PDF libraries read a truncated PDF without complaint, recovering what they can; an issue missing
    its last pages must be refused, not indexed half.  Every complete PDF ends with "%%EOF".
    """
    if b"%PDF-" not in data[:HEADER_SEARCH_BYTES]:
        raise PdfUnreadable("not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-EOF_SEARCH_BYTES:]:
        raise PdfUnreadable("damaged PDF: truncated (its end-of-file marker is missing)")


def check_limits(data: bytes) -> int:
    """The number of pages of the PDF `data`; PdfUnreadable when it is damaged, protected, or over a limit."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    check_complete(data)
    try:
        with quiet_pdf_libraries():
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise PdfUnreadable("the PDF is password-protected; add an unprotected copy")
            pages = len(reader.pages)
            if pages > MAX_PAGES:
                raise PdfUnreadable(f"{pages} pages, more than the {MAX_PAGES} a newsletter issue may have")
            total = _stream_bytes(reader)
    except PdfUnreadable:
        raise
    except LimitReachedError as exc:
        raise PdfUnreadable(f"a stream of the PDF decompresses to more than a newsletter issue holds ({exc})") from exc
    except Exception as exc:  # pypdf raises many kinds of error on damaged input
        raise PdfUnreadable(f"damaged PDF ({type(exc).__name__}: {exc})") from exc
    if total > MAX_DECOMPRESSED_BYTES:
        raise PdfUnreadable(f"its pages decompress to {total // 2**20} MB or more, over the "
                            f"{MAX_DECOMPRESSED_BYTES // 2**20} MB a newsletter issue needs")
    return pages


def _stream_bytes(reader) -> int:
    """Decompressed bytes of every non-image stream once, plus each page's contents for every page
    that draws them; stops counting once over the limit."""
    from pypdf.generic import IndirectObject, StreamObject

    total = 0
    for generation, numbers in reader.xref.items():
        for number in numbers:
            stream = reader.get_object(IndirectObject(number, generation, reader))
            if isinstance(stream, StreamObject) and stream.get("/Subtype") != "/Image":
                total += len(stream.get_data())
                if total > MAX_DECOMPRESSED_BYTES:
                    return total
    for page in reader.pages:
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else []
        for stream in contents if isinstance(contents, list) else [contents]:
            total += len(stream.get_object().get_data())
            if total > MAX_DECOMPRESSED_BYTES:
                return total
    return total
