"""Site APIs that answer JSON: GOV.UK's search + content API, and WordPress REST."""

from __future__ import annotations

import html
import json
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapers.blockpages import block_reason
from scrapers.errors import BlockPageError, HttpStatusError, ScrapeError
from scrapers.fetch import FetchedPage
from scrapers.htmltext import collapse_whitespace, parse_html
from scrapers.record import Communique
from scrapers.sources import Section, Site
from scrapers.strategies.article import ArticleParts, build_record, fragment_paragraphs
from scrapers.strategies.base import ArticleLink, CrawlContext, Discovery
from scrapers.strategies.html_pages import section_url


def load_json(page: FetchedPage) -> Any:
    """The page's JSON, or a clear error when the site answered with something else."""
    try:
        return json.loads(page.text)
    except ValueError:
        soup = parse_html(page.text)
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        reason = block_reason(soup) or (
            f"an HTML page ('{title}') instead of JSON" if soup.find("html") else
            "a response that is not JSON")
        raise BlockPageError(page.url, reason) from None


def with_params(url: str, **params: object) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def iso_date(value: object) -> date | None:
    """The calendar date of an ISO timestamp as the publisher wrote it."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _titles(items: object) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(str(i["title"]) for i in items if isinstance(i, dict) and i.get("title"))


class GovUkStrategy:
    """GOV.UK: the search API lists documents, the content API gives each one, tagged."""

    needs_listing = False

    def discover(self, ctx: CrawlContext, site: Site, section: Section) -> Discovery:
        search = section_url(ctx, site, section)
        base = ctx.base_url(site)
        links: list[ArticleLink] = []
        pages = 0
        start = 0
        try:
            while pages < site.max_pages:
                data = load_json(ctx.fetch(with_params(search, start=start)))
                pages += 1
                results = data.get("results") if isinstance(data, dict) else None
                if not isinstance(results, list):
                    raise ScrapeError(search, "search API answer has no 'results'")
                if not results and pages == 1:
                    raise ScrapeError(search, "search API found no documents")
                first_link = len(links)
                for result in results:
                    path = result.get("link") if isinstance(result, dict) else None
                    if not isinstance(path, str) or not path.startswith("/"):
                        continue
                    links.append(ArticleLink(
                        url=urljoin(base + "/", path.lstrip("/")),
                        site=site,
                        section=section,
                        listed_date=iso_date(result.get("public_timestamp")),
                        listed_title=result.get("title"),
                        listed_doc_type=result.get("content_store_document_type"),
                        fetch_url=urljoin(base + "/", "api/content" + path),
                    ))
                start += len(results)
                total = data.get("total")
                if not results or (isinstance(total, int) and start >= total):
                    break
                if ctx.stop_paging(links[first_link:]):
                    break  # every document of this page is archived: no news further on
        except Exception as exc:  # noqa: BLE001 - reported with what was found so far
            return Discovery(links, pages, exc)
        return Discovery(links, pages)

    def parse_article(
        self, ctx: CrawlContext, link: ArticleLink, page: FetchedPage | None,
        fetched_at: datetime,
    ) -> Communique:
        assert page is not None
        data = load_json(page)
        if not isinstance(data, dict):
            raise ScrapeError(page.url, "content API answer is not an object")
        title = collapse_whitespace(str(data.get("title") or ""))
        details = data.get("details")
        if not isinstance(details, dict):
            details = {}
        body_html = details.get("body")
        if not isinstance(body_html, str):
            body_html = ""
        tags = data.get("links")
        if not isinstance(tags, dict):
            tags = {}
        officials: list[str] = []
        for appointment in tags.get("role_appointments") or ():
            people = (appointment.get("links") or {}).get("person") if isinstance(
                appointment, dict) else None
            officials += _titles(people)
        if not officials:
            officials = list(_titles(tags.get("people")))
        parts = ArticleParts(
            url=link.url,
            title=title,
            paragraphs=fragment_paragraphs(body_html, link.site.article, title),
            published=iso_date(data.get("first_published_at")),
            raw_doc_type=data.get("document_type"),
            officials=tuple(dict.fromkeys(officials)),
            countries=_titles(tags.get("world_locations")),
        )
        return build_record(ctx.source, link, parts, fetched_at)


class WordPressStrategy:
    """WordPress REST (/wp-json/wp/v2/...): posts with their full HTML, paged."""

    needs_listing = False

    def discover(self, ctx: CrawlContext, site: Site, section: Section) -> Discovery:
        endpoint = section_url(ctx, site, section)
        links: list[ArticleLink] = []
        pages = 0
        try:
            while pages < site.max_pages:
                try:
                    page = ctx.fetch(with_params(endpoint, page=pages + 1))
                except HttpStatusError as exc:
                    if pages and exc.status == 400:
                        break  # WordPress answers 400 past the last page
                    raise
                posts = load_json(page)
                pages += 1
                if not isinstance(posts, list):
                    raise ScrapeError(page.url, "WordPress answer is not a list of posts")
                if not posts:
                    if pages == 1:
                        raise ScrapeError(page.url, "WordPress API returned no posts")
                    break
                first_link = len(links)
                for post in posts:
                    link = post.get("link") if isinstance(post, dict) else None
                    if not isinstance(link, str):
                        continue
                    title = html.unescape(collapse_whitespace(parse_html(
                        str((post.get("title") or {}).get("rendered", ""))).get_text(" ")))
                    links.append(ArticleLink(
                        url=ctx.localize(link),
                        site=site,
                        section=section,
                        listed_date=iso_date(post.get("date")),
                        listed_title=title or None,
                        payload={"title": title,
                                 "html": str((post.get("content") or {}).get("rendered", ""))},
                    ))
                total_pages = page.headers.get("X-WP-TotalPages")
                if total_pages and total_pages.isdigit() and pages >= int(total_pages):
                    break
                if ctx.stop_paging(links[first_link:]):
                    break  # every post of this page is archived: no news further on
        except Exception as exc:  # noqa: BLE001 - reported with what was found so far
            return Discovery(links, pages, exc)
        return Discovery(links, pages)

    def parse_article(
        self, ctx: CrawlContext, link: ArticleLink, page: FetchedPage | None,
        fetched_at: datetime,
    ) -> Communique:
        assert link.payload is not None
        title = link.payload["title"]
        parts = ArticleParts(
            url=link.url,
            title=title,
            paragraphs=fragment_paragraphs(link.payload["html"], link.site.article, title),
        )
        return build_record(ctx.source, link, parts, fetched_at)
