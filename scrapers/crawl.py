"""Crawling one source: discover articles, fetch them politely, hand records to a sink.

Errors are reported per page and per source; they never stop the other
sections, and nothing from a failed page reaches the sink.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from scrapers.blockpages import block_reason
from scrapers.errors import BlockPageError, FetchError, RobotsDisallowed, ScrapeError
from scrapers.fetch import FetchedPage, Fetcher
from scrapers.htmltext import parse_html
from scrapers.record import Communique, canonical_url, communique_id
from scrapers.sources import Source
from scrapers.strategies import STRATEGIES, ArticleLink, CrawlContext


class RecordSink(Protocol):
    """Where records go (the archive), and what it remembers of earlier fetches."""

    def store(
        self, record: Communique, *, etag: str | None = None, last_modified: str | None = None
    ) -> str: ...

    def validators(self, communique_id: str) -> tuple[str | None, str | None] | None: ...

    def mark_checked(self, communique_id: str) -> None: ...


@dataclass(frozen=True)
class CrawlIssue:
    """One thing that went wrong, on one URL."""

    url: str
    kind: str  # fetch | robots | blocked | scrape | listing | drift
    message: str


@dataclass
class CrawlReport:
    """What one crawl of one source did."""

    source_id: str
    pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    articles_found: int = 0
    issues: list[CrawlIssue] = field(default_factory=list)
    # Articles stored all the same, but read by the generic extractor because the site's
    # selectors no longer found their title or body: the definition needs a look.
    drift: list[CrawlIssue] = field(default_factory=list)

    @property
    def status(self) -> str:
        """ok | partial | failed, by errors alone: drift is reported beside it."""
        if not self.issues:
            return "ok"
        stored = self.new + self.changed + self.unchanged
        return "partial" if stored else "failed"

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def _issue_kind(exc: Exception) -> str:
    if isinstance(exc, BlockPageError):
        return "blocked"
    if isinstance(exc, RobotsDisallowed):
        return "robots"
    if isinstance(exc, FetchError):
        return "fetch"
    if isinstance(exc, ScrapeError):
        return "scrape"
    return "error"


def effective_base_urls(source: Source, site_overrides: Mapping[str, str]) -> dict[str, str]:
    """Site name -> base URL, with a local copy's address where one is given (tests, demo)."""
    return {site.name: site_overrides.get(site.host, site.base_url) for site in source.sites}


def allowed_hosts(source: Source, site_overrides: Mapping[str, str]) -> set[str]:
    hosts = {urlsplit(url).hostname or "" for url in effective_base_urls(
        source, site_overrides).values()}
    # Hosts keeping a site's earlier pages (2021-2025.state.gov), or their local copies.
    extra = {host for site in source.sites for host in site.hosts}
    hosts |= {urlsplit(site_overrides[h]).hostname or "" if h in site_overrides else h
              for h in extra}
    if not site_overrides:
        hosts |= set(source.host_aliases) | set(source.host_aliases.values())
    return {h.lower() for h in hosts if h}


def localizer(source: Source, site_overrides: Mapping[str, str]) -> Callable[[str], str]:
    """Rewrites absolute URLs on a real host (in feeds, APIs) to the copy being crawled."""
    if not site_overrides:
        return lambda url: url

    def localize(url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        host = source.host_aliases.get(host, host)
        if host not in site_overrides:
            return url
        base = urlsplit(site_overrides[host])
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))

    return localize


def crawl_source(
    source: Source,
    fetcher: Fetcher,
    sink: RecordSink,
    *,
    site_overrides: Mapping[str, str] | None = None,
    conditional: bool = True,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: Callable[[str], None] | None = None,
) -> CrawlReport:
    """Crawl every section of every site of `source` into `sink`."""
    overrides = dict(site_overrides or {})
    report = CrawlReport(source.id)
    hosts = allowed_hosts(source, overrides)

    def fetch_checked(url: str, etag: str | None = None,
                      last_modified: str | None = None) -> FetchedPage:
        page = fetcher.get(url, allowed_hosts=hosts, etag=etag, last_modified=last_modified)
        report.pages += 1
        content_type = page.headers.get("Content-Type", "text/html").lower()
        # Block pages are HTML; a feed or a JSON answer is judged by its own parser.
        if not page.not_modified and ("html" in content_type or "text/plain" in content_type):
            reason = block_reason(parse_html(page.text), source.block_markers)
            if reason:
                if page.url != url:
                    reason += f" (redirected from {url})"
                raise BlockPageError(page.url, reason)
        return page

    def drifted(url: str, message: str) -> None:
        report.drift.append(CrawlIssue(url, "drift", message))

    ctx = CrawlContext(source, fetch_checked, localizer(source, overrides),
                       effective_base_urls(source, overrides), drifted)
    links: list[ArticleLink] = []
    seen: set[str] = set()
    for site in source.sites:
        for section in site.sections:
            strategy = STRATEGIES[source.strategy_of(section)]
            found = strategy.discover(ctx, site, section)
            if found.error is not None:
                url = getattr(found.error, "url", ctx.base_url(site) + section.path)
                report.issues.append(CrawlIssue(url, _issue_kind(found.error), str(found.error)))
            for link in found.links:
                key = canonical_url(link.url, source.host_aliases)
                if key not in seen:  # a listing and a feed often name the same article
                    seen.add(key)
                    links.append(link)
    report.articles_found = len(links)

    for link in links:
        strategy = STRATEGIES[source.strategy_of(link.section)]
        link_id = communique_id(canonical_url(link.url, source.host_aliases))
        try:
            page = None
            if link.payload is None:
                validators = sink.validators(link_id) if conditional else None
                etag, last_modified = validators or (None, None)
                page = fetch_checked(link.fetch_url or link.url, etag, last_modified)
                if page.not_modified:
                    sink.mark_checked(link_id)
                    report.unchanged += 1
                    continue
            record = strategy.parse_article(ctx, link, page, now())
        except (FetchError, ScrapeError) as exc:
            report.issues.append(CrawlIssue(link.url, _issue_kind(exc), str(exc)))
            continue
        outcome = sink.store(
            record,
            etag=page.etag if page else None,
            last_modified=page.last_modified if page else None,
        )
        report.add(str(outcome))
        if progress:
            progress(f"{outcome}: {record.url}")
    return report
