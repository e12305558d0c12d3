"""What one search asks for: the request every surface builds from its parameters,
and the named limits it is checked against (Datasette style: each has a reason)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from indexer.errors import QueryError
from indexer.facets import FACETS

# Named limits (Datasette style): each has a default and a reason.
MAX_QUERY_LENGTH = 500  # longer queries are pasted documents, not searches
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
MAX_PAGE = 1000  # page numbers are for people; programs walk deeper with the cursor
DEFAULT_FACET_SIZE = 10
MAX_FACET_SIZE = 500
MAX_FILTER_VALUES = 50  # values selected in one facet
# A search still scoring after this many seconds is stopped: it would hold a worker that
# other readers need. (At 100k documents the slowest query of the benchmark takes ~1.2 s.)
SEARCH_TIME_LIMIT = 10.0

SORTS = ("relevance", "newest", "oldest")
# Events (issue 11): the readouts of an event, a filter like a facet's (not counted as one).
EVENT_FILTER = "event"
FILTER_FIELDS = tuple(facet.name for facet in FACETS) + (EVENT_FILTER,)
# Facets whose values may be combined with AND ("both officials") as well as OR.
ALL_OF_FACETS = tuple(facet.name for facet in FACETS if facet.multi)
FACET_OPERATORS = ("or", "and")


@dataclass(frozen=True)
class SearchRequest:
    """Everything that defines one search; every field comes from the URL."""

    q: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    cursor: str | None = None
    facet_size: int = DEFAULT_FACET_SIZE
    with_facets: bool = True
    # Match words as written (script, diacritics, grammatical case) instead of folded.
    exact: bool = False
    # Facets whose selected values must all be present (AND), not any of them (OR).
    all_of: frozenset[str] = frozenset()
    # Events (issue 11): one result per text, its language versions and site copies
    # folded into it (counted once, facets too); False lists every communiqué.
    collapse: bool = True

    def validated(self) -> SearchRequest:
        """This request, or a QueryError saying what is wrong with it."""
        if len(self.q) > MAX_QUERY_LENGTH:
            raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}")
        if not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}; use the cursor to go deeper")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise QueryError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        if not 1 <= self.facet_size <= MAX_FACET_SIZE:
            raise QueryError(f"facet size must be between 1 and {MAX_FACET_SIZE}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("the 'from' date is after the 'to' date")
        for name, values in self.filters.items():
            if name not in FILTER_FIELDS:
                raise QueryError(f"unknown filter '{name}'; filters are {', '.join(FILTER_FIELDS)}")
            if len(values) > MAX_FILTER_VALUES:
                raise QueryError(f"at most {MAX_FILTER_VALUES} values of '{name}' at once")
        for name in self.all_of:
            if name not in ALL_OF_FACETS:
                raise QueryError(f"only {' and '.join(ALL_OF_FACETS)} values can be combined"
                                 f" with AND, not '{name}'")
        return self

    def fingerprint(self) -> str:
        """What a cursor is bound to: the search, not the position in it."""
        data = [self.q, self.sort, self.exact, str(self.date_from), str(self.date_to),
                sorted((k, sorted(v)) for k, v in self.filters.items() if v)]
        if self.all_of:  # absent when empty, so cursors given out before stay valid
            data.append(sorted(self.all_of))
        if not self.collapse:  # events (issue 11): every version is another result set
            data.append("all versions")
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:12]
