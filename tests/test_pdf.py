"""PDF issues: the layout reader (index.ingest.pdf_layout) on small PDFs, and what the parser makes of it.

Every PDF here is made by the test with fpdf2, laid out the way a newsletter office publishes one:
bold headings, paragraphs, a running header and footer on every page.  `make_pdf` is also used by
test_add.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from index.ingest.catalog import Catalog
from index.ingest.reader import UnreadableFile, read_document, read_issue

HEADER = "Migration Bulletin - Central Asia"
FOOTER = "Page {page} of 2"

SOLAR = ("On 14 March 2023 IOM Uzbekistan installed solar panels on the roofs of 85 houses of returning migrant "
         "families in Karakalpakstan, so that they have light and hot water through the winter. The panels were "
         "bought with the help of local partners and the regional migra-\ntion office.")
LEGAL_AID_PAGE_1 = ("IOM Kyrgyzstan opened a legal aid desk in Osh where 1,240 labour migrants have asked for advice "
                    "about contracts, wages and documents since it opened. The lawyers of the desk also visit the "
                    "bus station every week to meet the migrants who are about to leave for")
LEGAL_AID_PAGE_2 = "Russia and Kazakhstan, and give them leaflets with the national hotline number."

TWO_PAGE_ISSUE = [
    [("heading", "SOLAR PANELS FOR MIGRANT FAMILIES"), ("text", SOLAR),
     ("heading", "LEGAL AID DESK IN OSH"), ("text", LEGAL_AID_PAGE_1)],
    [("text", LEGAL_AID_PAGE_2)],
]


def make_pdf(path: Path, pages: list[list[tuple[str, str]]], header: str | None = None,
             footer: str | None = None) -> Path:
    """A PDF issue: each page a list of ("heading" | "text", words); `header` and `footer` ("{page}"
    becomes the page number) printed on every page.  A "\\n" in a text is a line break."""

    class Newsletter(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("Helvetica", size=9)
                self.cell(0, 8, header, new_x="LMARGIN", new_y="NEXT")
                self.ln(2)

        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font("Helvetica", size=9)
                self.cell(0, 8, footer.format(page=self.page_no()))

    pdf = Newsletter()
    for blocks in pages:
        pdf.add_page()
        for kind, text in blocks:
            pdf.set_font("Helvetica", style="B" if kind == "heading" else "", size=13 if kind == "heading" else 11)
            pdf.multi_cell(0, 7 if kind == "heading" else 6, text)
            pdf.ln(4)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def make_two_column_pdf(path: Path, left: str, right: str) -> Path:
    """One page with two columns of text side by side, written column after column."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(10, 20)
    pdf.multi_cell(90, 6, left)
    pdf.set_xy(110, 20)
    pdf.multi_cell(90, 6, right)
    pdf.output(str(path))
    return path


@pytest.fixture()
def two_page_issue(tmp_path) -> Path:
    return make_pdf(tmp_path / "bulletin-2023-03.pdf", TWO_PAGE_ISSUE, header=HEADER, footer=FOOTER)


# --- headers, hyphens, page breaks ------------------------------------------------------------------

def body_text(path: Path) -> str:
    return " ".join(block.text for block in read_document(path).blocks if block.kind != "header")


def test_running_header_and_footer_are_removed(two_page_issue):
    reading = read_document(two_page_issue)
    text = body_text(two_page_issue)
    assert "Migration Bulletin" not in text and "Page" not in text
    assert "SOLAR PANELS FOR MIGRANT FAMILIES" in text and "national hotline number" in text
    assert {(d.kind, d.text, d.pages) for d in reading.dropped} == {
        ("running header or footer", HEADER, (1, 2)), ("page number", "Page 1 of 2", (1, 2))}


def test_words_hyphenated_across_lines_are_joined(two_page_issue):
    text = body_text(two_page_issue)
    assert "regional migration office" in text and "migra-" not in text


def test_headings_and_paragraphs_are_blocks_of_their_own(two_page_issue):
    blocks = read_document(two_page_issue).blocks
    assert [(b.kind, b.page) for b in blocks[:3]] == [("heading", 1), ("body", 1), ("heading", 1)]
    assert blocks[0].text == "SOLAR PANELS FOR MIGRANT FAMILIES"
    assert blocks[1].text.startswith("On 14 March 2023") and blocks[1].text.endswith("migration office.")


def test_two_page_issue_parses_like_a_text_issue(two_page_issue):
    parsed = read_issue(two_page_issue, Catalog())
    assert [s.title for s in parsed.sections] == ["SOLAR PANELS FOR MIGRANT FAMILIES", "LEGAL AID DESK IN OSH"]
    issue = parsed.issue
    assert issue.number is None
    assert (issue.date.iso, issue.date.precision, issue.date_inferred) == ("2023-03", "month", True)
    legal_aid = " ".join(p.text for p in parsed.passages if p.section_title == "LEGAL AID DESK IN OSH")
    # the paragraph cut by the page break is whole again, without the running lines in between
    assert "about to leave for Russia and Kazakhstan" in legal_aid
    assert all("Bulletin" not in p.text and "Page" not in p.text for p in parsed.passages)
    assert [p.page for p in parsed.passages] == [1, 1]  # the legal aid story starts on page 1


def test_printed_issue_header_repeated_on_every_page_gives_number_and_date(tmp_path):
    header = "IOM CENTRAL ASIA REGIONAL RESPONSE REPORT, ISSUE 12, 15/05/2023"
    path = make_pdf(tmp_path / "issue-12.pdf", TWO_PAGE_ISSUE, header=header, footer=FOOTER)
    parsed = read_issue(path, Catalog())
    assert parsed.issue.number == 12
    assert (parsed.issue.date.iso, parsed.issue.provenance["date"]) == ("2023-05-15", "printed")
    assert parsed.header.text == header and parsed.header.where == "running header"
    assert all("REPORT" not in p.text for p in parsed.passages)


def test_a_line_on_one_page_only_is_not_a_running_header(tmp_path):
    path = make_pdf(tmp_path / "one-page.pdf", [TWO_PAGE_ISSUE[0]], header=HEADER)
    assert HEADER in body_text(path)


def test_two_columns_come_out_one_after_the_other(tmp_path):
    left = "The left column tells how IOM Tajikistan trained border guards in Khorog during the spring."
    right = "The right column tells how IOM Kazakhstan met seasonal workers on the farms near Almaty."
    text = body_text(make_two_column_pdf(tmp_path / "columns.pdf", left, right))
    assert left in text and right in text
    assert text.index(left) < text.index(right)


# --- files that are not readable PDFs -----------------------------------------------------------------

def test_truncated_pdf_is_unreadable(two_page_issue, tmp_path):
    data = two_page_issue.read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFile) as caught:
        read_document(broken)
    assert str(caught.value).startswith("broken.pdf: ")
    assert "truncated" in str(caught.value)


@pytest.mark.parametrize("data, reason", [
    (b"This is a letter, not a PDF.\n" + bytes(range(256)), "not a PDF"),
    (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\ngarbage\nstartxref\n99999\n%%EOF\n", "PDF"),
    (b"", "empty"),
])
def test_garbage_named_pdf_is_unreadable(tmp_path, data, reason):
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile) as caught:
        read_document(path)
    assert str(caught.value).startswith("scan.pdf: ")
    assert reason in str(caught.value)


def test_pdf_without_text_is_unreadable(tmp_path):
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a picture, as a scan would be
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(UnreadableFile) as caught:
        read_document(path)
    assert "no text" in str(caught.value)
