"""Real headless Chromium against the real server over the crawled fixture sites."""

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


@pytest.fixture(scope="module")
def base_url(crawled) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served by waitress on a loopback port, in a background thread."""
    from waitress.server import create_server

    app = crawled[0]
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
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
