"""The records that flow through the library: newsletter issues, their sections and passages, and hits.

Everything here is a frozen dataclass so a record read from one stage can be handed to the next
without anyone changing it under the reader's feet.  `to_json` methods give the one JSON shape used
by the command line and the web API.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

COUNTRIES = ("Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan")


def display_iso_date(iso: str, short: bool = False) -> str:
    """An ISO day or month (`YYYY-MM-DD`, `YYYY-MM`) in words: "24 December 2020", "November 2020"."""
    year, month, *day = (int(part) for part in iso.split("-"))
    name = (calendar.month_abbr if short else calendar.month_name)[month]
    return f"{day[0]} {name} {year}" if day else f"{name} {year}"


@dataclass(frozen=True)
class IssueDate:
    """A publication date, printed or inferred, at day or month precision.

    `iso` is `YYYY-MM-DD` for a day and `YYYY-MM` for a month.  `first_day`/`last_day` bound it,
    so a date-range filter can treat a month-precision issue as covering the whole month.
    """

    iso: str
    precision: str  # "day" | "month"

    @property
    def year(self) -> int:
        return int(self.iso[:4])

    @property
    def first_day(self) -> str:
        return self.iso if self.precision == "day" else f"{self.iso}-01"

    def display(self, short: bool = False) -> str:
        """"24 December 2020" or "November 2020" ("24 Dec 2020", "Nov 2020" when `short`)."""
        return display_iso_date(self.iso, short)

    @property
    def last_day(self) -> str:
        if self.precision == "day":
            return self.iso
        year, month = int(self.iso[:4]), int(self.iso[5:7])
        return f"{self.iso}-{calendar.monthrange(year, month)[1]:02d}"


@dataclass(frozen=True)
class Issue:
    """One newsletter issue, known by its source file name (the stable id) and its date.

    `provenance` says for each metadata field where its value came from: "printed" (read from the
    text), "inferred" (worked out from the stories), "catalog" (set by a person) or "unknown".
    `newsletter` is the newsletter's name and `author` whom a citation names (None: not known).
    """

    id: str
    source: str
    number: int | None
    date: IssueDate | None
    date_inferred: bool
    title: str
    source_link: str | None
    provenance: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    newsletter: str = ""
    author: str | None = None

    @property
    def label(self) -> str:
        """A short human label, e.g. "Issue 9, 2020-12-24" or "2020-11 (inferred)"."""
        parts = []
        if self.number is not None:
            parts.append(f"Issue {self.number}")
        if self.date is not None:
            parts.append(self.date.iso + (" (inferred)" if self.date_inferred else ""))
        return ", ".join(parts) or self.source

    def summary_json(self) -> dict:
        return {
            "id": self.id,
            "number": self.number,
            "date": self.date.iso if self.date else None,
            "date_inferred": self.date_inferred,
            "title": self.title,
        }

    def to_json(self) -> dict:
        return {
            **self.summary_json(),
            "source": self.source,
            "date_precision": self.date.precision if self.date else None,
            "source_link": self.source_link,
            "newsletter": self.newsletter,
            "author": self.author,
            "provenance": dict(self.provenance),
        }


@dataclass(frozen=True)
class Section:
    """One story of an issue.  `title_generated` marks a title made from the story's first words."""

    id: str
    issue_id: str
    position: int
    title: str
    title_generated: bool
    dateline: str | None
    countries: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "position": self.position,
            "title": self.title,
            "title_generated": self.title_generated,
            "dateline": self.dateline,
            "countries": list(self.countries),
        }


@dataclass(frozen=True)
class Passage:
    """A searchable piece of a section, sized to fit the embedding model.

    `recurring` marks boilerplate that repeats across issues (contacts, hotlines): it stays
    searchable but is kept out of related stories and does not crowd result lists.  `page` is the
    page of a PDF on which the passage starts (None for other formats), for a citation's "p. 2".
    `language` is the language most of its text is written in, "en" or "ru" (index.text.languages).
    """

    id: str
    issue_id: str
    section_id: str
    section_title: str
    position: int
    text: str
    countries: tuple[str, ...]
    recurring: bool
    page: int | None = None
    language: str = "en"

    @property
    def embedding_text(self) -> str:
        """What the embedding model reads: the story title gives a passage its topic."""
        return f"{self.section_title}. {self.text}"

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "issue_id": self.issue_id,
            "section_id": self.section_id,
            "section": self.section_title,
            "position": self.position,
            "text": self.text,
            "countries": list(self.countries),
            "recurring": self.recurring,
            "page": self.page,
            "language": self.language,
        }


@dataclass(frozen=True)
class Dropped:
    """Text a file holds that is kept out of the stories, and why (`kind`): a running header or
    footer, a page number, a photo caption, a footnote, a web page's navigation or share links...
    `pages` are the PDF pages it stands on (empty for other formats)."""

    kind: str
    text: str
    pages: tuple[int, ...] = ()

    def to_json(self) -> dict:
        return {"kind": self.kind, "text": self.text, "pages": list(self.pages)}


@dataclass(frozen=True)
class PrintedHeader:
    """The printed line the issue's number and date were read from, and where it stands in the file
    ("running header", "page 1", "page title", "text")."""

    text: str
    where: str


@dataclass(frozen=True)
class ParsedIssue:
    """The output of parsing one file: the issue with its sections and passages in reading order,
    and, for a reader to check, what was dropped as furniture and where the header was read."""

    issue: Issue
    sections: tuple[Section, ...]
    passages: tuple[Passage, ...]
    dropped: tuple[Dropped, ...] = ()
    header: PrintedHeader | None = None


@dataclass(frozen=True)
class Corpus:
    """Every issue, section and passage of an archive: what one generation holds apart from its
    search structures."""

    issues: tuple[Issue, ...]
    sections: tuple[Section, ...]
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class Hit:
    """One ranked result.  `found_by` maps each mode that found the passage to its 1-based rank there.

    A search's hit also says whether it `match`es the query (else it is related by meaning only) and,
    when results are grouped by story, how many more of its story's passages the search shows.
    """

    passage: Passage
    issue: Issue
    score: float
    found_by: dict[str, int] = field(hash=False, compare=False)
    match: bool | None = None
    more_in_story: int | None = None

    def to_json(self) -> dict:
        data = {
            "passage_id": self.passage.id,
            "score": round(self.score, 6),
            "text": self.passage.text,
            "section": self.passage.section_title,
            "issue": self.issue.summary_json(),
            "found_by": dict(self.found_by),
            "countries": list(self.passage.countries),
            "recurring": self.passage.recurring,
            "page": self.passage.page,
            "language": self.passage.language,
        }
        if self.match is not None:
            data["match"] = self.match
        if self.more_in_story is not None:
            data["more_in_story"] = self.more_in_story
        return data


@dataclass(frozen=True)
class Filters:
    """Restrictions every search mode applies: an inclusive ISO date range, and newsletter issues,
    countries, years and passage languages ("en", "ru") to keep (any of them) or to leave out.

    An issue dated only to a month matches a range that overlaps that month.
    """

    date_from: str | None = None
    date_to: str | None = None
    issue_ids: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    exclude_issue_ids: tuple[str, ...] = ()
    exclude_countries: tuple[str, ...] = ()
    exclude_years: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()
    exclude_languages: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


@dataclass(frozen=True)
class IssueView:
    """A newsletter issue with its sections and passages, for reading it whole."""

    issue: Issue
    sections: tuple[Section, ...]
    passages: tuple[Passage, ...]

    def to_json(self, with_passages: bool = True) -> dict:
        return {**self.issue.to_json(), "sections": [
            {**section.to_json(), **({"passages": [p.to_json() for p in self.passages if p.section_id == section.id]}
                                     if with_passages else {})}
            for section in self.sections]}
