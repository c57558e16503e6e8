"""What a citation of a passage says: its fields, as data.

The formats a reader takes away (plain text, BibTeX, RIS, CSL-JSON) are presentation, rendered by the
web app from these fields (webapp/citations.py).  Here is what is true of the passage: who wrote it
(the catalog's author), the story's title in title case, the newsletter, its issue number and date
only as far as they are known (an inferred date says so), the page where the passage came from a
PDF, its permalink and the day it was read.
"""

from __future__ import annotations

import datetime
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from titlecase import titlecase

from index.records import Issue, IssueDate, Passage, Section

_TOKEN = re.compile(r"[\w-]+")
_ADDRESS = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+")  # e-mail and web addresses are lower case by convention
_PUNCTUATION = string.punctuation + "“”‘’«»"


@dataclass(frozen=True)
class CitationFields:
    """One passage's citation.  `number`, `date`, `author` and `page` are None when not known;
    `date_inferred` marks a date worked out from the stories rather than printed."""

    passage_id: str
    author: str | None
    title: str
    newsletter: str
    number: int | None
    date: IssueDate | None
    date_inferred: bool
    page: int | None
    url: str
    accessed: datetime.date


def citation_fields(passage: Passage, issue: Issue, section: Section, issue_texts: Iterable[str], url: str,
                    accessed: datetime.date) -> CitationFields:
    """The citation of `passage` (of `section`, in an issue whose passages' texts are `issue_texts`)
    at `url`, read on `accessed`.  A title made of the story's first words is left as it is."""
    title = section.title if section.title_generated else title_case(section.title, issue_texts)
    return CitationFields(
        passage_id=passage.id,
        author=issue.author,
        title=title,
        newsletter=issue.newsletter,
        number=issue.number,
        date=issue.date,
        date_inferred=issue.date_inferred,
        page=getattr(passage, "page", None),  # set where the passage came from a page of a PDF
        url=url,
        accessed=accessed,
    )


def title_case(title: str, texts: Iterable[str]) -> str:
    """A story title in title case ("RING TRAINING IN TASHKENT" -> "RING Training in Tashkent").

    An ALL-CAPS heading does not say which of its words are acronyms; the issue's text does: a word
    it prints in capitals within a line that is not all capitals (IOM, RING, COVID-19), and never
    otherwise (KAZAKHSTAN heads a contact list, but the stories print Kazakhstan), keeps its capitals."""
    acronyms = acronyms_in(texts)
    return titlecase(title, callback=lambda word, all_caps: word if word.strip(_PUNCTUATION) in acronyms else None)


def acronyms_in(texts: Iterable[str]) -> frozenset[str]:
    """The words (and the parts of hyphenated words) printed in capitals in ordinary lines and never
    in another case."""
    capitals: set[str] = set()
    other_case: set[str] = set()
    for text in texts:
        for line in text.splitlines():
            ordinary = line.upper() != line  # an all-capitals line (a heading, a header) says nothing of case
            for token in _TOKEN.findall(_ADDRESS.sub(" ", line)):
                for word in (token, *token.split("-")):
                    if word.isupper() and sum(ch.isalpha() for ch in word) >= 2:
                        if ordinary:
                            capitals.add(word)
                    elif word:
                        other_case.add(word.upper())
    return frozenset(capitals - other_case)
