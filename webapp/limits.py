"""Per-client limits, so one client cannot take the service from everyone else.

Two bounds, both answered with a 429 in the one error shape and a Retry-After:
- a rate (Flask-Limiter, moving window): ``COMMUNIQUES_RATE_LIMIT``, e.g.
  "20/second;300/minute"; empty turns it off (benchmarks measuring capacity);
- requests running at once: ``COMMUNIQUES_CONCURRENT_PER_CLIENT``; 0 turns it off.
  A costly search holds a worker thread until its time limit; a client may hold a
  few, never all of them.

Counts are kept per process (memory storage): with N worker processes a client
gets up to N times the rate. A client is its address; behind a reverse proxy set
``COMMUNIQUES_TRUSTED_PROXIES`` to the number of proxies so X-Forwarded-For is read.
"""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask, g, request
from flask_limiter import Limiter
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

CONCURRENCY_RETRY_SECONDS = 1  # a held request ends within the search time limit


def client_key() -> str:
    return request.remote_addr or "unknown"


def _exempt() -> bool:
    return request.endpoint == "static"


class ConcurrencyLimit:
    """At most ``limit`` requests of one client in progress in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active: Counter[str] = Counter()
        self._lock = threading.Lock()

    def enter(self) -> None:
        if self.limit <= 0 or _exempt():
            return
        key = client_key()
        with self._lock:
            if self._active[key] >= self.limit:
                error = TooManyRequests(
                    f"more than {self.limit} requests of yours are running at once;"
                    " wait for them to finish")
                error.retry_after = CONCURRENCY_RETRY_SECONDS
                raise error
            self._active[key] += 1
        g.concurrency_key = key

    def leave(self, _exc: BaseException | None = None) -> None:
        # Teardown runs once the response is complete, after the last chunk of a stream.
        key = g.pop("concurrency_key", None)
        if key is None:
            return
        with self._lock:
            self._active[key] -= 1
            if self._active[key] <= 0:
                del self._active[key]


def init_app(app: Flask) -> None:
    """Install the rate and concurrency limits configured on ``app``."""
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    rate = str(app.config["RATE_LIMIT"] or "").strip()
    limiter = Limiter(
        client_key,
        app=app,
        application_limits=[rate] if rate else [],
        application_limits_exempt_when=_exempt,
        strategy="moving-window",
        storage_uri="memory://",
        headers_enabled=True,
        retry_after="delta-seconds",
        enabled=bool(rate),
    )
    app.extensions["rate_limiter"] = limiter
    concurrency = ConcurrencyLimit(int(app.config["CONCURRENT_PER_CLIENT"]))
    app.before_request(concurrency.enter)
    app.teardown_request(concurrency.leave)
