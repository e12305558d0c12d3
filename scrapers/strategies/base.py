"""What every fetch strategy provides to the crawler, and what the crawler gives it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from scrapers.fetch import FetchedPage
from scrapers.record import Communique
from scrapers.sources import Section, Site, Source


@dataclass(frozen=True)
class CrawlContext:
    """One crawl of one source: how to fetch, and where its sites really are."""

    source: Source
    # Fetches a URL of the source politely; block pages are already rejected.
    fetch: Callable[[str], FetchedPage]
    # Rewrites a real host's URL to the copy being crawled (tests, demo); identity live.
    localize: Callable[[str], str]
    base_urls: Mapping[str, str]  # site name -> base URL actually crawled
    # Told (url, message) when an article page had to be read by the generic extractor
    # because the site's selectors no longer match it ("definition drift").
    warn: Callable[[str, str], None] | None = None
    # Told the links of each listing page as it is read; True means every one of them is
    # already archived, so older pages hold nothing new and paging stops (incremental
    # crawls). None: walk every page.
    all_known: Callable[[list[ArticleLink]], bool] | None = None

    def base_url(self, site: Site) -> str:
        return self.base_urls[site.name]

    def stop_paging(self, page_links: list[ArticleLink]) -> bool:
        """Whether a listing page's links are all known (see `all_known`)."""
        return bool(page_links) and self.all_known is not None and self.all_known(page_links)


@dataclass(frozen=True)
class ArticleLink:
    """An article found on a listing, feed or API, with what that said about it."""

    url: str  # the public article page: the record's URL and id
    site: Site
    section: Section
    listed_date: date | None = None
    listed_title: str | None = None
    listed_doc_type: str | None = None
    listed_speaker: str | None = None
    fetch_url: str | None = None  # where the content is, when not at `url` (a JSON API)
    # Content the feed or API already delivered; None means "fetch the page".
    payload: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Discovery:
    """The links a section gave, and the error that stopped it, if any."""

    links: list[ArticleLink]
    pages: int
    error: Exception | None = None


class Strategy(Protocol):
    # Whether a site crawled this way needs a [sites.listing] table (checked on load).
    needs_listing: bool

    def discover(self, ctx: CrawlContext, site: Site, section: Section) -> Discovery:
        """Walk a section (listing pages, feed, API) and collect its article links."""
        ...

    def parse_article(
        self, ctx: CrawlContext, link: ArticleLink, page: FetchedPage | None,
        fetched_at: datetime,
    ) -> Communique:
        """Turn a fetched page (or the link's payload) into a record, or raise ScrapeError."""
        ...
