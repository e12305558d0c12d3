"""Recognising pages a site serves instead of content: blocks, challenges, outages.

Such a page often comes with HTTP 200. Read as a listing it would look like
"no news"; read as an article it would put an error message in the archive.
"""

from __future__ import annotations

from bs4 import BeautifulSoup

from scrapers.htmltext import element_text

# Phrases seen on real block / challenge / outage pages (SOURCES.md).
COMMON_MARKERS: tuple[str, ...] = (
    "Technical Difficulties",
    "Data processing... Please, wait",
    "Please, wait",
    "Access Denied",
    "Request unsuccessful",
    "Checking your browser",
    "Attention Required",
    "captcha",
    "The requested URL was rejected",
)
# Only short pages are judged by their whole text; a real article may quote these words.
_SHORT_PAGE_CHARS = 1500


def gone_reason(soup: BeautifulSoup, markers: tuple[str, ...]) -> str | None:
    """Whether this is the site's own "page does not exist" page (served with HTTP 200,
    often after a redirect): which of `markers` it shows, or None."""
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    body = soup.body or soup
    text = element_text(body) if markers else ""
    for marker in markers:
        if marker.lower() in title.lower() or (
                len(text) <= _SHORT_PAGE_CHARS and marker.lower() in text.lower()):
            return marker
    return None


def block_reason(soup: BeautifulSoup, extra_markers: tuple[str, ...] = ()) -> str | None:
    """Why this page looks like a block page, or None if it looks like content."""
    markers = COMMON_MARKERS + extra_markers
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for marker in markers:
        if marker.lower() in title.lower():
            return f"block page (title says '{title}')"
    body = soup.body or soup
    text = element_text(body)
    if len(text) <= _SHORT_PAGE_CHARS:
        lowered = text.lower()
        for marker in markers:
            if marker.lower() in lowered:
                return f"block page ('{marker}')"
    return None
