"""The fetcher against a real loopback HTTP server, with scripted answers per test.

Sleeps go to a fake clock, so backoff, Retry-After and throttling are asserted
without waiting; only the timeout tests spend (a few tenths of) real seconds.
"""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from scrapers.errors import (
    BodyTooLarge,
    FetchError,
    HttpStatusError,
    RedirectRefused,
    RobotsDisallowed,
)
from scrapers.fetch import (
    DEFAULT_ACCEPT,
    DEFAULT_USER_AGENT,
    FetchedPage,
    Fetcher,
    FetchSettings,
    RetryAfterTooLong,
    redirects,
)
from scrapers.fetch.redirects import is_public_address
from scrapers.fetch.retry import backoff_delay, parse_retry_after
from scrapers.fetch.throttle import Throttle

# --- a scriptable loopback site ------------------------------------------------------

Answer = tuple[int, dict[str, str], bytes]
Behaviour = Answer | Callable[[BaseHTTPRequestHandler], None]

SERBIAN = (
    "Први потпредседник Владе и министар спољних послова Ивица Дачић примио је "
    "амбасадора Руске Федерације Александра Боцан-Харченка. Саговорници су разговарали "
    "о билатералним односима и сарадњи у међународним организацијама."
)


def send(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    if "Content-Length" not in headers:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def html(text: str = "ok", charset: str = "utf-8") -> Answer:
    return 200, {"Content-Type": f"text/html; charset={charset}"}, text.encode(charset)


def slow(seconds: float, answer: Answer = (200, {}, b"late")) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        send(handler, *answer)

    return behave


class Site:
    """Routes by path; successive hits of a route get successive answers, the last repeats."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._routes: dict[str, list[Behaviour]] = {}
        self._lock = threading.Lock()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, *behaviours: Behaviour) -> None:
        self._routes[path] = list(behaviours)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def hits(self, path: str) -> int:
        return self.paths().count(path)

    def headers_of(self, path: str) -> dict[str, str]:
        return next(headers for p, headers in self.requests if p == path)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append((handler.path, dict(handler.headers)))
            queue = self._routes.get(urlsplit(handler.path).path)
            behaviour: Behaviour = (404, {}, b"not found")
            if queue:
                behaviour = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(behaviour):
            behaviour(handler)
        else:
            send(handler, *behaviour)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        try:
            self.server.site.answer(self)  # type: ignore[attr-defined]
        except (BrokenPipeError, ConnectionResetError):
            pass  # the fetcher hung up on purpose (timeout, size cap)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[Site]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = Site(server.server_address[1])  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    yield server.site  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


class FakeTime:
    """A monotonic clock that only moves when the fetcher sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_fetcher(fake_time: FakeTime) -> Iterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make(
        session: requests.Session | None = None,
        resolver: Callable[[str, int], list[str]] | None = None,
        **overrides: Any,
    ) -> Fetcher:
        options: dict[str, Any] = {
            "allow_private_addresses": True,
            "connect_timeout": 0.5,
            "read_timeout": 0.5,
            "per_host_delay": 0.0,
        }
        options.update(overrides)
        fetcher = Fetcher(
            FetchSettings(**options),
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            session=session,
            resolver=resolver,
        )
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


# --- the basics ----------------------------------------------------------------------


def test_get_returns_decoded_page_with_case_insensitive_headers(site, make_fetcher):
    site.route("/press/", html("<p>Statement</p>"))
    page = make_fetcher().get(site.url("/press/"))
    assert isinstance(page, FetchedPage)
    assert page.url == site.url("/press/")
    assert page.status == 200 and not page.not_modified
    assert page.content == b"<p>Statement</p>" and page.text == "<p>Statement</p>"
    assert page.encoding == "utf-8"
    assert (
        page.headers["content-type"] == page.headers["Content-Type"] == "text/html; charset=utf-8"
    )
    with pytest.raises(TypeError):
        page.headers["X-New"] = "read-only"


def test_requests_carry_only_minimal_headers(site, make_fetcher):
    # mid.ru's firewall blocks browser-like header sets: UA and Accept, nothing more.
    site.route("/press/", html())
    make_fetcher().get(site.url("/press/"))
    assert site.paths() == ["/robots.txt", "/press/"]
    page_headers = site.headers_of("/press/")
    assert page_headers["User-Agent"] == DEFAULT_USER_AGENT
    assert page_headers["Accept"] == DEFAULT_ACCEPT
    allowed = {"host", "user-agent", "accept", "accept-encoding", "connection"}
    for _, headers in site.requests:
        assert {name.lower() for name in headers} <= allowed
    assert site.headers_of("/robots.txt")["User-Agent"] == DEFAULT_USER_AGENT


class RecordingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append((url, kwargs))
        return super().request(method, url, *args, **kwargs)


def test_every_request_has_timeouts_and_no_automatic_redirects(site, make_fetcher):
    site.route("/a", (302, {"Location": "/b"}, b""))
    site.route("/b", html("b"))
    session = RecordingSession()
    try:
        make_fetcher(session=session, connect_timeout=0.7, read_timeout=0.9).get(site.url("/a"))
    finally:
        session.close()
    assert [urlsplit(url).path for url, _ in session.calls] == ["/robots.txt", "/a", "/b"]
    for _, kwargs in session.calls:
        assert kwargs["timeout"] == (0.7, 0.9)
        assert kwargs["allow_redirects"] is False
        assert kwargs["stream"] is True


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "/relative/path"])
def test_only_http_and_https_urls(make_fetcher, url):
    with pytest.raises(FetchError, match="only http"):
        make_fetcher().get(url)


def test_initial_url_must_be_on_an_allowed_host(site, make_fetcher):
    with pytest.raises(FetchError, match="not allowed"):
        make_fetcher().get(site.url("/"), allowed_hosts={"www.mfa.gov.rs"})
    assert site.requests == []
    site.route("/", html())
    # Ports are ignored, case and a bare string are tolerated.
    assert make_fetcher().get(site.url("/"), allowed_hosts="127.0.0.1").status == 200
    assert make_fetcher().get(site.url("/", host="LOCALHOST"), allowed_hosts={"localhost"})


def test_settings_are_validated():
    with pytest.raises(ValueError):
        FetchSettings(read_timeout=0)
    with pytest.raises(ValueError):
        FetchSettings(max_retries=-1)
    assert FetchSettings().robots_token == "communique-search"


# --- private addresses ----------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_address_refused_before_any_request(site, fake_time, host):
    site.route("/", html())
    with Fetcher(FetchSettings(), sleep=fake_time.sleep, clock=fake_time.clock) as fetcher:
        with pytest.raises(FetchError, match="non-public address") as caught:
            fetcher.get(site.url("/", host=host))
    assert not isinstance(caught.value, RedirectRefused)
    assert site.requests == []  # not even robots.txt


def test_redirect_to_private_address_refused(site, make_fetcher, monkeypatch):
    # Pretend the loopback fixture is a public site so that only the redirect is refused.
    # (Connections go to the checked address, so the fixture must keep its own address.)
    fake_dns = {"127.0.0.1": ["127.0.0.1"], "intranet.example": ["10.1.2.3", "93.184.216.35"]}
    monkeypatch.setattr(redirects, "resolve_addresses", lambda host, port: fake_dns[host])
    is_public = redirects.is_public_address
    monkeypatch.setattr(
        redirects, "is_public_address", lambda a: a == "127.0.0.1" or is_public(a)
    )
    site.route("/a", (302, {"Location": "http://intranet.example/admin"}, b""))
    fetcher = make_fetcher(allow_private_addresses=False)
    with pytest.raises(RedirectRefused, match=r"non-public address 10\.1\.2\.3") as caught:
        fetcher.get(site.url("/a"))
    assert caught.value.url == site.url("/a")
    assert "intranet.example" in caught.value.reason


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),  # cloud metadata endpoint
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),  # multicast, which ipaddress calls "global"
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::", False),
        ("not-an-ip", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


# --- redirects ---------------------------------------------------------------------


def test_redirects_followed_by_hand_within_allowed_hosts(site, make_fetcher):
    site.route("/old", (301, {"Location": "/middle"}, b""))
    site.route("/middle", (308, {"Location": site.url("/new#top")}, b""))
    site.route("/new", html("new home"))
    page = make_fetcher().get(site.url("/old"), allowed_hosts={"127.0.0.1"})
    assert page.url == site.url("/new")
    assert page.text == "new home"
    assert site.paths() == ["/robots.txt", "/old", "/middle", "/new"]


def test_redirect_to_other_host_refused(site, make_fetcher):
    # localhost is this very server, so a followed redirect would show up as a hit.
    site.route("/old", (302, {"Location": site.url("/secret", host="localhost")}, b""))
    site.route("/secret", html("secret"))
    with pytest.raises(RedirectRefused, match="'localhost' is not allowed"):
        make_fetcher().get(site.url("/old"), allowed_hosts={"127.0.0.1"})
    assert site.hits("/secret") == 0


def test_redirect_to_other_scheme_refused(site, make_fetcher):
    site.route("/old", (302, {"Location": "file:///etc/passwd"}, b""))
    with pytest.raises(RedirectRefused, match="only http"):
        make_fetcher().get(site.url("/old"))


def test_endless_redirect_loop_stops(site, make_fetcher):
    site.route("/loop", (302, {"Location": "/loop"}, b""))
    with pytest.raises(RedirectRefused, match="more than 3 redirects"):
        make_fetcher(max_redirects=3).get(site.url("/loop"))
    assert site.hits("/loop") == 4  # the first request and three redirects


def test_redirect_targets_obey_robots(site, make_fetcher):
    site.route("/robots.txt", (200, {}, b"User-agent: *\nDisallow: /private\n"))
    site.route("/old", (302, {"Location": "/private/page"}, b""))
    with pytest.raises(RobotsDisallowed):
        make_fetcher().get(site.url("/old"))
    assert site.hits("/private/page") == 0


# --- retries -----------------------------------------------------------------------


def test_503_retried_with_exponential_backoff(site, make_fetcher, fake_time):
    site.route("/p", (503, {}, b""), (502, {}, b""), html("finally"))
    page = make_fetcher().get(site.url("/p"))
    assert page.text == "finally"
    assert site.hits("/p") == 3
    first, second = fake_time.sleeps
    assert 1.0 <= first <= 1.1 and 2.0 <= second <= 2.2


def test_gives_up_after_max_retries(site, make_fetcher, fake_time):
    site.route("/p", (500, {}, b"boom"))
    with pytest.raises(HttpStatusError) as caught:
        make_fetcher(max_retries=3, backoff_base=0.5).get(site.url("/p"))
    assert caught.value.status == 500
    assert site.hits("/p") == 4
    assert len(fake_time.sleeps) == 3
    assert all(
        base <= s <= base * 1.1 for s, base in zip(fake_time.sleeps, (0.5, 1, 2), strict=True)
    )


def test_429_retry_after_seconds_honoured(site, make_fetcher, fake_time):
    site.route("/p", (429, {"Retry-After": "7"}, b""), html("ok"))
    assert make_fetcher().get(site.url("/p")).text == "ok"
    assert fake_time.sleeps == [7.0]


def test_retry_after_http_date_honoured(site, make_fetcher, fake_time):
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    site.route("/p", (503, {"Retry-After": when}, b""), html("ok"))
    make_fetcher().get(site.url("/p"))
    [slept] = fake_time.sleeps
    assert 27 <= slept <= 30


def test_retry_after_too_long_gives_up_at_once(site, make_fetcher, fake_time):
    site.route("/p", (503, {"Retry-After": "3600"}, b""), html("ok"))
    with pytest.raises(RetryAfterTooLong) as caught:
        make_fetcher(max_retry_after=120).get(site.url("/p"))
    assert isinstance(caught.value, HttpStatusError) and caught.value.status == 503
    assert "Retry-After 3600s" in caught.value.reason
    assert site.hits("/p") == 1 and fake_time.sleeps == []


@pytest.mark.parametrize("status", [400, 403, 404, 410, 501])
def test_other_errors_not_retried(site, make_fetcher, fake_time, status):
    site.route("/p", (status, {}, b""), html("never"))
    with pytest.raises(HttpStatusError) as caught:
        make_fetcher().get(site.url("/p"))
    assert caught.value.status == status
    assert site.hits("/p") == 1 and fake_time.sleeps == []


def _stall_mid_body(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.write(b"x" * 10)
    handler.wfile.flush()
    time.sleep(0.4)


@pytest.mark.parametrize("stall", [slow(0.4), _stall_mid_body], ids=["headers", "body"])
def test_read_timeout_retried_then_fetch_error(site, make_fetcher, fake_time, stall):
    site.route("/p", stall)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"read timed out \(after 2 attempts\)") as caught:
        make_fetcher(read_timeout=0.1, max_retries=1).get(site.url("/p"))
    assert type(caught.value) is FetchError
    assert site.hits("/p") == 2 and len(fake_time.sleeps) == 1
    assert time.monotonic() - started < 1.0


def test_read_timeout_then_success(site, make_fetcher):
    site.route("/p", slow(0.4), html("second time lucky"))
    assert make_fetcher(read_timeout=0.1).get(site.url("/p")).text == "second time lucky"


def test_connection_refused_retried_then_fetch_error(make_fetcher, fake_time):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more.
    with pytest.raises(FetchError, match=r"connection failed.*after 3 attempts"):
        make_fetcher(max_retries=2, obey_robots=False).get(f"http://127.0.0.1:{port}/")
    assert len(fake_time.sleeps) == 2


def test_backoff_and_retry_after_parsing():
    assert 4.0 <= backoff_delay(2, 1.0) <= 4.4
    assert parse_retry_after(" 12 ", now=0) == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=2e9) == 0.0  # past: now
    assert parse_retry_after("soon", now=0) is None
    assert parse_retry_after(None, now=0) is None


# --- body size ---------------------------------------------------------------------


def test_declared_content_length_over_cap_refused(site, make_fetcher):
    site.route("/big", (200, {"Content-Length": "2000000"}, b"x" * 10))
    with pytest.raises(BodyTooLarge, match="Content-Length 2000000 exceeds 1000 bytes"):
        make_fetcher(max_body_bytes=1000).get(site.url("/big"))


def test_endless_body_stops_at_cap_without_downloading_it(site, make_fetcher):
    sent = {"bytes": 0}
    finished = threading.Event()

    def firehose(handler: BaseHTTPRequestHandler) -> None:
        # No Content-Length: HTTP/1.0 body delimited by closing the connection.
        handler.send_response(200)
        handler.end_headers()
        try:
            while sent["bytes"] < 200_000_000:
                handler.wfile.write(b"x" * 65536)
                sent["bytes"] += 65536
        finally:
            finished.set()

    site.route("/huge", firehose)
    with pytest.raises(BodyTooLarge, match="body exceeds 100000 bytes"):
        make_fetcher(max_body_bytes=100_000).get(site.url("/huge"))
    assert finished.wait(2)
    # Socket buffers let the server get a few MB ahead; never the whole stream.
    assert sent["bytes"] < 30_000_000


def test_decoded_text_cap(site, make_fetcher):
    site.route("/p", html("x" * 50))
    with pytest.raises(BodyTooLarge, match="decoded text exceeds 40 characters"):
        make_fetcher(max_decoded_chars=40).get(site.url("/p"))


# --- robots.txt --------------------------------------------------------------------

MID_ROBOTS = b"User-agent: *\nDisallow: /*?PAGEN\nCrawl-delay: 3\n"


def test_robots_wildcard_disallow_and_crawl_delay(site, make_fetcher, fake_time):
    site.route("/robots.txt", (200, {"Content-Type": "text/plain"}, MID_ROBOTS))
    site.route("/en/foreign_policy/news/", html("news"))
    fetcher = make_fetcher(per_host_delay=1.0)
    with pytest.raises(RobotsDisallowed, match="disallowed by robots.txt"):
        fetcher.get(site.url("/en/foreign_policy/news/?PAGEN_1=2"))
    assert site.paths() == ["/robots.txt"]

    fetcher.get(site.url("/en/foreign_policy/news/"))
    fetcher.get(site.url("/en/foreign_policy/news/"))
    assert site.hits("/robots.txt") == 1  # cached per host
    assert site.hits("/en/foreign_policy/news/") == 2
    # Crawl-delay 3 beats per_host_delay 1 for every request after robots.txt.
    assert fake_time.sleeps == [3.0, 3.0]


def test_robots_group_for_our_product_token(site, make_fetcher):
    site.route(
        "/robots.txt",
        (
            200,
            {},
            b"User-agent: *\nDisallow: /\n\nUser-agent: communique-search\nDisallow: /admin\n",
        ),
    )
    site.route("/news", html("news"))
    fetcher = make_fetcher()
    assert fetcher.get(site.url("/news")).text == "news"
    with pytest.raises(RobotsDisallowed):
        fetcher.get(site.url("/admin/x"))


@pytest.mark.parametrize("failure", ["500", "timeout"])
def test_robots_unavailable_disallows_host_for_the_run(site, make_fetcher, failure):
    site.route("/robots.txt", (500, {}, b"") if failure == "500" else slow(0.4))
    site.route("/news", html("news"))
    fetcher = make_fetcher(max_retries=1, read_timeout=0.1)
    with pytest.raises(RobotsDisallowed, match="robots.txt unavailable"):
        fetcher.get(site.url("/news"))
    with pytest.raises(RobotsDisallowed, match="robots.txt unavailable"):
        fetcher.get(site.url("/other"))
    assert site.hits("/robots.txt") == 2  # one attempt and one retry, then cached
    assert site.hits("/news") == site.hits("/other") == 0


@pytest.mark.parametrize("status", [403, 404, 410])
def test_robots_4xx_allows_everything(site, make_fetcher, status):
    site.route("/robots.txt", (status, {}, b"Disallow: /"))
    site.route("/news", html("news"))
    assert make_fetcher().get(site.url("/news")).text == "news"


def test_robots_redirect_followed(site, make_fetcher):
    site.route("/robots.txt", (301, {"Location": "/real-robots.txt"}, b""))
    site.route("/real-robots.txt", (200, {}, b"User-agent: *\nDisallow: /news\n"))
    with pytest.raises(RobotsDisallowed):
        make_fetcher().get(site.url("/news"))


def test_robots_ignored_when_told(site, make_fetcher):
    site.route("/robots.txt", (200, {}, b"User-agent: *\nDisallow: /\n"))
    site.route("/news", html("news"))
    assert make_fetcher(obey_robots=False).get(site.url("/news")).text == "news"
    assert site.hits("/robots.txt") == 0


# --- throttle ----------------------------------------------------------------------


def test_per_host_delay_between_requests(site, make_fetcher, fake_time):
    site.route("/p", html())
    fetcher = make_fetcher(per_host_delay=2.0, obey_robots=False)
    for _ in range(3):
        fetcher.get(site.url("/p"))
    assert fake_time.sleeps == [2.0, 2.0]


def test_throttle_counts_elapsed_time_and_separates_hosts(fake_time):
    throttle = Throttle(fake_time.clock, fake_time.sleep)
    throttle.wait("a.example", 2.0)
    throttle.wait("b.example", 2.0)  # another host: no wait
    assert fake_time.sleeps == []
    fake_time.now += 1.5  # time spent parsing the page
    throttle.wait("a.example", 2.0)
    assert fake_time.sleeps == [pytest.approx(0.5)]


# --- conditional requests ----------------------------------------------------------


def test_304_on_if_none_match(site, make_fetcher):
    modified = "Wed, 21 Oct 2015 07:28:00 GMT"

    def conditional(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            send(handler, 304, {"ETag": '"v1"'}, b"")
        else:
            send(handler, 200, {"ETag": '"v1"', "Last-Modified": modified}, b"<p>hello</p>")

    site.route("/p", conditional)
    fetcher = make_fetcher()
    first = fetcher.get(site.url("/p"))
    assert (first.status, first.etag, first.last_modified) == (200, '"v1"', modified)

    again = fetcher.get(site.url("/p"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.status == 304
    assert (again.text, again.content, again.encoding) == ("", b"", None)
    assert (again.etag, again.last_modified) == ('"v1"', modified)
    sent = site.requests[-1][1]
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == modified


# --- encodings, end to end ---------------------------------------------------------

PAGE_1251 = f"<html><body><h1>Саопштење</h1><p>{SERBIAN}</p></body></html>"
META_1251 = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    f"</head><body><p>{SERBIAN}</p></body></html>"
)


@pytest.mark.parametrize(
    ("content_type", "body", "expected_text", "expected_encoding"),
    [
        ("text/html; charset=windows-1251", PAGE_1251.encode("cp1251"), PAGE_1251, "windows-1251"),
        ("text/html; charset=cp1251", PAGE_1251.encode("cp1251"), PAGE_1251, "windows-1251"),
        ("text/html", META_1251.encode("cp1251"), META_1251, "windows-1251"),
        ("text/html", PAGE_1251.encode("cp1251"), PAGE_1251, "windows-1251"),
        # Serbian sites label windows-1251 pages as UTF-8.
        ("text/html; charset=utf-8", PAGE_1251.encode("cp1251"), PAGE_1251, "windows-1251"),
        # A BOM beats a wrong header.
        (
            "text/html; charset=windows-1251",
            b"\xef\xbb\xbf" + PAGE_1251.encode(),
            PAGE_1251,
            "utf-8",
        ),
    ],
    ids=["header", "header-alias", "meta", "detected", "mislabelled-utf8", "bom"],
)
def test_page_encodings(site, make_fetcher, content_type, body, expected_text, expected_encoding):
    site.route("/p", (200, {"Content-Type": content_type}, body))
    page = make_fetcher().get(site.url("/p"))
    assert page.text == expected_text
    assert page.encoding == expected_encoding
    assert page.content == body
