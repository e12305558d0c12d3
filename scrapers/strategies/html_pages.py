"""HTML listing pages that link to HTML article pages, read with CSS selectors."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from scrapers.dates import parse_date
from scrapers.errors import ScrapeError
from scrapers.fetch import FetchedPage
from scrapers.htmltext import element_text, paragraphs, parse_html, strip_boilerplate
from scrapers.record import Communique, canonical_url, communique_id
from scrapers.sources import Section, Site, Source
from scrapers.strategies.base import ArticleLink, Discovery, FetchPage


def _select_text(soup: BeautifulSoup | Tag, selector: str | None) -> str:
    if not selector:
        return ""
    element = soup.select_one(selector)
    return element_text(element) if element is not None else ""


class HtmlPagesStrategy:
    """Listing pages (with a "next" link) and article pages, both plain HTML."""

    def discover(
        self, source: Source, site: Site, base_url: str, section: Section, fetch: FetchPage
    ) -> Discovery:
        url: str | None = urljoin(base_url + "/", section.path.lstrip("/"))
        host = urlsplit(base_url).hostname
        links: list[ArticleLink] = []
        seen_pages: set[str] = set()
        seen_links: set[str] = set()
        pages = 0
        try:
            while url and url not in seen_pages and pages < site.max_pages:
                seen_pages.add(url)
                page = fetch(url)
                pages += 1
                soup = parse_html(page.text)
                items = soup.select(site.listing.items)
                if not items and pages == 1:
                    raise ScrapeError(
                        page.url, f"listing has no items matching '{site.listing.items}'"
                    )
                for item in items:
                    anchor = item.select_one(site.listing.link)
                    href = anchor.get("href") if anchor is not None else None
                    if not href or not isinstance(href, str):
                        continue
                    article_url = urljoin(page.url, href.strip())
                    if urlsplit(article_url).hostname != host or article_url in seen_links:
                        continue  # external links and repeats are not this section's articles
                    seen_links.add(article_url)
                    links.append(
                        ArticleLink(
                            url=article_url,
                            site=site,
                            section=section,
                            listed_date=self._date(site, section, _select_text(
                                item, site.listing.date)),
                            listed_title=element_text(anchor) or None,
                        )
                    )
                url = self._next_page(soup, site, page.url)
        except Exception as exc:  # noqa: BLE001 - reported with what was found so far
            return Discovery(links, pages, exc)
        return Discovery(links, pages)

    @staticmethod
    def _next_page(soup: BeautifulSoup, site: Site, current: str) -> str | None:
        if not site.listing.next:
            return None
        anchor = soup.select_one(site.listing.next)
        href = anchor.get("href") if anchor is not None else None
        return urljoin(current, href.strip()) if isinstance(href, str) and href.strip() else None

    @staticmethod
    def _date(site: Site, section: Section, text: str) -> date | None:
        formats = site.date_formats.get(section.language, ())
        return parse_date(text, formats, section.language) if text else None

    def parse_article(
        self, source: Source, link: ArticleLink, page: FetchedPage, fetched_at: datetime
    ) -> Communique:
        rules = link.site.article
        soup = parse_html(page.text)
        title_element = soup.select_one(rules.title)
        title = element_text(title_element) if title_element is not None else ""
        if not title:
            raise ScrapeError(page.url, f"no title matching '{rules.title}'")
        containers = [el for selector in rules.body for el in soup.select(selector)]
        if not containers:
            raise ScrapeError(page.url, f"no body matching {list(rules.body)}")
        for container in containers:
            for selector in rules.remove:
                for junk in container.select(selector):
                    junk.decompose()
        body_paragraphs = [
            text
            for text in strip_boilerplate(paragraphs(containers), rules.boilerplate)
            if text != title  # a title repeated inside the body is noise
        ]
        if not body_paragraphs:
            raise ScrapeError(page.url, "article body is empty")
        published = self._date(link.site, link.section, _select_text(soup, rules.date))
        url = canonical_url(page.url, source.host_aliases)
        return Communique(
            id=communique_id(url),
            url=url,
            source_id=source.id,
            ministry_country=source.country,
            language=link.section.language,
            title=title,
            published=published or link.listed_date,
            body="\n\n".join(body_paragraphs),
            doc_type=link.section.doc_type,
            fetched_at=fetched_at,
        )

