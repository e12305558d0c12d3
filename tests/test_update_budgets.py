"""Per-source budgets (issue 15): one slow ministry cannot hold the run. China's site is
served through a slow loopback proxy (every answer waits); its budget of time, or of
requests, stops its crawl while the sources after it are crawled whole, and the next run
takes up what the budget left, so nothing is lost."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_cli
from flask import Flask

from indexer import pipeline
from indexer.archive import Archive
from scrapers.sources import load_sources
from webapp.config import fetch_settings

CHINA = "www.fmprc.gov.cn"
CHINA_ARTICLES = 19  # in the fixture copy of its site
OTHERS = ("russia-mid", "uk-fcdo")
PAUSE = 0.4  # seconds the slow server waits before each answer


class SlowProxy:
    """A loopback server that waits before passing each request on to `upstream`."""

    def __init__(self, upstream: str) -> None:
        self.pause = PAUSE
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                time.sleep(proxy.pause)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("if-none-match", "if-modified-since", "accept",
                                            "user-agent")}
                request = urllib.request.Request(upstream + self.path, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                        status, body, got = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as exc:
                    status, body, got = exc.code, exc.read(), exc.headers
                self.send_response(status)
                for key in ("Content-Type", "ETag", "Last-Modified"):
                    if got.get(key):
                        self.send_header(key, got[key])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_china(app: Flask, local_sites) -> Iterator[tuple[Flask, SlowProxy]]:
    proxy = SlowProxy(local_sites.base_urls[CHINA])
    app.config["SITE_OVERRIDES"] = {**local_sites.base_urls, CHINA: proxy.url}
    try:
        yield app, proxy
    finally:
        proxy.close()


@pytest.mark.parametrize("budget", [{"max_seconds": 2}, {"max_requests": 6}],
                         ids=["time", "requests"])
def test_a_slow_source_stops_at_its_budget_while_the_others_are_crawled_whole(
        slow_china: tuple[Flask, SlowProxy], budget: dict) -> None:
    app, proxy = slow_china
    sources = load_sources()
    # China first: the sources after it must not wait for it.
    crawled = [replace(sources["china-mfa"], **budget), *(sources[s] for s in OTHERS)]
    with Archive(app.config["DATA_DIR"]) as archive:
        reports = {r.source_id: r for r in pipeline.crawl_sources(
            archive, crawled, fetch_settings(app.config),
            site_overrides=app.config["SITE_OVERRIDES"])}
        by_source = archive.documents_by_source()
    china = reports["china-mfa"]
    limit = budget.get("max_requests") or budget["max_seconds"]
    assert china.budget == (f"{limit} requests" if "max_requests" in budget else f"{limit} s")
    assert china.status == "ok"  # a spent budget is not an error: the rest waits
    assert by_source.get("china-mfa", 0) == china.new < CHINA_ARTICLES
    if "max_requests" in budget:
        assert china.requests == budget["max_requests"]
    for source_id in OTHERS:
        other = reports[source_id]
        assert other.budget is None and other.status == "ok" and not other.issues
        assert other.new == other.articles_found == by_source[source_id] > 0

    # The next run, with China's own budget (and its site quick again), takes up the
    # rest: nothing was lost.
    proxy.pause = 0
    result = run_cli(app, "update", "--source", "china-mfa")
    assert result.exit_code == 0, result.output
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert archive.documents_by_source()["china-mfa"] == CHINA_ARTICLES
