"""A Word draft of an issue (.docx, as the editor sends it before layout) -> blocks.

Read with python-docx (https://github.com/python-openxml/python-docx, MIT).  A paragraph in one of
Word's heading styles ("Heading 1" to "Heading 9", or a style based on one) is a story title; the
document's "Title" is the newsletter's name, not a story; a "Caption" paragraph is a photo caption
and is dropped.  Tables are read row by row (a key-figures table: the figure and its label).  The
page header and footer are furniture: dropped from the stories, and read for the issue's number
and date when they print them.
"""

from __future__ import annotations

import io
import re

from index.ingest import dates
from index.ingest.blocks import Block
from index.ingest.reading import DocumentUnreadable, Reading, body_block
from index.records import Dropped, PrintedHeader


def read_docx(data: bytes) -> Reading:
    """The blocks of a Word document; DocumentUnreadable when it is not one."""
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, XML and package errors on damaged input
        raise DocumentUnreadable(f"not a readable Word document ({type(exc).__name__}: {exc})") from exc
    dropped: list[Dropped] = []
    header = None
    for section in document.sections:
        for part, kind in ((section.header, "page header"), (section.footer, "page footer")):
            for paragraph in part.paragraphs:
                text = " ".join(paragraph.text.split())
                if text:
                    dropped.append(Dropped(kind, text))
                    if header is None and dates.read_header(text):
                        header = PrintedHeader(text, kind)
    blocks = [Block("header", header.text)] if header else []
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            blocks += [block for row in item.rows if (block := body_block([_row_text(row)]))]
            continue
        text = " ".join(item.text.split())
        style = _style_names(item)
        if not text:
            continue
        if "Caption" in style:
            dropped.append(Dropped("caption", text))
        elif "Title" in style or dates.is_header(text):
            blocks.append(Block("header" if dates.is_header(text) else "heading", text))
        elif any(re.fullmatch(r"Heading \d", name) for name in style):
            blocks.append(Block("heading", text))
        elif block := body_block([text]):
            blocks.append(block)
    return Reading(tuple(blocks), tuple(dropped), header)


def _style_names(paragraph) -> list[str]:
    """The paragraph's style and the styles it is based on ("My heading" based on "Heading 1")."""
    names, style = [], paragraph.style
    while style is not None and len(names) < 10:
        names.append(style.name)
        style = style.base_style
    return names


def _row_text(row) -> str:
    cells = list(dict.fromkeys(" ".join(cell.text.split()) for cell in row.cells))  # merged cells repeat
    return " ".join(cell for cell in cells if cell)
