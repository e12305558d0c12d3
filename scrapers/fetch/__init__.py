"""The polite, safe fetcher every source uses (one concern per module, Scrapy-style).

settings: the named limits; robots: robots.txt; throttle: per-host delay; retry:
backoff and Retry-After; redirects: where a request may go; pinning: connections
only to the addresses that were checked; deadline: the watchdog that ends slow
responses; encoding: bytes to text; fetcher: the client that ties them together.
"""

import importlib
from typing import TYPE_CHECKING

from scrapers.fetch.settings import DEFAULT_USER_AGENT, FetchSettings

if TYPE_CHECKING:
    from scrapers.fetch.encoding import decode_body, normalise_encoding
    from scrapers.fetch.fetcher import DEFAULT_ACCEPT, FetchedPage, Fetcher
    from scrapers.fetch.retry import RetryAfterTooLong

# The client and its libraries (requests, urllib3, charset_normalizer, protego) are
# imported on first use: the web app reads only the settings, and its workers need not
# hold the crawler's modules.
_LAZY = {"decode_body": "encoding", "normalise_encoding": "encoding",
         "DEFAULT_ACCEPT": "fetcher", "FetchedPage": "fetcher", "Fetcher": "fetcher",
         "RetryAfterTooLong": "retry"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found directly from now on
    return value

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
