"""HTML listing pages that link to HTML article pages, read with CSS selectors."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from scrapers.errors import HttpStatusError, RobotsDisallowed, ScrapeError
from scrapers.fetch import FetchedPage
from scrapers.htmltext import element_text, parse_html
from scrapers.record import Communique
from scrapers.sources import ListingRules, Section, Site
from scrapers.strategies.article import (
    parse_html_article,
    parse_site_date,
    select_all,
    select_first,
    select_value,
)
from scrapers.strategies.base import ArticleLink, CrawlContext, Discovery


def section_url(ctx: CrawlContext, site: Site, section: Section) -> str:
    return urljoin(ctx.base_url(site) + "/", section.path.lstrip("/"))


class HtmlPagesStrategy:
    """Listing pages (paged by a "next" link or a page pattern) and HTML article pages."""

    needs_listing = True

    def discover(self, ctx: CrawlContext, site: Site, section: Section) -> Discovery:
        rules = site.listing
        assert rules is not None  # checked when the definition is loaded
        first = section_url(ctx, site, section)
        # The site's own host, and the hosts keeping its earlier pages (as crawled).
        hosts = {urlsplit(first).hostname} | {
            urlsplit(ctx.localize(f"https://{h}/")).hostname for h in site.hosts}
        links: list[ArticleLink] = []
        seen_pages: set[str] = set()
        seen_links: set[str] = set()
        url: str | None = first
        pages = 0
        try:
            while url and url not in seen_pages and pages < site.max_pages:
                seen_pages.add(url)
                try:
                    page = ctx.fetch(url)
                except RobotsDisallowed:
                    if pages == 0:
                        raise
                    break  # robots.txt forbids deeper pages: the listing ends here for us
                except HttpStatusError as exc:
                    if pages and exc.status == 404 and rules.page_pattern:
                        break  # a page pattern ran past the last page
                    raise
                pages += 1
                first_link = len(links)
                soup = parse_html(page.text)
                items = select_all(soup, rules.items)
                if not items and pages == 1:
                    raise ScrapeError(page.url,
                                      f"listing has no items matching {list(rules.items)}")
                for item in items:
                    anchor = select_first(item, rules.link)
                    href = anchor.get("href") if anchor is not None else None
                    if anchor is None or not href or not isinstance(href, str):
                        continue
                    try:
                        joined = urljoin(page.url, href.strip())
                        _ = urlsplit(joined).port  # reading it checks it
                        article_url = ctx.localize(joined)
                        host = urlsplit(article_url).hostname
                    except ValueError:
                        continue  # an address that does not parse ("http://[::1", port 99999)
                    if host not in hosts or article_url in seen_links:
                        continue  # external links and repeats are not this section's articles
                    seen_links.add(article_url)
                    links.append(ArticleLink(
                        url=article_url,
                        site=site,
                        section=section,
                        listed_date=parse_site_date(site, section.language,
                                                    select_value(item, rules.date)),
                        listed_title=element_text(anchor) or None,
                        listed_doc_type=select_value(item, rules.doc_type) or None,
                    ))
                if ctx.stop_paging(links[first_link:]):
                    break  # everything on this page is archived: older pages hold no news
                url = self._next_page(soup, rules, first, page.url, pages, ctx)
        except Exception as exc:  # noqa: BLE001 - reported with what was found so far
            return Discovery(links, pages, exc)
        return Discovery(links, pages)

    @staticmethod
    def _next_page(
        soup: BeautifulSoup, rules: ListingRules, first: str, current: str, pages: int,
        ctx: CrawlContext,
    ) -> str | None:
        if rules.next:
            anchor = select_first(soup, rules.next)
            href = anchor.get("href") if anchor is not None else None
            if isinstance(href, str) and href.strip():
                return ctx.localize(urljoin(current, href.strip()))
        if rules.page_pattern:
            # Sites that page by script ("index_1.html") have no link to follow.
            base = first if first.endswith("/") else first.rsplit("/", 1)[0] + "/"
            return urljoin(base, rules.page_pattern.format(n=pages))
        return None

    def parse_article(
        self, ctx: CrawlContext, link: ArticleLink, page: FetchedPage | None,
        fetched_at: datetime,
    ) -> Communique:
        if page is None:
            raise ScrapeError(link.url, "an HTML article needs its page")
        return parse_html_article(ctx.source, link, page.text, page.url, fetched_at, ctx.warn)
