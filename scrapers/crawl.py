"""Crawling one source: discover articles, fetch them politely, hand records to a sink.

Errors are reported per page and per source; they never stop the other
sections, and nothing from a failed page reaches the sink.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from scrapers.blockpages import block_reason, gone_reason
from scrapers.errors import (
    BlockPageError,
    FetchError,
    HttpStatusError,
    RobotsDisallowed,
    ScrapeError,
)
from scrapers.fetch import FetchedPage, Fetcher
from scrapers.htmltext import parse_html
from scrapers.outcomes import IssueKind, RunStatus, StoreOutcome
from scrapers.record import Communique, canonical_url, communique_id
from scrapers.sources import Source
from scrapers.strategies import STRATEGIES, ArticleLink, CrawlContext


class RecordSink(Protocol):
    """Where records go (the archive), and what it remembers of earlier fetches."""

    def store(
        self, record: Communique, *, etag: str | None = None, last_modified: str | None = None
    ) -> StoreOutcome: ...

    def validators(self, communique_id: str) -> tuple[str | None, str | None] | None: ...

    def mark_checked(self, communique_id: str) -> None: ...


class IncrementalSink(RecordSink, Protocol):
    """A sink that also remembers what it holds, so a crawl can skip it (the archive)."""

    def known(self, ids: list[str]) -> dict[str, KnownArticle]: ...

    def mark_withdrawn(self, communique_id: str, reason: str) -> bool: ...

    def cached_page(self, url: str) -> FetchedPage | None: ...

    def cache_page(self, url: str, page: FetchedPage) -> None: ...


class ListingMemory(Protocol):
    """A sink that remembers what each listing named (the archive), so an article dropped
    from one is re-checked, and withdrawn only when a fetch confirms it is gone."""

    def listed(self, section: str) -> list[tuple[str, str]]: ...

    def set_listed(self, section: str, items: list[tuple[str, str]]) -> None: ...

    def reinstate(self, communique_id: str) -> bool: ...


@dataclass(frozen=True)
class KnownArticle:
    """What the archive holds of an article the crawl found again."""

    last_checked: datetime
    withdrawn: bool = False


@dataclass(frozen=True)
class CrawlIssue:
    """One thing that went wrong, on one URL."""

    url: str
    kind: IssueKind
    message: str

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


@dataclass(frozen=True)
class CrawlOptions:
    """How incremental one crawl is (see `crawl_source`)."""

    # Re-fetch known articles whatever their schedule (conditional requests still apply).
    recheck_all: bool = False
    # Walk every listing page even where everything on one is archived.
    full_listing: bool = False
    # Only these sites of the source (schedules); None: all of them.
    sites: frozenset[str] | None = None
    # Per-run budget; None: the source's own.
    max_requests: int | None = None
    max_seconds: float | None = None


@dataclass
class CrawlReport:
    """What one crawl of one source did."""

    source_id: str
    pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    reinstated: int = 0  # withdrawn pages that answered again
    # Archived articles a re-read listing no longer names, re-checked by a fetch: still
    # there (only unlisted), or gone (withdrawn).
    unlisted: int = 0
    articles_found: int = 0
    issues: list[CrawlIssue] = field(default_factory=list)
    # Articles stored all the same, but read by the generic extractor because the site's
    # selectors no longer found their title or body: the definition needs a look.
    drift: list[CrawlIssue] = field(default_factory=list)
    # Requests made: to listings, feeds and APIs (discovery) and to articles; and how many
    # were answered 304 Not Modified.
    listing_requests: int = 0
    article_requests: int = 0
    not_modified: int = 0
    skipped: int = 0  # known articles not due for a re-check: no request
    blocked: int = 0  # block pages met
    undated: int = 0  # articles stored without a date
    body_chars: int = 0  # total body length of the articles stored (new or changed)
    sites: tuple[str, ...] = ()  # the sites crawled
    budget: str | None = None  # why the crawl stopped early, if its budget ran out
    # URLs not requested because their host was already failing in this run.
    skipped_down: dict[str, int] = field(default_factory=dict)
    # New and changed articles not archived because the run broke (indexer.pipeline).
    held_back: int = 0

    @property
    def status(self) -> RunStatus:
        """ok | partial | failed, by errors alone: drift is reported beside it. A run that
        broke (breakage) failed, whatever it stored."""
        if not self.issues:
            return RunStatus.OK
        if any(issue.kind == IssueKind.BREAKAGE for issue in self.issues):
            return RunStatus.FAILED
        stored = self.new + self.changed + self.unchanged + self.skipped
        return RunStatus.PARTIAL if stored else RunStatus.FAILED

    @property
    def requests(self) -> int:
        return self.listing_requests + self.article_requests

    def add(self, outcome: StoreOutcome) -> None:
        if outcome == StoreOutcome.NEW:
            self.new += 1
        elif outcome == StoreOutcome.CHANGED:
            self.changed += 1
        else:
            self.unchanged += 1

    def stats(self) -> dict:
        """The run's figures as the archive keeps them (crawl_runs.stats)."""
        return {
            "seen": self.articles_found, "new": self.new, "changed": self.changed,
            "unchanged": self.unchanged, "withdrawn": self.withdrawn, "skipped": self.skipped,
            "reinstated": self.reinstated, "unlisted": self.unlisted,
            "listing_requests": self.listing_requests,
            "article_requests": self.article_requests, "not_modified": self.not_modified,
            "blocked": self.blocked, "undated": self.undated, "body_chars": self.body_chars,
            "stored": self.new + self.changed, "sites": list(self.sites),
            "budget": self.budget, "skipped_down": self.skipped_down,
            "held_back": self.held_back,
            "drift": len(self.drift), "errors": len(self.issues),
        }


class BudgetExhausted(FetchError):
    """The source's per-run budget of requests or time is spent: the crawl stops here
    (what it did not reach is new next time, so nothing is lost)."""


class PageGone(HttpStatusError):
    """An article answered HTTP 200 with the site's own "page does not exist" page (its
    definition's `gone_markers`): for an archived article, as good as a 404."""

    def __init__(self, url: str, marker: str) -> None:
        super().__init__(url, 404)
        self.args = (url, f"the site says the page does not exist ('{marker}', HTTP 200)")

    def __str__(self) -> str:
        return f"{self.args[1]}: {self.args[0]}"


def gone_because(exc: HttpStatusError) -> str:
    """A withdrawal's reason, from the answer that showed the page gone."""
    if isinstance(exc, PageGone):
        return "the site says the page does not exist (HTTP 200)"
    return f"HTTP {exc.status}"


class HostDown(FetchError):
    """The host already failed to answer in this run: the URL is not requested."""


# Fetch failures that say the host itself is not answering (not a page's own status).
def _host_is_down(exc: FetchError) -> bool:
    return type(exc).__name__ in ("FetchError", "ResponseTooSlow")


def _issue_kind(exc: Exception) -> IssueKind:
    if isinstance(exc, BudgetExhausted):
        return IssueKind.BUDGET
    if isinstance(exc, BlockPageError):
        return IssueKind.BLOCKED
    if isinstance(exc, RobotsDisallowed):
        return IssueKind.ROBOTS
    if isinstance(exc, FetchError):
        return IssueKind.FETCH
    if isinstance(exc, ScrapeError):
        return IssueKind.SCRAPE
    return IssueKind.ERROR


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


# Items remembered per listing: a feed keeps naming its newest items, so what fell off its
# end would otherwise pile up for ever (beyond this, a drop is not noticed).
LISTING_MEMORY = 2000


def section_key(source: Source, site_name: str, section_path: str) -> str:
    """A listing's name in the archive's memory of what it named."""
    return f"{source.id} {site_name} {section_path}"


def dropped(before: list[tuple[str, str]], now: list[str]
            ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Which of a listing's earlier items (id, url) are dropped, and which are beyond
    what was re-read this time.

    Listings run newest first and a crawl reads only their first pages: an item absent now
    counts as dropped only if it stood before the deepest earlier item read again (that
    part was re-read whole). One further down may just have moved to a page not read.
    """
    present = set(now)
    deepest = max((n for n, (i, _) in enumerate(before) if i in present), default=-1)
    gone = [item for item in before[:deepest] if item[0] not in present]
    beyond = [item for item in before[deepest + 1:] if item[0] not in present]
    return gone, beyond


def crawl_source(
    source: Source,
    fetcher: Fetcher,
    sink: RecordSink,
    *,
    site_overrides: Mapping[str, str] | None = None,
    conditional: bool = True,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: Callable[[str], None] | None = None,
    options: CrawlOptions | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CrawlReport:
    """Crawl every (due) section of every site of `source` into `sink`.

    With an archive as the sink the crawl is incremental: listings, feeds and APIs are
    requested conditionally (a 304 reuses the archived copy of the page), paging stops
    at the first page whose articles are all archived, and an archived article is
    re-fetched (conditionally) only when its `recheck` time has come; one that answers
    404 or 410 then is marked withdrawn. An archived article that a listing read whole
    again no longer names is fetched: withdrawn on a 404 or 410, left alone on a 200. A
    withdrawn one that answers again is reinstated. The run stops when the source's budget
    of requests or time is spent.
    """
    opts = options or CrawlOptions()
    overrides = dict(site_overrides or {})
    report = CrawlReport(source.id)
    hosts = allowed_hosts(source, overrides)
    incremental = conditional and all(
        hasattr(sink, name) for name in ("known", "mark_withdrawn", "cached_page", "cache_page"))
    max_requests = opts.max_requests or source.max_requests
    max_seconds = opts.max_seconds or source.max_seconds
    started = clock()
    down: set[str] = set()
    discovering = True

    def fetch_checked(url: str, etag: str | None = None,
                      last_modified: str | None = None) -> FetchedPage:
        host = (urlsplit(url).hostname or "").lower()
        if host in down:
            report.skipped_down[host] = report.skipped_down.get(host, 0) + 1
            raise HostDown(url, f"not requested: {host} is not answering in this run")
        if report.requests >= max_requests:
            report.budget = f"{max_requests} requests"
            raise BudgetExhausted(url, f"budget of {max_requests} requests spent")
        if clock() - started > max_seconds:
            report.budget = f"{max_seconds:g} s"
            raise BudgetExhausted(url, f"budget of {max_seconds:g} s spent")
        cached = None
        if discovering and incremental and etag is None and last_modified is None:
            cached = sink.cached_page(url)  # type: ignore[attr-defined]
            if cached is not None:
                etag, last_modified = cached.etag, cached.last_modified
        if discovering:
            report.listing_requests += 1
        else:
            report.article_requests += 1
        try:
            page = fetcher.get(url, allowed_hosts=hosts, etag=etag, last_modified=last_modified)
        except FetchError as exc:
            if _host_is_down(exc):
                down.add(host)
            raise
        report.pages += 1
        if page.not_modified:
            report.not_modified += 1
            if cached is not None:
                return cached  # the listing as archived: the server says it is current
        content_type = page.headers.get("Content-Type", "text/html").lower()
        # Block pages are HTML; a feed or a JSON answer is judged by its own parser.
        if not page.not_modified and ("html" in content_type or "text/plain" in content_type):
            soup = parse_html(page.text)
            # An article page the site says does not exist (a listing so answering is
            # an error: it is the block check's).
            marker = gone_reason(soup, source.gone_markers) if not discovering else None
            if marker:
                raise PageGone(url, marker)
            reason = block_reason(soup, source.block_markers)
            if reason:
                report.blocked += 1
                if page.url != url:
                    reason += f" (redirected from {url})"
                raise BlockPageError(page.url, reason)
        if discovering and incremental and page.status == 200 and (page.etag or
                                                                   page.last_modified):
            sink.cache_page(url, page)  # type: ignore[attr-defined]
        return page

    def drifted(url: str, message: str) -> None:
        report.drift.append(CrawlIssue(url, IssueKind.DRIFT, message))

    def link_id(link: ArticleLink) -> str:
        return communique_id(canonical_url(link.url, source.host_aliases))

    def all_known(page_links: list[ArticleLink]) -> bool:
        if not incremental or opts.full_listing:
            return False
        known = sink.known([link_id(link) for link in page_links])  # type: ignore[attr-defined]
        return len(known) == len({link_id(link) for link in page_links})

    ctx = CrawlContext(source, fetch_checked, localizer(source, overrides),
                       effective_base_urls(source, overrides), drifted, all_known)
    remembers = incremental and all(
        hasattr(sink, name) for name in ("listed", "set_listed", "reinstate"))
    links: list[ArticleLink] = []
    seen: set[str] = set()
    # Listings read whole this run (no error, budget left): key -> their items, in order.
    reread: dict[str, list[tuple[str, str]]] = {}
    sites = [site for site in source.sites if opts.sites is None or site.name in opts.sites]
    report.sites = tuple(site.name for site in sites)
    for site in sites:
        for section in site.sections:
            strategy = STRATEGIES[source.strategy_of(section)]
            found = strategy.discover(ctx, site, section)
            if found.error is not None and not isinstance(found.error, (BudgetExhausted,
                                                                        HostDown)):
                url = getattr(found.error, "url", ctx.base_url(site) + section.path)
                report.issues.append(CrawlIssue(url, _issue_kind(found.error), str(found.error)))
            if found.error is None and found.links:
                items = {link_id(link): link.fetch_url or link.url for link in found.links}
                reread[section_key(source, site.name, section.path)] = list(items.items())
            for link in found.links:
                key = canonical_url(link.url, source.host_aliases)
                if key not in seen:  # a listing and a feed often name the same article
                    seen.add(key)
                    links.append(link)
    report.articles_found = len(links)
    discovering = False

    known: dict[str, KnownArticle] = (
        sink.known([link_id(link) for link in links]) if incremental else {})  # type: ignore[attr-defined]
    due_before = now() - timedelta(seconds=source.recheck)
    for link in links:
        strategy = STRATEGIES[source.strategy_of(link.section)]
        this_id = link_id(link)
        archived = known.get(this_id)
        back = archived is not None and archived.withdrawn
        if (archived is not None and not archived.withdrawn and not opts.recheck_all
                and archived.last_checked > due_before):
            # Archived and checked recently: no request, and a feed's or API's copy is not
            # re-read either (it may differ from the page the archive took it from).
            report.skipped += 1
            continue
        try:
            page = None
            if link.payload is None:
                validators = sink.validators(this_id) if conditional else None
                etag, last_modified = validators or (None, None)
                try:
                    page = fetch_checked(link.fetch_url or link.url, etag, last_modified)
                except HttpStatusError as exc:
                    if archived is not None and exc.status in (404, 410):
                        # Gone from the ministry's site: kept, searchable, marked.
                        if sink.mark_withdrawn(this_id, gone_because(exc)):  # type: ignore[attr-defined]
                            report.withdrawn += 1
                            if progress:
                                progress(f"withdrawn: {link.url}")
                        continue
                    raise
                if page.not_modified:
                    if back and remembers and sink.reinstate(this_id):  # type: ignore[attr-defined]
                        # Back as it was archived: current again, its withdrawal in history.
                        report.reinstated += 1
                        if progress:
                            progress(f"reinstated: {link.url}")
                    sink.mark_checked(this_id)
                    report.unchanged += 1
                    continue
            try:
                record = strategy.parse_article(ctx, link, page, now())
            except (FetchError, ScrapeError, BudgetExhausted, HostDown):
                raise
            except Exception as exc:  # noqa: BLE001 - a page that breaks the reading
                # loses itself, reported, not the rest of its source's crawl
                raise ScrapeError(link.url, f"unreadable page ({type(exc).__name__}: {exc})"
                                  ) from exc
        except BudgetExhausted:
            break  # the rest is new next time: nothing is lost
        except HostDown:
            continue  # counted once per host (skipped_down), its first failure is the issue
        except (FetchError, ScrapeError) as exc:
            report.issues.append(CrawlIssue(link.url, _issue_kind(exc), str(exc)))
            continue
        outcome = sink.store(
            record,
            etag=page.etag if page else None,
            last_modified=page.last_modified if page else None,
        )
        report.add(outcome)
        if back:
            report.reinstated += 1  # storing it again ended its withdrawal (history kept)
        if outcome in (StoreOutcome.NEW, StoreOutcome.CHANGED):
            report.body_chars += len(record.body)
            report.undated += record.published is None
        if progress:
            progress(f"{outcome}: {record.url}")
    if remembers:
        _recheck_unlisted(sink, reread, seen_ids={link_id(link) for link in links},
                          fetch=fetch_checked, report=report, progress=progress)
    return report


def _recheck_unlisted(
    sink: RecordSink, reread: dict[str, list[tuple[str, str]]], *, seen_ids: set[str],
    fetch: Callable[..., FetchedPage], report: CrawlReport,
    progress: Callable[[str], None] | None,
) -> None:
    """Fetch the archived articles that listings read whole this run no longer name: a
    404 or 410 marks one withdrawn; any other answer leaves it be (only unlisted). Each
    listing's memory becomes what it names now, plus what lies beyond the part re-read,
    plus the dropped ones this run could not settle (they are tried next time)."""
    memory: ListingMemory = sink  # type: ignore[assignment]
    incremental: IncrementalSink = sink  # type: ignore[assignment]
    stopped = False
    for key, items in reread.items():
        gone, beyond = dropped(memory.listed(key), [i for i, _ in items])
        # Named by another listing or feed of the source this run: moved, not dropped.
        gone = [(i, url) for i, url in gone if i not in seen_ids]
        known = incremental.known([i for i, _ in gone]) if gone else {}
        unsettled: list[tuple[str, str]] = []
        for this_id, url in gone:
            archived = known.get(this_id)
            if archived is None or archived.withdrawn or stopped:
                # Never archived, or already withdrawn: nothing to check. Budget spent:
                # the next run checks it.
                if stopped and archived is not None and not archived.withdrawn:
                    unsettled.append((this_id, url))
                continue
            etag, last_modified = sink.validators(this_id) or (None, None)
            try:
                fetch(url, etag, last_modified)
            except HttpStatusError as exc:
                if exc.status in (404, 410):
                    if incremental.mark_withdrawn(this_id, "no longer listed; "
                                                           + gone_because(exc)):
                        report.withdrawn += 1
                        if progress:
                            progress(f"withdrawn: {url}")
                    continue
                report.issues.append(CrawlIssue(url, _issue_kind(exc), str(exc)))
                unsettled.append((this_id, url))
                continue
            except BudgetExhausted:
                stopped = True
                unsettled.append((this_id, url))
                continue
            except HostDown:
                unsettled.append((this_id, url))
                continue
            except FetchError as exc:
                report.issues.append(CrawlIssue(url, _issue_kind(exc), str(exc)))
                unsettled.append((this_id, url))
                continue
            # Still on the site, only no longer listed: not withdrawn, and not asked again.
            sink.mark_checked(this_id)
            report.unlisted += 1
        memory.set_listed(key, (items + unsettled + beyond)[:LISTING_MEMORY])
