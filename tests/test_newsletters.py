"""Real newsletters in: designed PDFs, a scan, saved web pages, pasted portal text and a Word draft.

The files are in tests/fixtures/newsletters/, made by make_fixtures.py there with reportlab,
pdftoppm, python-docx and hand-written HTML from what stories.py says the issue holds; each test
reads a file and checks what was read against stories.py.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
import zlib
from pathlib import Path

import pytest

from index.figures.extract import extract_figures
from index.ingest import pdf_limits
from index.ingest.catalog import Catalog
from index.ingest.reader import UnreadableFile, read_issue
from index.records import Hit
from scripts.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "newsletters"
sys.path.insert(0, str(FIXTURES))
from stories import (  # noqa: E402
    CAPTIONS,
    DRAFT_CAPTION,
    DRAFT_HEADER,
    DRAFT_KEY_FIGURES,
    DRAFT_STORIES,
    FOOTNOTE,
    HEADER,
    KEY_FIGURES,
    KEY_FIGURES_TITLE,
    STORIES,
)

DESIGNED = ["issue-11-one-column.pdf", "issue-11-two-columns.pdf", "issue-11-three-columns.pdf"]
WEB = ["issue-11-portal.html", "issue-11-organisation.html"]
CHROME = ["+ 4 more", "News and Press Release", "View original", "Originally published", "Share", "Facebook",
          "LinkedIn", "Related Content", "Related content", "Flash Update", "ReliefHub", "Subscribe", "Who We Are",
          "Topics:", "Download Report", "Skip to main content", "All rights reserved", "Posted"]


def words(text: str, note_call: str = "") -> str:
    return " ".join(text.replace("¹", note_call).split())


def story_text(parsed, title: str) -> str:
    return words(" ".join(p.text for p in parsed.passages if p.section_title.casefold() == title.casefold()))


def check_issue_11(parsed, box_title: str = KEY_FIGURES_TITLE, note_call: str = "") -> None:
    """Every story whole and under its own title, the key figures found, number and date printed.
    `note_call`: what stands for the footnote's call in the text (pasted text keeps its "1")."""
    titles = [s.title.casefold() for s in parsed.sections]  # pasted text has its headings in capitals
    assert [t for t in titles if t != box_title.casefold()] == [t.casefold() for t, _ in STORIES]
    assert box_title.casefold() in titles
    assert not any(s.title_generated for s in parsed.sections)
    for title, paragraphs in STORIES:
        assert story_text(parsed, title) == words(" ".join(paragraphs), note_call), title
    box = " ".join(p.text for p in parsed.passages if p.section_title.casefold() == box_title.casefold())
    assert [f.as_printed for f in extract_figures(box)] == [number for number, _ in KEY_FIGURES]
    issue = parsed.issue
    assert (issue.number, issue.date.iso, issue.date.precision) == (11, "2023-11-30", "day")
    assert (issue.provenance["number"], issue.provenance["date"]) == ("printed", "printed")


def no_passage_holds(parsed, texts: list[str]) -> None:
    for passage in parsed.passages:
        for text in texts:
            assert text not in passage.text, (text, passage.id)


# --- designed PDFs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DESIGNED)
def test_designed_pdf_reads_as_its_reader_sees_it(name):
    parsed = read_issue(FIXTURES / name, Catalog())
    check_issue_11(parsed)
    assert parsed.header.text == HEADER and parsed.header.where == "running header"
    pages = [p.page for p in parsed.passages if p.section_title != KEY_FIGURES_TITLE]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] > 1
    no_passage_holds(parsed, ["REGIONAL RESPONSE REPORT", "ISSUE 11", "Photo:", "page 1", "— 1 —",
                              FOOTNOTE, *CAPTIONS, *(c.split(". Photo")[0] for c in CAPTIONS)])
    dropped = {(d.kind, d.text) for d in parsed.dropped}
    assert ("footnote", FOOTNOTE) in dropped
    assert {("caption", caption) for caption in CAPTIONS} <= dropped
    assert ("running header or footer", HEADER) in dropped
    assert any(kind in ("page number", "running header or footer") and re.search(r"\d", text)
               for kind, text in dropped if text != HEADER)


def test_a_story_across_a_page_break_and_a_box_beside_a_story_stay_whole():
    parsed = read_issue(FIXTURES / "issue-11-two-columns.pdf", Catalog())
    border = [p for p in parsed.passages if p.section_title == "Border officials trained in protection-sensitive screening"]
    assert {p.page for p in border} == {1}  # it starts on page 1 and runs on to page 2
    assert "a regional programme on border management that also covers Tajikistan" in " ".join(p.text for p in border)
    remittances = story_text(parsed, "Research on remittances begins with a meeting of partners")
    assert "7,801" not in remittances  # the key-figures box beside its last paragraph is a story of its own
    assert [s.title for s in parsed.sections][-1] == KEY_FIGURES_TITLE
    assert {p.page for p in parsed.passages if p.section_title == KEY_FIGURES_TITLE} == {2}


def test_the_page_is_in_passage_json_and_null_for_text():
    parsed = read_issue(FIXTURES / "issue-11-three-columns.pdf", Catalog())
    assert {p.to_json()["page"] for p in parsed.passages} == {1, 2}
    last = parsed.passages[-1]
    assert Hit(last, parsed.issue, 1.0, {"keyword": 1}).to_json()["page"] == last.page == 2
    text = read_issue(FIXTURES / "issue-11-portal.txt", Catalog())
    assert {p.to_json()["page"] for p in text.passages} == {None}


# --- a scan ------------------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed (.ci/run installs it)")
def test_a_scanned_page_is_read_by_ocr():
    parsed = read_issue(FIXTURES / "issue-11-scanned.pdf", Catalog())
    issue = parsed.issue
    assert (issue.number, issue.date.iso, issue.provenance["date"]) == (11, "2023-11-30", "printed")
    assert [s.title for s in parsed.sections] == [title for title, _ in STORIES[:3]]  # the stories of page 1
    assert "advised 1,240 migrants about employment contracts" in story_text(parsed, STORIES[0][0])
    assert {p.page for p in parsed.passages} == {1}
    no_passage_holds(parsed, ["REGIONAL RESPONSE REPORT", "bus station. Photo", "Data of the national hotline"])


def test_a_scan_without_tesseract_is_refused_saying_how_to_install_it(monkeypatch):
    monkeypatch.setattr("index.ingest.ocr.shutil.which", lambda name: None)
    with pytest.raises(UnreadableFile) as caught:
        read_issue(FIXTURES / "issue-11-scanned.pdf", Catalog())
    assert "scan" in str(caught.value) and "apt-get install tesseract-ocr" in str(caught.value)


# --- web pages and pasted text ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", WEB)
def test_a_saved_web_page_reads_as_its_article(name):
    parsed = read_issue(FIXTURES / name, Catalog())
    check_issue_11(parsed)
    no_passage_holds(parsed, CHROME + CAPTIONS)
    assert all(not any(c in s.title for c in CHROME) for s in parsed.sections)
    dropped = " | ".join(d.text for d in parsed.dropped)
    assert "Related" in dropped and "Share" in dropped and "Skip to main content" in dropped


def test_the_header_of_a_web_page_comes_from_its_title_and_date():
    portal = read_issue(FIXTURES / "issue-11-portal.html", Catalog())
    assert portal.header.where == "page heading" and "Issue 11, 30 November 2023" in portal.header.text
    organisation = read_issue(FIXTURES / "issue-11-organisation.html", Catalog())
    assert organisation.header.where == "page title and publication date"
    assert organisation.header.text == "Regional Response Report – Issue 11\n30 November 2023"


def test_portal_chrome_in_pasted_text_is_dropped():
    parsed = read_issue(FIXTURES / "issue-11-portal.txt", Catalog())
    check_issue_11(parsed, note_call="1")
    no_passage_holds(parsed, CHROME)
    assert ("portal metadata", "Kazakhstan + 4 more") in {(d.kind, d.text) for d in parsed.dropped}


# --- a Word draft -------------------------------------------------------------------------------------------

def test_a_word_draft_reads_its_heading_styles():
    parsed = read_issue(FIXTURES / "issue-12-draft.docx", Catalog())
    assert [s.title for s in parsed.sections] == [title for title, _ in DRAFT_STORIES] + ["Key figures"]
    for title, paragraphs in DRAFT_STORIES:
        assert story_text(parsed, title) == words(" ".join(paragraphs))
    issue = parsed.issue
    assert (issue.number, issue.date.iso, issue.provenance["number"]) == (12, "2023-12-29", "printed")
    assert parsed.header.text == DRAFT_HEADER and parsed.header.where == "page header"
    assert ("caption", DRAFT_CAPTION) in {(d.kind, d.text) for d in parsed.dropped}
    no_passage_holds(parsed, [DRAFT_CAPTION, "Draft for layout"])
    box = " ".join(p.text for p in parsed.passages if p.section_title == "Key figures")
    assert [f.as_printed for f in extract_figures(box)] == [number for number, _ in DRAFT_KEY_FIGURES]


# --- add --dry-run -----------------------------------------------------------------------------------------

@pytest.fixture()
def empty_archive(tmp_path, monkeypatch) -> Path:
    archive = tmp_path / "archive"
    archive.mkdir()
    monkeypatch.setenv("ARCHIVE_DIR", str(archive))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(tmp_path / "index"))
    return archive


def test_add_dry_run_shows_what_would_be_added_and_touches_nothing(empty_archive, capsys):
    assert main(["add", "--dry-run", str(FIXTURES / "issue-11-two-columns.pdf")]) == 0
    out = capsys.readouterr().out
    assert "nothing is copied" in out
    assert "number    11  (printed)" in out and "date      2023-11-30 (day precision)  (printed)" in out
    assert f"header    printed in the running header: '{HEADER}'" in out
    for title, _ in STORIES:
        assert re.search(rf"^ +\d+\. {re.escape(title)}$", out, re.M), title
    assert ", p. 2:" in out and "figures: 7,801 (victims of trafficking and vulnerable migrants)" in out
    assert f"footnote (p. 1): {FOOTNOTE}" in out
    assert list(empty_archive.iterdir()) == [] and not (empty_archive.parent / "index").exists()


def test_add_dry_run_json_of_a_web_page(empty_archive, capsys):
    assert main(["add", "--dry-run", "--json", str(FIXTURES / "issue-11-portal.html")]) == 0
    [preview] = json.loads(capsys.readouterr().out)["files"]
    assert preview["status"] == "new" and preview["issue"]["number"] == 11
    assert [s["title"] for s in preview["stories"]] == [t for t, _ in STORIES] + [KEY_FIGURES_TITLE]
    assert all(p["page"] is None for s in preview["stories"] for p in s["passages"])
    assert "View original" in {d["text"] for d in preview["dropped"]}
    assert list(empty_archive.iterdir()) == []


# --- what a PDF may cost -------------------------------------------------------------------------------------

def handmade_pdf(pages: int, blank_bytes: int) -> bytes:
    """A PDF whose every page draws one shared content stream of `blank_bytes` spaces (compressed)."""
    packer, stream = zlib.compressobj(9), io.BytesIO()
    for _ in range(blank_bytes // 2**20):
        stream.write(packer.compress(b" " * 2**20))
    stream.write(packer.compress(b" " * (blank_bytes % 2**20)) + packer.flush())
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
               f"<< /Length {stream.tell()} /Filter /FlateDecode >>\nstream\n".encode() + stream.getvalue()
               + b"\nendstream"]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * pages
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.7\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


@pytest.mark.parametrize("pages, blank_bytes, reason", [
    (2, 100 * 2**20, "a stream of the PDF decompresses to more"),  # one stream beyond pypdf's 75 MB
    (4, 40 * 2**20, "its pages decompress to 160 MB or more"),  # 40 MB drawn on 4 pages
    (pdf_limits.MAX_PAGES + 1, 10, f"{pdf_limits.MAX_PAGES + 1} pages, more than the {pdf_limits.MAX_PAGES}"),
])
def test_a_pdf_that_asks_too_much_is_refused_and_nothing_is_added(empty_archive, tmp_path, capsys, pages,
                                                                   blank_bytes, reason):
    path = tmp_path / "bomb.pdf"
    path.write_bytes(handmade_pdf(pages, blank_bytes))
    assert main(["add", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bomb.pdf: " in err and reason in err and "nothing was added" in err
    assert list(empty_archive.iterdir()) == []


def test_a_pdf_that_takes_too_long_is_refused(monkeypatch):
    monkeypatch.setattr(pdf_limits, "MAX_SECONDS", 0.0)  # any reading time is over it
    with pytest.raises(UnreadableFile, match=r"issue-11-two-columns\.pdf: reading it took longer than 0 s"):
        read_issue(FIXTURES / "issue-11-two-columns.pdf", Catalog())
