"""The one search service: the CLI and every web view call this and nothing else.

A search is: the text query (Whoosh), a date range, and facet selections (OR
within a facet, AND across facets), all turned into document sets. Results are
ordered, paged by page number or by an opaque cursor, highlighted, and counted
per facet as if that facet's own selection were not applied.

The parts, one job each: `request` (what a search asks, and the limits),
`querylang` (the query language and its syntax errors), `querylimits` (what a query
may cost), `matching` (document sets within the time limit), `paging` (ranking, pages
and cursors), `aggregations` (facets and the histogram), `snippets`; `backend` declares
the interface (`SearchBackend`) that this service implements for the web app and CLI.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

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
from indexer.build import IndexHome
from indexer.bulk import BulkEvaluator
from indexer.entities import extractor_for
from indexer.errors import NotFound
from indexer.events.collapse import (  # events (issue 11)
    VersionTables,
    event_selection,
    version_tables,
    with_event_clauses,
)
from indexer.events.service import EventService
from indexer.facets import FacetTables
from indexer.matching import Matches, canonical_values, match
from indexer.paging import date_order, decode_cursor, encode_cursor, page_of, ranked
from indexer.querylang import QUERY_FIELDS, QueryReader, matched_terms, phrase_clause
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
from indexer.schema import doc_type_label
from indexer.snippets import snippet_for
from indexer.suggestions import FEW_RESULTS, LexiconCache, suggestions
from scrapers.record import Communique

if TYPE_CHECKING:
    from whoosh.index import FileIndex
    from whoosh.searching import Searcher

__all__ = [  # what the web app and the CLI import from here
    "ALL_OF_FACETS", "DEFAULT_FACET_SIZE", "DEFAULT_PAGE_SIZE", "FACET_OPERATORS",
    "FILTER_FIELDS", "MAX_FACET_SIZE", "MAX_FILTER_VALUES", "MAX_PAGE", "MAX_PAGE_SIZE",
    "MAX_QUERY_LENGTH", "QUERY_FIELDS", "SEARCH_TIME_LIMIT", "SORTS", "Document", "Facet",
    "FacetValue", "HistogramBar", "SearchBackend", "SearchHit", "SearchRequest",
    "SearchResults", "SearchService", "phrase_clause", "FEW_RESULTS",
]
RESULT_CACHE_SIZE = 1024  # searches remembered per index generation


def _split(stored: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in stored.split(",") if v.strip()) if stored else ()


@dataclass
class _Generation:
    """What the service keeps of one index generation."""

    key: tuple[str, int]
    index: FileIndex
    tables: FacetTables
    bulk: BulkEvaluator  # keeps the generation's field lengths
    cache: OrderedDict = field(default_factory=OrderedDict)  # request -> SearchResults
    versions: VersionTables | None = None  # events (issue 11): read on first use


class SearchService:
    """Read side of the index. Opens it read-only and follows new commits and rebuilds."""

    def __init__(self, data_dir: Path | str, time_limit: float = SEARCH_TIME_LIMIT) -> None:
        self.data_dir = Path(data_dir)
        self.time_limit = time_limit
        self.home = IndexHome(self.data_dir)
        self._lock = threading.Lock()
        self._generation: _Generation | None = None
        self._local = threading.local()
        self._reader = QueryReader()
        self.events = EventService(self.data_dir)  # events (issue 11)
        self.lexicons = LexiconCache()  # "did you mean": built off the request path

    def archive(self) -> Archive:
        """A read-only archive connection for this thread."""
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = Archive(self.data_dir, readonly=True)
            self._local.archive = archive
        return archive

    def _current(self) -> tuple[_Generation, Searcher] | None:
        """The current generation and this thread's searcher on it (None before any index)."""
        directory = self.home.current_dir()
        if directory is None:
            return None
        with self._lock:
            generation = self._generation
            if generation is None or generation.key[0] != str(directory):
                index = IndexHome.open(directory)
            else:
                index = generation.index
            key = (str(directory), index.latest_generation())
            if generation is None or generation.key != key:
                with index.reader() as reader:
                    tables = FacetTables(reader)
                    bulk = BulkEvaluator(tables.live)
                    # Read now rather than by the first search after each update.
                    bulk.preload_lengths(reader, ("title", "body"))
                generation = _Generation(key, index, tables, bulk)
                self._generation = generation
        searcher = getattr(self._local, "searcher", None)
        if getattr(self._local, "key", None) != generation.key or searcher is None:
            if searcher is not None:
                searcher.close()  # its files may belong to a generation being pruned
            searcher = generation.index.searcher()
            self._local.searcher = searcher
            self._local.key = generation.key
        return generation, searcher

    def parse(self, q: str, schema, exact: bool = False):
        """The text query (None when only dates were given) and the query's date range."""
        return self._reader.parse(q, schema, exact)

    def _canonical(self, facet: str, values: tuple[str, ...]) -> tuple[str, ...]:
        return canonical_values(str(self.data_dir), facet, values)

    def _match(self, request: SearchRequest, generation: _Generation, searcher) -> Matches:
        extra = None
        if request.filters.get(EVENT_FILTER):  # events (issue 11): an event's readouts
            extra = {EVENT_FILTER: event_selection(
                self.events, self._versions(generation), generation.tables.size,
                request.filters[EVENT_FILTER])}
        return match(request, searcher, generation.tables, generation.bulk, self._reader,
                     self._canonical, self.time_limit, extra)

    # -- events (issue 11): versions of one text, collapsed ----------------------------------

    def _versions(self, generation: _Generation) -> VersionTables:
        if generation.versions is None:
            # Read once per index generation (a benign race: two threads may both read it).
            generation.versions = version_tables(self.events, generation.tables.ids,
                                                 generation.tables.live)
        return generation.versions

    def _groups(self, request: SearchRequest, generation: _Generation) -> np.ndarray | None:
        """Each document's text (version group, -1: none) as this search folds them: none
        when versions do not collapse; split by language when it asks for languages."""
        if not request.collapse:
            return None
        versions = self._versions(generation)
        if request.filters.get("language"):
            return versions.by_language(generation.tables.values_of("language"))
        return versions.group

    def _collapsed(self, request: SearchRequest, generation: _Generation,
                   matches: Matches) -> np.ndarray:
        """The result mask, one communiqué per text when versions collapse."""
        groups = self._groups(request, generation)
        if groups is None:
            return matches.matching
        return self._versions(generation).collapse(matches.matching, matches.ranking, groups)

    # -- the service ------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a search; raises QueryError for anything the user must fix.

        Results are cached per index generation: a repeated search costs a dict lookup.
        """
        request = with_event_clauses(request).validated()
        current = self._current()
        if current is None:
            return SearchResults(request, 0, [])
        generation, searcher = current
        cache_key = (request.fingerprint(), request.page, request.page_size, request.cursor,
                     request.facet_size, request.with_facets)
        cached = generation.cache.get(cache_key)
        if cached is not None:
            generation.cache.move_to_end(cache_key)
            return replace(cached, request=request)
        results = self._search(request, generation, searcher)
        generation.cache[cache_key] = results
        if len(generation.cache) > RESULT_CACHE_SIZE:
            generation.cache.popitem(last=False)
        return results

    def _search(self, request: SearchRequest, generation: _Generation, searcher) -> SearchResults:
        tables = generation.tables
        matches = self._match(request, generation, searcher)
        matching = self._collapsed(request, generation, matches)
        total = int(matching.sum())
        collapsed = int(matches.matching.sum()) - total  # events (issue 11)
        page, next_position = page_of(request, matches.ranking, tables, matching, total,
                                      decode_cursor(request))
        next_cursor = encode_cursor(request, next_position) if next_position else None
        hits = self._hits(matches, searcher, page)
        if not request.with_facets:
            return SearchResults(request, total, hits, next_cursor=next_cursor,
                                 collapsed=collapsed)
        # With versions collapsed, facets count texts too: a value's count is what ticking
        # it lists (a text once, for each value one of its versions has).
        facets = facet_counts(request, tables, matches, self._canonical,
                              self._groups(request, generation))
        bars, interval = histogram(tables, matching, request)
        return SearchResults(request, total, hits, facets, bars, interval, next_cursor,
                             collapsed)

    def _hits(self, matches: Matches, searcher, page) -> list[SearchHit]:
        # Prefix, wildcard and fuzzy words expand to the words they matched.
        terms = matched_terms(matches.parsed, searcher.reader())
        stored = [searcher.stored_fields(docnum) for docnum, _ in page]
        records = self.with_entities(self.archive().get_many([s["id"] for s in stored]))
        ids = [s["id"] for s in stored]
        events, versions = self.events.readouts_of(ids), self.events.versions_of(ids)
        hits = []
        for (_, score), fields in zip(page, stored, strict=True):
            record = records.get(fields["id"])
            snippet, more = snippet_for(record.body if record else "", terms)
            published = fields.get("date")
            hits.append(SearchHit(
                id=fields["id"], url=fields["url"], title=fields["title"],
                published=published.date() if published else None,
                source_id=fields["source"], ministry_country=fields["ministry_country"],
                language=fields["language"], doc_type=doc_type_label(fields["type"]),
                # The archive's stored entities: what the document, exports and feeds show.
                officials=record.officials if record else _split(fields.get("official_facet")),
                countries=record.countries if record else _split(fields.get("country_facet")),
                snippet_html=snippet, more_matches=more, score=score,
                updated=record.fetched_at if record else None,
                event=events.get(fields["id"]), versions=tuple(versions.get(fields["id"], ())),
            ))
        return hits

    def did_you_mean(self, request: SearchRequest) -> list[str]:
        """Other queries the user may have meant (the index's own words, the officials
        registry's names in the script typed), best first; [] when there is no text."""
        if not request.q.strip():
            return []
        current = self._current()
        if current is None:
            return []
        generation, _ = current
        # Never waits for the lexicon: until it is built, the last one built or none.
        lexicon = self.lexicons.get(generation.key, generation.index.reader)
        officials = extractor_for(str(self.data_dir)).registry.by_id.values()
        return suggestions(request.q, lexicon, officials, request.exact)

    def iter_hits(self, request: SearchRequest, batch_size: int = 500) -> Iterator[Communique]:
        """Every result of a search, in order, as records: for complete exports.

        The query is read (and a QueryError raised) now, before the first record
        is asked for, so a streamed response never fails half-way on bad input.
        """
        request = replace(with_event_clauses(request).validated(), cursor=None, page=1)
        current = self._current()
        if current is None:
            return iter(())
        generation, searcher = current
        tables = generation.tables
        matches = self._match(request, generation, searcher)
        matching = self._collapsed(request, generation, matches)
        if matches.ranking is not None:
            docnums = ranked(matches.ranking, matching)[0].tolist()
        else:
            docnums = date_order(request, tables, matching, None, 0,
                                 int(matching.sum())).tolist()
        ids = [tables.ids[d] for d in docnums]

        def records() -> Iterator[Communique]:
            archive = self.archive()
            for offset in range(0, len(ids), batch_size):
                batch = ids[offset:offset + batch_size]
                found = self.with_entities(archive.get_many(batch))
                for record_id in batch:
                    if record_id in found:
                        yield found[record_id]

        return records()

    def document(self, communique_id: str, version: int | None = None) -> Document:
        """A communiqué (its current or a given archived version) and its history."""
        archive = self.archive()
        record = archive.get(communique_id, version)
        if record is None:
            raise NotFound(communique_id)
        record = self.with_entities({communique_id: record}, version)[communique_id]
        return Document(record, archive.versions(communique_id))

    def with_entities(self, records: dict[str, Communique],
                      version: int | None = None) -> dict[str, Communique]:
        """Records whose officials and countries are the ones stored for their version
        at indexing time (the registry's spellings), so every surface shows the same.

        A version never indexed (crawled since, or an old version) gets the same
        extraction run now, which is what indexing it would store.
        """
        stored = self.archive().entities_of(list(records), version)
        extractor = None
        result = {}
        for record_id, record in records.items():
            if record_id in stored:
                officials, countries = stored[record_id]
            else:
                extractor = extractor or extractor_for(str(self.data_dir))
                entities = extractor.extract(record)
                officials, countries = entities.officials, entities.countries
            result[record_id] = replace(record, officials=officials, countries=countries)
        return result

    def document_count(self) -> int:
        current = self._current()
        return int(current[0].tables.live.sum()) if current else 0

    def generation_tag(self) -> str:
        """Changes whenever the index does: for ETags and caches."""
        current = self._current()
        if current is None:
            return "empty"
        directory, number = current[0].key
        return f"{Path(directory).name}.{number}"
