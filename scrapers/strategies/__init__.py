"""Fetch strategies: code per *kind* of site (HTML pages, feeds, JSON APIs), not per site."""

from __future__ import annotations

from scrapers.strategies.base import ArticleLink, CrawlContext, Discovery, Strategy
from scrapers.strategies.feeds import FeedStrategy
from scrapers.strategies.html_pages import HtmlPagesStrategy
from scrapers.strategies.jsonapi import GovUkStrategy, WordPressStrategy

STRATEGIES: dict[str, Strategy] = {
    "html": HtmlPagesStrategy(),
    "feed": FeedStrategy(),
    "govuk": GovUkStrategy(),
    "wordpress": WordPressStrategy(),
}

__all__ = ["STRATEGIES", "ArticleLink", "CrawlContext", "Discovery", "Strategy"]
