"""The polite, safe fetcher every source uses (one concern per module, Scrapy-style).

settings: the named limits; robots: robots.txt; throttle: per-host delay; retry:
backoff and Retry-After; redirects: where a request may go; pinning: connections
only to the addresses that were checked; deadline: the watchdog that ends slow
responses; encoding: bytes to text; fetcher: the client that ties them together.
"""

from scrapers.fetch.encoding import decode_body, normalise_encoding
from scrapers.fetch.fetcher import DEFAULT_ACCEPT, FetchedPage, Fetcher
from scrapers.fetch.retry import RetryAfterTooLong
from scrapers.fetch.settings import DEFAULT_USER_AGENT, FetchSettings

__all__ = [
    "DEFAULT_ACCEPT",
    "DEFAULT_USER_AGENT",
    "FetchSettings",
    "FetchedPage",
    "Fetcher",
    "RetryAfterTooLong",
    "decode_body",
    "normalise_encoding",
]
