"""Connections go to the addresses check_url checked, never to a second DNS answer.

check_url resolves a host and checks every address is public. If the connection then
resolved the name again, a rebinding DNS server could answer "public" to the check and
"127.0.0.1" to the connection. So the Fetcher pins the checked addresses per host, and
its HTTPAdapter's connections connect to those: a host with no pin is not connected to
at all. The connection keeps the hostname for everything else, so the Host header, TLS
SNI and certificate verification are all on the name, as without pinning.

The connections also register their sockets with the current attempt's Watchdog, so
the deadline can interrupt them (deadline.py).

Direct connections only: with a proxy configured (HTTP_PROXY ...), requests uses its own
proxy pools and the proxy resolves names.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socket import timeout as SocketTimeout  # noqa: N812 - urllib3's name for it
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection

from scrapers.fetch.deadline import Watchdog
from scrapers.fetch.redirects import normalise_host

NO_PIN_MESSAGE = "no checked address for this host"


class ConnectionPolicy:
    """One Fetcher's pinned addresses, and the watchdog of the attempt in progress."""

    def __init__(self) -> None:
        self._pins: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def pin(self, host: str, addresses: tuple[str, ...]) -> None:
        """From now on, new connections to ``host`` go to ``addresses`` (in order)."""
        with self._lock:
            self._pins[normalise_host(host)] = tuple(addresses)

    def addresses(self, host: str) -> tuple[str, ...]:
        """The pinned addresses of ``host``; empty if it was never checked."""
        with self._lock:
            return self._pins.get(normalise_host(host), ())

    @contextmanager
    def attempt(self, watchdog: Watchdog) -> Iterator[Watchdog]:
        """Run ``watchdog`` and make it the one this thread's connections report to."""
        with watchdog:
            self._local.watchdog = watchdog
            try:
                yield watchdog
            finally:
                self._local.watchdog = None

    def current(self) -> Watchdog | None:
        return getattr(self._local, "watchdog", None)


class _PinnedConnectionMixin:
    """_new_conn() connects to the pinned addresses instead of resolving the host."""

    policy: ConnectionPolicy  # set on the per-Fetcher subclasses
    # Provided by urllib3's HTTPConnection:
    host: str
    port: int
    timeout: Any
    source_address: tuple[str, int] | None
    socket_options: Any
    sock: Any
    _dns_host: str

    def _new_conn(self) -> Any:
        addresses = self.policy.addresses(self._dns_host)
        if not addresses:
            raise NewConnectionError(  # the mixin is always an HTTPConnection
                self,  # type: ignore[arg-type]
                f"Failed to establish a new connection: {NO_PIN_MESSAGE}"
            )
        watchdog = self.policy.current()
        error: OSError | None = None
        for address in addresses:
            timeout = self.timeout
            if watchdog is not None:
                remaining = max(watchdog.remaining(), 0.001)
                timeout = min(timeout, remaining) if isinstance(timeout, int | float) else remaining
            try:
                # An IP literal: getaddrinfo() inside parses it, no DNS query.
                sock = connection.create_connection(
                    (address, self.port),
                    timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:  # includes timeouts; try the next address like urllib3
                error = exc
                continue
            sock.settimeout(self.timeout)  # the connect timeout may have been cut short
            if watchdog is not None:
                watchdog.watch(sock)
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        if isinstance(error, SocketTimeout):
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from error
        raise NewConnectionError(  # the mixin is always an HTTPConnection
            self,  # type: ignore[arg-type]
            f"Failed to establish a new connection: {error}"
        ) from error

    def request(self, *args: Any, **kwargs: Any) -> None:
        # A kept-alive connection was connected (and watched) during an earlier attempt.
        watchdog = self.policy.current()
        if watchdog is not None and self.sock is not None:
            watchdog.watch(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    # HTTPSConnection.connect() wraps the socket from _new_conn() with server_hostname =
    # self.host (the name), so SNI and certificate checks are on the name.
    pass


class PinnedAdapter(HTTPAdapter):
    """A requests adapter whose connections obey ``policy`` (pins and watchdog)."""

    def __init__(self, policy: ConnectionPolicy, **kwargs: Any) -> None:
        # Before super().__init__(), which builds the pool manager.
        self.policy = policy
        conns = {
            scheme: type(base.__name__, (base,), {"policy": policy})
            for scheme, base in (("http", _PinnedHTTPConnection), ("https", _PinnedHTTPSConnection))
        }
        self._pool_classes = {
            "http": type("PinnedHTTPConnectionPool", (HTTPConnectionPool,),
                         {"ConnectionCls": conns["http"]}),
            "https": type("PinnedHTTPSConnectionPool", (HTTPSConnectionPool,),
                          {"ConnectionCls": conns["https"]}),
        }
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes
