"""Cleaned blocks -> stories (sections), each with its title, dateline and paragraphs.

A story starts at a heading.  Where the newsletter runs a story on without a heading, a paragraph
that opens with another country's IOM mission ("IOM Kyrgyzstan launched ...") starts a new,
untitled story whose title is made from its first words.  Boilerplate that every issue repeats
(mission contacts, hotline numbers) is flagged `recurring` and kept only once per issue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.ingest import dates
from index.ingest.blocks import EMAIL, Block, mend_page_breaks, press_dateline
from index.ingest.countries import countries_in, is_country_name
from index.records import COUNTRIES

GENERATED_TITLE_WORDS = 8
GENERATED_TITLE_CHARS = 100  # eight words of prose; an endless "word" is cut
_MISSION_OPENING = re.compile(r"^IOM (?:in )?(" + "|".join(COUNTRIES) + r")\b")
_RUSSIAN_MISSION_OPENING = re.compile(r"^(?:Миссия )?МОМ (?:в|во) (\w+)")  # "МОМ в Кыргызстане провела …"
# "On 12 November, IOM …", "On November 23-26, …": a paragraph that opens with the date of its event
_DATED_OPENING = re.compile(rf"^On (?P<date>{dates.DAY}(?:{dates.DASH}{dates.DAY})? {dates.MONTH}|"
                            rf"{dates.MONTH} {dates.DAY}(?:{dates.DASH}{dates.DAY})?)(?:,? {dates.YEAR})?, ", re.I)
_PHONE = re.compile(r"\(\d{3,6}\)|\+\d{9,15}")
_CONTACT_LEAD = re.compile(r"^contacts?\b[ :]*(iom|e-?mail|us\b|information|details|addresses|numbers)", re.I)


@dataclass(frozen=True)
class Paragraph:
    text: str
    recurring: bool
    page: int | None = None  # the PDF page it starts on


@dataclass
class DraftSection:
    """A section while it is being assembled; `sections()` hands out finished ones."""

    title: str
    title_generated: bool
    dateline: str | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)

    def focus_countries(self) -> set[str]:
        """The countries the story is about so far: its title, dateline and opening paragraph."""
        opening = self.paragraphs[0].text if self.paragraphs else ""
        return set(countries_in(" ".join([self.title, self.dateline or "", opening])))


def is_recurring(text: str) -> bool:
    """Contacts and hotline blocks: an e-mail address, a "Contact IOM …"/"Contact email …" line, a
    bare country label from a contact list, or a hotline with its number."""
    if EMAIL.search(text) or _CONTACT_LEAD.match(text) or is_country_name(text):
        return True
    return "hotline" in text.lower() and bool(_PHONE.search(text))


def generated_title(text: str) -> str:
    """A title for an untitled story: its first words, without a parenthesis cut in half."""
    words = text.removeprefix("- ").split()
    title = " ".join(words[:GENERATED_TITLE_WORDS])
    cut = len(words) > GENERATED_TITLE_WORDS or len(title) > GENERATED_TITLE_CHARS
    title = title[:GENERATED_TITLE_CHARS]
    if title.count("(") > title.count(")"):
        title = title[: title.rindex("(")]
    return title.rstrip(" ,.;:") + ("…" if cut else "")


def _opening_mission(text: str) -> str | None:
    """The country whose IOM mission a paragraph opens with: "IOM Kyrgyzstan …", "МОМ в Кыргызстане …"."""
    if m := _MISSION_OPENING.match(text):
        return m.group(1)
    if (m := _RUSSIAN_MISSION_OPENING.match(text)) and (named := countries_in(m.group(1))):
        return named[0]
    return None


def _starts_untitled_story(section: DraftSection, text: str) -> bool:
    """A paragraph that starts another story: it opens with another country's mission ("IOM
    Kyrgyzstan launched …"), or with the date of another event after a story that opened with the
    date of its own and is finished ("On 12 November, IOM …" after "On November 23-26, …")."""
    if not section.paragraphs:
        return False
    mission = _opening_mission(text)
    if mission:
        return mission not in section.focus_countries()
    opening, event = _DATED_OPENING.match(section.paragraphs[0].text), _DATED_OPENING.match(text)
    finished = section.paragraphs[-1].text.rstrip().endswith((".", "!", "?", "”", '"'))
    return bool(opening and event and finished and opening["date"].casefold() != event["date"].casefold())


def _word_key(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", text.lower()))


def group_sections(blocks: list[Block]) -> list[DraftSection]:
    """The stories of an issue in reading order; headings with no text of their own are folded
    into the heading that follows (e.g. a "PRESS RELEASE" label above the real title)."""
    drafts: list[DraftSection] = []
    seen_recurring: set[tuple[str, ...]] = set()
    for block in mend_page_breaks(blocks):
        current = drafts[-1] if drafts else None
        if block.kind == "heading":
            if current and not current.paragraphs and current.dateline is None:
                drafts[-1] = DraftSection(block.text, False)
            else:
                drafts.append(DraftSection(block.text, False))
        elif block.kind == "dateline":
            if current is None:
                drafts.append(current := DraftSection("", True))  # titled by its first paragraph
            current.dateline = current.dateline or block.text
        else:
            _add_paragraph(drafts, block, seen_recurring)
    return [draft for draft in drafts if draft.paragraphs]


def _add_paragraph(drafts: list[DraftSection], block: Block, seen_recurring: set[tuple[str, ...]]) -> None:
    text = block.text
    recurring = is_recurring(text)
    if recurring:
        key = _word_key(text)
        if key in seen_recurring:
            return
        seen_recurring.add(key)
    current = drafts[-1] if drafts else None
    if current is None or (not recurring and _starts_untitled_story(current, text)):
        drafts.append(current := DraftSection(generated_title(text), True))
    elif not current.title:
        current.title = generated_title(text)
    if current.dateline is None and (inline := press_dateline(text)):
        current.dateline = inline
    current.paragraphs.append(Paragraph(text, recurring, block.page))
