"""What a page says about itself in machine-readable form: titles and publication dates.

JSON-LD (`datePublished` of the article, also inside `@graph`), Open Graph and
`article:` properties, Dublin Core, and the page `<title>`. Only the publication
date is read: a modification date (`dateModified`, `article:modified_time`,
`og:updated_time`) is not when the article was published.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from lxml import html as lxml_html

from scrapers.dates import parse_structured_date

# JSON-LD types whose datePublished is the page's own (WebPage last: it can describe a
# listing page that embeds an article, but on an article page it is the article).
ARTICLE_TYPES = (
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "blogposting", "report", "pressrelease",
    "scholarlyarticle", "socialmediaposting", "liveblogposting", "techarticle",
)
PAGE_TYPES = ("webpage", "itempage", "collectionpage", "aboutpage")

# <meta> names and properties that carry the publication date, most specific first.
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "article:published",
    "og:published_time", "datepublished", "dc.date.issued", "dcterms.issued",
    "dc.date.created", "dcterms.created", "dc.date", "dcterms.date", "citation_publication_date",
    "citation_date", "publishdate", "publish-date", "publish_date", "pubdate", "publication_date",
    "parsely-pub-date", "sailthru.date", "originalpublicationdate", "article.published", "date",
)
TITLE_META = ("og:title", "twitter:title", "articletitle", "dc.title", "dcterms.title",
              "title", "headline")
SITE_META = ("og:site_name", "application-name", "sitename", "twitter:site")


@dataclass
class PageMeta:
    """Titles and dates a page declares outside its visible text."""
    title: str | None = None              # the <title>
    titles: list[str] = field(default_factory=list)  # og:title, JSON-LD headline, ...
    site_names: list[str] = field(default_factory=list)
    published: date | None = None
    published_from: str | None = None     # which declaration gave it
    published_value: str | None = None    # as declared ("2024-03-05T09:00:00Z")


def _content(element: lxml_html.HtmlElement) -> str:
    return " ".join((element.get("content") or "").split())


def _json_objects(root: lxml_html.HtmlElement) -> Iterator[dict]:
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = (script.text or "").strip()
        text = re.sub(r"^\s*(<!--|//\s*<!\[CDATA\[)|(-->|//\s*\]\]>)\s*$", "", text)
        try:
            data = json.loads(text)
        except ValueError:
            continue
        yield from _walk(data)


def _walk(data: object) -> Iterator[dict]:
    """Every object of a JSON-LD document that describes this page: the top-level ones,
    those of an @graph and the main entity, never the items, parts or links it lists."""
    if isinstance(data, list):
        for item in data:
            yield from _walk(item)
    elif isinstance(data, dict):
        yield data
        for key, value in data.items():
            if key.lower().lstrip("@") in {"graph", "mainentity"}:
                yield from _walk(value)


def _types(obj: dict) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(v).lower().rsplit("/", 1)[-1] for v in values if v}


def _text_value(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or ""
    return " ".join(str(value or "").split())


def read_page_meta(root: lxml_html.HtmlElement) -> PageMeta:
    """Titles, site names and the declared publication date of a parsed page."""
    meta = PageMeta()
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        meta.title = " ".join(title.text_content().split())

    declared: dict[str, str] = {}
    # <meta> of the head only: one in the body is microdata of some item on the page, maybe
    # a related one (the extractor reads those with their item's scope in mind)
    head = root.find("head")
    for element in (head.iter("meta") if head is not None else ()):
        key = (element.get("property") or element.get("name") or element.get("itemprop")
               or "").strip().lower()
        value = _content(element)
        if key and value and key not in declared:
            declared[key] = value
    meta.titles = [declared[key] for key in TITLE_META if declared.get(key)]
    meta.site_names = [declared[key] for key in SITE_META if declared.get(key)]

    articles, pages = [], []
    for obj in _json_objects(root):
        types = _types(obj)
        if types & set(ARTICLE_TYPES):
            articles.append(obj)
        elif types & set(PAGE_TYPES):
            pages.append(obj)
        elif types & {"organization", "website", "newsmediaorganization", "governmentorganization"}:
            name = _text_value(obj.get("name"))
            if name:
                meta.site_names.append(name)
    for obj in articles:
        headline = _text_value(obj.get("headline") or obj.get("name"))
        if headline:
            meta.titles.append(headline)
    for obj, origin in [*((a, "json-ld") for a in articles), *((p, "json-ld") for p in pages)]:
        raw = _text_value(obj.get("datePublished"))
        when = parse_structured_date(raw)
        if when is not None:
            meta.published, meta.published_from, meta.published_value = when, origin, raw
            return meta
    for key in PUBLISHED_META:
        if key in declared:
            when = parse_structured_date(declared[key])
            if when is not None:
                meta.published, meta.published_from = when, f"meta {key}"
                meta.published_value = declared[key]
                return meta
    return meta
