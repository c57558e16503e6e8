"""Series charts: the title, source line and note on differing labels they carry, the chart as an SVG
file and its points as CSV at addresses of their own.  (That no two labels of a chart collide is
measured in a real browser: tests/test_browser.py.)

From the corpus: "vulnerable migrants" (3186, Issue 3, 10 July 2020) and "victims of trafficking and
vulnerable migrants" (7,801, November 2020, date inferred) are one series.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from flask import render_template

from index.facade import FigureRecord, FigureSeries
from index.records import Issue, IssueDate
from webapp import create_app
from webapp.charts import labels_note, series_chart, source_line

SVG = "{http://www.w3.org/2000/svg}"
JULY_2020_3186 = "002_44f630649352dfb2-s1-p1-f1"  # "IOM missions in Central Asia have assisted 3186 vulnerable migrants."


@pytest.fixture(scope="module")
def client(corpus_archive):
    return create_app(archive=corpus_archive).test_client()


def texts(svg: ET.Element, group: str | None = None) -> list[str]:
    root = svg if group is None else svg.find(f".//{SVG}g[@class='{group}']")
    return [node.text for node in root.iter(f"{SVG}text")]


def test_the_chart_is_an_svg_file_of_its_own(client):
    response = client.get(f"/figures/series/{JULY_2020_3186}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"] == \
        "inline; filename=victims-of-trafficking-and-vulnerable-migrants.svg"
    svg = ET.fromstring(response.data)  # well-formed XML, with the SVG namespace
    assert svg.tag == f"{SVG}svg"
    assert texts(svg, "chart-title") == ["Victims of trafficking and vulnerable migrants"]
    source = " ".join(texts(svg, "source"))
    assert source == ("Source: IOM Central Asia Regional Response Report, issues: Issue 3, 10 July 2020; "
                      "November 2020 (date inferred)")
    note = " ".join(texts(svg, "labels-note"))
    assert "“vulnerable migrants” (10 Jul 2020)" in note
    assert "“victims of trafficking and vulnerable migrants” (Nov 2020)" in note
    values = [node.text for node in svg.iter(f"{SVG}text") if node.get("class") == "value"]
    assert values == ["3,186", "7,801"]
    links = [node.get("href") for node in svg.iter(f"{SVG}a")]
    assert links == ["http://localhost/passages/002_44f630649352dfb2-s1-p1",
                     "http://localhost/passages/000_01b647a0f58beec8-s1-p1"]  # absolute: the file travels
    assert "style" not in response.get_data(as_text=True)  # presentation attributes only


def test_any_point_of_a_series_finds_its_chart(client):
    series = client.get("/api/figures?q=victims+of+trafficking").get_json()["series"][0]
    assert series["id"] == JULY_2020_3186
    seven = client.get("/api/figures?q=7801").get_json()["figures"][0]["id"]
    assert client.get(f"/figures/series/{seven}.svg").data == client.get(f"/figures/series/{series['id']}.svg").data


def test_the_points_are_a_csv_file_of_their_own(client):
    response = client.get(f"/figures/series/{JULY_2020_3186}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=victims-of-trafficking-and-vulnerable-migrants.csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["value"], row["issue_date"], row["label"]) for row in rows] == [
        ("3186", "2020-07-10", "vulnerable migrants"),
        ("7801", "2020-11", "victims of trafficking and vulnerable migrants")]
    assert rows[1]["date_inferred"] == "True" and rows[0]["issue_number"] == "3"
    assert rows[0]["url"] == "http://localhost/passages/002_44f630649352dfb2-s1-p1"


@pytest.mark.parametrize("url, status, message", [
    ("/figures/series/nope.svg", 404, "no series of figures holds a figure with id 'nope'"),
    ("/figures/series/nope.csv", 404, "no series of figures holds a figure with id 'nope'"),
    ("/figures/series/002_44f630649352dfb2-s3-p2-f1.svg", 404, "no series"),  # a hotline: in no series
    (f"/figures/series/{JULY_2020_3186}.svg?size=big", 400, "unknown parameter 'size'"),
])
def test_a_chart_that_is_not_there_says_so(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status and message in unescape(response.get_data(as_text=True))


def test_the_figures_page_shows_the_chart_it_serves_and_links_its_downloads(client):
    html = client.get("/figures?q=victims+of+trafficking").get_data(as_text=True)
    assert f'href="/figures/series/{JULY_2020_3186}.svg" download' in html
    assert f'href="/figures/series/{JULY_2020_3186}.csv"' in html
    shown = ET.fromstring(re.search(r"<svg .*?</svg>", html, re.S).group(0))
    served = ET.fromstring(client.get(f"/figures/series/{JULY_2020_3186}.svg").data)
    assert texts(shown) == texts(served)  # title, ticks, values, dates, source and note alike


# --- the chart's parts, on series written for the purpose ----------------------------------------


def point(n: int, label: str, value: float, iso: str, number: int | None = None) -> FigureRecord:
    issue = Issue(f"i{n}", f"i{n}.txt", number, IssueDate(iso, "day" if len(iso) == 10 else "month"),
                  number is None, "t", None, {}, "Test Bulletin", None)
    return FigureRecord(f"i{n}-s1-p1-f1", value, "count", "", "", label, f"{value:,}", "s", (), f"i{n}-s1-p1",
                        "S", issue, (), 0, 1)


def test_labels_worded_alike_get_no_note():
    series = FigureSeries("migrants assisted", "count", "", (point(1, "migrants assisted", 10, "2020-01-05", 1),
                                                             point(2, "Migrants assisted", 20, "2020-02", None)))
    assert labels_note(series) is None and series_chart(series).note == ()
    assert source_line(series) == ("Source: Test Bulletin, issues: Issue 1, 5 January 2020; "
                                   "February 2020 (date inferred)")


def test_the_title_comes_from_the_label_and_the_note_lists_every_wording():
    series = FigureSeries("victims of trafficking", "count", "", (
        point(1, "victims", 10, "2020-01-05", 1), point(2, "victims of trafficking", 20, "2020-03-01", 2),
        point(3, "victims", 30, "2020-05-01", 3)))
    chart = series_chart(series)
    assert [line.text for line in chart.title] == ["Victims of trafficking"]
    assert " ".join(line.text for line in chart.note) == (
        "The issues word what is counted differently: “victims” (5 Jan 2020), “victims of trafficking” "
        "(1 Mar 2020), “victims” (1 May 2020).")


def test_the_source_line_of_a_long_series_names_its_first_and_last_issue():
    series = FigureSeries("migrants assisted", "count", "", tuple(
        point(n, "migrants assisted", 10 * n, f"2020-{n:02d}-01", n) for n in range(1, 8)))
    assert source_line(series) == "Source: Test Bulletin, 7 issues from Issue 1, 1 January 2020 to Issue 7, 1 July 2020"


def test_the_chart_template_escapes_what_the_issues_print(corpus_archive):
    series = FigureSeries("<script>alert(1)</script> & co", "count", "", (
        point(1, "<b>migrants</b> & co", 10, "2020-01-05", 1), point(2, "migrants", 20, "2020-02-05", 2)))
    with create_app(archive=corpus_archive).test_request_context():
        svg = render_template("_chart.svg", series=series, chart=series_chart(series), n=1, href=lambda p: "/" + p)
    assert "<script>" not in svg and "<b>" not in svg
    root = ET.fromstring(svg)  # still well-formed: the text is escaped, not dropped
    assert "<script>alert(1)</script> & co" in texts(root, "chart-title")[0]
