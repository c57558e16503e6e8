"""A newsletter issue saved from a web page (.html, .htm) -> its article's blocks, the site left out.

The article is found by trafilatura (https://github.com/adbar/trafilatura, Apache-2.0 since 1.8),
a maintained boilerplate remover that scores a page's parts and keeps the main text with its
headings, paragraphs and lists, dropping navigation, share links, metadata lists, "related content"
and footers.  Its XML output keeps the structure: a `head` is a story title, a `p` a paragraph, a
list's items stay items.  What it kept that is still a portal's chrome (a "Share" line) is dropped by
`chrome.is_chrome`.  What a reader of the page saw but the article does not hold is reported as
dropped, so `add --dry-run` shows what was left out.

The issue's number and date: from a heading or title that prints them ("… – Issue 11, 30 November
2023"), else from the page title with the page's own publication date (a `<time>` element, or the
article's published-time metadata, as trafilatura's htmldate finds it).
"""

from __future__ import annotations

import datetime
import re

from index.ingest import dates
from index.ingest.blocks import Block
from index.ingest.chrome import is_chrome
from index.ingest.reading import DocumentUnreadable, Reading, body_block
from index.records import Dropped, PrintedHeader

_BLOCK_TAGS = {"p", "div", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "figcaption",
               "figure", "header", "footer", "nav", "section", "aside", "article", "main", "ul", "ol", "dl", "form",
               "button", "blockquote", "pre", "body", "table", "br"}
_INVISIBLE = ("script", "style", "noscript", "template", "svg", "head")


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise DocumentUnreadable("binary data, not a web page")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes  # a page saved in its site's own encoding

        best = from_bytes(data).best()
        if best is None:
            raise DocumentUnreadable("not text in any known encoding") from None
        return str(best)


def read_html(data: bytes) -> Reading:
    """The article of a saved web page as blocks; DocumentUnreadable when the page has none."""
    import trafilatura
    from lxml import etree

    page = _decode(data)
    if not re.search(r"<\s*(html|body|p|div|article)\b", page, re.I):
        raise DocumentUnreadable("not a web page (no HTML elements)")
    extracted = trafilatura.extract(page, output_format="xml", include_formatting=True, include_tables=True,
                                    include_images=False, include_comments=False, with_metadata=True)
    if not extracted:
        raise DocumentUnreadable("no article text found on the web page")
    document = etree.fromstring(extracted.encode("utf-8"))
    blocks, chrome = _article_blocks(document)
    header = _header(document, blocks)
    if header:
        blocks = [Block("header", header.text)] + [b for b in blocks if b.text != header.text]
    dropped = chrome + tuple(Dropped("site chrome", text) for text in _visible_texts(page) if not _in_article(text, blocks))
    return Reading(tuple(blocks), dropped, header)


def _letters(text: str) -> str:
    """Text reduced to its letters, to tell whether one text holds another (note calls, spacing aside)."""
    return re.sub(r"[\W\d_]+", "", text.casefold())


def _in_article(text: str, blocks: list[Block]) -> bool:
    """Whether a text seen on the page is in the article: a whole block of it, or, when it is long
    enough not to match by chance, a part of its text."""
    key = _letters(text)
    if len(text.split()) >= 6:
        return key in _letters(" ".join(block.text for block in blocks))
    return any(key == _letters(block.text) for block in blocks)


def _text(element) -> str:
    """An element's words, note calls (superscript numbers) left out."""
    for sup in element.xpath(".//hi[@rend='#sup']"):
        if re.fullmatch(r"\W*\d{1,2}\W*", "".join(sup.itertext())):
            sup.text = ""
    return " ".join("".join(element.itertext()).split())


def _article_blocks(document) -> tuple[list[Block], tuple[Dropped, ...]]:
    blocks: list[Block] = []
    chrome: list[Dropped] = []
    for element in document.iter("head", "p", "list", "table", "quote"):
        if element.getparent() is not None and element.getparent().tag in ("item", "cell", "list", "quote"):
            continue
        if element.tag == "list":  # each item a paragraph (a key figure with its label)
            texts = [_text(item) for item in element.iter("item")]
        elif element.tag == "table":
            texts = [" ".join(_text(cell) for cell in row.iter("cell")) for row in element.iter("row")]
        else:
            texts = [_text(element)]
        for text in filter(None, texts):
            if is_chrome(text):
                chrome.append(Dropped("site chrome", text))
            elif element.tag == "head":
                blocks.append(Block("header" if dates.is_header(text) else "heading", text))
            elif block := body_block([text]):
                blocks.append(block)
    return blocks, tuple(chrome)


def _header(document, blocks: list[Block]) -> PrintedHeader | None:
    """Where the issue's number and date are printed: an article heading, the page title, or the page
    title with the page's publication date."""
    heading = next((b.text for b in blocks if b.kind == "header" and dates.read_header(b.text)), None)
    if heading:
        return PrintedHeader(heading, "page heading")
    title = document.get("title") or ""
    if dates.read_header(title):
        return PrintedHeader(title, "page title")
    published = document.get("date") or ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
        combined = f"{title}\n{datetime.date.fromisoformat(published).strftime('%d %B %Y').lstrip('0')}"
        if dates.read_header(combined):
            return PrintedHeader(combined, "page title and publication date")
    return None


def _visible_texts(page: str) -> list[str]:
    """The texts a reader of the page sees, one per block-level element, in page order."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(page)
    except Exception:  # noqa: BLE001 - a page lxml cannot parse has nothing more to report
        return []
    for element in list(root.iter(*_INVISIBLE)):
        element.drop_tree()
    texts: list[str] = []
    _collect(root, texts)
    return list(dict.fromkeys(" ".join(text.split()) for text in texts if text.strip()))


def _is_block(element) -> bool:
    return isinstance(element.tag, str) and (element.tag in _BLOCK_TAGS or any(
        isinstance(e.tag, str) and e.tag in _BLOCK_TAGS for e in element.iterdescendants()))


def _collect(element, texts: list[str]) -> None:
    """The text of `element` split at its block-level children, each of them collected in turn."""
    parts = [element.text or ""]
    for child in element:
        if _is_block(child):
            texts.append(" ".join(parts))
            parts = []
            _collect(child, texts)
        elif isinstance(child.tag, str):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    texts.append(" ".join(parts))
