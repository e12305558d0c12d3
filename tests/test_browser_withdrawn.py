"""Real headless Chromium: a withdrawn communiqué (issue 15) is marked with its day on the
search page's card, drawn by the server or added by "Load more" from the API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsers import launch, require_chromium
from conftest import run_cli
from flask import Flask

from indexer.archive import Archive

pytestmark = pytest.mark.browser

require_chromium()

GONE = "www.fmprc.gov.cn/eng/xw/zyxw/202401/t20240117_11225563.html"  # an old article


@pytest.fixture
def withdrawn_site(app: Flask, site_copy: Path) -> Iterator[tuple[str, str, str]]:
    """China crawled, one old article withdrawn (404 on re-check), the app served:
    (base URL, the withdrawn id, the day it was withdrawn)."""
    from waitress.server import create_server

    assert run_cli(app, "update", "--source", "china-mfa").exit_code == 0
    (site_copy / GONE).unlink()
    assert run_cli(app, "update", "--source", "china-mfa", "--recheck",
                   "--full-listing").exit_code == 0
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        [(cid, when)] = archive.withdrawn_ids().items()
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", cid, when.date().isoformat()
    finally:
        server.close()


def test_withdrawn_cards_are_marked_whether_drawn_or_loaded(
        withdrawn_site: tuple[str, str, str]) -> None:
    from playwright.sync_api import sync_playwright

    base_url, cid, day = withdrawn_site
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_context().new_page()
            # Oldest first: the server draws the withdrawn card first, marked.
            page.goto(base_url + "/?source=china-mfa&sort=oldest")
            first = page.locator("li.hit").first
            assert first.locator("h2 a").get_attribute("href").split("?")[0].endswith(cid)
            badge = first.locator(".badge.withdrawn")
            assert badge.inner_text().startswith("Withdrawn ")
            assert badge.locator("time").get_attribute("datetime") == day
            assert page.locator("li.hit .badge.withdrawn").count() == 1

            # Newest first: it is among the cards "Load more" adds, marked the same way.
            page.goto(base_url + "/?source=china-mfa&sort=newest")
            assert page.locator("li.hit .badge.withdrawn").count() == 0
            drawn = page.locator("li.hit").count()
            page.click("#load-more")
            page.locator("li.hit").nth(drawn).wait_for()
            loaded = page.locator("li.hit").nth(page.locator("li.hit").count() - 1)
            assert loaded.locator("h2 a").get_attribute("href").split("?")[0].endswith(cid)
            badge = loaded.locator(".badge.withdrawn")
            assert badge.locator("time").get_attribute("datetime") == day
            assert badge.inner_text() == first_text(page, base_url, cid)
            assert page.locator("li.hit .badge.withdrawn").count() == 1
        finally:
            browser.close()


def first_text(page, base_url: str, cid: str) -> str:
    """The badge's text as the server draws it for the same communiqué."""
    other = page.context.new_page()
    other.goto(base_url + "/?source=china-mfa&sort=oldest")
    text = other.locator("li.hit .badge.withdrawn").first.inner_text()
    other.close()
    return text
