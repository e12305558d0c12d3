"""Fetch strategies: code per *kind* of site (HTML pages, feeds, JSON APIs), not per site."""

from __future__ import annotations

from scrapers.strategies.base import ArticleLink, FetchPage, Strategy
from scrapers.strategies.html_pages import HtmlPagesStrategy

STRATEGIES: dict[str, Strategy] = {
    "html": HtmlPagesStrategy(),
}

__all__ = ["STRATEGIES", "ArticleLink", "FetchPage", "Strategy"]
