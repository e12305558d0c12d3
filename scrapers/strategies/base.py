"""What every fetch strategy provides to the crawler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from scrapers.fetch import FetchedPage
from scrapers.record import Communique
from scrapers.sources import Section, Site, Source

# Fetches a URL of the source (politely, block pages already rejected).
FetchPage = Callable[[str], FetchedPage]


@dataclass(frozen=True)
class ArticleLink:
    """An article found on a listing, with what the listing said about it."""

    url: str
    site: Site
    section: Section
    listed_date: date | None = None
    listed_title: str | None = None


@dataclass(frozen=True)
class Discovery:
    """The links a section's listing gave, and the error that stopped it, if any."""

    links: list[ArticleLink]
    pages: int
    error: Exception | None = None


class Strategy(Protocol):
    def discover(
        self, source: Source, site: Site, base_url: str, section: Section, fetch: FetchPage
    ) -> Discovery:
        """Walk a section's listing pages and collect its article links."""
        ...

    def parse_article(
        self, source: Source, link: ArticleLink, page: FetchedPage, fetched_at: datetime
    ) -> Communique:
        """Turn one fetched article page into a record, or raise ScrapeError."""
        ...
