"""A polite minimum delay between two requests to the same host."""

from __future__ import annotations

from collections.abc import Callable


class Throttle:
    """Spaces request starts to one host at least ``delay`` seconds apart.

    Clock and sleep are injected so tests can assert the waits without waiting.
    Not thread-safe: one Fetcher per crawling thread.
    """

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}

    def wait(self, host: str, delay: float) -> None:
        """Sleep until ``host`` may be contacted again, then record this request."""
        now = self._clock()
        last = self._last.get(host)
        if last is not None:
            remaining = last + delay - now
            if remaining > 0:
                self._sleep(remaining)
                # max(): a clock that did not advance (or sleep that returned early)
                # must not let the next request come sooner than promised.
                now = max(self._clock(), last + delay)
        self._last[host] = now
