"""The polite, safe HTTP client every source fetches through."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType, TracebackType

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ReadTimeoutError

from scrapers.errors import (
    BodyTooLarge,
    FetchError,
    HttpStatusError,
    RedirectRefused,
)
from scrapers.fetch.encoding import decode_body
from scrapers.fetch.redirects import (
    REDIRECT_STATUSES,
    check_url,
    host_key,
    normalise_hosts,
    redirect_target,
)
from scrapers.fetch.retry import (
    RETRY_STATUSES,
    RetryAfterTooLong,
    backoff_delay,
    parse_retry_after,
)
from scrapers.fetch.robots import (
    ALLOW_ALL,
    ROBOTS_MAX_BYTES,
    ROBOTS_MAX_REDIRECTS,
    RobotsCache,
    RobotsRules,
    parse_robots,
    rules_for_error_status,
    unavailable,
)
from scrapers.fetch.settings import FetchSettings
from scrapers.fetch.throttle import Throttle

DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_ROBOTS_ACCEPT = "text/plain,*/*;q=0.5"
_CHUNK_BYTES = 64 * 1024
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


@dataclass(frozen=True)
class FetchedPage:
    """One fetched page, or a 304 "not modified" answer to a conditional request."""

    url: str  # final URL, after redirects
    status: int  # 2xx, or 304
    content: bytes
    text: str  # "" for 304
    encoding: str | None  # codec used, normalised ("windows-1251"); None for 304
    headers: Mapping[str, str]  # read-only, case-insensitive
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        """True when the server said the copy we already hold is current."""
        return self.status == 304


@dataclass(frozen=True)
class _Response:
    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes


class Fetcher:
    """GETs pages politely (robots.txt, per-host delay, backoff) and safely (timeouts,
    size caps, hand-checked redirects, public addresses only).

    Every expected failure is raised as one of scrapers.errors' FetchError family,
    with a one-line reason. Not thread-safe: use one Fetcher per crawling thread.
    """

    def __init__(
        self,
        settings: FetchSettings = FetchSettings(),  # noqa: B008 - frozen, so sharing is safe
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._owns_session = session is None
        self._session = session if session is not None else _new_session(settings)
        self._throttle = Throttle(clock, sleep)
        self._robots = RobotsCache(self._load_robots, settings.robots_token)
        self._rng = random.Random()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if this Fetcher created it (a passed-in one is the caller's)."""
        if self._owns_session:
            self._session.close()

    def get(
        self,
        url: str,
        *,
        allowed_hosts: Collection[str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = DEFAULT_ACCEPT,
    ) -> FetchedPage:
        """Fetch ``url``, following redirects by hand, and return the decoded page.

        ``allowed_hosts``: hostnames (ports ignored) the URL and every redirect target
        must be on; None allows any host. ``etag``/``last_modified`` make the request
        conditional, and a 304 comes back as a page with ``not_modified`` True.
        """
        s = self.settings
        hosts = normalise_hosts(allowed_hosts)
        check_url(url, hosts, allow_private=s.allow_private_addresses)
        headers = {"User-Agent": s.user_agent, "Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        current = url
        hops = 0
        while True:
            if s.obey_robots:
                self._robots.check(current)
            response = self._send(current, headers, body_limit=s.max_body_bytes)
            if response.status not in REDIRECT_STATUSES:
                break
            location = response.headers.get("Location")
            if not location:
                raise HttpStatusError(current, response.status)
            if hops >= s.max_redirects:
                raise RedirectRefused(url, f"more than {s.max_redirects} redirects")
            target = redirect_target(current, location)
            check_url(
                target,
                hosts,
                allow_private=s.allow_private_addresses,
                error=RedirectRefused,
                reported_url=url,
            )
            current = target
            hops += 1

        if response.status == 304:
            return FetchedPage(
                url=current,
                status=304,
                content=b"",
                text="",
                encoding=None,
                headers=MappingProxyType(response.headers),
                # A 304 need not repeat the validators; the ones we sent still hold.
                etag=response.headers.get("ETag") or etag,
                last_modified=response.headers.get("Last-Modified") or last_modified,
            )
        if not 200 <= response.status < 300:
            # 300 Multiple Choices, 305 Use Proxy ...: nothing we can use.
            raise HttpStatusError(current, response.status)

        text, encoding = decode_body(response.body, response.headers.get("Content-Type"))
        if len(text) > s.max_decoded_chars:
            raise BodyTooLarge(current, f"decoded text exceeds {s.max_decoded_chars} characters")
        return FetchedPage(
            url=current,
            status=response.status,
            content=response.body,
            text=text,
            encoding=encoding,
            headers=MappingProxyType(response.headers),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )

    def _send(
        self, url: str, headers: Mapping[str, str], *, body_limit: int, truncate: bool = False
    ) -> _Response:
        """One GET of one URL (no redirects), retried on transient failures.

        Returns 2xx (with body) and 3xx answers; raises HttpStatusError for 4xx/5xx,
        FetchError for network failures, BodyTooLarge past ``body_limit`` unless
        ``truncate`` (robots.txt) asks to keep just the first ``body_limit`` bytes.
        """
        s = self.settings
        host = host_key(url)
        for attempt in range(s.max_retries + 1):
            last_attempt = attempt == s.max_retries
            self._throttle.wait(host, self._delay_for(url))
            try:
                response = self._session.get(
                    url,
                    headers=headers,
                    timeout=s.timeout,
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    status = response.status_code
                    body = b""
                    if 200 <= status < 300:
                        body = _read_body(response, url, body_limit, truncate=truncate)
                finally:
                    response.close()
            except requests.exceptions.SSLError:
                # A certificate problem will not fix itself within a few seconds.
                raise FetchError(url, "TLS error (certificate or handshake)") from None
            except (
                requests.Timeout,
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                if last_attempt:
                    reason = f"{_describe(exc)} (after {attempt + 1} attempts)"
                    raise FetchError(url, reason) from None
                self._sleep(backoff_delay(attempt, s.backoff_base, self._rng))
                continue
            except requests.RequestException as exc:
                raise FetchError(url, _describe(exc)) from None

            if status in RETRY_STATUSES:
                wait = parse_retry_after(response.headers.get("Retry-After"), time.time())
                if wait is not None and wait > s.max_retry_after:
                    raise RetryAfterTooLong(url, status, wait)
                if last_attempt:
                    raise HttpStatusError(url, status)
                if wait is None:
                    wait = backoff_delay(attempt, s.backoff_base, self._rng)
                self._sleep(wait)
                continue
            if status >= 400:
                raise HttpStatusError(url, status)
            return _Response(status, CaseInsensitiveDict(response.headers), body)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _delay_for(self, url: str) -> float:
        delay = self.settings.per_host_delay
        if self.settings.obey_robots:
            crawl_delay = self._robots.crawl_delay(url)
            if crawl_delay is not None:
                delay = max(delay, crawl_delay)
        return delay

    def _load_robots(self, url: str) -> RobotsRules:
        """Fetch and interpret one robots.txt (RFC 9309); never raises."""
        s = self.settings
        headers = {"User-Agent": s.user_agent, "Accept": _ROBOTS_ACCEPT}
        current = url
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            try:
                response = self._send(current, headers, body_limit=ROBOTS_MAX_BYTES, truncate=True)
            except HttpStatusError as exc:
                return rules_for_error_status(exc.status)
            except FetchError as exc:
                return unavailable(exc.reason)
            location = response.headers.get("Location")
            if response.status in REDIRECT_STATUSES and location:
                target = redirect_target(current, location)
                try:
                    # Redirects may leave the host (http -> https, mfa.rs -> mfa.gov.rs),
                    # but never towards a private address.
                    check_url(target, None, allow_private=s.allow_private_addresses)
                except FetchError as exc:
                    return unavailable(exc.reason)
                current = target
                continue
            if 200 <= response.status < 300:
                return parse_robots(response.body)
            return ALLOW_ALL
        # RFC 9309: after five redirects robots.txt may be taken as unavailable (allow).
        return ALLOW_ALL


def _new_session(settings: FetchSettings) -> requests.Session:
    session = requests.Session()
    # Minimal on purpose: mid.ru's firewall flags browser-like header sets.
    session.headers = CaseInsensitiveDict(
        {"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"}
    )
    return session


def _read_body(response: requests.Response, url: str, limit: int, *, truncate: bool) -> bytes:
    """Read a streamed body up to ``limit`` bytes, without downloading the rest."""
    length = response.headers.get("Content-Length", "")
    if not truncate and length.isdigit() and int(length) > limit:
        raise BodyTooLarge(url, f"Content-Length {length} exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    # iter_content decompresses, so the cap also bounds a gzip bomb's output.
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        if size + len(chunk) > limit:
            if truncate:
                chunks.append(chunk[: limit - size])
                break
            raise BodyTooLarge(url, f"body exceeds {limit} bytes")
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _describe(exc: requests.RequestException) -> str:
    """A one-line reason for a network failure, without the urllib3 pool noise."""
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.ReadTimeout):
        return "read timed out"
    if isinstance(exc, requests.ConnectionError):
        if exc.args and isinstance(exc.args[0], ReadTimeoutError):
            # A read timeout while streaming the body surfaces as ConnectionError.
            return "read timed out"
        errno = _ERRNO.search(str(exc))
        return f"connection failed: {errno.group(1).strip()}" if errno else "connection failed"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection broken while reading the body"
    return f"request failed: {type(exc).__name__}"
