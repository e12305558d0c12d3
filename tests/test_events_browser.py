"""Events on the search page in real headless Chromium: cards added by "Load more" are the
cards the server draws for that page of results (the same template), the event line ("1
of 4 readouts", the link to the event) included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browsers import launch, require_chromium, served

pytestmark = pytest.mark.browser

require_chromium()

# Searches whose second page holds readouts of events (the first with one is used).
CANDIDATES = ("q=Lavrov&sort=newest", "q=Dacic&sort=newest", "q=Serbia&sort=newest",
              "q=Serbia", "q=minister&sort=oldest")


@pytest.fixture(scope="module")
def base_url(crawled) -> Iterator[str]:
    with served(crawled[0]) as url:
        yield url


@pytest.fixture(scope="module")
def page(base_url: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      reduced_motion="reduce")
        yield context.new_page()
        browser.close()


def cards(page, selector: str = "li.hit") -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.outerHTML)")


def test_load_more_cards_are_the_page_s_cards_event_line_included(page, base_url: str) -> None:
    query = next((q for q in CANDIDATES
                  if any(hit.get("event") for hit in page.request.get(
                      f"{base_url}/api/search?{q}&page=2").json()["results"])), None)
    assert query is not None, "no search of the fixtures has readouts of events on page 2"
    page.goto(f"{base_url}/?{query}&page=2")
    second_page = cards(page)
    assert any('class="event-line"' in card for card in second_page)

    page.goto(f"{base_url}/?{query}")
    first = len(cards(page))
    page.click("#load-more")
    page.locator("li.hit").nth(first + len(second_page) - 1).wait_for()
    loaded = cards(page)[first:]
    # Identical to the server's second page, card for card: rank, links carrying the
    # search, badges, the event line and its links, "Also in", entities.
    assert loaded == second_page
    position = next(i for i, card in enumerate(loaded) if "event-line" in card)
    line = page.locator(f"#hit-{first + 1 + position} .event-line")
    assert line.locator("a").first.get_attribute("href").startswith("/events/")
    assert " of " in line.inner_text() and "readout" in line.inner_text()


def test_the_results_fragment_refuses_bad_parameters_with_a_400(page, base_url: str) -> None:
    for args in ("q=Serbia&rank=0", "q=Serbia&rank=x", "q=Serbia&cursor=%00", "q=(Serbia"):
        response = page.request.get(f"{base_url}/results?{args}")
        assert response.status == 400, args
