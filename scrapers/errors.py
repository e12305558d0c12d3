"""Exceptions raised while fetching and scraping."""

from __future__ import annotations


class FetchError(Exception):
    """A page could not be fetched (network, HTTP status, policy)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason}: {url}")
        self.url = url
        self.reason = reason


class RobotsDisallowed(FetchError):
    """robots.txt forbids the URL for our user agent."""


class RedirectRefused(FetchError):
    """A redirect pointed to a host we may not follow it to."""


class BodyTooLarge(FetchError):
    """The response body exceeded the configured cap."""


class ResponseTooSlow(FetchError):
    """No complete response in time: the per-response deadline, the minimum transfer
    rate, or the time budget of one get() ran out."""


class HttpStatusError(FetchError):
    """The server answered with an error status after all retries."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"HTTP {status}")
        self.status = status


class ScrapeError(Exception):
    """A fetched page did not have the structure its source definition expects."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason}: {url}")
        self.url = url
        self.reason = reason


class BlockPageError(ScrapeError):
    """The site answered with a block / challenge / error page instead of content."""
