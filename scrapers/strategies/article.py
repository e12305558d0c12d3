"""Reading an article out of HTML: by the source's selectors, or by the generic extractor.

Shared by every strategy that ends on an HTML page or an HTML fragment
(feeds' full text, WordPress content, GOV.UK bodies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from bs4 import BeautifulSoup, Tag

from scrapers.dates import parse_date
from scrapers.doctypes import normalise_doc_type
from scrapers.errors import ScrapeError
from scrapers.extract import extract_article
from scrapers.htmltext import element_text, paragraphs, parse_html, strip_boilerplate
from scrapers.language import detect_language
from scrapers.record import Communique, canonical_url, communique_id
from scrapers.sources import ArticleRules, Section, Site, Source
from scrapers.strategies.base import ArticleLink


def select_value(soup: BeautifulSoup | Tag, selector: str | None) -> str:
    """Text of the first match of a selector; "selector@attr" gives an attribute's value."""
    if not selector:
        return ""
    attribute = None
    if "@" in selector:
        selector, attribute = selector.rsplit("@", 1)
    element = soup.select_one(selector)
    if element is None:
        return ""
    if attribute:
        value = element.get(attribute)
        return " ".join(str(value).split()) if value else ""
    return element_text(element)


@lru_cache(maxsize=128)
def _patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def clean_paragraphs(containers: list[Tag], rules: ArticleRules | None, title: str) -> list[str]:
    """Paragraphs of the containers with the source's boilerplate removed."""
    if rules is not None:
        for container in containers:
            for selector in rules.remove:
                for junk in container.select(selector):
                    junk.decompose()
    texts = paragraphs(containers)
    if rules is None:
        return [t for t in texts if t != title]
    texts = strip_boilerplate(texts, rules.boilerplate)
    patterns = _patterns(rules.boilerplate_patterns)
    kept: list[str] = []
    for text in texts:
        if text in rules.stop_at:
            break  # an end marker ("###"): what follows is not the article
        if text == title or any(p.search(text) for p in patterns):
            continue
        kept.append(text)
    return kept


def fragment_paragraphs(fragment_html: str, rules: ArticleRules | None, title: str) -> list[str]:
    """Paragraphs of an HTML fragment (a feed's or an API's article body)."""
    soup = parse_html(f"<div>{fragment_html}</div>")
    container = soup.body or soup
    return clean_paragraphs([container], rules, title)


def parse_site_date(site: Site, language: str, text: str) -> date | None:
    if not text:
        return None
    formats = site.date_formats.get(language) or site.date_formats.get(language.split("-")[0])
    formats = formats or next(iter(site.date_formats.values()), ())
    return parse_date(text, formats, language if language != "auto" else "en")


def resolve_language(source: Source, section: Section, text: str) -> str:
    if section.language != "auto":
        return section.language
    return detect_language(text, source.languages)


@dataclass(frozen=True)
class ArticleParts:
    """What a strategy found of an article, before it becomes a record."""

    url: str
    title: str
    paragraphs: list[str]
    published: date | None = None
    raw_doc_type: str | None = None
    speaker: str | None = None
    document_number: str | None = None
    officials: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


def build_record(
    source: Source, link: ArticleLink, parts: ArticleParts, fetched_at: datetime
) -> Communique:
    """The record, with the listing's knowledge filling what the page did not say."""
    if not parts.title:
        raise ScrapeError(parts.url, "article has no title")
    if not parts.paragraphs:
        raise ScrapeError(parts.url, "article body is empty")
    url = canonical_url(parts.url, source.host_aliases)
    body = "\n\n".join(parts.paragraphs)
    raw_type = parts.raw_doc_type or link.listed_doc_type
    return Communique(
        id=communique_id(url),
        url=url,
        source_id=source.id,
        ministry_country=source.country,
        language=resolve_language(source, link.section, parts.title + "\n" + body),
        title=parts.title,
        published=parts.published or link.listed_date,
        body=body,
        doc_type=normalise_doc_type(raw_type, source.doc_types, link.section.doc_type),
        fetched_at=fetched_at,
        officials=parts.officials,
        countries=parts.countries,
        document_number=parts.document_number or None,
        speaker=parts.speaker or link.listed_speaker or None,
    )


def parse_html_article(
    source: Source, link: ArticleLink, html: str, url: str, fetched_at: datetime
) -> Communique:
    """An article page read with the site's selectors, or the generic extractor without them."""
    rules = link.site.article
    if rules is None:
        extracted = extract_article(html, url, source.languages)
        parts = ArticleParts(
            url=url,
            title=extracted.title or link.listed_title or "",
            paragraphs=extracted.paragraphs,
            published=extracted.published,
        )
        return build_record(source, link, parts, fetched_at)
    soup = parse_html(html)
    title = select_value(soup, rules.title) or ""
    if not title:
        raise ScrapeError(url, f"no title matching '{rules.title}'")
    containers = [el for selector in rules.body for el in soup.select(selector)]
    if not containers:
        raise ScrapeError(url, f"no body matching {list(rules.body)}")
    language = link.section.language
    metadata = {
        "raw_doc_type": select_value(soup, rules.doc_type) or None,
        "speaker": select_value(soup, rules.speaker) or None,
        "document_number": select_value(soup, rules.document_number) or None,
        "published": parse_site_date(link.site, language, select_value(soup, rules.date)),
    }
    parts = ArticleParts(url=url, title=title,
                         paragraphs=clean_paragraphs(containers, rules, title), **metadata)
    return build_record(source, link, parts, fetched_at)
