"""When to retry a failed request, and how long to wait first."""

from __future__ import annotations

import datetime
import email.utils
import random

from scrapers.errors import HttpStatusError

# Transient by nature: rate limiting and overloaded or restarting servers.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# "A little jitter": spread retries from parallel crawls so they do not arrive in step.
_JITTER = 0.1


class RetryAfterTooLong(HttpStatusError):
    """The server asked us to come back later than ``max_retry_after`` allows."""

    def __init__(self, url: str, status: int, retry_after: float) -> None:
        super().__init__(url, status)
        self.retry_after = retry_after
        self.reason = f"HTTP {status}, Retry-After {retry_after:.0f}s is too long"
        self.args = (f"{self.reason}: {url}",)


def backoff_delay(attempt: int, base: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt + 1``: base * 2**attempt, plus jitter."""
    delay = base * (2**attempt)
    return delay + delay * _JITTER * (rng or random).random()


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP-date), None if absent/bad.

    ``now`` is wall-clock time (time.time()), needed to turn a date into a delay.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # HTTP dates are always GMT; a naive result came from a "-0000" zone.
        when = when.replace(tzinfo=datetime.UTC)
    # A date in the past means "now".
    return max(0.0, when.timestamp() - now)
