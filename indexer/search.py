"""The one search service: the CLI and every web view call this and nothing else.

A search is: the text query (Whoosh), a date range, and facet selections (OR
within a facet, AND across facets), all turned into document sets. Results are
ordered, paged by page number or by an opaque cursor, highlighted, and counted
per facet as if that facet's own selection were not applied.

`SearchService` only puts the parts together; each does one job: `request` (what a
search asks, and the limits), `querylang` (the query language and its syntax errors),
`querylimits` (what a query may cost), `generations` (the index generation searched,
what is kept of it and the results cached on it), `matching` (document sets within the
time limit), `events.collapse` (versions of one text folded into one result), `paging`
(ranking, pages and cursors), `aggregations` (facets and the histogram), `hits` and
`snippets` (a page as hits), `documents` (records and their entities from the archive),
`suggestions` (did you mean); `backend` declares the interface (`SearchBackend`) that
this service implements for the web app and CLI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from indexer.aggregations import facet_counts, histogram
from indexer.archive import Archive
from indexer.backend import (
    Document,
    Facet,
    FacetValue,
    HistogramBar,
    SearchBackend,
    SearchHit,
    SearchResults,
)
from indexer.documents import DocumentStore
from indexer.entities import extractor_for
from indexer.events.collapse import (  # events (issue 11)
    TextCollapse,
    event_selection,
    with_event_clauses,
)
from indexer.events.service import EventService
from indexer.facets import FACETS_BY_NAME
from indexer.generations import Generation, Generations
from indexer.hits import page_hits
from indexer.matching import Matches, canonical_values, match
from indexer.paging import date_order, decode_cursor, encode_cursor, page_of, ranked
from indexer.querylang import QUERY_FIELDS, QueryReader, phrase_clause
from indexer.request import (
    ALL_OF_FACETS,
    DEFAULT_FACET_SIZE,
    DEFAULT_PAGE_SIZE,
    EVENT_FILTER,
    FACET_OPERATORS,
    FILTER_FIELDS,
    MAX_FACET_SIZE,
    MAX_FILTER_VALUES,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    SEARCH_TIME_LIMIT,
    SORTS,
    SearchRequest,
)
from indexer.suggestions import (
    FEW_RESULTS,
    SUGGESTION_TIME_LIMIT,
    LexiconCache,
    suggestions,
)
from scrapers.record import Communique

__all__ = [  # what the web app and the CLI import from here
    "ALL_OF_FACETS", "DEFAULT_FACET_SIZE", "DEFAULT_PAGE_SIZE", "FACET_OPERATORS",
    "FILTER_FIELDS", "MAX_FACET_SIZE", "MAX_FILTER_VALUES", "MAX_PAGE", "MAX_PAGE_SIZE",
    "MAX_QUERY_LENGTH", "QUERY_FIELDS", "SEARCH_TIME_LIMIT", "SORTS", "Document", "Facet",
    "FacetValue", "HistogramBar", "SearchBackend", "SearchHit", "SearchRequest",
    "SearchResults", "SearchService", "phrase_clause", "FEW_RESULTS",
]


SUGGESTIONS_KEPT = 4096  # "did you mean" answers kept per generation


class SearchService:
    """Read side of the index. Opens it read-only and follows new commits and rebuilds."""

    def __init__(self, data_dir: Path | str, time_limit: float = SEARCH_TIME_LIMIT) -> None:
        self.data_dir = Path(data_dir)
        self.time_limit = time_limit
        self.generations = Generations(self.data_dir)
        self.home = self.generations.home
        self.documents = DocumentStore(self.data_dir)
        self._reader = QueryReader()
        self.events = EventService(self.data_dir)  # events (issue 11)
        self.texts = TextCollapse(self.events)  # events (issue 11): versions collapsed
        self.lexicons = LexiconCache()  # "did you mean": built off the request path
        self._value_counts: tuple[object, dict[str, dict[str, int]]] = (None, {})

    def archive(self) -> Archive:
        """A read-only archive connection for this thread."""
        return self.documents.archive()

    def warm(self) -> None:
        """Read now what the first searches would otherwise read inside a request: the
        current generation with its version tables, and the officials registry that
        spells facet values. A web worker calls it once, off the request path."""
        current = self.generations.current()
        if current is not None:
            self.texts.tables(current[0])
        canonical_values(str(self.data_dir), "official", ("",))

    def parse(self, q: str, schema, exact: bool = False):
        """The text query (None when only dates were given) and the query's date range."""
        return self._reader.parse(q, schema, exact)

    def _canonical(self, facet: str, values: tuple[str, ...]) -> tuple[str, ...]:
        return canonical_values(str(self.data_dir), facet, values)

    def _match(self, request: SearchRequest, generation: Generation, searcher) -> Matches:
        extra = None
        if request.filters.get(EVENT_FILTER):  # events (issue 11): an event's readouts
            extra = {EVENT_FILTER: event_selection(
                self.events, self.texts.tables(generation), generation.tables.size,
                request.filters[EVENT_FILTER])}
        return match(request, searcher, generation.tables, generation.bulk, self._reader,
                     self._canonical, self.time_limit, extra)

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a search; raises QueryError for anything the user must fix.

        Results are cached per index generation: a repeated search costs a dict lookup.
        """
        request = with_event_clauses(request).validated()
        current = self.generations.current()
        if current is None:
            return SearchResults(request, 0, [])
        generation, searcher = current
        cache_key = (request.fingerprint(), request.page, request.page_size, request.cursor,
                     request.facet_size, request.with_facets)
        cached = generation.cached(cache_key)
        if cached is not None:
            return replace(cached, request=request)
        results = self._search(request, generation, searcher)
        generation.remember(cache_key, results)
        return results

    def _search(self, request: SearchRequest, generation: Generation, searcher) -> SearchResults:
        tables = generation.tables
        matches = self._match(request, generation, searcher)
        matching = self.texts.collapsed(request, generation, matches)
        total = int(matching.sum())
        collapsed = int(matches.matching.sum()) - total  # events (issue 11)
        page, next_position = page_of(request, matches.ranking, tables, matching, total,
                                      decode_cursor(request))
        next_cursor = encode_cursor(request, next_position) if next_position else None
        hits = page_hits(page, matches, searcher, self.documents, self.events)
        if not request.with_facets:
            return SearchResults(request, total, hits, next_cursor=next_cursor,
                                 collapsed=collapsed)
        # With versions collapsed, facets count texts too: a value's count is what ticking
        # it lists (a text once, for each value one of its versions has).
        facets = facet_counts(request, tables, matches, self._canonical,
                              self.texts.groups(request, generation))
        bars, interval = histogram(tables, matching, request)
        return SearchResults(request, total, hits, facets, bars, interval, next_cursor,
                             collapsed)

    def did_you_mean(self, request: SearchRequest) -> list[str]:
        """Other queries the user may have meant (the index's own words, the officials
        registry's names in the script typed), best first; [] when there is no text."""
        if not request.q.strip():
            return []
        current = self.generations.current()
        if current is None:
            return []
        generation, _ = current
        # Never waits for the lexicon: until it is built, the last one built or none.
        lexicon = self.lexicons.get(generation.key, generation.index.reader)
        # Kept per generation while its lexicon is the same (each asks every official).
        key = (request.q, request.exact)
        held = generation.suggested.get(key)
        if held is not None and held[0] is lexicon:
            return list(held[1])
        started = time.monotonic()
        officials = extractor_for(str(self.data_dir)).registry.by_id.values()
        found = suggestions(request.q, lexicon, officials, request.exact)
        # An answer cut short by the time limit (a loaded machine) is not kept.
        if time.monotonic() - started < SUGGESTION_TIME_LIMIT / 2:
            if len(generation.suggested) >= SUGGESTIONS_KEPT:
                generation.suggested.clear()
            generation.suggested[key] = (lexicon, found)
        return list(found)

    def value_counts(self, facet: str) -> dict[str, int]:
        """Every value of a facet over the whole index, with the texts holding it (versions
        collapsed, as a search counts them), with no facet-size cut: for pages that list
        everyone (/officials), whom a search's top values would leave out."""
        if facet not in FACETS_BY_NAME:
            raise ValueError(f"no facet called {facet!r}")
        current = self.generations.current()
        if current is None:
            return {}
        generation, searcher = current
        # The current generation's counts per facet, replaced whole (one assignment,
        # safe across request threads) when a new generation comes.
        held = self._value_counts
        if held[0] != generation.key:
            held = self._value_counts = (generation.key, {})
        counts = held[1].get(facet)
        if counts is None:
            request = SearchRequest().validated()
            matches = self._match(request, generation, searcher)
            counts = held[1][facet] = generation.tables.count(
                facet, matches.matching, self.texts.groups(request, generation))
        return dict(counts)

    def iter_hits(self, request: SearchRequest, batch_size: int = 500) -> Iterator[Communique]:
        """Every result of a search, in order, as records: for complete exports.

        The query is read (and a QueryError raised) now, before the first record
        is asked for, so a streamed response never fails half-way on bad input.
        """
        request = replace(with_event_clauses(request).validated(), cursor=None, page=1)
        current = self.generations.current()
        if current is None:
            return iter(())
        generation, searcher = current
        tables = generation.tables
        matches = self._match(request, generation, searcher)
        matching = self.texts.collapsed(request, generation, matches)
        if matches.ranking is not None:
            docnums = ranked(matches.ranking, matching)[0].tolist()
        else:
            docnums = date_order(request, tables, matching, None, 0,
                                 int(matching.sum())).tolist()
        return self.documents.iter_records([tables.ids[d] for d in docnums], batch_size)

    def document(self, communique_id: str, version: int | None = None) -> Document:
        """A communiqué (its current or a given archived version) and its history."""
        return self.documents.document(communique_id, version)

    def with_entities(self, records: dict[str, Communique],
                      version: int | None = None) -> dict[str, Communique]:
        """Records with the entities stored for their version (see `DocumentStore`)."""
        return self.documents.with_entities(records, version)

    def document_count(self) -> int:
        current = self.generations.current()
        return current[0].document_count if current else 0

    def generation_tag(self) -> str:
        """Changes whenever the index does: for ETags and caches."""
        current = self.generations.current()
        return current[0].tag if current else "empty"
