"""Scrapers: fetch ministry pages and turn them into `Communique` records.

They know HTML, feeds and site APIs; they know nothing of Whoosh or Flask.
"""
