"""What a reader of one file format hands to the parser: blocks in reading order, and what it dropped.

Text and markdown are read by `index.ingest.blocks`; a designed PDF by `index.ingest.pdf_layout` (or
`index.ingest.ocr` when it is a scan), a saved web page by `index.ingest.html_reader`, a Word draft by
`index.ingest.docx_reader`.  Each gives a Reading; `index.ingest.reader` turns it into an issue with its
stories and passages.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.ingest.blocks import Block, classify
from index.records import Dropped, PrintedHeader


class DocumentUnreadable(ValueError):
    """The bytes cannot be read as the format their name says; the message says why (without the
    file name)."""


@dataclass(frozen=True)
class Reading:
    """One file as read: its blocks in reading order (a "header" block holds the printed issue
    header, for the metadata), what was kept out of the stories, and where the header was printed.
    `text`: the whole text a text file was read from, where an undated issue's date is looked for
    (in other formats, the blocks' text)."""

    blocks: tuple[Block, ...]
    dropped: tuple[Dropped, ...] = ()
    header: PrintedHeader | None = None
    text: str | None = None

    @property
    def all_text(self) -> str:
        return self.text if self.text is not None else "\n\n".join(block.text for block in self.blocks)


def body_block(lines: list[str], page: int | None = None) -> Block | None:
    """A paragraph's printed lines as a block, cleaned and classified as the text parser does it
    (a caption lead or a dateline is recognised the same way in every format)."""
    block = classify(lines)
    if block is None:
        return None
    return Block(block.kind, block.text, page)
