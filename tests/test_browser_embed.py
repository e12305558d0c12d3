"""Embeds in real headless Chromium: a page on another loopback origin frames /embed,
runs embed.js and an oEmbed-discovered iframe, and sees the results; CSS stays on its
own side; planted payloads run nowhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from browsers import launch, require_chromium, served
from test_archive import make_record

from indexer.archive import Archive
from indexer.build import update_index
from webapp import create_app

pytestmark = pytest.mark.browser
require_chromium()

HOST_CSS = """
  body { color: rgb(0, 128, 0); font-family: serif; font-size: 22px; }
  li, a, p, ol { color: rgb(255, 0, 0) !important; font-size: 40px !important; }
"""


def _serve(app) -> Iterator[str]:
    # A generator (the fixtures `yield from` it; the tests loop over it once).
    with served(app) as url:
        yield url


def _host_site(pages: dict[str, str]):
    """A newsroom's site: another origin serving the given pages."""
    def app(environ, start_response):
        body = pages.get(environ["PATH_INFO"])
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]
    return app


@pytest.fixture(scope="module")
def service_url(crawled) -> Iterator[str]:
    # Its own app on the crawled data: links are built from the address it is served on.
    yield from _serve(create_app({"TESTING": True, "DATA_DIR": crawled[0].config["DATA_DIR"]}))


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


def _newsroom_page(service: str, oembed_html: str) -> str:
    return f"""<!doctype html><html><head><title>Newsroom</title>
<style>{HOST_CSS}</style></head><body>
<h1>Our coverage</h1>
<ul><li id="own">The newsroom's own list item</li></ul>
<iframe id="frame" src="{service}/embed?q=kosovo&amp;source=russia-mid" width="600"
        height="400"></iframe>
<div id="widget" data-communiques-q="kosovo" data-communiques-source="russia-mid"
     data-communiques-limit="3"></div>
<div id="oembed">{oembed_html}</div>
<div id="russian" data-communiques-language="ru" data-communiques-year="2026"
     data-communiques-show="snippet" data-communiques-limit="2"></div>
<script src="{service}/embed.js" async></script>
</body></html>"""


def test_another_origin_embeds_the_iframe_the_widget_and_an_oembed(page, service_url: str) -> None:
    # oEmbed discovery, as a CMS does it: the page's <link>, then the oEmbed answer.
    search_page = requests.get(f"{service_url}/?q=kosovo&language=en", timeout=10).text
    discovered = re.search(r'<link rel="alternate" type="application/json\+oembed"[^>]*'
                           r'href="([^"]+)"', search_page).group(1).replace("&amp;", "&")
    oembed = requests.get(discovered, timeout=10).json()
    assert oembed["type"] == "rich"
    russian = requests.get(f"{service_url}/api/search?q=kosovo&source=russia-mid&sort=newest",
                           timeout=10).json()
    english = requests.get(f"{service_url}/api/search?q=kosovo&language=en&sort=newest&size=5",
                           timeout=10).json()
    in_russian = requests.get(f"{service_url}/api/search?language=ru&year=2026&sort=newest"
                              "&size=2", timeout=10).json()
    assert russian["total"] > 0 and english["total"] > 0 and in_russian["total"] > 0

    errors: list[str] = []
    for newsroom in _serve(_host_site({"/": _newsroom_page(service_url, oembed["html"])})):
        assert newsroom.split(":")[-1] != service_url.split(":")[-1]  # another origin
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(newsroom + "/")
        # The iframe: the Russian MFA's Kosovo communiqués.
        frame = page.frame_locator("#frame")
        frame.locator("li.hit").first.wait_for()
        framed = frame.locator("li.hit a.title").all_inner_texts()
        assert framed == [h["title"] for h in russian["results"][:5]]
        # The widget, in its shadow root.
        page.wait_for_selector("#widget[data-communiques-loaded]")
        widget_titles = page.locator("#widget li a.t").all_inner_texts()
        assert widget_titles == [h["title"] for h in russian["results"][:3]]
        # A widget named by any search parameter (no q, no source), showing snippets only:
        # its results still link to the ministry's page and to ours.
        page.wait_for_selector("#russian[data-communiques-loaded]")
        links = page.locator("#russian li").evaluate_all(
            "items => items.map(li => [...li.querySelectorAll('a')].map(a => a.href))")
        assert links == [[h["url"], h["html_url"]] for h in in_russian["results"]]
        # The oEmbed-discovered iframe shows the English search it was discovered on.
        found = page.frame_locator("#oembed iframe").locator("li.hit a.title")
        found.first.wait_for()
        assert found.all_inner_texts() == [h["title"] for h in english["results"]]
        # No CSS crosses: the newsroom's red 40px items stay its own, the widget keeps its.
        own = page.eval_on_selector("#own", "e => [getComputedStyle(e).color,"
                                            " getComputedStyle(e).fontSize]")
        assert own == ["rgb(255, 0, 0)", "40px"]
        inner = page.locator("#widget li").first.evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).fontSize,"
            " getComputedStyle(e).fontFamily]")
        assert inner[0] != "rgb(255, 0, 0)" and inner[1] == "14px" and "serif" != inner[2]
        assert errors == []


XSS = '<img src=x onerror="window.__xss=1;alert(1)">'


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory) -> Iterator[str]:
    data = Path(tmp_path_factory.mktemp("hostile"))
    with Archive(data) as archive:
        for n, (title, body, url) in enumerate([
            (f"Kosovo {XSS}", f"Kosovo <script>window.__xss=2;alert(2)</script> {XSS}",
             "javascript:window.__xss=3;alert(3)"),
            ('Kosovo "><svg onload="window.__xss=4;alert(4)">', "Kosovo </textarea>"
             f"{XSS} {{{{7*7}}}}", "https://www.mfa.gov.rs/en/x?a=\"><script>alert(5)</script>"),
        ]):
            archive.store(replace(make_record(n, body=body), title=title, url=url,
                                  officials=(f'Ivica Dačić {XSS}',)))
        update_index(archive, data)
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    yield from _serve(app)


def test_planted_payloads_run_in_no_embed_surface(page, hostile_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    oembed = requests.get(f"{hostile_url}/oembed?url={quote(hostile_url + '/?q=kosovo')}",
                          timeout=10).json()
    for newsroom in _serve(_host_site({"/": f"""<!doctype html><body>
<iframe id="frame" src="{hostile_url}/embed?q=kosovo"></iframe>
<div id="widget" data-communiques-q="kosovo"></div>
<div id="oembed">{oembed["html"]}</div>
<script src="{hostile_url}/embed.js"></script></body>"""})):
        page.goto(newsroom + "/")
        page.wait_for_selector("#widget[data-communiques-loaded]")
        page.frame_locator("#frame").locator("li.hit").first.wait_for()
        page.wait_for_timeout(300)
        hrefs = page.locator("#widget a").evaluate_all("links => links.map(a => a.href)")
        assert hrefs and not any(h.startswith("javascript:") for h in hrefs)
        assert page.locator("#widget li").first.inner_text().startswith("Kosovo")
        for frame in page.frames:
            assert frame.evaluate("() => window.__xss") is None, frame.url
    for path in ("/embed?q=kosovo", "/feed.atom?q=kosovo", "/feed.rss?q=kosovo",
                 "/embed/communiques/" + requests.get(
                     f"{hostile_url}/api/search?q=kosovo", timeout=10).json()["results"][0]["id"]):
        page.goto(hostile_url + path)
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.__xss") is None, path
    assert dialogs == []


def test_the_widget_refreshes_on_the_hosts_interval(page, service_url: str) -> None:
    # Intervals are recorded and run once soon, so the test does not wait minutes.
    page.add_init_script("""
        window.__intervals = [];
        window.setInterval = function (fn, ms) {
            window.__intervals.push(ms); return setTimeout(fn, 50); };
    """)
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if "/api/search?" in r.url else None)
    body = f"""<!doctype html><body>
<div id="default" data-communiques-q="kosovo"></div>
<div id="fast" data-communiques-q="lavrov" data-communiques-refresh="5"></div>
<div id="never" data-communiques-q="dacic" data-communiques-refresh="0"></div>
<script src="{service_url}/embed.js"></script></body>"""
    for newsroom in _serve(_host_site({"/": body})):
        page.goto(newsroom + "/")
        for name in ("default", "fast", "never"):
            page.wait_for_selector(f"#{name}[data-communiques-loaded]")
        page.wait_for_function("() => performance.getEntriesByType('resource').filter("
                               "e => e.name.includes('/api/search?')).length >= 5")
        # Every 5 minutes unless the host says otherwise; never more than once a minute.
        assert sorted(page.evaluate("() => window.__intervals")) == [60_000, 300_000]
        by_query = {q: sum(f"q={q}" in url for url in searches) for q in
                    ("kosovo", "lavrov", "dacic")}
        assert by_query == {"kosovo": 2, "lavrov": 2, "dacic": 1}
