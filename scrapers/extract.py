"""The generic extractor: title, date, body text and language of any article page.

Trafilatura does the body (it is among the best open-source extractors on
article benchmarks, with an F1 around 0.95); we add what a communiqué
archive needs around it: paragraphs kept, the headline not repeated, the
language from the page or, when it does not say, from the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bs4 import BeautifulSoup

from scrapers.htmltext import parse_html
from scrapers.language import detect_language, dominant_script

_LIST_MARK = re.compile(r"^[-•*]\s+")
MIN_ARTICLE_WORDS = 30


@dataclass(frozen=True)
class ExtractedArticle:
    title: str | None
    published: date | None
    paragraphs: list[str] = field(default_factory=list)
    language: str | None = None

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "language": self.language,
            "body": self.body,
        }


def declared_language(soup: BeautifulSoup, text: str) -> str | None:
    """The page's own language tag (<html lang>, Content-Language), normalised.

    Serbian gets its script from the text, since "sr" alone does not say it.
    """
    tag = None
    if soup.html is not None and soup.html.get("lang"):
        tag = str(soup.html["lang"])
    else:
        meta = soup.find("meta", attrs={"http-equiv": re.compile("content-language", re.I)})
        if meta is not None and meta.get("content"):
            tag = str(meta["content"]).split(",")[0]
    if not tag or not tag.strip():
        return None
    parts = tag.strip().replace("_", "-").split("-")
    base = parts[0].lower()
    if not base.isalpha() or len(base) > 3:
        return None
    if base in {"sr", "sh"}:
        script = dominant_script(text) or "Latn"
        return f"sr-{script}" if script in {"Latn", "Cyrl"} else "sr"
    return base


def extract_article(
    html: str, url: str | None = None, languages: tuple[str, ...] = ()
) -> ExtractedArticle:
    """Extract the article from a page; `languages` are the candidates when detecting."""
    import trafilatura  # imported here: it costs 0.2 s and only some sources need it

    def run(tables: bool):  # type: ignore[no-untyped-def]
        return trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=tables,
            include_images=False, include_links=False,
        )

    # Tables off: old ministry sites lay whole pages out in tables, and trafilatura then
    # takes the menus with the article (measured: F1 0.941 with tables, 0.957 without).
    # A page whose article really is a table gets a second pass with them.
    document = run(tables=False)
    if document is None or len((document.text or "").split()) < MIN_ARTICLE_WORDS:
        with_tables = run(tables=True)
        if with_tables is not None and len((with_tables.text or "").split()) > len(
                ((document.text if document else "") or "").split()):
            document = with_tables
    soup = parse_html(html)
    if document is None:
        return ExtractedArticle(title=_page_title(soup), published=None, paragraphs=[],
                                language=declared_language(soup, ""))
    title = _headline(soup) or (document.title or _page_title(soup) or "").strip() or None
    lines = [" ".join(line.split()) for line in (document.text or "").split("\n")]
    paragraphs = [_LIST_MARK.sub("", line) for line in lines if line]
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the headline is not the body
    published = None
    if document.date:
        try:
            published = date.fromisoformat(document.date[:10])
        except ValueError:
            published = None
    text = " ".join(paragraphs)
    language = declared_language(soup, text)
    if language is None and text:
        language = detect_language(text, languages)
    return ExtractedArticle(title, published, paragraphs, language)


def _headline(soup: BeautifulSoup) -> str | None:
    """The page's one <h1>, when it has exactly one that reads like a headline.

    Site titles ("Embassy - News") often fill <title>; the article's own heading
    is the better title when the page has a single one.
    """
    headings = [h for h in soup.find_all("h1") if h.get_text(strip=True)]
    if len(headings) != 1:
        return None
    text = " ".join(headings[0].get_text(" ").split())
    return text if len(text.split()) >= 3 else None


def _page_title(soup: BeautifulSoup) -> str | None:
    heading = soup.find("h1")
    if heading is not None and heading.get_text(strip=True):
        return " ".join(heading.get_text(" ").split())
    if soup.title is not None and soup.title.string:
        return " ".join(soup.title.string.split())
    return None
