"""A real browser (Debian's chromium, driven by Playwright) against the app served by waitress on
loopback: search, follow a hit to its issue and its passage, see related stories.  Screenshots of
each page land in test-artifacts/ for a person to look at.

scripts/test installs /usr/bin/chromium when it is missing; run without it, these tests fail (a
skipped browser test is not a passed one).  Playwright never downloads a browser here."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import waitress

from index.config import ROOT
from webapp import create_app

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
    assert f"/passages/{RING_PASSAGE}" in page.locator("#citation").input_value()
    related = page.locator("section.related li.hit")
    assert related.count() >= 1
    assert "Why related:" in related.nth(0).inner_text()
    assert "IOM TAJIKISTAN EXTENDED MULTISECTORAL APPROACH FOR BORDER HEALTHCARE" in \
        page.locator("section.related").inner_text()
    screenshot(page, "passage.png")
    assert page.console_errors == []


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
