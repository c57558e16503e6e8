"""The Russian fixtures in a real browser (Debian's chromium through Playwright, the app served by
waitress on loopback): a Russian query in another word form, its hits with the matched forms marked
and `lang="ru"` on the Russian text in an English interface, the language facet, a Russian passage's
page.  Screenshots land in test-artifacts/."""

from __future__ import annotations

import threading

import pytest
import waitress
from test_browser import browser, page, screenshot  # noqa: F401  (the browser and page fixtures)

from webapp import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def russian_url(russian_archive):
    server = waitress.create_server(create_app(archive=russian_archive), host="127.0.0.1", port=0, ident="", threads=4)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def test_a_russian_query_marks_the_word_forms_it_matched(page, russian_url):  # noqa: F811
    page.goto(russian_url + "/")
    page.fill("#q", "трудовой мигрант вернулся")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/?q=*")
    assert page.locator("html").get_attribute("lang") == "en"
    first = page.locator("ol.hits > li.hit").nth(0)
    assert first.locator("h2").inner_text() == "ПОДДЕРЖКА ТРУДОВЫХ МИГРАНТОВ, ВЕРНУВШИХСЯ НА РОДИНУ"
    assert first.locator("h2").get_attribute("lang") == "ru"
    assert first.locator(".snippet").get_attribute("lang") == "ru"
    assert first.locator(".snippet mark").all_inner_texts()[:3] == ["трудовым", "мигрантам", "вернувшимся"]
    assert "semantic" not in first.locator(".found").inner_text()  # the English-only model does not rank it
    assert first.locator(".meta").inner_text().endswith("Kyrgyzstan")
    assert page.locator("aside.facets").get_by_role("checkbox", name="Russian").count() == 1
    screenshot(page, "russian-search.png")

    page.locator("aside.facets").get_by_role("checkbox", name="Russian").click()
    page.wait_for_url("**language=ru*")
    assert page.locator(".active-filters").inner_text().startswith("Russian")
    assert all(hit.get_attribute("lang") == "ru" for hit in page.locator("ol.hits > li.hit .snippet").all())

    first = page.locator("ol.hits > li.hit").nth(0)
    first.locator("h2 a").click()
    page.wait_for_url("**/passages/ru-vypusk-4-s1-p1")
    assert page.locator("h1").get_attribute("lang") == "ru"
    assert page.locator(".passage.current p[lang=ru]").first.inner_text().startswith("В апреле 2021 года")
    assert "does not read Russian" in page.locator("section.related").inner_text()
    screenshot(page, "russian-passage.png")
    assert page.console_errors == []


def test_a_russian_slogan_in_an_english_passage_is_marked_russian(page, russian_url):  # noqa: F811
    page.goto(russian_url + "/?q=safe+migration+caravan&mode=keyword")
    first = page.locator("ol.hits > li.hit").nth(0)
    assert first.locator("h2").inner_text() == "SAFE MIGRATION CAMPAIGN REACHES VILLAGES OF SUGHD"
    assert first.locator(".snippet").get_attribute("lang") is None
    assert first.locator(".snippet span[lang=ru]").first.inner_text().startswith("Безопасная миграция")


def test_russian_figures_on_the_figures_page(page, russian_url):  # noqa: F811
    page.goto(russian_url + "/figures?q=участники+семинара")
    row = page.locator("table.figures tbody tr").nth(0)
    assert row.locator("td.value").inner_text().startswith("45")
    assert row.locator("td.sentence").get_attribute("lang") == "ru"
    assert "сотрудников Пограничной службы Кыргызстана" in row.inner_text()
    screenshot(page, "russian-figures.png")
