"""Fetch strategies: code per *kind* of site (HTML pages, feeds, JSON APIs), not per site."""

from __future__ import annotations

from scrapers.strategies.base import ArticleLink, CrawlContext, Discovery, Strategy
from scrapers.strategies.feeds import FeedStrategy
from scrapers.strategies.html_pages import HtmlPagesStrategy
from scrapers.strategies.jsonapi import GovUkStrategy, WordPressStrategy

# The one registry of strategies, by the name a definition's `strategy` key gives: the
# crawl loop picks from it and loading a definition checks names (and whether a site
# needs a listing) against it. A new kind of site is one entry here.
STRATEGIES: dict[str, Strategy] = {
    "html": HtmlPagesStrategy(),
    "feed": FeedStrategy(),
    "govuk": GovUkStrategy(),
    "wordpress": WordPressStrategy(),
}

__all__ = ["STRATEGIES", "ArticleLink", "CrawlContext", "Discovery", "Strategy"]
