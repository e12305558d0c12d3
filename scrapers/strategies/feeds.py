"""RSS and Atom feeds; the article page is fetched unless the feed carries the whole text."""

from __future__ import annotations

import email.utils
from datetime import date, datetime
from typing import Any

import feedparser

from scrapers.doctypes import normalise_doc_type
from scrapers.errors import ScrapeError
from scrapers.fetch import FetchedPage
from scrapers.htmltext import collapse_whitespace
from scrapers.record import Communique
from scrapers.sources import Section, Site
from scrapers.strategies.article import (
    ArticleParts,
    build_record,
    fragment_paragraphs,
    parse_html_article,
)
from scrapers.strategies.base import ArticleLink, CrawlContext, Discovery
from scrapers.strategies.html_pages import section_url


def entry_date(entry: Any) -> date | None:
    """The publication date as the publisher wrote it (its own time zone, not UTC)."""
    for key in ("published", "updated"):
        raw = entry.get(key)
        if not raw:
            continue
        try:
            return email.utils.parsedate_to_datetime(raw).date()
        except (TypeError, ValueError):
            pass
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
        except ValueError:
            pass
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None


def entry_html(entry: Any) -> str:
    """The fullest HTML the entry carries: content:encoded / Atom content, else the summary."""
    for content in entry.get("content") or ():
        if content.get("value"):
            return str(content["value"])
    return str(entry.get("summary") or "")


class FeedStrategy:
    """RSS 2.0 / Atom: one request finds every recent item, older ones included."""

    needs_listing = False

    def discover(self, ctx: CrawlContext, site: Site, section: Section) -> Discovery:
        url = section_url(ctx, site, section)
        try:
            page = ctx.fetch(url)
            feed = feedparser.parse(page.content)
            if not feed.entries:
                reason = "feed has no items"
                if feed.get("bozo"):
                    reason += f" ({feed.get('bozo_exception')})"
                raise ScrapeError(page.url, reason)
        except Exception as exc:  # noqa: BLE001 - reported as this section's error
            return Discovery([], 0, exc)
        links = []
        for entry in feed.entries:
            if not entry.get("link"):
                continue
            # Categories mix topics ("Russia") with document types: take the first type.
            tags = [t.get("term") for t in entry.get("tags") or ()
                    if t.get("term") and normalise_doc_type(t["term"], ctx.source.doc_types, "")]
            payload = None
            if section.full_text:
                payload = {"title": collapse_whitespace(entry.get("title", "")),
                           "html": entry_html(entry)}
            links.append(ArticleLink(
                url=ctx.localize(entry["link"]),
                site=site,
                section=section,
                listed_date=entry_date(entry),
                listed_title=collapse_whitespace(entry.get("title", "")) or None,
                listed_doc_type=tags[0] if tags else None,
                listed_speaker=collapse_whitespace(entry.get("author", "")) or None,
                payload=payload,
            ))
        return Discovery(links, 1)

    def parse_article(
        self, ctx: CrawlContext, link: ArticleLink, page: FetchedPage | None,
        fetched_at: datetime,
    ) -> Communique:
        if page is not None:
            return parse_html_article(ctx.source, link, page.text, page.url, fetched_at,
                                      ctx.warn)
        assert link.payload is not None
        title = link.payload["title"]
        parts = ArticleParts(
            url=link.url,
            title=title,
            paragraphs=fragment_paragraphs(link.payload["html"], link.site.article, title),
        )
        return build_record(ctx.source, link, parts, fetched_at)
