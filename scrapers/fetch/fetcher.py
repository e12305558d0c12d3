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
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError
from urllib3.exceptions import SSLError as Urllib3SSLError

from scrapers.errors import (
    BodyTooLarge,
    FetchError,
    HttpStatusError,
    RedirectRefused,
    ResponseTooSlow,
)
from scrapers.fetch.deadline import Watchdog
from scrapers.fetch.encoding import decode_body
from scrapers.fetch.pinning import NO_PIN_MESSAGE, ConnectionPolicy, PinnedAdapter
from scrapers.fetch.redirects import (
    REDIRECT_STATUSES,
    Resolver,
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


class _Stalled(Exception):
    """One attempt ran out of time (deadline or transfer rate): retried like a timeout."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Fetcher:
    """GETs pages politely (robots.txt, per-host delay, backoff) and safely (timeouts,
    a deadline per response and per get(), size caps, hand-checked redirects, public
    addresses only, connections pinned to the checked addresses).

    Every expected failure is raised as one of scrapers.errors' FetchError family,
    with a one-line reason. Not thread-safe: use one Fetcher per crawling thread.

    ``resolver`` (host, port -> addresses) is what check_url resolves with; the default
    is redirects.resolve_addresses (getaddrinfo). A passed-in ``session`` gets this
    Fetcher's pinning adapter mounted for http:// and https://, so it must not be
    shared with another Fetcher.

    Time bounds: each attempt (connect, headers, body) ends within
    ``settings.deadline``, and sooner if its body arrives slower than
    ``min_transfer_rate``; such an attempt counts as failed and is retried like a
    timeout, at most ``max_retries`` times. A whole get() (robots.txt, redirects, every
    attempt, the waits before retries and between requests) ends within
    ``settings.get_deadline``: a retry that would not fit is not made, and an attempt
    never gets longer than what is left.
    """

    def __init__(
        self,
        settings: FetchSettings = FetchSettings(),  # noqa: B008 - frozen, so sharing is safe
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._resolver = resolver
        self._policy = ConnectionPolicy()
        self._owns_session = session is None
        self._session = session if session is not None else _new_session(settings)
        adapter = PinnedAdapter(self._policy)
        for prefix in ("http://", "https://"):
            self._session.mount(prefix, adapter)
        self._throttle = Throttle(clock, sleep)
        self._robots = RobotsCache(self._load_robots, settings.robots_token)
        self._rng = random.Random()
        # When the get() in progress must be over (by ``clock``); None outside get().
        self._get_ends: float | None = None

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
        self._check(url, hosts)
        headers = {"User-Agent": s.user_agent, "Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        self._get_ends = self._clock() + s.get_deadline
        try:
            current = url
            hops = 0
            while True:
                if s.obey_robots:
                    self._robots.check(current, hosts)
                response = self._send(current, headers, body_limit=s.max_body_bytes)
                if response.status not in REDIRECT_STATUSES:
                    break
                location = response.headers.get("Location")
                if not location:
                    raise HttpStatusError(current, response.status)
                if hops >= s.max_redirects:
                    raise RedirectRefused(url, f"more than {s.max_redirects} redirects")
                target = redirect_target(current, location)
                self._check(target, hosts, error=RedirectRefused, reported_url=url)
                current = target
                hops += 1
        finally:
            self._get_ends = None

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

    def _check(
        self,
        url: str,
        hosts: frozenset[str] | None,
        *,
        error: type[FetchError] = FetchError,
        reported_url: str | None = None,
    ) -> None:
        """check_url, then pin the checked addresses: connections to the host use those."""
        checked = check_url(
            url,
            hosts,
            allow_private=self.settings.allow_private_addresses,
            error=error,
            reported_url=reported_url,
            resolve=self._resolver,
        )
        self._policy.pin(checked.host, checked.addresses)

    def _send(
        self, url: str, headers: Mapping[str, str], *, body_limit: int, truncate: bool = False
    ) -> _Response:
        """One GET of one URL (no redirects), retried on transient failures.

        Returns 2xx (with body) and 3xx answers; raises HttpStatusError for 4xx/5xx,
        FetchError for network failures, ResponseTooSlow when attempts run out of time,
        BodyTooLarge past ``body_limit`` unless ``truncate`` (robots.txt) asks to keep
        just the first ``body_limit`` bytes.
        """
        s = self.settings
        host = host_key(url)
        for attempt in range(s.max_retries + 1):
            last_attempt = attempt == s.max_retries
            self._throttle.wait(host, self._delay_for(url))
            try:
                response = self._attempt(url, headers, body_limit, truncate)
            except requests.exceptions.SSLError:
                # A certificate problem will not fix itself within a few seconds.
                raise FetchError(url, "TLS error (certificate or handshake)") from None
            except (
                _Stalled,
                requests.Timeout,
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                wait = backoff_delay(attempt, s.backoff_base, self._rng)
                if last_attempt or not self._time_left_for(wait):
                    error: type[FetchError]
                    if isinstance(exc, _Stalled):
                        error, reason = ResponseTooSlow, exc.reason
                    else:
                        error, reason = FetchError, _describe(exc)
                    raise error(url, f"{reason} (after {attempt + 1} attempts)") from None
                self._sleep(wait)
                continue
            except requests.RequestException as exc:
                raise FetchError(url, _describe(exc)) from None

            status = response.status
            if status in RETRY_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
                if retry_after is not None and retry_after > s.max_retry_after:
                    raise RetryAfterTooLong(url, status, retry_after)
                wait = (retry_after if retry_after is not None
                        else backoff_delay(attempt, s.backoff_base, self._rng))
                if last_attempt or not self._time_left_for(wait):
                    raise HttpStatusError(url, status)
                self._sleep(wait)
                continue
            if status >= 400:
                raise HttpStatusError(url, status)
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(
        self, url: str, headers: Mapping[str, str], body_limit: int, truncate: bool
    ) -> _Response:
        """One request and its body, under a Watchdog; _Stalled if it ran out of time."""
        s = self.settings
        limit, deadline_reason = s.deadline, f"no complete response within {s.deadline:g} s"
        if self._get_ends is not None:
            left = self._get_ends - self._clock()
            if left <= 0:
                raise ResponseTooSlow(url, self._get_deadline_reason())
            if left < limit:
                limit, deadline_reason = left, self._get_deadline_reason()
        watchdog = Watchdog(
            limit,
            min_rate=s.min_transfer_rate,
            grace=s.transfer_rate_grace,
            deadline_reason=deadline_reason,
        )
        try:
            with self._policy.attempt(watchdog):
                response = self._session.get(
                    url,
                    headers=headers,
                    timeout=s.timeout,
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    watchdog.body_started()
                    status = response.status_code
                    body = b""
                    if 200 <= status < 300:
                        body = _read_body(response, url, body_limit, truncate, watchdog)
                finally:
                    response.close()
        except requests.RequestException:
            # Whatever the interrupted read raised (reset, EOF, TLS error), the cause is
            # the watchdog.
            if watchdog.reason is not None:
                raise _Stalled(watchdog.reason) from None
            raise
        if watchdog.reason is not None:
            # Cut off at the end of a body without a length, it looks complete: it is not.
            raise _Stalled(watchdog.reason)
        return _Response(status, CaseInsensitiveDict(response.headers), body)

    def _time_left_for(self, wait: float) -> bool:
        """May we sleep ``wait`` seconds and still try again within the get()'s budget?"""
        return self._get_ends is None or self._clock() + wait < self._get_ends

    def _get_deadline_reason(self) -> str:
        return f"no complete response within the {self.settings.get_deadline:g} s allowed per page"

    def _delay_for(self, url: str) -> float:
        delay = self.settings.per_host_delay
        if self.settings.obey_robots:
            crawl_delay = self._robots.crawl_delay(url)
            if crawl_delay is not None:
                delay = max(delay, crawl_delay)
        return delay

    def _load_robots(self, url: str, hosts: frozenset[str] | None) -> RobotsRules:
        """Fetch and interpret one robots.txt (RFC 9309); never raises.

        Redirects may go to ``hosts`` only (the allowed hosts of the fetch that needs
        these rules; None: any public host). A redirect refused leaves robots.txt
        unreadable, so the host is disallowed, as for a network failure.
        """
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
                    # but only for one of the source's hosts, and never towards a
                    # private address.
                    self._check(target, hosts)
                except FetchError as exc:
                    return unavailable(f"redirect refused: {exc.reason}")
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


def _read_body(
    response: requests.Response, url: str, limit: int, truncate: bool, watchdog: Watchdog
) -> bytes:
    """Read a streamed body up to ``limit`` bytes, without downloading the rest.

    read1() returns whatever has arrived (one socket read), so the watchdog sees the
    transfer's progress as it happens rather than once per 64 KB.
    """
    length = response.headers.get("Content-Length", "")
    if not truncate and length.isdigit() and int(length) > limit:
        raise BodyTooLarge(url, f"Content-Length {length} exceeds {limit} bytes")
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            # Decompressed, at most _CHUNK_BYTES a call: the cap also bounds a gzip bomb.
            chunk = raw.read1(_CHUNK_BYTES, decode_content=True)
            watchdog.progress(raw.tell())
            if not chunk:
                break
            if size + len(chunk) > limit:
                if truncate:
                    chunks.append(chunk[: limit - size])
                    break
                raise BodyTooLarge(url, f"body exceeds {limit} bytes")
            chunks.append(chunk)
            size += len(chunk)
    # The urllib3 errors as requests' iter_content() would have wrapped them.
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except ReadTimeoutError as exc:
        raise requests.ConnectionError(exc) from None
    except Urllib3SSLError as exc:
        raise requests.exceptions.SSLError(exc) from None
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
        if NO_PIN_MESSAGE in str(exc):
            return f"connection refused: {NO_PIN_MESSAGE}"
        errno = _ERRNO.search(str(exc))
        return f"connection failed: {errno.group(1).strip()}" if errno else "connection failed"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection broken while reading the body"
    return f"request failed: {type(exc).__name__}"
