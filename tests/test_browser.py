"""Real headless Chromium against the real server over the crawled fixture sites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browsers import launch, require_chromium, served

pytestmark = pytest.mark.browser

require_chromium()


@pytest.fixture(scope="module")
def base_url(crawled) -> Iterator[str]:
    """The app served by waitress on a loopback port, in a background thread."""
    with served(crawled[0]) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def test_search_in_cyrillic_then_open_a_result(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.fill("input[name=q]", "Филиповић")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("ol.results li.hit")
    titles = page.locator("li.hit h2").all_inner_texts()
    assert "Serbian-Russian consultations on security challenges and threats held in Moscow" \
        in titles
    assert "q=%D0%A4" in page.url  # the query is kept in the URL
    page.locator("li.hit h2 a", has_text="Serbian-Russian consultations").click()
    page.wait_for_selector("article.document")
    assert "Ilya Rogachev" in page.inner_text("article.document .body")
    assert page.locator("section.versions li").count() == 1


def test_bad_query_shows_a_message_and_the_literal_search(page, base_url: str) -> None:
    response = page.goto(base_url + "/?q=%22Kosovo")
    assert response is not None and response.status == 400
    assert "unclosed quote" in page.inner_text("div.error")
    page.locator("div.error a").click()
    page.wait_for_selector("#result-count")
    assert "Kosovo" in page.inner_text("#result-count")


def result_count(page) -> int:
    text = page.inner_text("#result-count").split()[0]
    return int(text) if text.isdigit() else 0


def test_ticking_facets_filters_and_counts_stay_true(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Lavrov")
    everything = result_count(page)
    english = page.locator("#facet-language label", has_text="English")
    english_count = int(english.locator(".n").inner_text())
    english.locator("input").check()  # JavaScript submits the form at once
    page.wait_for_url("**language=en**")
    assert result_count(page) == english_count < everything
    assert page.locator("#facet-language input[value=en]").is_checked()
    # A second language ORs with the first: the count adds up.
    russian = page.locator("#facet-language label", has_text="Russian")
    russian_count = int(russian.locator(".n").inner_text())
    russian.locator("input").check()
    page.wait_for_url("**language=ru**")
    assert result_count(page) == english_count + russian_count
    # Removing a filter through its chip.
    page.locator(".chips a", has_text="Russian").click()
    page.wait_for_load_state()
    assert result_count(page) == english_count


def test_facets_work_without_javascript(browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/?q=Serbia")
    page.locator("#facet-type input[value=statement]").check()
    page.locator("aside button[type=submit]").first.click()
    page.wait_for_url("**type=statement**")
    assert all(t == "statement" for t in page.locator("li.hit .doctype").all_inner_texts())
    context.close()


def test_clicking_a_histogram_bar_filters_to_its_period(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Kosovo")
    before = result_count(page)
    bars = page.locator("#histogram a.bar")
    counts = [int(bars.nth(i).get_attribute("data-count")) for i in range(bars.count())]
    tallest = max(range(len(counts)), key=lambda i: counts[i])
    bar = bars.nth(tallest)
    start, end = bar.get_attribute("data-from"), bar.get_attribute("data-to")
    bar.locator("rect.hit-area").click()
    page.wait_for_url(f"**from={start}**")
    assert f"to={end}" in page.url
    assert result_count(page) == counts[tallest] < before


def test_dragging_across_the_histogram_filters_to_the_range(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Serbia")
    links = page.locator("#histogram a.bar")
    assert links.count() >= 3
    start = links.nth(0).get_attribute("data-from")
    end = links.nth(2).get_attribute("data-to")
    expected = sum(int(links.nth(i).get_attribute("data-count")) for i in range(3))
    first = links.nth(0).locator("rect.hit-area").bounding_box()
    last = links.nth(2).locator("rect.hit-area").bounding_box()
    page.mouse.move(first["x"] + first["width"] / 2, first["y"] + 50)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + 50, steps=8)
    page.mouse.up()
    page.wait_for_url(f"**from={start}**")
    assert f"to={end}" in page.url
    assert result_count(page) == expected


def test_keyboard_only_search(page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(base_url + "/")
    expect(page.locator("#q")).to_be_focused()  # the query box has focus on arrival
    page.keyboard.type("Лавров")
    page.keyboard.press("Enter")
    page.wait_for_selector("li.hit")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("BUTTON", "A", "INPUT")


def test_readable_on_a_phone(browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(base_url + "/?q=Serbia")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling
    # Results first: the filters wait in a sheet, opened by a button in the search bar.
    assert not page.locator("aside.facets").is_visible()
    toggle = page.locator("#filters-toggle")
    assert toggle.bounding_box()["y"] < page.locator("li.hit").first.bounding_box()["y"]
    toggle.click()
    assert page.locator("#facet-language").is_visible()
    sheet = page.locator("aside.facets").bounding_box()
    assert sheet["x"] >= 0 and sheet["x"] + sheet["width"] <= 390  # over the results
    context.close()


def test_official_page_and_who_met_whom(page, base_url: str) -> None:
    page.goto(base_url + "/officials/ivica-dacic")
    assert page.inner_text("h1") == "Ivica Dačić"
    assert page.locator("#timeline a.bar").count() >= 3
    assert page.locator("#latest li.hit").count() == 10
    page.locator("#met-with a", has_text="Sergey Lavrov").click()
    page.wait_for_url("**/officials/sergey-lavrov")
    assert page.inner_text("h1") == "Sergey Lavrov"
    assert "Ivica Dačić" in page.inner_text("#met-with")


def test_country_pair_page_by_ministry(page, base_url: str) -> None:
    page.goto(base_url + "/countries/RS/RU")
    assert page.inner_text("h1") == "Serbia and Russia"
    total = int(page.inner_text("#pair-count").split()[0])
    ministries = page.locator("#by-ministry li")
    assert ministries.count() >= 3
    counts = [int(n) for n in page.locator("#by-ministry .n").all_inner_texts()]
    assert sum(counts) == total
    ministries.first.locator("a").click()
    page.wait_for_selector("#result-count")
    assert result_count(page) == counts[0]


def test_suggestions_appear_while_typing(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.fill("#q", "")
    page.type("#q", "дач", delay=50)
    # (The page's CSP forbids eval, so wait on the element, not on a JS predicate.)
    page.locator("#suggestions option[value='Ivica Dačić']").wait_for(state="attached")


def test_officials_any_or_all_toggle(page, base_url: str) -> None:
    page.goto(base_url + "/?official=Ivica+Da%C4%8Di%C4%87&facet_size=500")
    page.wait_for_selector("#facet-official .facet-op")
    page.locator("#facet-official li label", has_text="Sergey Lavrov").locator("input").check()
    page.wait_for_url("**Sergey+Lavrov**")
    either = page.inner_text("#result-count")
    page.locator("#facet-official .facet-op input[value=and]").check()
    page.wait_for_url("**official_op=and**")
    both = page.inner_text("#result-count")
    assert int(both.split()[0]) < int(either.split()[0])
    api = page.request.get(base_url + "/api/search?official=Ivica+Da%C4%8Di%C4%87"
                           "&official=Sergey+Lavrov&official_op=and").json()
    assert int(both.split()[0]) == api["total"]
    assert page.locator("#facet-official .facet-op input[value=and]").is_checked()
