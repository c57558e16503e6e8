"""A real browser (Debian's chromium, driven by Playwright) against the app served by waitress on
loopback: search, follow a hit to its issue and its passage, see related stories.  Screenshots of
each page land in test-artifacts/ for a person to look at.

scripts/test installs /usr/bin/chromium when it is missing; run without it, these tests fail (a
skipped browser test is not a passed one).  Playwright never downloads a browser here."""

from __future__ import annotations

import csv
import io
import os
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import waitress
from flask import render_template

from index.config import ROOT
from index.facade import FigureRecord, FigureSeries
from index.records import Issue, IssueDate
from webapp import create_app
from webapp.charts import series_chart

os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
RING_PASSAGE = "003_831dd773c1231ba4-s2-p1"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(corpus_archive):
    """The app served by waitress (as scripts/run serves it) on a free loopback port."""
    server = waitress.create_server(create_app(archive=corpus_archive), host="127.0.0.1", port=0, ident="",
                                    threads=4)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs it (or: apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A desktop-sized page that records browser console errors (a CSP violation is one)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_search_then_issue_then_passage_with_related_stories(page, base_url):
    response = page.goto(base_url + "/")
    assert "server" not in response.headers  # waitress runs with ident="": no server name or version
    page.fill("#q", "RING training")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/?q=RING+training&mode=hybrid")  # the empty date fields left out of the address

    hits = page.locator("ol.hits > li.hit")
    assert hits.count() >= 2
    first = hits.nth(0)
    assert first.locator("h2").inner_text() == "RING TRAINING IN TASHKENT"
    assert "November 2021 (date not printed: worked out from its stories)" in first.locator(".meta").inner_text()
    assert first.locator("mark").first.inner_text() in ("RING", "training")
    assert first.locator(".found").inner_text() == "Matches your search, close in meaning too"
    assert page.locator("aside.facets").is_visible()
    screenshot(page, "search.png")

    first.get_by_role("link", name="In its issue").click()
    page.wait_for_url(f"**/issues/003_831dd773c1231ba4#{RING_PASSAGE}")
    assert "November 2021 (date inferred)" in page.locator("h1").inner_text()
    assert page.locator(f"[id='{RING_PASSAGE}']").is_visible()
    screenshot(page, "issue.png")

    page.go_back()
    page.locator("ol.hits > li.hit").nth(0).locator("h2 a").click()
    page.wait_for_url(f"**/passages/{RING_PASSAGE}")
    assert page.locator("h1").inner_text() == "RING TRAINING IN TASHKENT"
    assert "IOM Tashkent held a RING" in page.locator(".passage.current").inner_text()
    assert f"/passages/{RING_PASSAGE}" in page.locator("#citation").inner_text()
    related = page.locator("section.related li.hit")
    assert related.count() >= 1
    assert "Why related:" in related.nth(0).inner_text()
    assert "IOM TAJIKISTAN EXTENDED MULTISECTORAL APPROACH FOR BORDER HEALTHCARE" in \
        page.locator("section.related").inner_text()
    screenshot(page, "passage.png")
    assert page.console_errors == []


def test_the_copy_button_copies_the_citation_in_the_format_shown(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{base_url}/passages/{RING_PASSAGE}")
    citation = page.locator("#citation")
    assert citation.inner_text().startswith("IOM Central Asia (c. 2021) ‘RING Training in Tashkent’")
    page.get_by_role("button", name="Copy citation").click()
    page.get_by_role("status").filter(has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == citation.inner_text()
    screenshot(page, "citation.png")

    page.locator(".cite-formats").get_by_role("link", name="BibTeX").click()
    page.wait_for_url("**?cite=bibtex")
    page.get_by_role("button", name="Copy citation").click()
    page.get_by_role("status").filter(has_text="Copied.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"@article{{{RING_PASSAGE},") and copied == citation.inner_text()

    with page.expect_download() as download:
        page.locator("section.cite .export").get_by_role("link", name="RIS").click()
    assert download.value.suggested_filename == f"{RING_PASSAGE}.ris"
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("TY  - MGZN")
    assert errors == []
    context.close()


def test_without_scripts_a_click_selects_the_whole_citation(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/passages/{RING_PASSAGE}")
    assert not page.get_by_role("button", name="Copy citation").is_visible()  # it needs its script
    hint = page.locator("section.cite noscript .hint")  # (Playwright's text search skips <noscript>)
    assert hint.is_visible() and hint.inner_text().startswith("Click the citation to select all of it")
    page.locator("#citation").click()
    selected = page.evaluate("window.getSelection().toString()")
    assert selected == page.locator("#citation").inner_text() and selected.startswith("IOM Central Asia")
    context.close()


def test_facet_click_narrows_and_filters_survive_a_new_query(page, base_url):
    page.goto(base_url + "/?q=training")
    page.locator("aside.facets ul.facet li a", has_text="Tajikistan").first.click()
    page.wait_for_url("**country=Tajikistan*")
    assert page.locator(".active-filters").inner_text().startswith("Tajikistan")
    assert page.locator("input[name=country][value=Tajikistan]").is_checked()
    page.fill("#q", "border")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**q=border*country=Tajikistan*")
    metas = page.locator("ol.hits > li.hit .meta").all_inner_texts()
    assert metas and all("Tajikistan" in meta for meta in metas)


def test_search_page_fits_a_phone(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.goto(base_url + "/?q=hotline")
    assert page.locator("ol.hits > li.hit").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "search-phone.png")
    context.close()


def test_empty_search_shows_examples_in_the_browser(page, base_url):
    page.goto(base_url + "/")
    page.click("form.search button[type=submit]")
    assert "The query is empty." in page.locator("section.empty").inner_text()
    page.get_by_role("link", name="RING training").click()
    assert page.locator("ol.hits > li.hit h2").first.inner_text() == "RING TRAINING IN TASHKENT"


def test_figures_page_charts_the_series_with_points_linked_to_passages(page, base_url):
    page.goto(base_url + "/")
    page.locator("header.site nav").get_by_role("link", name="Figures").click()
    page.wait_for_url("**/figures")
    charts = page.locator("figure.series-chart")
    migrants = charts.filter(has_text="victims of trafficking and vulnerable migrants")
    registered = charts.filter(has_text="COVID-19 overview in Central Asia: Registered")
    assert migrants.count() == 1 and registered.count() == 1
    assert migrants.locator("svg text.value").all_text_contents() == ["3,186", "7,801"]
    assert migrants.locator("svg text.date").all_text_contents() == ["10 Jul 2020", "Nov 2020"]
    assert registered.locator("svg text.value").all_text_contents() == ["76,698", "330,528"]
    for chart in (migrants, registered):
        box = chart.locator("svg.chart").bounding_box()
        assert box["width"] > 300 and box["height"] > 100  # drawn, not collapsed
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "figures.png")

    migrants.locator("svg a.point circle").nth(1).click()
    page.wait_for_url("**/passages/000_01b647a0f58beec8-*")
    figure = page.locator(".passage.current span.figure", has_text="7,801")
    assert figure.get_attribute("title") == "count: victims of trafficking and vulnerable migrants"
    assert page.console_errors == []


def test_figure_search_in_the_browser(page, base_url):
    page.goto(base_url + "/figures")
    page.fill("#q", "registered cases")
    page.fill("input[name=min]", "100000")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/figures?q=registered+cases*min=100000*")
    values = page.locator("table.figures td.value").all_inner_texts()
    assert values and values[0].startswith("330,528")
    assert all(int(value.split()[0].replace(",", "")) >= 100000 for value in values)
    screenshot(page, "figures-search.png")


def test_figures_page_fits_a_phone(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.goto(base_url + "/figures?q=victims+of+trafficking")
    assert page.locator("figure.series-chart svg.chart").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "figures-phone.png")
    context.close()


# --- charts: no label collides with another, and each chart downloads ---------------------------------

TEXT_BOXES = """svg => ({
    width: svg.viewBox.baseVal.width, height: svg.viewBox.baseVal.height,
    boxes: [...svg.querySelectorAll("text")].map(t => {
        const b = t.getBBox();
        return {text: t.textContent, x: b.x, y: b.y, width: b.width, height: b.height};
    })})"""


def assert_no_text_collides(svg) -> list[dict]:
    """Measured by the browser: no two texts of the chart overlap, and every one is inside it."""
    measured = svg.evaluate(TEXT_BOXES)
    boxes = measured["boxes"]
    for n, a in enumerate(boxes):
        assert a["x"] >= 0 and a["y"] >= 0, a
        assert a["x"] + a["width"] <= measured["width"] and a["y"] + a["height"] <= measured["height"], a
        for b in boxes[n + 1:]:
            apart = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                     or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
            assert apart, (a, b)
    return boxes


def test_chart_labels_do_not_collide_and_each_chart_downloads(page, base_url):
    page.goto(base_url + "/figures?q=vulnerable+migrants")
    charts = page.locator("figure.series-chart")
    migrants = charts.filter(has_text="Victims of trafficking and vulnerable migrants")
    for n in range(charts.count()):
        assert_no_text_collides(charts.nth(n).locator("svg.chart"))
    texts = [box["text"] for box in assert_no_text_collides(migrants.locator("svg.chart"))]
    assert "3,186" in texts and "5,000" in texts  # the value and the axis label that once overlapped
    assert any(text.startswith("Source: IOM Central Asia Regional Response Report") for text in texts)
    assert migrants.locator("svg.chart g.labels-note").is_visible()
    migrants.locator("svg.chart").screenshot(path=str(ARTIFACTS / "chart.png"))

    with page.expect_download() as svg_download:
        migrants.get_by_role("link", name="SVG").click()
    assert svg_download.value.suggested_filename == "victims-of-trafficking-and-vulnerable-migrants.svg"
    svg = ET.parse(svg_download.value.path()).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    with page.expect_download() as csv_download:
        migrants.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text(encoding="utf-8"))))
    assert [row["value"] for row in rows] == ["3186", "7801"]
    assert page.console_errors == []


def crowded_series() -> FigureSeries:
    """Twelve monthly issues, then two a fortnight apart: too many labels for the width of a chart."""
    days = [f"2020-{month:02d}-15" for month in range(1, 13)] + ["2021-01-02", "2021-01-16"]
    points = []
    for n, day in enumerate(days):
        issue = Issue(f"i{n}", f"i{n}.txt", n + 1, IssueDate(day, "day"), False, "t", None, {}, "Test Bulletin", None)
        value = 1_000_000 + 1_000 * n
        points.append(FigureRecord(f"i{n}-s1-p1-f1", value, "count", "", "", "migrants assisted", f"{value:,}", "s",
                                   (), f"i{n}-s1-p1", "S", issue, (), 0, 1))
    return FigureSeries("migrants assisted", "count", "", tuple(points))


def test_a_crowded_chart_leaves_labels_out_rather_than_overlap_them(page, corpus_archive):
    series = crowded_series()
    app = create_app(archive=corpus_archive)
    with app.test_request_context():
        svg = render_template("_chart.svg", series=series, chart=series_chart(series), n=1, href=lambda p: "#" + p)
    page.set_content(f"<!doctype html><body style='margin:0'>{svg}</body>")
    texts = [box["text"] for box in assert_no_text_collides(page.locator("svg"))]
    dates = [text for text in texts if text.endswith(("2020", "2021")) and not text.startswith("Source")]
    assert "15 Jan 2020" in dates and 2 <= len(dates) < len(series.points)
    assert page.locator("svg circle").count() == len(series.points)  # every point is drawn
    assert page.locator("svg a > title").count() == len(series.points)  # and says its value
    page.locator("svg").screenshot(path=str(ARTIFACTS / "chart-crowded.png"))


def phone(browser):
    """A phone-sized touch screen."""
    return browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                               device_scale_factor=2)


def test_a_misspelling_offers_its_spelling_and_passages_close_in_meaning(page, base_url):
    page.goto(base_url + "/")
    page.fill("#q", "trafficing")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/?q=trafficing&mode=hybrid")
    assert page.locator("h1").inner_text() == "Results for “trafficing”"
    assert "No passage matches “trafficing”." in page.locator(".summary").inner_text()
    related = page.locator("ol.hits > li.hit.related")
    assert related.count() == page.locator("ol.hits > li.hit").count() >= 1
    assert related.nth(0).locator(".tag.related-tag").is_visible()
    screenshot(page, "search-misspelt.png")
    page.locator(".did-you-mean a").click()
    page.wait_for_url("**/?q=trafficking*")
    assert page.locator(".summary").inner_text().startswith("12 passages match “trafficking”.")
    assert page.locator("ol.hits > li.hit.related").count() == 0
    assert page.console_errors == []


def test_keyboard_users_skip_to_the_content_and_see_the_focus(page, base_url):
    page.goto(base_url + "/?q=trafficking")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.is_visible() and skip.bounding_box()["y"] >= 0  # off screen until focused
    style = page.evaluate("getComputedStyle(document.activeElement)")
    assert style["outlineStyle"] != "none" and float(style["outlineWidth"].rstrip("px")) >= 2
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first thing inside the content
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


def test_choosing_several_years_shows_any_of_them(page, base_url):
    page.goto(base_url + "/?q=migrants")
    years = page.locator("aside.facets ul.facet").first
    years.get_by_role("checkbox", name="2020").click()
    page.wait_for_url("**year=2020")
    assert years.get_by_role("checkbox", name="2021").is_visible()  # the other years stay, to add
    count_2021 = int(years.locator("li", has_text="2021").locator(".count").inner_text())
    before = int(page.locator(".summary strong").inner_text().split()[0])
    years.get_by_role("checkbox", name="2021").click()
    page.wait_for_url("**year=2020&year=2021")
    assert years.get_by_role("checkbox", name="2020").get_attribute("aria-checked") == "true"
    assert years.get_by_role("checkbox", name="2021").get_attribute("aria-checked") == "true"
    assert int(page.locator(".summary strong").inner_text().split()[0]) == before + count_2021
    metas = page.locator("ol.hits > li.hit .meta").all_inner_texts()
    assert {"2020", "2021"} == {year for meta in metas for year in ("2020", "2021", "2022") if year in meta}


def test_sorting_by_date_and_taking_a_year_from_the_query(page, base_url):
    page.goto(base_url + "/?q=trafficking+in+2021")
    page.locator(".date-offer a").click()
    page.wait_for_url("**/?q=trafficking&from=2021&to=2021")
    metas = page.locator("ol.hits > li.hit .meta").all_inner_texts()
    assert metas and all("2021" in meta for meta in metas)
    page.goto(base_url + "/?q=migrants")
    page.get_by_role("link", name="newest first").click()
    page.wait_for_url("**sort=newest")
    assert "August 2022" in page.locator("ol.hits > li.hit .meta").first.inner_text()


def test_on_a_phone_the_filters_are_behind_a_button_at_the_top(browser, base_url):
    context = phone(browser)
    page = context.new_page()
    page.goto(base_url + "/?q=trafficking")
    button = page.get_by_role("link", name="Filters", exact=True)
    facets = page.locator("aside.facets")
    assert button.is_visible() and not facets.is_visible()
    assert button.bounding_box()["y"] < page.locator("ol.hits > li.hit").first.bounding_box()["y"]
    button.click()
    assert facets.is_visible()
    assert facets.bounding_box()["y"] < page.locator("ol.hits").bounding_box()["y"]  # at the top, not after ten results
    screenshot(page, "search-phone-filters.png")
    facets.get_by_role("checkbox", name="Kyrgyzstan").click()
    page.wait_for_url("**country=Kyrgyzstan")
    assert not page.locator("aside.facets").is_visible()  # closed again over the narrowed results
    assert page.locator("details.filters").evaluate("details => details.open")  # a country is chosen in it
    assert page.locator("select[name=issue]").is_visible()
    assert not page.get_by_text("Ctrl- or ⌘-click").is_visible()  # no keyboard hints on a touch screen
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_on_a_desktop_the_filters_sit_beside_the_results(page, base_url):
    page.goto(base_url + "/?q=trafficking")
    assert page.locator("aside.facets").is_visible()
    assert not page.get_by_role("link", name="Filters", exact=True).is_visible()
    page.locator("details.filters summary").click()
    assert page.get_by_text("Ctrl- or ⌘-click").is_visible()
