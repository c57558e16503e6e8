"""A scanned PDF issue (pages that are pictures, no text layer) read with OCR.

Pages are rendered with pypdfium2 (PDFium, Apache-2.0/BSD-3-Clause; it comes with pdfplumber) and
read by Tesseract (Debian's `tesseract-ocr`, Apache-2.0) through pytesseract (Apache-2.0), which
reports (as hOCR) each line with its box and estimated type size, in Tesseract's blocks and
paragraphs.  Tesseract's blocks follow the columns; headings (larger type) and the page furniture
(running header, page number) are then found by `pdf_layout.read_layout` as in a PDF with text.
Without Tesseract the file is refused with a message that says how to install it.
"""

from __future__ import annotations

import shutil
import statistics
from dataclasses import replace

from index.ingest.pdf_layout import Line, Page, read_layout, read_pdf
from index.ingest.pdf_limits import Deadline, NoTextLayer, PdfUnreadable
from index.ingest.reading import Reading

OCR_DPI = 300  # Tesseract reads body type best at 300 dpi
OCR_SIZE_NOISE = 0.15  # Tesseract's size estimates of the lines of one paragraph differ by up to this share
XHTML = "{http://www.w3.org/1999/xhtml}"
LINE_CLASSES = {"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"}
OCR_HEADING_RATIO = 1.3  # line heights vary more than font sizes: a heading must stand out more
INSTALL_TESSERACT = ("reading it needs OCR by Tesseract, which is not installed here: install it "
                     "(Debian or Ubuntu: apt-get install tesseract-ocr) and add the file again")


def read_pdf_or_scan(data: bytes) -> Reading:
    """A PDF issue read from its text layer, or by OCR when it has none."""
    deadline = Deadline()
    try:
        return read_pdf(data, deadline)
    except NoTextLayer:
        return read_scan(data, deadline)


def read_scan(data: bytes, deadline: Deadline) -> Reading:
    if shutil.which("tesseract") is None:
        raise PdfUnreadable(f"no text in the PDF: its pages are pictures (a scan), and {INSTALL_TESSERACT}")
    import pypdfium2

    pages = []
    try:
        document = pypdfium2.PdfDocument(data)
        for number, page in enumerate(document, start=1):
            pages.append(_ocr_page(page, number))
            deadline.check(number)
    except PdfUnreadable:
        raise
    except Exception as exc:  # PDFium or Tesseract failing on a damaged page
        raise PdfUnreadable(f"the scanned pages cannot be read ({type(exc).__name__}: {exc})") from exc
    if not any(line.text.strip() for page in pages for line in page.lines):
        raise PdfUnreadable("no text found on the scanned pages, even by OCR")
    return read_layout(pages, heading_ratio=OCR_HEADING_RATIO)


def _ocr_page(page, number: int) -> Page:
    """One page's lines from Tesseract's hOCR: each line with its box and Tesseract's estimate of its
    type size (`x_size`), in Tesseract's reading order (block by block, which follows the columns)."""
    import pytesseract
    from lxml import etree

    width, height = page.get_size()
    scale = OCR_DPI / 72
    image = page.render(scale=scale, grayscale=True).to_pil()
    hocr = pytesseract.image_to_pdf_or_hocr(image, lang=_languages(), config="--psm 3", extension="hocr")
    root = etree.fromstring(hocr, etree.XMLParser(resolve_entities=False, no_network=True))
    lines = []
    for block_number, block in enumerate(root.iter(f"{XHTML}div"), start=1):
        if block.get("class") != "ocr_carea":
            continue
        for par_number, paragraph in enumerate(block.iter(f"{XHTML}p"), start=1):
            for line in paragraph.iter(f"{XHTML}span"):
                if line.get("class") not in LINE_CLASSES:
                    continue
                words = [w.text.strip() for w in line.iter(f"{XHTML}span") if w.get("class") == "ocrx_word" and w.text
                         and w.text.strip()]
                title = dict(part.strip().split(" ", 1) for part in line.get("title", "").split(";") if " " in part.strip())
                if not words or "bbox" not in title:
                    continue
                x0, top, x1, bottom = (float(v) / scale for v in title["bbox"].split())
                size = round(float(title.get("x_size", (bottom - top) * scale)) / scale, 1)
                lines.append(Line(" ".join(words), x0, x1, top, bottom, size, False, False, (0,), number,
                                  f"o{block_number}.{par_number}"))
    return Page(number, width, height, tuple(_smoothed(lines)))


def _smoothed(lines: list[Line]) -> list[Line]:
    """Each run of lines of a paragraph whose sizes differ by less than OCR_SIZE_NOISE given one size
    (their median), so a paragraph is not cut by Tesseract's estimates; a heading over the text stays apart."""
    runs: list[list[Line]] = []
    for line in lines:
        last = runs[-1][-1] if runs else None
        if last and last.column == line.column and abs(line.size - last.size) <= OCR_SIZE_NOISE * max(line.size, last.size):
            runs[-1].append(line)
        else:
            runs.append([line])
    smoothed = []
    for number, run in enumerate(runs):
        size = statistics.median(line.size for line in run)
        smoothed += [replace(line, size=size, column=f"{line.column}.{number}") for line in run]
    return smoothed


def _languages() -> str:
    """English, and Russian where its Tesseract data is installed (some stories are in Russian)."""
    import pytesseract

    installed = set(pytesseract.get_languages(config=""))
    return "+".join(language for language in ("eng", "rus") if language in installed) or "eng"
