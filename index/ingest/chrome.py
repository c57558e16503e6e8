"""A news portal's or a web site's chrome, in text copied from a web page: found and dropped.

When staff paste a newsletter issue from a portal (select all, copy), the text carries the site
around the article: navigation, the portal's metadata ("Kazakhstan + 4 more", "News and Press
Release", "Source", "Posted", "View original"), share links, attachments, "Related Content" and the
footer.  The newsletter's own text never holds these lines, so they are recognised by a short list
of patterns, and only in a text that shows a portal's marks at all (so an issue that merely says
"Source" on a line of its own is left alone):

- above the first portal mark: the site's navigation;
- a metadata label and the value on the next line ("Posted" / "4 Dec 2023");
- single chrome lines (formats, share links, "View original", downloads, copyright);
- from "Related Content" (or "Attachments", "Share this") to the end: what follows the article.
"""

from __future__ import annotations

import re

from index.records import Dropped

PORTAL_MARK = re.compile(r"^(?:.{2,40} \+ \d+ more|news and press release|view original|originally published"
                         r"(?: \d.*)?)$", re.I)
METADATA_LABEL = re.compile(r"^(format|source|sources|posted|originally published|origin|country|countries|"
                            r"language|theme|themes|disaster type|author)$", re.I)
CHROME_LINE = re.compile(
    r"^(?:.{2,40} \+ \d+ more|news and press release|situation report|view original|share(?: this)?:?|facebook|x|"
    r"twitter|linkedin|whatsapp|telegram|e-?mail|print|download (?:report|pdf|document|attachment)\b.*|"
    r"(?:posted|source|originally published|format)\b:? .{1,40}|skip to main content|log ?in|sign up|"
    r"©.*|.*all rights reserved\.?)$", re.I)
TAIL_START = re.compile(r"^(related content|related news|related articles|attachments|more from this source|"
                        r"latest updates|you may also like)$", re.I)


def without_chrome(text: str) -> tuple[str, tuple[Dropped, ...]]:
    """`text` with a portal's chrome lines blanked out (blank lines kept, so blocks stay apart), and
    what was dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    marks = [i for i, line in enumerate(lines) if PORTAL_MARK.match(line.strip())]
    if not marks:
        return text, ()
    dropped: list[Dropped] = []

    def drop(index: int, kind: str) -> None:
        if lines[index].strip():
            dropped.append(Dropped(kind, lines[index].strip()))
        lines[index] = ""

    for index in range(marks[0]):
        drop(index, "site navigation")
    tail = next((i for i in range(marks[0], len(lines)) if TAIL_START.match(lines[i].strip())), len(lines))
    for index in range(tail, len(lines)):
        drop(index, "related content and footer")
    for index in range(marks[0], tail):
        line = lines[index].strip()
        if METADATA_LABEL.match(line):
            drop(index, "portal metadata")
            value = index + 1
            if value < tail and lines[value].strip() and not METADATA_LABEL.match(lines[value].strip()):
                drop(value, "portal metadata")
        elif CHROME_LINE.match(line):
            drop(index, "portal metadata" if PORTAL_MARK.match(line) else "share links and site chrome")
    return "\n".join(lines), tuple(dropped)


def is_chrome(text: str) -> bool:
    """A line that is a portal's or a site's chrome wherever it stands (a share link, "View original")."""
    line = text.strip()
    return bool(CHROME_LINE.match(line) or PORTAL_MARK.match(line))
