"""The reliability harness's fuzz stage, small, against a real server on loopback: it must
cover routes it was never told about, count every status the server sent, time out slow
requests and trace each 5xx to its cause in the log. (`make reliability` runs it big.)"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from test_archive import make_record

from benchmarks.reliability import fuzz
from indexer.archive import Archive
from indexer.build import update_index
from webapp import create_app

REQUESTS = 50
SLOW_SECONDS = 1.5
CLIENT_TIMEOUT = 0.8


class LoggedServer:
    """What fuzz.replay needs of a server: its URL and its log."""

    def __init__(self, base_url: str, log: Path) -> None:
        self.base_url = base_url
        self.log = log

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def log_since(self, offset: int) -> str:
        with open(self.log, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """A small indexed archive; two routes the harness was never told about: one that
    always fails and one slower than the client's timeout; every response recorded."""
    data = tmp_path / "data"
    with Archive(data) as archive:
        for n in range(12):
            archive.store(replace(make_record(n, body=f"Kosovo talks number {n}."),
                                  published=date(2019, 1, 1 + n), content_hash=""))
        update_index(archive, data)
    app = create_app({"DATA_DIR": str(data), "RATE_LIMIT": "", "CONCURRENT_PER_CLIENT": 0})

    @app.get("/boom/<word>")
    def boom(word: str):
        raise RuntimeError("boom")  # whatever the word

    @app.get("/slow")
    def slow():
        time.sleep(SLOW_SECONDS)
        return "late"

    handler = logging.FileHandler(tmp_path / "server.log")
    app.logger.addHandler(handler)
    sent: list[int] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        def record(status, headers, exc_info=None):
            sent.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)
        return inner(environ, record)

    app.wsgi_app = recording  # type: ignore[method-assign]
    app.extensions["sent_statuses"] = sent
    return app


@pytest.fixture
def server(app: Flask, tmp_path: Path) -> Iterator[LoggedServer]:
    from waitress.server import create_server

    served = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    yield LoggedServer(f"http://127.0.0.1:{served.effective_port}", tmp_path / "server.log")
    served.close()


def test_fuzz_counts_every_status_the_server_sent(app: Flask, server: LoggedServer) -> None:
    values = fuzz.collect_values(app)
    plan = fuzz.Planner(app, values, seed=7).plan(REQUESTS)
    assert len(plan) == REQUESTS
    assert plan == fuzz.Planner(app, values, seed=7).plan(REQUESTS)  # seeded: reproducible
    routes = {request.route for request in plan}
    # Routes come from the app's url_map: the two added in the fixture are fuzzed too.
    assert {"/boom/<word>", "/slow", "/api/search", "/"} <= routes

    app.extensions["sent_statuses"].clear()  # planning probed the routes in-process
    outcomes = fuzz.send_all(server.base_url, plan, threads=4, timeout=CLIENT_TIMEOUT)
    time.sleep(SLOW_SECONDS)  # the server finishes the requests the client gave up on
    figures = fuzz.summarize(outcomes, slow_after=CLIENT_TIMEOUT / 2)

    assert figures["requests"] == REQUESTS
    assert sum(sum(c.values()) for c in figures["per_route"].values()) == REQUESTS
    counted = Counter({int(k): v for k, v in figures["statuses"].items() if k.isdigit()})
    timeouts = figures["statuses"].get("timeout", 0)
    # What the server sent, status by status: the harness's counts plus the requests it
    # stopped waiting for (the server answered those 200 after the client's timeout).
    assert counted + Counter({200: timeouts}) == Counter(app.extensions["sent_statuses"])

    slow = [o for o in outcomes if o.request.route == "/slow"]
    assert slow and all(o.error == "timeout" and o.failed for o in slow)
    booms = [o for o in outcomes if o.status == 500]
    assert booms and all(o.request.route == "/boom/<word>" for o in booms)
    assert figures["server_errors"] == len(booms)
    failing = {(row["method"], row["url"]) for row in figures["failures"]}
    assert failing == {(o.request.method, o.request.path) for o in booms + slow}
    assert all(row["seconds"] > CLIENT_TIMEOUT / 2 for row in figures["over_time_limit"])

    causes = fuzz.replay(server, [r for r in figures["failures"] if r["status"] == "500"],
                         timeout=5)
    assert len(causes) == 1
    assert causes[0]["cause"].startswith("RuntimeError: boom")
    assert "test_reliability_harness.py" in causes[0]["cause"]
    assert causes[0]["count"] == len({o.request.path for o in booms})
