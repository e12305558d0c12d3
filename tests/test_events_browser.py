"""Events on the search page in real headless Chromium: cards added by "Load more" are the
cards the server draws for that page of results (the same template), the event line ("1
of 4 readouts", the link to the event) included."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
    if os.environ.get("COMMUNIQUES_REQUIRE_BROWSER"):
        raise RuntimeError("browser tests required but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

# Searches whose second page holds readouts of events (the first with one is used).
CANDIDATES = ("q=Lavrov&sort=newest", "q=Dacic&sort=newest", "q=Serbia&sort=newest",
              "q=Serbia", "q=minister&sort=oldest")


@pytest.fixture(scope="module")
def base_url(crawled) -> Iterator[str]:
    from waitress.server import create_server

    server = create_server(crawled[0], host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def page(base_url: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"])
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
