"""The services a view may use, typed by their interfaces: views depend on what a search
backend provides (indexer.backend.SearchBackend), not on Whoosh or on today's engine."""

from __future__ import annotations

from flask import current_app

from indexer.backend import SearchBackend


def search_backend() -> SearchBackend:
    """The app's search backend (set by create_app)."""
    return current_app.extensions["search"]
