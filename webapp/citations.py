"""A passage's citation in the formats a reader takes away: plain text (citeproc-py with the CSL
style beside this file), BibTeX (bibtexparser), RIS (rispy) and CSL-JSON.  The fields themselves
are the library's (index.citation); this module only writes them down.

CSL-JSON is the one description every format starts from where it can: the text form is citeproc's
rendering of it, so the two never disagree.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import rispy
from bibtexparser.library import Library
from bibtexparser.middlewares import LatexEncodingMiddleware
from bibtexparser.model import Entry, Field
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from flask import Response

from index.facade import BadRequest, CitationFields

from .links import absolute_url
from .params import current_archive

STYLE = Path(__file__).with_name("citation.csl")
INFERRED_NOTE = "Date not printed in the issue; inferred from its stories"


@dataclass(frozen=True)
class CitationFormat:
    """One format: what writes it, its media type, and the file extension a download gets (None: it
    is shown, not saved)."""

    write: Callable[[CitationFields], str]
    media_type: str
    extension: str | None


def date_parts(iso: str) -> list[int]:
    """[year, month] or [year, month, day] of an ISO date or month."""
    return [int(part) for part in iso.split("-")]


def csl_item(fields: CitationFields) -> dict:
    """The citation as a CSL-JSON item (the Citation Style Language's data schema): a story in a
    periodical; a date worked out from the stories is `circa` and says so in `note`."""
    item: dict = {"id": fields.passage_id, "type": "article-magazine", "title": fields.title,
                  "container-title": fields.newsletter, "URL": fields.url,
                  "accessed": {"date-parts": [date_parts(fields.accessed.isoformat())]}}
    if fields.author:
        item["author"] = [{"literal": fields.author}]
    if fields.number is not None:
        item["issue"] = str(fields.number)
    if fields.date:
        item["issued"] = {"date-parts": [date_parts(fields.date.iso)], **({"circa": True} if fields.date_inferred else {})}
    if fields.date_inferred:
        item["note"] = INFERRED_NOTE
    if fields.page is not None:
        item["page"] = str(fields.page)
    return item


def as_csl_json(fields: CitationFields) -> str:
    """CSL-JSON: a list of one item, as reference managers import it."""
    return json.dumps([csl_item(fields)], ensure_ascii=False, indent=2) + "\n"


def as_text(fields: CitationFields) -> str:
    """The reference as a reader pastes it into a report, rendered by citeproc-py with citation.csl."""
    style = CitationStylesStyle(str(STYLE), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON([csl_item(fields)]), formatter.plain)
    bibliography.register(Citation([CitationItem(fields.passage_id)]))
    return str(bibliography.bibliography()[0])


def notes(fields: CitationFields) -> list[str]:
    """What BibTeX and RIS say in words: that the date was inferred, and when the page was read (for
    the styles that print no access date of their own)."""
    inferred = [INFERRED_NOTE] if fields.date_inferred else []
    return inferred + [f"Accessed {fields.accessed.isoformat()}"]


def as_bibtex(fields: CitationFields) -> str:
    """A BibTeX @article (with biblatex's date, url and urldate).  Text fields are LaTeX-encoded by
    bibtexparser; the author is braced as one corporate name and the title as it is set, so no style
    re-cases them; the URL stays verbatim."""
    text = latex_encoded({"author": fields.author or "", "title": fields.title, "journal": fields.newsletter,
                          "note": ". ".join(notes(fields))})
    values = {"author": "{" + text["author"] + "}" if fields.author else None, "title": "{" + text["title"] + "}",
              "journal": text["journal"], "number": None if fields.number is None else str(fields.number)}
    if fields.date:
        year, month, *_ = date_parts(fields.date.iso)
        values.update(year=str(year), month=str(month), date=fields.date.iso)
    values.update(pages=None if fields.page is None else str(fields.page), url=fields.url,
                  urldate=fields.accessed.isoformat(), note=text["note"])
    entry = Entry("article", fields.passage_id, [Field(name, value) for name, value in values.items() if value])
    return bibtexparser.write_string(Library([entry]))


def latex_encoded(values: dict[str, str]) -> dict[str, str]:
    """`values` with LaTeX's special characters and non-ASCII letters encoded, as bibtexparser does."""
    entry = Entry("misc", "encoding", [Field(name, value) for name, value in values.items()])
    LatexEncodingMiddleware().transform(Library([entry]))
    return {field.key: field.value for field in entry.fields}


class RisWriter(rispy.RisWriter):
    """rispy's RIS writer without the numbered line it puts before each record, which RIS does not define."""

    def set_header(self, count: int) -> str:
        return ""


def as_ris(fields: CitationFields) -> str:
    """A RIS record (MGZN: an article in a magazine or newsletter), written by rispy."""
    record: dict = {"type_of_reference": "MGZN", "id": fields.passage_id, "title": fields.title,
                    "secondary_title": fields.newsletter}
    if fields.author:
        record["authors"] = [fields.author]
    if fields.number is not None:
        record["number"] = str(fields.number)
    if fields.date:
        year, month, *day = date_parts(fields.date.iso)
        record["year"] = str(year)
        record["date"] = f"{year:04d}/{month:02d}/{f'{day[0]:02d}' if day else ''}/"  # RIS: YYYY/MM/DD/other
    if fields.page is not None:
        record["start_page"] = str(fields.page)
    record.update(urls=[fields.url], access_date=fields.accessed.strftime("%Y/%m/%d"), notes=notes(fields))
    return rispy.dumps([record], implementation=RisWriter)


FORMATS = {
    "text": CitationFormat(as_text, "text/plain; charset=utf-8", None),
    "bibtex": CitationFormat(as_bibtex, "application/x-bibtex; charset=utf-8", "bib"),
    "ris": CitationFormat(as_ris, "application/x-research-info-systems; charset=utf-8", "ris"),
    "csl": CitationFormat(as_csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}
DEFAULT_FORMAT = "text"


def check_format(name: str) -> str:
    """`name` if it is a citation format; BadRequest listing them otherwise."""
    if name not in FORMATS:
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}, not {name[:40]!r}")
    return name


def render(fields: CitationFields, name: str) -> str:
    """The citation in format `name` (one of FORMATS)."""
    return FORMATS[check_format(name)].write(fields)


# --- in a request -----------------------------------------------------------------------------------

def passage_citation(passage_id: str) -> CitationFields:
    """The citation of a passage of the archive this request uses, read today, at its permalink."""
    return current_archive().citation(passage_id, absolute_url("pages.passage", passage_id=passage_id),
                                      datetime.date.today())


def citation_response(passage_id: str, name: str) -> Response:
    """The passage's citation in format `name`, with its media type; a file to save (named after the
    passage) for every format but plain text."""
    kind = FORMATS[check_format(name)]
    response = Response(render(passage_citation(passage_id), name), content_type=kind.media_type)
    if kind.extension:
        response.headers.set("Content-Disposition", "attachment", filename=f"{passage_id}.{kind.extension}")
    return response
