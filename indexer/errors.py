"""Exceptions of the archive, index and search layers."""

from __future__ import annotations


class IndexingError(Exception):
    """Building or updating the index failed; the previous index stays in use."""


class WriterBusy(IndexingError):
    """Another crawl/index run holds the writer lock."""


class WriterOrphaned(IndexingError):
    """A rebuild's writer process found its parent dead: it stops without committing."""


class QueryError(ValueError):
    """A search request could not be understood: bad syntax or bad parameters."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class ParameterError(QueryError):
    """One URL parameter (or CLI option) has a value outside the form it accepts."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class SearchTimeout(Exception):
    """A search ran past the time limit and was stopped."""


class NotFound(LookupError):
    """No communiqué with that id."""


class CurationError(ValueError):
    """A curator's decision on an official cannot be applied (unknown name, a curated
    person where a found one is expected, ...)."""
