"""Text of one newsletter issue -> its blocks of text, classified, with the noise taken out.

The files are text converted from PDF, so a "block" (lines between blank lines) may be a heading,
a running header, a dateline, a photo caption, a paragraph, or half a paragraph cut by a page
break.  This module decides which, cleans each line, and mends paragraphs that a page break cut.
Grouping blocks into stories and passages is the job of `sections` and `passages`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.ingest import dates
from index.ingest.countries import countries_in, is_country_name
from index.text.languages import language_of
from index.text.sentences import split_sentences


@dataclass(frozen=True)
class Block:
    """A cleaned block of text.  kind: "heading", "dateline", "header" (running header) or "body".
    `page`: the PDF page it stands on (None for other formats)."""

    kind: str
    text: str
    page: int | None = None


_BULLETS = re.compile(r"[●◆◇■□▪▫•►▶✓✔]")
_LIST_ITEM = re.compile(r"^[-*+]\s+")
# No pattern that reads untrusted text may backtrack over it: each one's scan from a starting point
# stops at the next place another scan could start (a bracket, a "<"), so the scans never overlap
# and a line is read in linear time, however many brackets it holds.  A link's text holds no
# unescaped bracket and its address no bracket or parenthesis; an escaped bracket opens no link.
_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\[\]\\])*)\]\(([^()\[\]]*)\)")
_AUTOLINK = re.compile(r"<(https?://[^<>\s]+)>")
_SUPERSCRIPT = re.compile(r"<sup>(?:(?!</?sup>).)*</sup>", re.I)
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(\S.*)$")  # closing hashes are taken off by _heading_text
_FOLLOW_US = re.compile(r"^(follow us\b|go to .{0,40}\bfacebook\b)", re.I)
_CAPTION_LEAD = re.compile(r"^(photo( above| below)?( by\b|:)|footage from\b|фото\s*:|фото\s+(мом|автора)\b)", re.I)
_CAPTION_ANYWHERE = re.compile(r"\bclick on the (photo|picture|image)\b", re.I)
_STUB_LINK_TEXTS = {"here", "click here", "link", "more"}
EMAIL = re.compile(r"(?<!\S)[^\s@]+@\S+\.\w+")  # starts only where a word does: no rescan of a long word
_EMAIL_OR_URL = re.compile(rf"{EMAIL.pattern}|https?://|www\.|\.com/")
_RUSSIAN_YEAR = r"(?:\s+г\.|\s+года)?"  # "14 мая 2021 г.", "14 мая 2021 года"
_DATELINE = re.compile(
    rf"^(?P<date>{dates.MONTH}\s+\d{{1,2}},\s*{dates.YEAR}|\d{{1,2}}\s+{dates.MONTH}\s+{dates.YEAR}{_RUSSIAN_YEAR}),\s*\S.*$",
    re.I,
)
_PRESS_DATELINE = re.compile(rf"^(?P<dateline>[A-ZА-ЯЁ][\w-]+(?: [A-ZА-ЯЁ][\w-]+)?, \d{{1,2}} {dates.MONTH} {dates.YEAR}"
                             rf"{_RUSSIAN_YEAR})\s+[–—-]\s", re.I)

MAX_HEADING_WORDS = 30
MAX_HEADING_CHARS = 300  # a story title is repeated with each of its passages: no endless "word" makes one
MAX_DATELINE_WORDS = 12
MAX_CAPTION_SENTENCE_WORDS = 25


def split_blocks(text: str) -> list[list[str]]:
    """Lines grouped into blocks separated by blank lines, right-stripped, empty blocks dropped."""
    blocks, current = [], []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _replace_link(match: re.Match) -> str:
    """A markdown link becomes its text; a stub like `[here](#)` disappears."""
    label = re.sub(r"\\(.)", r"\1", match.group(1)).strip()
    return "" if label.lower() in _STUB_LINK_TEXTS else label


def strip_markup(line: str) -> str:
    """Markdown and HTML bits of the PDF conversion out, words kept: links, emphasis, footnote marks."""
    line = _SUPERSCRIPT.sub("", line)
    line = _LINK.sub(_replace_link, line)
    line = _EMPHASIS.sub("", line)
    line = _BULLETS.sub("", line)
    return re.sub(r"[ \t\u00a0]+", " ", line).strip()


def _drop_caption(line: str) -> str:
    """What is left of a line once a photo caption is taken off its front.

    A caption ("Photo by IOM Tajikistan.") is sometimes followed on the same line by more caption and
    sometimes by the story itself.  Sentences after the lead are caption while they are short or talk
    about the picture; the first long sentence starts the story again.
    """
    sentences = split_sentences(line)
    kept = sentences[1:]
    while kept and (len(kept[0].split()) < MAX_CAPTION_SENTENCE_WORDS or re.search(r"\b(photo|video|footage)", kept[0], re.I)):
        kept.pop(0)
    return " ".join(kept)


def _is_caption_line(line: str) -> bool:
    """"Photo by …", "Photo above by …", "Photo: …", "Footage from …", or a reader's instruction
    about a picture ("Please click on the photo to read …")."""
    return bool(_CAPTION_LEAD.match(line) or _CAPTION_ANYWHERE.search(line))


def clean_line(raw: str) -> str:
    """One line with its noise removed; empty when the whole line is noise."""
    line = strip_markup(raw)
    line = _LIST_ITEM.sub("- ", re.sub(r"^#{1,6}\s+", "", line))
    if line in ("-", "") or _FOLLOW_US.match(line):
        return ""
    if re.fullmatch(r"\d*\s*<https?://[^>]+>", line):  # a footnote that is only a source link
        return ""
    line = _AUTOLINK.sub(r"\1", line)
    if _is_caption_line(line.removeprefix("- ")):
        line = _drop_caption(line)
    return line.strip()


def _heading_text(lines: list[str]) -> str | None:
    """The heading a block makes, or None: a markdown heading, or a short run of ALL-CAPS lines in one
    language (Latin or Cyrillic capitals)."""
    if len(lines) == 1 and (m := _MARKDOWN_HEADING.match(lines[0].strip())):
        text = strip_markup(m.group(1).rstrip("#").rstrip() or m.group(1))
        return None if is_country_name(text) or len(text) > MAX_HEADING_CHARS else text
    if len(lines) > 3:
        return None
    text = " ".join(strip_markup(line) for line in lines).strip()
    letters = [c for c in text if c.isalpha()]
    if len(text.split()) < 2 or len(text.split()) > MAX_HEADING_WORDS or len(text) > MAX_HEADING_CHARS or not letters:
        return None
    if len({language_of(line) for line in lines}) > 1:
        return None  # a name in two languages, line by line ("АЛМАТИНСКИЙ ПРОЦЕСС" over "ALMATY PROCESS"), is a logo
    if sum(c.isupper() for c in letters) / len(letters) < 0.9:
        return None
    if _EMAIL_OR_URL.search(text) or _FOLLOW_US.match(text) or is_country_name(text):
        return None
    return text


def _join_lines(lines: list[str]) -> str:
    """Lines of one block into a paragraph: list items keep their own line, other lines run on."""
    out = ""
    for line in lines:
        if not out:
            out = line
        elif line.startswith("- "):
            out += "\n" + line
        else:
            out += " " + line
    return out


def classify(lines: list[str]) -> Block | None:
    """One raw block as a Block, or None when it is pure noise."""
    joined = " ".join(line.strip() for line in lines)
    if dates.is_header(strip_markup(joined)):
        return Block("header", strip_markup(joined))
    heading = _heading_text(lines)
    if heading:
        return Block("heading", heading)
    cleaned = [line for line in (clean_line(raw) for raw in lines) if line]
    if not cleaned:
        return None
    text = _join_lines(cleaned)
    if len(cleaned) == 1 and is_dateline(text):
        return Block("dateline", text)
    return Block("body", text)


def is_dateline(text: str) -> bool:
    """A line of its own naming a date and a place: "July 26, 2022, Kazakhstan, Nur-Sultan".

    The place must be one we know (a country or city) and the line short, without a full stop or
    other figures, so a sentence that merely opens with a date ("May 5, 2021, IOM trained 40
    officers in Osh") stays text.
    """
    m = _DATELINE.match(text)
    if not m or len(text.split()) > MAX_DATELINE_WORDS or text.endswith("."):
        return False
    rest = text[m.end("date"):]
    return bool(countries_in(rest)) and not re.search(r"\d", rest)


def press_dateline(text: str) -> str | None:
    """The dateline that opens a press-release paragraph: "Nur-Sultan, 18 December 2020 – ..."."""
    m = _PRESS_DATELINE.match(text)
    return m["dateline"] if m else None


def _continues(previous: str, following: str) -> bool:
    """Whether `following` is the rest of `previous`, cut by a page break.

    The previous paragraph must be long enough to be running text and stop without closing
    punctuation; the following one must not start a list.
    """
    if following.startswith("- ") or len(previous.split()) < 12:
        return False
    return not re.search(r"[.!?:;…\"”’)»]\s*$", previous)


def mend_page_breaks(blocks: list[Block]) -> list[Block]:
    """Running headers dropped, and body paragraphs cut by a page break put back together."""
    mended: list[Block] = []
    for block in blocks:
        if block.kind == "header":
            continue
        if block.kind == "body" and mended and mended[-1].kind == "body" and _continues(mended[-1].text, block.text):
            mended[-1] = Block("body", mended[-1].text + " " + block.text, mended[-1].page)
        else:
            mended.append(block)
    return mended


def read_blocks(text: str) -> list[Block]:
    """The classified, cleaned blocks of a whole issue text, running headers included (for metadata)."""
    return [block for lines in split_blocks(text) if (block := classify(lines))]
