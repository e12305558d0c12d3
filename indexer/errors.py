"""Exceptions of the archive, index and search layers."""

from __future__ import annotations


class IndexingError(Exception):
    """Building or updating the index failed; the previous index stays in use."""


class WriterBusy(IndexingError):
    """Another crawl/index run holds the writer lock."""


class QueryError(ValueError):
    """A search request could not be understood: bad syntax or bad parameters."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class SearchTimeout(Exception):
    """A search ran past the time limit and was stopped."""


class NotFound(LookupError):
    """No communiqué with that id."""
