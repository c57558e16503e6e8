"""A designed PDF newsletter issue -> blocks in reading order, read from the layout the PDF carries.

The library is pdfplumber (https://github.com/jsvine/pdfplumber, MIT, on pdfminer.six, MIT): every
word with its position, font name, size and fill colour, and the page's filled rectangles and images.
pypdf (BSD) and pypdfium2 (Apache/BSD) give positions but not weight or colour; PyMuPDF is AGPL.
pdfminer's own layout analysis (LAParams) groups text into boxes without knowing columns, running
headers or headings, which are what a newsletter's reader goes by.  What is read, and how:

- Columns.  A gutter is a vertical strip of the page that (almost) no word covers, from the top of
  the text to its bottom; the strips between gutters are columns.  A line that crosses a gutter (a
  masthead, a banner headline) spans the columns and cuts the page into bands; each band is read
  column by column, top to bottom.  The order the producing program wrote the text in is ignored.
- Page furniture.  A line in the top or bottom ZONE of a page whose text, digits aside, stands there
  on most pages is a running header or footer; a page number or the printed issue header there
  also counts on a page of its own.  They are dropped from the stories; the issue header is read for
  the number and date.  Small lines below a page's text that start with a note number are footnotes,
  and the note numbers in the text (small digits) go too.
- Boxes.  Words on a filled rectangle (a key-figures box, a sidebar) are read apart from the text
  around them, and the box becomes a story of its own after the story it stands beside (before the
  next heading), so that story stays whole.  A figure line ("7,801", "USD 2.5 million") starts a
  paragraph with the label under it.
- Captions.  Small or italic lines just under or over a picture, or small lines that name a photo
  ("Photo:", "©"), are captions: dropped from the stories.
- Headings.  The body type is the style (size, weight, colour) most of the text is set in; a line
  set larger, bolder or in another colour is a heading, and the lines of one heading (it may wrap)
  are joined.  A figure in large type is not a heading.
- Paragraphs.  Within a column a gap wider than the usual line spacing, a change of type, or a
  short last line ending a sentence ends a paragraph; a word hyphenated at a line end is joined.
  A paragraph cut by a column or page break is mended by the parser (`parsing.mend_page_breaks`).
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from index.ingest import dates
from index.ingest.blocks import Block
from index.ingest.pdf_limits import Deadline, NoTextLayer, PdfUnreadable, check_limits, quiet_pdf_libraries
from index.ingest.reading import Reading, body_block
from index.records import Dropped, PrintedHeader

ZONE = 0.1  # the top and bottom tenth of a page, where running headers and footers stand
MIN_WORDS_FOR_COLUMNS = 10  # fewer words than this are read as one column
MIN_GUTTER = 7.0  # points: the narrowest white strip that separates columns
GUTTER_COVER = 0.04  # a strip is white when fewer than this share of the page's lines reach into it
HEADING_RATIO = 1.12  # a line this much larger than the body type is a heading
PARAGRAPH_GAP = 1.25  # a gap this many times the usual line spacing ends a paragraph
SMALL = 0.88  # type this much smaller than the body's is a caption's, a footnote's or a note number's
_PAGE_NUMBER = re.compile(r"^[\W_]*(page|p\.|стр\.?)?\s*\d{1,3}(\s*(of|/|из)\s*\d{1,3})?[\W_]*$", re.I)
_FIGURE_LINE = re.compile(r"^(?:[A-Z]{3}|[$€£₽])?\s*[+~]?\d[\d\s.,]*(?:%|\s*(?:million|thousand|billion|mln|k|"
                          r"тыс\.|млн\.?|млрд\.?))?\+?$",
                          re.I)
_NOTE_NUMBER = re.compile(r"[\d¹²³⁴⁵⁶⁷⁸⁹*†]{1,2}")
_NOTE_MARK = re.compile(r"^(\d{1,2}|[¹²³⁴⁵⁶⁷⁸⁹*†‡])\s*\S")
_PHOTO_WORDS = re.compile(r"\bphoto\b|©|\bcredit\b|\bфото\b", re.I)
_HYPHEN_END = re.compile(r"(?<=[^\W\d_])[-\u00ad]$")


@dataclass(frozen=True)
class Line:
    """A printed line: its text, box (points, from the top of the page), type and where it stands.
    `column` identifies the column or box it belongs to on its page ("s" for a spanning line)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    italic: bool
    colour: tuple
    page: int
    column: str

    @property
    def style(self) -> tuple:
        return (round(self.size * 2) / 2, self.bold, self.italic, self.colour)


@dataclass(frozen=True)
class Page:
    """The lines of one page in reading order, the page's size, its pictures and its boxes' lines."""

    number: int
    width: float
    height: float
    lines: tuple[Line, ...]
    boxes: tuple[tuple[Line, ...], ...] = ()
    pictures: tuple[tuple[float, float, float, float], ...] = ()  # x0, top, x1, bottom


def read_pdf(data: bytes, deadline: Deadline | None = None) -> Reading:
    """The blocks of a designed PDF issue; PdfUnreadable when it cannot be read, NoTextLayer when
    it is a picture of pages (a scan)."""
    check_limits(data)
    deadline = deadline or Deadline()
    pages = _read_pages(data, deadline)
    if not any(re.search(r"\w", line.text) for page in pages for line in page.lines + sum(page.boxes, ())):
        raise NoTextLayer("no text in the PDF (a scanned image)")
    return read_layout(pages)


def _read_pages(data: bytes, deadline: Deadline) -> list[Page]:
    import pdfplumber

    pages = []
    try:
        with quiet_pdf_libraries(), pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                pages.append(_page(page, number))
                page.close()  # pdfplumber caches each page's objects; a long issue need not hold them all
                deadline.check(number)
    except PdfUnreadable:
        raise
    except Exception as exc:  # pdfminer raises many kinds of error on damaged input
        raise PdfUnreadable(f"damaged PDF ({type(exc).__name__}: {exc})") from exc
    return pages


# --- one page: words -> lines in reading order ---------------------------------------------------

def _colour(value: object) -> tuple:
    """A fill colour as a comparable tuple; any grey (and black) is (0,) so grey text is not a heading."""
    if not isinstance(value, (tuple, list)) or not value or not all(isinstance(c, (int, float)) for c in value):
        return (0,)
    channels = tuple(round(float(c), 2) for c in value)
    grey = (len(channels) == 3 and max(channels) - min(channels) < 0.05  # RGB
            or len(channels) == 4 and max(channels[:3]) < 0.05)  # CMYK without cyan, magenta or yellow
    return (0,) if grey or len(channels) == 1 else channels


def _page(page, number: int) -> Page:
    words = page.extract_words(extra_attrs=["fontname", "size", "non_stroking_color"], keep_blank_chars=False)
    boxes = _boxes(page)
    in_box: dict[int, list[dict]] = {i: [] for i in range(len(boxes))}
    flow = []
    for word in words:
        cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
        box = next((i for i, (x0, top, x1, bottom) in enumerate(boxes) if x0 <= cx <= x1 and top <= cy <= bottom), None)
        (flow if box is None else in_box[box]).append(word)
    pictures = tuple((img["x0"], img["top"], img["x1"], img["bottom"]) for img in page.images
                     if img["x1"] - img["x0"] > 30 and img["bottom"] - img["top"] > 30)
    return Page(number, float(page.width), float(page.height), tuple(ordered_lines(flow, number, "c", float(page.height))),
                tuple(tuple(ordered_lines(box_words, number, f"b{i}")) for i, box_words in in_box.items() if box_words),
                pictures)


def _boxes(page) -> list[tuple[float, float, float, float]]:
    """Filled, coloured rectangles big enough to hold text, touching ones merged (a table's cells)."""
    area = float(page.width) * float(page.height)
    rects = []
    for rect in page.rects:
        colour = rect.get("non_stroking_color")
        if not rect.get("fill") or colour is None or _is_white(colour):
            continue
        if rect["width"] < 40 or rect["height"] < 15 or rect["width"] * rect["height"] > 0.5 * area:
            continue
        rects.append([rect["x0"], rect["top"], rect["x1"], rect["bottom"]])
    merged: list[list[float]] = []
    for rect in sorted(rects, key=lambda r: (r[1], r[0])):
        touching = next((m for m in merged if rect[0] <= m[2] + 1 and m[0] <= rect[2] + 1
                         and rect[1] <= m[3] + 1 and m[1] <= rect[3] + 1), None)
        if touching:
            touching[:] = [min(touching[0], rect[0]), min(touching[1], rect[1]),
                           max(touching[2], rect[2]), max(touching[3], rect[3])]
        else:
            merged.append(rect)
    return [tuple(m) for m in merged]


def _is_white(colour: object) -> bool:
    values = colour if isinstance(colour, (tuple, list)) else (colour,)
    numbers = [v for v in values if isinstance(v, (int, float))]
    return max(numbers) < 0.03 if len(numbers) == 4 else bool(numbers) and min(numbers) > 0.97  # CMYK or RGB/grey


def gutters(words: list[dict]) -> list[tuple[float, float]]:
    """The white vertical strips between columns: (left, right) in points, left to right."""
    if len(words) < MIN_WORDS_FOR_COLUMNS:
        return []
    left, right = min(w["x0"] for w in words), max(w["x1"] for w in words)
    cover = [0] * (int(right - left) + 2)
    rows = Counter()
    for w in words:
        rows[round(w["top"])] += 1
        for x in range(int(w["x0"] - left), int(w["x1"] - left) + 1):
            cover[x] += 1
    limit = GUTTER_COVER * len(rows)
    found, start = [], None
    for x, count in enumerate(cover + [limit + 1]):
        if count <= limit and start is None:
            start = x
        elif count > limit and start is not None:
            if x - start >= MIN_GUTTER and start > 0:
                found.append((left + start, left + x))
            start = None
    return [g for g in found if _words_beside(words, g)]


def _words_beside(words: list[dict], gutter: tuple[float, float]) -> bool:
    """A gutter has text on both sides (five words at least), not a ragged margin."""
    return (sum(w["x1"] <= gutter[0] + 1 for w in words) >= 5 and sum(w["x0"] >= gutter[1] - 1 for w in words) >= 5)


def ordered_lines(words: list[dict], page: int, prefix: str, height: float | None = None) -> list[Line]:
    """Words -> lines, in reading order: band by band (cut by lines spanning the columns), each band
    column by column, each column top to bottom.  Columns are found between the zones where running
    headers and footers stand (a footer centred on the page stands in the gutter)."""
    inside = [w for w in words if height is None or ZONE * height <= w["top"] and w["bottom"] <= (1 - ZONE) * height]
    strips = gutters(inside if len(inside) >= MIN_WORDS_FOR_COLUMNS else words)

    def crosses(word: dict) -> bool:
        return any(word["x0"] < g[1] - 1 and word["x1"] > g[0] + 1 for g in strips)

    # a line spanning the columns: the heights of the words that cross a gutter, and every word there
    bands = [(w["top"] - 1, w["bottom"] + 1) for w in words if crosses(w)]
    columns: dict[int, list[dict]] = {}
    for word in words:
        middle = (word["top"] + word["bottom"]) / 2
        column = -1 if any(top <= middle <= bottom for top, bottom in bands) else sum(word["x0"] >= g[1] - 1 for g in strips)
        columns.setdefault(column, []).append(word)
    spanning = _lines(columns.pop(-1, []), page, f"{prefix}s")
    column_lines = [_lines(ws, page, f"{prefix}{n}") for n, ws in sorted(columns.items())]
    ordered: list[Line] = []
    done: set[int] = set()
    for cut in sorted(spanning, key=lambda line: line.top) + [None]:
        for lines in column_lines:
            for line in lines:
                if id(line) not in done and (cut is None or line.top < cut.top):
                    ordered.append(line)
                    done.add(id(line))
        if cut is not None:
            ordered.append(cut)
    return ordered


def _lines(words: list[dict], page: int, column: str) -> list[Line]:
    """Words of one column grouped into lines (a word belongs to the line its middle height falls in);
    note numbers set small in the text are left out."""
    rows: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        middle = (word["top"] + word["bottom"]) / 2
        row = next((r for r in reversed(rows[-3:]) if r[0]["top"] - 1 <= middle <= max(w["bottom"] for w in r) + 1), None)
        if row is None:
            rows.append([word])
        else:
            row.append(word)
    return [_line(sorted(row, key=lambda w: w["x0"]), page, column) for row in rows]


def _line(row: list[dict], page: int, column: str) -> Line:
    main = max(w["size"] for w in row)
    kept = [w for w in row if w is row[0] or not (w["size"] < SMALL * main and _NOTE_NUMBER.fullmatch(w["text"]))]

    def most(key) -> object:
        return Counter(key(w) for w in kept for _ in w["text"]).most_common(1)[0][0]

    font = str(most(lambda w: w["fontname"]))
    return Line(" ".join(w["text"] for w in kept), min(w["x0"] for w in kept), max(w["x1"] for w in kept),
                min(w["top"] for w in kept), max(w["bottom"] for w in kept), float(most(lambda w: round(w["size"], 1))),
                bool(re.search(r"bold|black|heavy|semibold|demi", font, re.I)),
                bool(re.search(r"italic|oblique", font, re.I)), most(lambda w: _colour(w["non_stroking_color"])),
                page, column)


# --- the whole document: furniture out, then headings and paragraphs -----------------------------

def _in_zone(line: Line, page: Page) -> bool:
    return line.top < ZONE * page.height or line.bottom > (1 - ZONE) * page.height


def _running_key(text: str) -> str:
    return " ".join(re.sub(r"\d+", "#", text).casefold().split())


class _Furniture:
    """What is dropped, gathered by kind and text with the pages it stands on."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], list[int]] = {}
        self.texts: dict[tuple[str, str], str] = {}  # as printed where first seen
        self.header: PrintedHeader | None = None

    def add(self, kind: str, text: str, page: int) -> None:
        key = (kind, _running_key(text) if kind in ("running header or footer", "page number") else text)
        self.pages.setdefault(key, []).append(page)
        self.texts.setdefault(key, text)
        if self.header is None and kind not in ("caption", "footnote") and dates.read_header(text):
            where = "running header" if kind == "running header or footer" else f"header of page {page}"
            self.header = PrintedHeader(text, where)

    def dropped(self) -> tuple[Dropped, ...]:
        return tuple(Dropped(kind, self.texts[kind, key], tuple(sorted(set(pages))))
                     for (kind, key), pages in self.pages.items())


def read_layout(pages: list[Page], heading_ratio: float = HEADING_RATIO) -> Reading:
    """The Reading of laid-out pages (from pdfplumber, or from OCR)."""
    running = _running_keys(pages)
    furniture = _Furniture()
    kept_pages = []
    for page in pages:
        kept = []
        for line in page.lines:
            if kind := _furniture_kind(line, page, running):
                furniture.add(kind, line.text, page.number)
            else:
                kept.append(line)
        kept_pages.append(replace(page, lines=tuple(kept)))
    body = _body_style([line for page in kept_pages for line in page.lines])
    blocks: list[Block] = []
    if furniture.header:
        blocks.append(Block("header", furniture.header.text))
    pending_boxes: list[list[Block]] = []
    for page in kept_pages:
        lines = _drop_notes_and_captions(page, body, furniture)
        for block in _blocks(lines, body, heading_ratio):
            if block.kind == "heading" and pending_boxes:
                blocks += [b for box in pending_boxes for b in box]
                pending_boxes = []
            _append(blocks, block)
        pending_boxes += [_box_blocks(list(box), body, heading_ratio) for box in page.boxes]
    blocks += [b for box in pending_boxes for b in box]
    return Reading(tuple(blocks), furniture.dropped(), furniture.header)


def _running_keys(pages: list[Page]) -> set[str]:
    counts = Counter(key for page in pages for key in {_running_key(l.text) for l in page.lines if _in_zone(l, page)})
    needed = max(2, len(pages) // 2 + 1)
    return {key for key, count in counts.items() if count >= needed}


def _furniture_kind(line: Line, page: Page, running: set[str]) -> str | None:
    if not _in_zone(line, page):
        return None
    if _PAGE_NUMBER.match(line.text):
        return "page number"
    if _running_key(line.text) in running:
        return "running header or footer"
    if dates.is_header(line.text):
        return "issue header"
    return None


def _body_style(lines: list[Line]) -> tuple:
    """The style most characters are set in."""
    counts = Counter()
    for line in lines:
        counts[line.style] += len(line.text)
    return counts.most_common(1)[0][0] if counts else (10.0, False, False, (0,))


def _drop_notes_and_captions(page: Page, body: tuple, furniture: _Furniture) -> list[Line]:
    """The page's lines less its footnotes (small lines under the text starting with a note number)
    and photo captions; a caption or footnote of several lines is dropped as one."""
    size = body[0]
    text_bottom = max((line.bottom for line in page.lines if line.size >= SMALL * size), default=0)
    kept: list[Line] = []
    notes: list[tuple[str, list[Line]]] = []
    for line in page.lines:
        small = line.size < SMALL * size
        previous = notes[-1] if notes else None
        if small and line.top >= text_bottom and (_NOTE_MARK.match(line.text) or (previous and previous[0] == "footnote")):
            if _NOTE_MARK.match(line.text) or not previous:
                notes.append(("footnote", [line]))
            else:
                previous[1].append(line)
        elif (small or line.italic) and previous and previous[0] == "caption" and _continues_caption(previous[1][-1], line):
            previous[1].append(line)
        elif (small or line.italic) and _is_caption(line, page, size):
            notes.append(("caption", [line]))
        else:
            kept.append(line)
    for kind, lines in notes:
        furniture.add(kind, " ".join(_dehyphenate([line.text for line in lines])), page.number)
    return kept


def _continues_caption(caption: Line | None, line: Line) -> bool:
    """The next line of a caption: the same type, in the same column, right under it."""
    return (caption is not None and caption.style == line.style and caption.column == line.column
            and 0 <= line.top - caption.bottom < line.size)


def _is_caption(line: Line, page: Page, body_size: float) -> bool:
    """Just under or over a picture and overlapping it, or small type naming a photo."""
    for x0, top, x1, bottom in page.pictures:
        beside = line.x0 < x1 and line.x1 > x0
        if beside and (-2 <= line.top - bottom <= 3 * line.size or -2 <= top - line.bottom <= 3 * line.size):
            return True
    return line.size < SMALL * body_size and bool(_PHOTO_WORDS.search(line.text))


def _is_heading(line: Line, body: tuple, ratio: float) -> bool:
    size, bold, _, colour = body
    if not re.search(r"[^\W\d_]{2}", line.text) or _FIGURE_LINE.match(line.text):
        return False
    larger = line.size >= ratio * size
    same_size = line.size >= 0.95 * size
    return larger or (same_size and line.bold and not bold) or (same_size and line.colour != colour and line.colour != (0,))


def _pitches(lines: Iterable[Line]) -> dict[float, float]:
    """For each type size, the usual distance from one line's top to the next in a paragraph."""
    gaps: dict[float, list[float]] = {}
    previous = None
    for line in lines:
        if previous and previous.column == line.column and previous.style == line.style:
            drop = line.top - previous.top
            if 0.8 * line.size < drop < 3 * line.size:
                gaps.setdefault(round(line.size, 1), []).append(drop)
        previous = line
    return {size: statistics.median(drops) for size, drops in gaps.items()}


def _blocks(lines: list[Line], body: tuple, ratio: float) -> list[Block]:
    """The page's lines (furniture out) as heading and body blocks."""
    pitches = _pitches(lines)
    right_edge: dict[str, float] = {}
    for line in lines:
        right_edge[line.column] = max(right_edge.get(line.column, 0), line.x1)
    units: list[tuple[bool, list[Line]]] = []
    for line in lines:
        heading = _is_heading(line, body, ratio)
        previous = units[-1][1][-1] if units else None
        if previous is None or units[-1][0] != heading or _breaks(previous, line, pitches, right_edge, heading):
            units.append((heading, [line]))
        else:
            units[-1][1].append(line)
    blocks = []
    for heading, unit in units:
        if heading:
            blocks.append(Block("heading", " ".join(line.text for line in unit), unit[0].page))
        elif block := body_block(_dehyphenate([line.text for line in unit]), unit[0].page):
            blocks.append(block)
    return blocks


def _breaks(previous: Line, line: Line, pitches: dict[float, float], right_edge: dict[str, float], heading: bool) -> bool:
    """Whether `line` starts a new unit after `previous` (see the module docstring)."""
    if previous.column != line.column or previous.style != line.style:
        return True
    drop = line.top - previous.top
    if drop <= 0 or drop > PARAGRAPH_GAP * pitches.get(round(line.size, 1), 1.2 * line.size):
        return True
    if heading:
        return False
    short = previous.x1 < right_edge[previous.column] - 0.15 * max(1.0, right_edge[previous.column] - previous.x0)
    return short and bool(re.search(r"[.!?:”\"]$", previous.text))


def _dehyphenate(texts: list[str]) -> list[str]:
    """A word cut at a line end put back together ("migra-" + "tion"); before a capital or a digit the
    hyphen stays ("COVID-" + "19")."""
    out: list[str] = []
    for text in texts:
        if out and _HYPHEN_END.search(out[-1]) and text[:1].isalnum():
            out[-1] = out[-1][:-1] + text if text[0].islower() else out[-1].removesuffix("\u00ad") + text
        else:
            out.append(text)
    return out


def _box_blocks(lines: list[Line], body: tuple, ratio: float) -> list[Block]:
    """A box's lines as a story of its own: its title, then one paragraph per figure with its label."""
    blocks: list[Block] = []
    paragraph: list[Line] = []

    def flush() -> None:
        if paragraph and (block := body_block(_dehyphenate([line.text for line in paragraph]), paragraph[0].page)):
            blocks.append(block)
        paragraph.clear()

    for line in lines:
        if not blocks and not paragraph and _is_heading(line, body, ratio):
            blocks.append(Block("heading", line.text, line.page))
            continue
        set_apart = not paragraph or paragraph[-1].style != line.style
        if set_apart and (_FIGURE_LINE.match(line.text) or _is_heading(line, body, ratio)):
            flush()
        paragraph.append(line)
    flush()
    return blocks


def _append(blocks: list[Block], block: Block) -> None:
    """Add a block; a body block after a body block ending in a hyphenated word continues it (a word
    cut by a column or page break)."""
    if (blocks and block.kind == "body" and blocks[-1].kind == "body" and _HYPHEN_END.search(blocks[-1].text)
            and block.text[:1].islower()):
        blocks[-1] = Block("body", blocks[-1].text[:-1] + block.text, blocks[-1].page)
    else:
        blocks.append(block)
