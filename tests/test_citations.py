"""Citations of passages, in every format, each read back with a parser for that format (bibtexparser,
rispy, json and citeproc-py for CSL-JSON); and the newsletter issue's original file.

Expected values come from reading the corpus: the RING story (003) is in an issue with no number or
date printed, placed in November 2021 by its stories; issue 9 (001) prints its number and 24/12/2020.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from dataclasses import replace
from html import unescape

import bibtexparser
import jsonschema
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware

from index.citation import acronyms_in, citation_fields, title_case
from index.config import ROOT
from index.facade import Archive
from index.ingest.catalog import load_catalog
from index.records import Issue, IssueDate, Passage, Section
from webapp import create_app
from webapp.citations import FORMATS, as_text, render

RING_PASSAGE = "003_831dd773c1231ba4-s2-p1"  # "RING TRAINING IN TASHKENT"
ISSUE_9_PASSAGE = "001_246ca7c614daeaee-s4-p1"  # "INTERNATIONAL MIGRANTS DAY – TAJIKISTAN", Issue 9, 24/12/2020
PERMALINK = "http://localhost/passages/"


@pytest.fixture(scope="module")
def client(corpus_archive):
    return create_app(archive=corpus_archive).test_client()


def cite(client, passage_id: str, name: str):
    response = client.get(f"/api/passages/{passage_id}/cite?format={name}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def today() -> set[datetime.date]:
    """Today, and yesterday in case the test ran across midnight."""
    now = datetime.date.today()
    return {now, now - datetime.timedelta(days=1)}


# --- the four formats, read back -----------------------------------------------------------------


def test_bibtex_parses_back_with_every_field(client):
    response = cite(client, ISSUE_9_PASSAGE, "bibtex")
    assert response.mimetype == "application/x-bibtex"
    assert response.headers["Content-Disposition"] == f"attachment; filename={ISSUE_9_PASSAGE}.bib"
    text = response.get_data(as_text=True)
    raw = bibtexparser.parse_string(text).entries[0].fields_dict
    assert raw["author"].value == "{IOM Central Asia}"  # braced: one corporate name, not "Asia, IOM Central"
    assert raw["title"].value.startswith("{International")  # braced: no style re-cases it
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks and len(library.entries) == 1
    entry = library.entries[0]
    fields = {field.key: field.value for field in entry.fields}
    assert entry.entry_type == "article" and entry.key == ISSUE_9_PASSAGE
    assert fields["author"] == "IOM Central Asia"
    assert fields["title"] == "International Migrants Day – Tajikistan"
    assert fields["journal"] == "IOM Central Asia Regional Response Report"
    assert (fields["number"], fields["year"], fields["month"], fields["date"]) == ("9", "2020", "12", "2020-12-24")
    assert fields["url"] == PERMALINK + ISSUE_9_PASSAGE
    assert datetime.date.fromisoformat(fields["urldate"]) in today()
    assert "inferred" not in fields["note"]


def test_bibtex_of_an_inferred_date_says_so_and_names_no_number(client):
    text = cite(client, RING_PASSAGE, "bibtex").get_data(as_text=True)
    fields = {f.key: f.value for f in bibtexparser.parse_string(text).entries[0].fields}
    assert "number" not in fields
    assert (fields["year"], fields["month"], fields["date"]) == ("2021", "11", "2021-11")
    assert fields["note"].startswith("Date not printed in the issue; inferred from its stories")
    assert fields["title"] == "{RING Training in Tashkent}"


def test_ris_parses_back_with_every_field(client):
    response = cite(client, ISSUE_9_PASSAGE, "ris")
    assert response.mimetype == "application/x-research-info-systems"
    assert response.headers["Content-Disposition"] == f"attachment; filename={ISSUE_9_PASSAGE}.ris"
    body = response.get_data(as_text=True)
    assert body.startswith("TY  - MGZN")  # a record starts with its type, no line before it
    [record] = rispy.loads(body)
    assert record["type_of_reference"] == "MGZN"
    assert record["authors"] == ["IOM Central Asia"]
    assert record["title"] == "International Migrants Day – Tajikistan"
    assert record["secondary_title"] == "IOM Central Asia Regional Response Report"
    assert (record["number"], record["year"], record["date"]) == ("9", "2020", "2020/12/24/")
    assert record["urls"] == [PERMALINK + ISSUE_9_PASSAGE]
    assert datetime.datetime.strptime(record["access_date"], "%Y/%m/%d").date() in today()


def test_ris_of_an_inferred_date_gives_the_month_and_says_so(client):
    [record] = rispy.loads(cite(client, RING_PASSAGE, "ris").get_data(as_text=True))
    assert "number" not in record
    assert (record["year"], record["date"]) == ("2021", "2021/11//")
    assert "Date not printed in the issue; inferred from its stories" in record["notes"]


def test_csl_json_parses_back_and_matches_the_documented_schema(client):
    response = cite(client, RING_PASSAGE, "csl")
    assert response.mimetype == "application/vnd.citationstyles.csl+json"
    assert response.headers["Content-Disposition"] == f"attachment; filename={RING_PASSAGE}.json"
    [item] = json.loads(response.get_data(as_text=True))
    assert item["author"] == [{"literal": "IOM Central Asia"}]
    assert item["title"] == "RING Training in Tashkent"
    assert item["container-title"] == "IOM Central Asia Regional Response Report"
    assert item["issued"] == {"date-parts": [[2021, 11]], "circa": True} and "issue" not in item
    assert item["URL"] == PERMALINK + RING_PASSAGE
    assert datetime.date(*item["accessed"]["date-parts"][0]) in today()
    spec = client.get("/api/openapi.json").get_json()
    schema = spec["paths"]["/api/passages/{passage_id}/cite"]["get"]["responses"]["200"]["content"][
        "application/vnd.citationstyles.csl+json"]["schema"]
    jsonschema.validate([item], schema, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{**item, "edition": "1"}], schema, cls=jsonschema.Draft202012Validator)


def test_text_is_the_reference_a_reader_pastes(client):
    response = cite(client, ISSUE_9_PASSAGE, "text")
    assert response.mimetype == "text/plain" and "Content-Disposition" not in response.headers
    text = response.get_data(as_text=True)
    assert text.startswith("IOM Central Asia (2020) ‘International Migrants Day – Tajikistan’, "
                           "IOM Central Asia Regional Response Report, no. 9, 24 December 2020. ")
    accessed = re.search(r"\(Accessed: (\d+ \w+ \d{4})\)\.$", text).group(1)
    assert datetime.datetime.strptime(accessed, "%d %B %Y").date() in today()
    assert f"Available at: {PERMALINK}{ISSUE_9_PASSAGE} " in text
    assert client.get(f"/api/passages/{ISSUE_9_PASSAGE}/cite").get_data(as_text=True) == text  # text by default


def test_text_of_an_inferred_date_is_honest_about_it(client):
    text = cite(client, RING_PASSAGE, "text").get_data(as_text=True)
    assert text.startswith("IOM Central Asia (c. 2021) ‘RING Training in Tashkent’, IOM Central Asia Regional "
                           "Response Report, date not printed, inferred from its stories as November 2021. ")
    assert "no." not in text and "unknown" not in text


def test_every_format_of_every_passage_is_served(client, corpus_archive):
    """Each format's parser reads the citation of every passage of the corpus."""
    for passage in corpus_archive.passages:
        bib = bibtexparser.parse_string(cite(client, passage.id, "bibtex").get_data(as_text=True))
        assert not bib.failed_blocks and len(bib.entries) == 1, passage.id
        assert len(rispy.loads(cite(client, passage.id, "ris").get_data(as_text=True))) == 1, passage.id
        assert json.loads(cite(client, passage.id, "csl").get_data(as_text=True))[0]["id"] == passage.id
        assert (PERMALINK + passage.id) in cite(client, passage.id, "text").get_data(as_text=True)


@pytest.mark.parametrize("query, status, message", [
    ("?format=xml", 400, "format must be one of text, bibtex, ris, csl, not 'xml'"),
    ("?format=ris&format=bibtex", 400, "format is given 2 times"),
    ("?style=apa", 400, "unknown parameter 'style'"),
])
def test_a_bad_format_is_a_400_with_a_reason(client, query, status, message):
    response = client.get(f"/api/passages/{RING_PASSAGE}/cite{query}")
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_an_unknown_passage_has_no_citation(client):
    response = client.get("/api/passages/nope/cite?format=ris")
    assert response.status_code == 404 and "no passage with id 'nope'" in response.get_json()["error"]


# --- on the passage page ---------------------------------------------------------------------------


def shown_citation(html: str) -> str:
    return unescape(re.search(r'<pre id="citation"[^>]*>(.*?)</pre>', html, re.S).group(1))


def test_the_passage_page_shows_each_format_and_links_the_downloads(client):
    for name in FORMATS:
        html = client.get(f"/passages/{RING_PASSAGE}" + ("" if name == "text" else f"?cite={name}")).get_data(as_text=True)
        served = client.get(f"/api/passages/{RING_PASSAGE}/cite?format={name}").get_data(as_text=True)
        assert shown_citation(html) == served, name
    html = client.get(f"/passages/{RING_PASSAGE}").get_data(as_text=True)
    for name in ("ris", "bibtex", "csl"):
        assert f'href="/api/passages/{RING_PASSAGE}/cite?format={name}"' in html
    assert '<button type="button" class="copy" data-copy="citation" hidden>' in html  # shown by its script
    assert "<noscript>" in html and "select all of it" in html


def test_the_passage_page_refuses_an_unknown_citation_format(client):
    response = client.get(f"/passages/{RING_PASSAGE}?cite=apa")
    assert response.status_code == 400 and "format must be one of" in response.get_data(as_text=True)


# --- the fields ------------------------------------------------------------------------------------


def test_title_case_keeps_the_acronyms_the_text_prints_in_capitals():
    texts = ["IOM Tashkent held a RING training on COVID-19 with WHO.\nKAZAKHSTAN: office@iom.int\n"
             "Staff in Kazakhstan met.", "NEW HEADING IN CAPITALS"]
    assert acronyms_in(texts) >= {"IOM", "RING", "COVID-19", "COVID", "WHO"}
    assert "KAZAKHSTAN" not in acronyms_in(texts)  # the stories print Kazakhstan
    assert "HEADING" not in acronyms_in(texts)  # an all-capitals line says nothing of case
    assert title_case("RING TRAINING IN TASHKENT", texts) == "RING Training in Tashkent"
    assert title_case("COVID-19 OUTBREAK IN KAZAKHSTAN: WHO AND IOM", texts) == \
        "COVID-19 Outbreak in Kazakhstan: WHO and IOM"
    assert title_case("ORANGE THE WORLD!", texts) == "Orange the World!"


@dataclasses.dataclass(frozen=True)
class PagedPassage(Passage):
    """A passage that came from a page of a PDF."""

    page: int | None = None


def written_fields(page: int | None = None, author: str | None = "Test Office", date_inferred: bool = False,
                   title: str = "WATER & 50% MORE FOR BORDER VILLAGES", generated: bool = False):
    issue = Issue("i", "i.pdf", 4, IssueDate("2023-11-30", "day"), date_inferred, "T, Issue 4", None, {},
                  "Kazakhstan’s Bulletin", author)
    section = Section("i-s1", "i", 1, title, generated, None, ())
    passage = PagedPassage("i-s1-p1", "i", "i-s1", title, 1, "The water team met.", (), False, page=page)
    return citation_fields(passage, issue, section, [passage.text], "http://example.test/passages/i-s1-p1",
                           datetime.date(2024, 1, 5))


def test_a_page_is_cited_in_every_format():
    fields = written_fields(page=3)
    assert ", p. 3. Available at:" in render(fields, "text")
    assert "pages = {3}" in render(fields, "bibtex")
    assert rispy.loads(render(fields, "ris"))[0]["start_page"] == "3"
    assert json.loads(render(fields, "csl"))[0]["page"] == "3"
    assert "p." not in render(written_fields(), "text")  # no page: none is named


def test_special_characters_survive_bibtex_and_ris():
    fields = written_fields()
    assert fields.title == "Water & 50% More for Border Villages"
    bibtex = render(fields, "bibtex")
    assert r"\&" in bibtex and r"\%" in bibtex  # LaTeX's special characters are encoded
    entry = bibtexparser.parse_string(bibtex, append_middleware=[LatexDecodingMiddleware()]).entries[0]
    assert entry.fields_dict["title"].value == "Water & 50% More for Border Villages"
    assert entry.fields_dict["journal"].value == "Kazakhstan’s Bulletin"
    assert entry.fields_dict["url"].value == "http://example.test/passages/i-s1-p1"  # verbatim: its _ and - kept
    assert rispy.loads(render(fields, "ris"))[0]["secondary_title"] == "Kazakhstan’s Bulletin"


def test_without_an_author_the_citation_starts_with_its_title():
    fields = written_fields(author=None)
    assert as_text(fields).startswith("(2023) ‘Water & 50% More for Border Villages’, Kazakhstan’s Bulletin, no. 4")
    assert "author" not in json.loads(render(fields, "csl"))[0]
    assert "authors" not in rispy.loads(render(fields, "ris"))[0]
    assert "author" not in bibtexparser.parse_string(render(fields, "bibtex")).entries[0].fields_dict


def test_a_title_made_of_the_first_words_is_left_as_it_is():
    assert written_fields(title="IOM staff met the water team", generated=True).title == "IOM staff met the water team"


# --- the original file -------------------------------------------------------------------------------


def test_the_original_of_every_issue_is_served_as_received(client, corpus_archive):
    content_types = {".txt": "text/plain", ".md": "text/markdown", ".pdf": "application/pdf"}
    for view in corpus_archive.issues():
        source = view.issue.source
        response = client.get(f"/issues/{view.issue.id}/original")
        assert response.status_code == 200, source
        assert response.data == (ROOT / "archive" / source).read_bytes()
        assert response.mimetype == content_types[source[source.rindex("."):]]
        assert response.headers["Content-Disposition"] == f"attachment; filename={source}"
        page = client.get(f"/issues/{view.issue.id}").get_data(as_text=True)
        assert f'href="/issues/{view.issue.id}/original"' in page


def test_an_original_no_longer_in_the_archive_is_a_404_that_says_so(corpus_archive, tmp_path):
    elsewhere = Archive(corpus_archive.generation, replace(corpus_archive.settings, archive_dir=tmp_path))
    try:
        client = create_app(archive=elsewhere).test_client()
        response = client.get("/issues/000_01b647a0f58beec8/original")
        assert response.status_code == 404
        assert "is no longer in the archive" in response.get_data(as_text=True)
        page = client.get("/issues/000_01b647a0f58beec8")
        assert page.status_code == 200 and "no longer in the archive" in page.get_data(as_text=True)
        assert client.get("/issues/nope/original").status_code == 404
    finally:
        elsewhere.close()


def test_the_issue_page_links_the_catalogs_source_link_where_it_has_one(client, corpus_archive):
    catalog = load_catalog(ROOT / "archive")
    linked = 0
    for view in corpus_archive.issues():
        page = client.get(f"/issues/{view.issue.id}").get_data(as_text=True)
        link = catalog.entry(view.issue.source).source_link
        if link:
            linked += 1
            assert f'<a href="{link}" rel="noopener noreferrer">' in page
        else:
            assert "none known" in page
    assert linked >= 1  # issue 9 and issue 3 of July 2020 are known to be published
