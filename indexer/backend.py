"""The search backend's interface: what the web app and the CLI may ask of a search
engine, and the plain values it answers with.

No Whoosh type crosses this interface, so another engine (OpenSearch, tantivy) can take
the index's place without touching a view or a command: `indexer.search.SearchService`
is today's implementation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from indexer.archive import VersionInfo
from indexer.request import MAX_PAGE, SearchRequest
from scrapers.record import Communique


@dataclass(frozen=True)
class SearchHit:
    id: str
    url: str
    title: str
    published: date | None
    source_id: str
    ministry_country: str
    language: str
    doc_type: str
    officials: tuple[str, ...]
    countries: tuple[str, ...]
    snippet_html: str  # escaped text with <mark> around matched words
    more_matches: int  # matches in the body beyond those the snippet shows
    score: float | None
    updated: datetime | None = None  # when the archive took this version (feeds' updated)
    # Events (issue 11): the event this communiqué is a readout of ({"id", "readouts",
    # "position"}), and its other versions ({"id", "language", "url", "relation", ...}).
    event: dict | None = None
    versions: tuple[dict, ...] = ()


@dataclass(frozen=True)
class FacetValue:
    value: str  # what goes in the URL
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]  # selected values first, then by count
    more: bool  # values beyond facet_size exist


@dataclass(frozen=True)
class HistogramBar:
    key: str  # "2018" or "2018-07"
    start: date
    end: date
    count: int


@dataclass(frozen=True)
class SearchResults:
    request: SearchRequest
    total: int
    hits: list[SearchHit]
    facets: list[Facet] = field(default_factory=list)
    histogram: list[HistogramBar] = field(default_factory=list)
    histogram_interval: str = "year"
    next_cursor: str | None = None
    # Events (issue 11): communiqués the total leaves out, being versions of a text counted
    # once (0 when versions are not collapsed).
    collapsed: int = 0

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.request.page_size))

    @property
    def has_next(self) -> bool:
        return self.request.page < min(self.page_count, MAX_PAGE)


@dataclass(frozen=True)
class Document:
    """A communiqué with its archive history, for the document page."""

    record: Communique
    versions: list[VersionInfo]


@runtime_checkable
class SearchBackend(Protocol):
    """What a search engine behind the app provides."""

    def search(self, request: SearchRequest) -> SearchResults:
        """One page of results with facets and histogram; QueryError for bad input,
        SearchTimeout past the time limit."""
        ...

    def did_you_mean(self, request: SearchRequest) -> list[str]:
        """Corrected queries for a search that found nothing or little (its misspelt
        words, names in another spelling), best first."""
        ...

    def value_counts(self, facet: str) -> dict[str, int]:
        """Every value of a facet over everything searchable, with its count (texts)."""
        ...

    def iter_hits(self, request: SearchRequest, batch_size: int = 500) -> Iterator[Communique]:
        """Every result of a search, in order, as records (for exports)."""
        ...

    def document(self, communique_id: str, version: int | None = None) -> Document:
        """One communiqué and its versions; NotFound if there is none."""
        ...

    def generation_tag(self) -> str:
        """Changes whenever the searchable data does (ETags, caches)."""
        ...

    def document_count(self) -> int:
        """How many communiqués are searchable."""
        ...
