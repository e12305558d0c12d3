"""A whole-response deadline and a minimum transfer rate, enforced by a watchdog thread.

Socket timeouts bound each read, not the response: a server that sends one byte every
few seconds never trips them. Checking the clock between reads is not enough either,
since one read can block until a whole chunk has trickled in. So each attempt gets a
Watchdog: a thread that, at the deadline or when the body arrives too slowly, shuts the
attempt's sockets down. The blocked read then returns at once and the attempt fails.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

# The watchdog never sleeps less than this, so a rate exactly on the limit cannot spin it.
_MIN_WAKE = 0.01


class Watchdog:
    """Guards one attempt: the deadline from creation, and the body's average rate.

    ``limit``: seconds the attempt may take, connect to last byte. ``min_rate`` (bytes/s,
    0 for none) applies to the body, averaged from ``body_started()``, once ``grace``
    seconds have passed. After a failure ``reason`` says which limit was hit; sockets
    registered with ``watch()`` have been shut down (both directions) by then.

    Use as a context manager: the thread runs inside the ``with`` block, and on leaving
    it can no longer touch the sockets.
    """

    def __init__(
        self, limit: float, *, min_rate: float, grace: float, deadline_reason: str
    ) -> None:
        self._end = time.monotonic() + limit
        self._min_rate = min_rate
        self._grace = grace
        self._deadline_reason = deadline_reason
        self._cond = threading.Condition()
        self._stopped = False
        self._watched: list[socket.socket] = []
        self._watched_fds: set[int] = set()
        self._body_start: float | None = None
        self._body_bytes = 0
        self._thread = threading.Thread(target=self._run, name="fetch-watchdog", daemon=True)
        self.reason: str | None = None

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            watched, self._watched = self._watched, []
        self._thread.join()
        for sock in watched:
            sock.close()

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self._end - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock``'s connection down if this attempt fails.

        Keeps a duplicate of the descriptor: the connection's own socket object may be
        replaced (wrapped for TLS, which keeps the descriptor) or closed by http.client
        while the attempt goes on, and shutdown() through the duplicate still reaches
        the same connection. Watching a descriptor twice is a no-op.
        """
        with self._cond:
            fd = sock.fileno()
            if self._stopped or fd < 0 or fd in self._watched_fds:
                return
            try:
                dup = socket.fromfd(fd, sock.family, sock.type)
            except OSError:
                return  # already closed: nothing left to interrupt
            self._watched_fds.add(fd)
            self._watched.append(dup)
            if self.reason is not None:
                _shut(dup)

    def body_started(self) -> None:
        """Headers are in: the transfer rate is measured from now."""
        with self._cond:
            self._body_start = time.monotonic()
            self._cond.notify_all()

    def progress(self, body_bytes: int) -> None:
        """Bytes of body received so far (on the wire, before decompression)."""
        self._body_bytes = body_bytes

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if now >= self._end:
                    self._fail(self._deadline_reason)
                    return
                wake = self._end
                if self._body_start is not None and self._min_rate > 0:
                    elapsed = now - self._body_start
                    if elapsed < self._grace:
                        wake = min(wake, self._body_start + self._grace)
                    elif self._body_bytes < self._min_rate * elapsed:
                        self._fail(f"transfer slower than {self._min_rate:g} bytes/s")
                        return
                    else:
                        # The average drops below the minimum then, unless more arrives.
                        wake = min(wake, self._body_start + self._body_bytes / self._min_rate)
                self._cond.wait(max(wake - now, _MIN_WAKE))

    def _fail(self, reason: str) -> None:
        self.reason = reason
        for sock in self._watched:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected (any more)
