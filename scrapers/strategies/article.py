"""Reading an article out of HTML: by the source's selectors, or by the generic extractor.

Shared by every strategy that ends on an HTML page or an HTML fragment (feeds' full
text, WordPress content, GOV.UK bodies) and by `communiques extract`, so a saved page
is read exactly as the crawler reads it.

When a definition's selectors find no title or no body on an article page (the site
changed its template: "definition drift"), the page is read by the generic extractor
instead of being lost, the record says so (`extraction = "generic"`), and the caller
is warned so the drift is reported for the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from bs4 import BeautifulSoup, Tag

from scrapers.dates import parse_date
from scrapers.doctypes import normalise_doc_type
from scrapers.errors import ScrapeError
from scrapers.extract import extract_article
from scrapers.htmltext import (
    collapse_whitespace,
    element_text,
    paragraphs,
    parse_html,
    strip_boilerplate,
)
from scrapers.language import detect_language
from scrapers.record import Communique, canonical_url, communique_id
from scrapers.sources import (
    ArticleRules,
    DefinitionMatch,
    Section,
    Site,
    Source,
    match_site_section,
    sites_for_url,
)
from scrapers.strategies.base import ArticleLink

# Called with (url, message) when a page had to be read by the generic extractor.
DriftWarning = Callable[[str, str], None]

# Never part of a communiqué's text, whatever the definition says: page navigation,
# widgets' controls and photo captions inside the body's container.
ALWAYS_REMOVED = ("nav", "[role=navigation]", "button", "select", "figcaption")

# Fewer words than this from the generic extractor, on a page whose selectors failed, is
# a menu or an error page's sentence, not an article: the page is an error, not drift.
MIN_FALLBACK_WORDS = 12

# What sites put between a headline and their own name in <title>.
_TITLE_SEPARATORS = re.compile(r"\s+[-–—|:»«·•]+\s+|\s*_\s*|\s+::\s+")


def _one_value(soup: BeautifulSoup | Tag, selector: str) -> str:
    attribute = None
    if "@" in selector:
        selector, attribute = selector.rsplit("@", 1)
    element = soup.select_one(selector)
    if element is None:
        return ""
    if attribute:
        value = element.get(attribute)
        return collapse_whitespace(str(value)) if value else ""
    return element_text(element)


def _as_selectors(selectors: Iterable[str] | str | None) -> tuple[str, ...]:
    if not selectors:
        return ()
    return (selectors,) if isinstance(selectors, str) else tuple(selectors)


def select_value(soup: BeautifulSoup | Tag, selectors: Iterable[str] | str | None) -> str:
    """Text of the first match of the first selector that finds any; "selector@attr" gives
    an attribute's value."""
    for selector in _as_selectors(selectors):
        value = _one_value(soup, selector)
        if value:
            return value
    return ""


def select_first(soup: BeautifulSoup | Tag, selectors: Iterable[str] | str | None) -> Tag | None:
    """The first match of the first selector that finds any."""
    for selector in _as_selectors(selectors):
        element = soup.select_one(selector)
        if element is not None:
            return element
    return None


def select_all(soup: BeautifulSoup | Tag, selectors: Iterable[str] | str | None) -> list[Tag]:
    """The matches of the first selector that finds any."""
    for selector in _as_selectors(selectors):
        found = soup.select(selector)
        if found:
            return found
    return []


def _date_attempts(site: Site, language: str) -> list[tuple[str, tuple[str, ...]]]:
    if language == "auto":  # the page's language is not known yet: any of the site's
        return list(site.date_formats.items())
    formats = site.date_formats.get(language) or site.date_formats.get(language.split("-")[0])
    return [(language, formats or next(iter(site.date_formats.values()), ()))]


def parse_site_date(site: Site, language: str, text: str) -> date | None:
    """A date written in one of the site's formats for `language` ("auto": any)."""
    if not text:
        return None
    for lang, formats in _date_attempts(site, language):
        found = parse_date(text, formats, lang)
        if found is not None:
            return found
    return None


def select_date(soup: BeautifulSoup | Tag, selectors: Iterable[str] | str | None, site: Site,
                language: str) -> date | None:
    """The date of the first selector whose match reads as a date in the site's formats.

    Never a default: a page whose selectors find no date has none.
    """
    for selector in _as_selectors(selectors):
        found = parse_site_date(site, language, _one_value(soup, selector))
        if found is not None:
            return found
    return None


@lru_cache(maxsize=128)
def _patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def same_text(a: str, b: str) -> bool:
    """Two lines that say the same (case, spacing and closing punctuation aside)."""
    def key(text: str) -> str:
        return collapse_whitespace(text).casefold().rstrip(" .:")
    return bool(a) and key(a) == key(b)


def strip_site_name(title: str, source: Source | None) -> str:
    """The headline without the site's name that <title> adds ("... - Ministry of ...").

    A "title" that is only the site's name is no title at all.
    """
    if not title or source is None:
        return title
    names = {collapse_whitespace(n).casefold()
             for n in (*source.site_names, source.name, source.short_name) if n}

    def is_name(text: str) -> bool:
        return collapse_whitespace(text).casefold() in names

    if is_name(title):
        return ""
    while True:
        separators = list(_TITLE_SEPARATORS.finditer(title))
        if not separators:
            break
        last, first = separators[-1], separators[0]
        if is_name(title[last.end():]) and title[:last.start()].strip():
            title = title[:last.start()]
        elif is_name(title[:first.start()]) and title[first.end():].strip():
            title = title[first.end():]
        else:
            break
    return collapse_whitespace(title)


def clean_paragraphs(containers: list[Tag], rules: ArticleRules | None, title: str) -> list[str]:
    """Paragraphs of the containers with the source's boilerplate removed."""
    removals = ALWAYS_REMOVED + (rules.remove if rules is not None else ())
    for container in containers:
        for selector in removals:
            for junk in container.select(selector):
                junk.decompose()
    return apply_text_rules(paragraphs(containers), rules, title)


def apply_text_rules(texts: list[str], rules: ArticleRules | None, title: str) -> list[str]:
    """The paragraphs as the definition says: its boilerplate and patterns out, nothing
    after an end marker, and never the headline repeated. Also applied to the generic
    extractor's reading of a drifted page, so its text ends where the definition's would."""
    if rules is None:
        return [t for t in texts if not same_text(t, title)]
    texts = strip_boilerplate(texts, rules.boilerplate)
    patterns = _patterns(rules.boilerplate_patterns)
    kept: list[str] = []
    for text in texts:
        if text in rules.stop_at:
            break  # an end marker ("###"): what follows is not the article
        if same_text(text, title) or any(p.search(text) for p in patterns):
            continue  # the headline repeated in the body, or the site's boilerplate
        kept.append(text)
    return kept


def _outermost(elements: list[Tag]) -> list[Tag]:
    """The elements not inside another one of them (a group selector can match both)."""
    chosen = {id(element) for element in elements}
    return [e for e in elements if not any(id(parent) in chosen for parent in e.parents)]


def read_body(soup: BeautifulSoup, rules: ArticleRules, title: str) -> list[str]:
    """The paragraphs of the first body selector that gives any text."""
    for selector in rules.body:
        containers = _outermost(soup.select(selector))
        if containers:
            texts = clean_paragraphs(containers, rules, title)
            if texts:
                return texts
    return []


def fragment_paragraphs(fragment_html: str, rules: ArticleRules | None, title: str) -> list[str]:
    """Paragraphs of an HTML fragment (a feed's or an API's article body)."""
    soup = parse_html(f"<div>{fragment_html}</div>")
    container = soup.body or soup
    return clean_paragraphs([container], rules, title)


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
    extraction: str = "definition"


def build_record(
    source: Source, link: ArticleLink, parts: ArticleParts, fetched_at: datetime
) -> Communique:
    """The record, with the listing's knowledge filling what the page did not say.

    The listing's date is the site's own date for the article; nothing else stands in for
    a missing one (never the fetch date): an undated page gives an undated record.
    """
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
        extraction=parts.extraction,
    )


def _missing(rules: ArticleRules, title: str) -> str:
    if not title:
        return f"no title matching {list(rules.title)}"
    return f"no body matching {list(rules.body)}"


def parse_html_article(
    source: Source, link: ArticleLink, html: str, url: str, fetched_at: datetime,
    warn: DriftWarning | None = None,
) -> Communique:
    """An article page read with the site's selectors, or the generic extractor without them.

    When the selectors find no title or no body, the generic extractor reads the page and
    `warn(url, message)` reports the drift; what the selectors did find (title, date, type,
    speaker, number) is kept. A page neither can read is a ScrapeError.
    """
    rules = link.site.article
    if rules is None:
        extracted = extract_article(html, url, source.languages)
        parts = ArticleParts(
            url=url,
            title=strip_site_name(extracted.title or link.listed_title or "", source),
            paragraphs=extracted.paragraphs,
            published=extracted.published,
            extraction="generic",
        )
        return build_record(source, link, parts, fetched_at)
    soup = parse_html(html)
    for selector in rules.exclude:  # related lists, sidebars: nothing is read from them
        for region in soup.select(selector):
            region.decompose()
    title = strip_site_name(select_value(soup, rules.title), source)
    fields: dict[str, Any] = {
        "raw_doc_type": select_value(soup, rules.doc_type) or None,
        "speaker": select_value(soup, rules.speaker) or None,
        "document_number": select_value(soup, rules.document_number) or None,
        "published": select_date(soup, rules.date, link.site, link.section.language),
    }
    body = read_body(soup, rules, title) if title else []
    if title and body:
        return build_record(source, link, ArticleParts(url, title, body, **fields), fetched_at)

    problem = _missing(rules, title)
    extracted = extract_article(html, url, source.languages)
    title = (title or strip_site_name(extracted.title or "", source)
             or strip_site_name(link.listed_title or "", source))
    texts = apply_text_rules(extracted.paragraphs, rules, title)
    if not title or len(" ".join(texts).split()) < MIN_FALLBACK_WORDS:
        raise ScrapeError(url, f"{problem}, and the generic extractor found no article")
    # The site's own dates (its date selector, then its listing) before the extractor's.
    fields["published"] = fields["published"] or link.listed_date or extracted.published
    record = build_record(source, link, ArticleParts(
        url, title, texts, extraction="generic", **fields), fetched_at)
    if warn is not None:
        warn(url, f"definition drift: {problem}; read by the generic extractor")
    return record


def read_generic_page(html: str, url: str, fetched_at: datetime,
                      languages: tuple[str, ...] = ()) -> Communique:
    """A page of no known source, read by the generic extractor alone (`communiques
    extract`): no source, no ministry, the type left at "news"."""
    extracted = extract_article(html, url, languages)
    if not extracted.title or not extracted.paragraphs:
        raise ScrapeError(url, "the generic extractor found no article")
    canonical = canonical_url(url)
    body = "\n\n".join(p for p in extracted.paragraphs if not same_text(p, extracted.title))
    return Communique(
        id=communique_id(canonical),
        url=canonical,
        source_id="",
        ministry_country="",
        language=extracted.language or detect_language(extracted.title + "\n" + body, ()),
        title=extracted.title,
        published=extracted.published,
        body=body,
        doc_type="news",
        fetched_at=fetched_at,
        extraction="generic",
    )


def _definition_reads(source: Source, site: Site, html: str) -> bool:
    rules = site.article
    if rules is None:
        return False
    soup = parse_html(html)
    for selector in rules.exclude:
        for region in soup.select(selector):
            region.decompose()
    title = strip_site_name(select_value(soup, rules.title), source)
    return bool(title and read_body(soup, rules, title))


def read_page_as(
    source: Source, html: str, url: str, fetched_at: datetime, *,
    match: DefinitionMatch | None = None, warn: DriftWarning | None = None,
) -> Communique:
    """A page read with `source`'s definition as the crawler reads an article at `url`.

    `match` is the site and section the URL belongs to (`scrapers.sources.match_url`).
    When several sites serve the URL's host (a generation's pages once lived on the
    current host), the first whose selectors read the page; without a match (a copy
    saved under another address), the first of all the source's sites that reads it.
    Failing that, the matched (or first) site, whose drift is then reported.
    """
    if match is None or len(sites_for_url(source, url)) > 1:
        candidates = sites_for_url(source, url) if match is not None else list(source.sites)
        fallback = match.site if match is not None else next(
            (s for s in source.sites if s.article is not None), source.sites[0])
        site = next((s for s in candidates if _definition_reads(source, s, html)), fallback)
        match = match_site_section(source, site, url)
    link = ArticleLink(url=url, site=match.site, section=match.section)
    record = parse_html_article(source, link, html, url, fetched_at, warn)
    rules = match.site.article
    if record.published is None and record.extraction == "definition" and rules is not None:
        # The crawler would date it by its listing; a page alone has only itself. The date
        # selectors found none: the date the page shows, as the generic extractor reads it
        # (the article's own, never an invented one), said as the date selectors' drift.
        # The crawl does not do this: its breakage check counts undated records.
        shown = extract_article(html, url, source.languages).published
        if shown is not None:
            if warn is not None and rules.date:  # (without date selectors, no drift)
                warn(url, f"definition drift: no date matching {list(rules.date)}; the date"
                          " is the generic extractor's")
            record = replace(record, published=shown)
    return record
