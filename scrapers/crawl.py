"""Crawling one source: discover articles, fetch them politely, hand records to a sink.

Errors are reported per page and per source; they never stop the other
sections, and nothing from a failed page reaches the sink.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from scrapers.blockpages import block_reason
from scrapers.errors import BlockPageError, FetchError, RobotsDisallowed, ScrapeError
from scrapers.fetch import FetchedPage, Fetcher
from scrapers.htmltext import parse_html
from scrapers.record import Communique, canonical_url, communique_id
from scrapers.sources import Source
from scrapers.strategies import STRATEGIES, ArticleLink


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
    kind: str  # fetch | robots | blocked | scrape | listing
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

    @property
    def status(self) -> str:
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
    if not site_overrides:
        hosts |= set(source.host_aliases) | set(source.host_aliases.values())
    return {h.lower() for h in hosts if h}


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
    strategy = STRATEGIES.get(source.strategy)
    report = CrawlReport(source.id)
    if strategy is None:
        report.issues.append(CrawlIssue("", "config", f"unknown strategy '{source.strategy}'"))
        return report
    hosts = allowed_hosts(source, overrides)
    bases = effective_base_urls(source, overrides)

    def fetch_checked(url: str, etag: str | None = None,
                      last_modified: str | None = None) -> FetchedPage:
        page = fetcher.get(url, allowed_hosts=hosts, etag=etag, last_modified=last_modified)
        report.pages += 1
        if not page.not_modified:
            reason = block_reason(parse_html(page.text), source.block_markers)
            if reason:
                raise BlockPageError(page.url, reason)
        return page

    links: list[ArticleLink] = []
    seen: set[str] = set()
    for site in source.sites:
        for section in site.sections:
            found = strategy.discover(source, site, bases[site.name], section, fetch_checked)
            if found.error is not None:
                url = getattr(found.error, "url", bases[site.name] + section.path)
                report.issues.append(CrawlIssue(url, _issue_kind(found.error), str(found.error)))
            for link in found.links:
                key = canonical_url(link.url, source.host_aliases)
                if key not in seen:
                    seen.add(key)
                    links.append(link)
    report.articles_found = len(links)

    for link in links:
        link_id = communique_id(canonical_url(link.url, source.host_aliases))
        validators = sink.validators(link_id) if conditional else None
        etag, last_modified = validators or (None, None)
        try:
            page = fetch_checked(link.url, etag, last_modified)
            if page.not_modified:
                sink.mark_checked(link_id)
                report.unchanged += 1
                continue
            record = strategy.parse_article(source, link, page, now())
        except (FetchError, ScrapeError) as exc:
            report.issues.append(CrawlIssue(link.url, _issue_kind(exc), str(exc)))
            continue
        outcome = sink.store(record, etag=page.etag, last_modified=page.last_modified)
        report.add(str(outcome))
        if progress:
            progress(f"{outcome}: {record.url}")
    return report
