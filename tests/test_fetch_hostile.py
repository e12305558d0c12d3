"""The fetcher against hostile servers: slow drips, DNS rebinding, robots.txt redirects
to other hosts, undeclared Cyrillic bytes. Real loopback servers (test_fetch's), real
clocks for the deadlines; the tests that wait keep their limits around a second.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests
from test_fetch import Site, _Handler, _Server, fake_time, html, make_fetcher, site

from scrapers.errors import FetchError, HttpStatusError, ResponseTooSlow, RobotsDisallowed
from scrapers.fetch import FetchSettings, redirects
from scrapers.fetch.pinning import ConnectionPolicy, PinnedAdapter

# test_fetch's fixtures, requested by name below.
__all__ = ["fake_time", "make_fetcher", "site"]

# A deadline that keeps the tests quick, and how late the cut-off may come on a busy CI.
DEADLINE = 1.0
MARGIN = 0.6


def _drip(handler: BaseHTTPRequestHandler, data: bytes, every: float, step: int = 1) -> None:
    """Send ``data`` ``step`` bytes at a time, one step every ``every`` seconds."""
    for start in range(0, len(data), step):
        handler.wfile.write(data[start : start + step])
        time.sleep(every)


def drip_body(length: int, every: float, step: int = 1) -> Callable[[BaseHTTPRequestHandler], None]:
    """Headers at once, then the body a few bytes at a time (never a silence to time out)."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        _drip(handler, b"x" * length, every, step)

    return behave


def drip_headers(handler: BaseHTTPRequestHandler) -> None:
    """The status line, then one header whose value arrives a byte every 0.1 s."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Slow: ")
    _drip(handler, b"z" * 600, 0.1)
    handler.wfile.write(b"\r\n\r\nok")


def bursts(count: int, size: int, every: float) -> Callable[[BaseHTTPRequestHandler], None]:
    """A body in ``count`` bursts of ``size`` bytes: fast on average, silent in between."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(count * size))
        handler.end_headers()
        _drip(handler, b"y" * (count * size), every, size)

    return behave


# --- the deadline ----------------------------------------------------------------------


def test_slow_drip_body_cut_off_at_the_deadline(site, make_fetcher):
    # 300 bytes at 10 bytes/s: each read gets a byte well within read_timeout, so only
    # the deadline can stop it (it used to take 30 s and succeed).
    site.route("/p", drip_body(300, every=0.1))
    fetcher = make_fetcher(deadline=DEADLINE, min_transfer_rate=0, max_retries=0)
    started = time.monotonic()
    with pytest.raises(ResponseTooSlow) as caught:
        fetcher.get(site.url("/p"))
    elapsed = time.monotonic() - started
    assert caught.value.reason == "no complete response within 1 s (after 1 attempts)"
    assert DEADLINE <= elapsed < DEADLINE + MARGIN


def test_slow_headers_cut_off_at_the_deadline(site, make_fetcher):
    site.route("/p", drip_headers)
    fetcher = make_fetcher(deadline=DEADLINE, max_retries=0)
    started = time.monotonic()
    with pytest.raises(ResponseTooSlow, match=r"no complete response within 1 s"):
        fetcher.get(site.url("/p"))
    assert DEADLINE <= time.monotonic() - started < DEADLINE + MARGIN


def test_deadline_counts_as_a_failed_attempt_and_retries_are_bounded(site, make_fetcher, fake_time):
    site.route("/p", drip_body(300, every=0.1))
    fetcher = make_fetcher(deadline=0.3, min_transfer_rate=0, max_retries=2)
    started = time.monotonic()
    with pytest.raises(ResponseTooSlow, match=r"within 0.3 s \(after 3 attempts\)"):
        fetcher.get(site.url("/p"))
    # Three attempts of 0.3 s; the backoff between them went to the fake clock.
    assert site.hits("/p") == 3 and len(fake_time.sleeps) == 2
    assert time.monotonic() - started < 3 * 0.3 + MARGIN


def test_transfer_below_the_minimum_rate_fails_after_the_grace_period(site, make_fetcher):
    # 200 bytes/s: this body would take 25 s, and no read ever waits long.
    site.route("/p", drip_body(5000, every=0.05, step=10))
    fetcher = make_fetcher(
        deadline=10, min_transfer_rate=1000, transfer_rate_grace=0.5, max_retries=0
    )
    started = time.monotonic()
    with pytest.raises(ResponseTooSlow) as caught:
        fetcher.get(site.url("/p"))
    assert caught.value.reason == "transfer slower than 1000 bytes/s (after 1 attempts)"
    assert 0.5 <= time.monotonic() - started < 0.5 + MARGIN


def test_bursty_transfer_above_the_minimum_rate_succeeds(site, make_fetcher):
    # 4 KB bursts every 0.25 s: 16 KB/s on average, twice the minimum. The rate must be
    # measured as bytes arrive, not once a whole 64 KB read has filled.
    site.route("/p", bursts(4, 4000, every=0.25))
    fetcher = make_fetcher(
        deadline=10, min_transfer_rate=8000, transfer_rate_grace=0.2, max_retries=0
    )
    assert len(fetcher.get(site.url("/p")).content) == 16_000


def test_get_deadline_bounds_retries_and_the_last_attempt(site, make_fetcher, fake_time):
    # 9 s of Retry-After leave 0.5 s of a 9.5 s budget: the second answer, a slow drip,
    # gets 0.5 s instead of the 30 s deadline.
    site.route("/p", (503, {"Retry-After": "9"}, b""), drip_body(300, every=0.1))
    fetcher = make_fetcher(deadline=30, min_transfer_rate=0, get_deadline=9.5)
    started = time.monotonic()
    with pytest.raises(ResponseTooSlow) as caught:
        fetcher.get(site.url("/p"))
    assert "within the 9.5 s allowed per page" in caught.value.reason
    assert fake_time.sleeps == [9.0] and site.hits("/p") == 2
    assert time.monotonic() - started < 0.5 + MARGIN


def test_get_deadline_skips_a_retry_that_would_not_fit(site, make_fetcher, fake_time):
    site.route("/p", (503, {"Retry-After": "60"}, b""), html("too late"))
    with pytest.raises(HttpStatusError) as caught:
        make_fetcher(get_deadline=30).get(site.url("/p"))
    assert caught.value.status == 503
    assert site.hits("/p") == 1 and fake_time.sleeps == []


def test_gzip_body_still_decoded_and_capped(site, make_fetcher):
    text = "Саопштење " * 100
    body = gzip.compress(text.encode())
    site.route("/p", (200, {"Content-Encoding": "gzip", "Content-Type": "text/html"}, body))
    site.route("/bomb", (200, {"Content-Encoding": "gzip"}, gzip.compress(b"\0" * 10_000_000)))
    fetcher = make_fetcher(max_body_bytes=100_000)
    assert fetcher.get(site.url("/p")).text == text
    with pytest.raises(FetchError, match="body exceeds 100000 bytes"):
        fetcher.get(site.url("/bomb"))


def test_new_settings_validated_and_defaulted():
    settings = FetchSettings()
    assert (settings.deadline, settings.min_transfer_rate, settings.get_deadline) == (
        60.0,
        1024.0,
        300.0,
    )
    for bad in ({"deadline": 0}, {"get_deadline": 0}, {"min_transfer_rate": -1}):
        with pytest.raises(ValueError):
            FetchSettings(**bad)


# --- pinned resolution -----------------------------------------------------------------


class FakeDNS:
    """Answers getaddrinfo for a few names; successive lookups get successive answers."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: Counter[str] = Counter()

    def set(self, host: str, *answers: list[str]) -> None:
        self.answers[host] = list(answers)

    def lookup(self, host: str) -> list[str]:
        self.lookups[host] += 1
        queue = self.answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """A rebinding-capable system resolver, where 127.0.0.1 plays a public address.

    It replaces socket.getaddrinfo itself, so the check and any later lookup (the one
    requests used to make to connect) both ask it.
    """
    dns = FakeDNS()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        if name in dns.answers:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port or 0)))
                for ip in dns.lookup(name)
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    is_public = redirects.is_public_address
    monkeypatch.setattr(redirects, "is_public_address", lambda a: a == "127.0.0.1" or is_public(a))
    return dns


def _serve(address: tuple[str, int]) -> tuple[_Server, Site]:
    server = _Server(address, _Handler)
    server.site = Site(server.server_address[1])  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    return server, server.site  # type: ignore[attr-defined]


@pytest.fixture
def twins() -> Iterator[tuple[Site, Site]]:
    """Two servers on one port: "public" on 127.0.0.1, "internal" on 127.0.0.2.

    Only the address a connection goes to decides which one answers.
    """
    servers: list[_Server] = []
    for _ in range(20):
        try:
            internal, internal_site = _serve(("127.0.0.2", 0))
        except OSError:
            pytest.skip("127.0.0.2 is not a loopback address here")
        try:
            public, public_site = _serve(("127.0.0.1", internal_site.port))
        except OSError:  # that port is taken on 127.0.0.1: try another
            internal.shutdown()
            internal.server_close()
            continue
        servers = [public, internal]
        break
    else:
        pytest.skip("no port free on both 127.0.0.1 and 127.0.0.2")
    yield public_site, internal_site
    for server in servers:
        server.shutdown()
        server.server_close()


def _url(host: str, site: Site, path: str) -> str:
    return f"http://{host}:{site.port}{path}"


@pytest.mark.parametrize("where", ["page", "redirect", "robots redirect"])
def test_rebinding_dns_never_reaches_the_second_answer(twins, fake_dns, make_fetcher, where):
    public, internal = twins
    # rebind.test: a public address for the check, an internal one for any later lookup.
    fake_dns.set("rebind.test", ["127.0.0.1"], ["127.0.0.2"])
    fake_dns.set("www.example.test", ["127.0.0.1"])
    for twin in twins:
        twin.route("/p", html("public" if twin is public else "internal"))
        twin.route("/robots.txt", (200, {}, b"User-agent: *\nDisallow:\n"))
    start = _url("rebind.test", public, "/p")
    if where == "redirect":
        start = _url("www.example.test", public, "/old")
        public.route("/old", (302, {"Location": _url("rebind.test", public, "/p")}, b""))
    elif where == "robots redirect":
        start = _url("www.example.test", public, "/p")
        public.route("/robots.txt", (301, {"Location": _url("rebind.test", public, "/r")}, b""))
        public.route("/r", (200, {}, b"User-agent: *\nDisallow: /private\n"))

    fetcher = make_fetcher(allow_private_addresses=False)
    assert fetcher.get(start).text == "public"
    assert internal.requests == []
    assert fake_dns.lookups["rebind.test"] == 1  # the check's, and no other
    if where == "robots redirect":
        assert public.hits("/r") == 1
        with pytest.raises(RobotsDisallowed):  # the rules read through the redirect apply
            fetcher.get(_url("www.example.test", public, "/private/x"))

    if where == "page":
        # The next check sees the internal answer and refuses it before any request.
        with pytest.raises(FetchError, match=r"non-public address 127\.0\.0\.2"):
            fetcher.get(start)
        assert internal.requests == []


def test_connection_goes_to_the_injected_resolvers_checked_answer(twins, make_fetcher, monkeypatch):
    # Private addresses allowed (as in every fixture crawl): pinning still applies.
    public, internal = twins
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"] if len(asked) == 1 else ["127.0.0.2"]

    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "pinned.test":
            raise AssertionError("the system resolver was asked about pinned.test")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    public.route("/p", html("public"))
    page = make_fetcher(resolver=resolver).get(_url("pinned.test", public, "/p"))
    assert page.text == "public" and asked == ["pinned.test"]
    assert internal.requests == []
    # The name, not the address, is what the server is told.
    assert public.headers_of("/p")["Host"] == f"pinned.test:{public.port}"


def test_unchecked_host_is_not_connected_to(site):
    site.route("/", html("hello"))
    policy = ConnectionPolicy()
    with requests.Session() as session:
        session.mount("http://", PinnedAdapter(policy))
        with pytest.raises(requests.ConnectionError, match="no checked address"):
            session.get(site.url("/"), timeout=1)
        assert site.requests == []
        policy.pin("127.0.0.1", ("127.0.0.1",))
        assert session.get(site.url("/"), timeout=1).text == "hello"


# --- TLS on a pinned address -------------------------------------------------------------

_OPENSSL = shutil.which("openssl")


def _make_certificates(directory: Path, name: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for ``name`` signed by it: (ca, cert, key)."""

    def run(*args: str) -> None:
        command = [_OPENSSL or "openssl", *args]
        subprocess.run(command, check=True, capture_output=True, cwd=directory)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    (directory / "ca.ext").write_text(
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
        "subjectKeyIdentifier=hash\n"
    )
    (directory / "leaf.ext").write_text(
        f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    run("req", *ec, "-keyout", "ca.key", "-out", "ca.csr", "-subj", "/CN=Test CA")
    run("x509", "-req", "-in", "ca.csr", "-signkey", "ca.key", "-out", "ca.pem",
        "-days", "2", "-extfile", "ca.ext")
    run("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={name}")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext")
    return directory / "ca.pem", directory / "leaf.pem", directory / "leaf.key"


@pytest.mark.skipif(_OPENSSL is None, reason="needs the openssl command")
@pytest.mark.parametrize("certificate_for", ["pinned.test", "someone-else.test"])
def test_tls_to_a_pinned_address_checks_the_hostname(
    tmp_path, make_fetcher, monkeypatch, certificate_for
):
    # requests prefers these to session.verify.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    ca, cert, key = _make_certificates(tmp_path, certificate_for)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)
    server, tls_site = _serve(("127.0.0.1", 0))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    tls_site.route("/p", html("over TLS"))
    session = requests.Session()
    session.verify = str(ca)
    try:
        fetcher = make_fetcher(session=session, resolver=lambda host, port: ["127.0.0.1"])
        url = f"https://pinned.test:{tls_site.port}/p"
        if certificate_for == "pinned.test":
            assert fetcher.get(url).text == "over TLS"
            assert tls_site.headers_of("/p")["Host"] == f"pinned.test:{tls_site.port}"
        else:
            with pytest.raises(FetchError, match="TLS error"):
                fetcher.get(url)
        assert sni and set(sni) == {"pinned.test"}
    finally:
        session.close()
        server.shutdown()
        server.server_close()


# --- robots.txt redirects ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed_hosts", "followed"),
    [({"127.0.0.1"}, False), ({"127.0.0.1", "localhost"}, True), (None, True)],
)
def test_robots_redirect_stays_on_the_sources_hosts(site, make_fetcher, allowed_hosts, followed):
    # localhost is this very server, so a followed redirect shows up as a hit.
    elsewhere = site.url("/robots-elsewhere.txt", host="localhost")
    site.route("/robots.txt", (302, {"Location": elsewhere}, b""))
    site.route("/robots-elsewhere.txt", (200, {}, b"User-agent: *\nDisallow:\n"))
    site.route("/news", html("news"))
    fetcher = make_fetcher()
    if followed:
        assert fetcher.get(site.url("/news"), allowed_hosts=allowed_hosts).text == "news"
        assert site.hits("/robots-elsewhere.txt") == 1
    else:
        # A robots.txt we may not read: the host is disallowed for the run (as for a 5xx).
        with pytest.raises(RobotsDisallowed, match=r"redirect refused: host 'localhost'"):
            fetcher.get(site.url("/news"), allowed_hosts=allowed_hosts)
        assert site.hits("/robots-elsewhere.txt") == 0 and site.hits("/news") == 0


# --- short Cyrillic pages without a charset ----------------------------------------------

SHORT_CYRILLIC = [
    "<title>Саопштење</title>",
    "<h1>САОПШТЕЊЕ ЗА ЈАВНОСТ</h1>",
    "<p>Дачић примио амбасадора Русије</p>",
    "<p>Министар спољних послова Ивица Дачић разговарао је са шефом дипломатије Мађарске.</p>",
    "<title>Заявление МИД России</title>",
    "<p>Лавров провёл переговоры с главой МИД Сербии</p>",
]


@pytest.mark.parametrize("text", SHORT_CYRILLIC)
def test_short_undeclared_windows_1251_page(site, make_fetcher, text):
    body = text.encode("cp1251")
    assert 20 <= len(body) <= 200
    site.route("/p", (200, {"Content-Type": "text/html"}, body))
    page = make_fetcher().get(site.url("/p"))
    assert (page.text, page.encoding) == (text, "windows-1251")


def test_short_undeclared_koi8_r_page(site, make_fetcher):
    text = "<p>Лавров провёл переговоры с главой МИД Сербии</p>"
    site.route("/p", (200, {"Content-Type": "text/html"}, text.encode("koi8-r")))
    page = make_fetcher().get(site.url("/p"))
    assert (page.text, page.encoding) == (text, "koi8-r")
