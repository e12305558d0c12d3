"""Matching: which documents a search selects, as boolean masks over one generation.

The text query is evaluated once (scored when the results are ranked by relevance) by
the bulk evaluator, or by Whoosh for the queries it does not know; the date range and
the facet selections are masks from the generation's tables. Every path looks at the
clock, so no search runs past its time limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.collectors import TimeLimitCollector
from whoosh.searching import TimeLimit

from indexer.bulk import BulkEvaluator
from indexer.entities import extractor_for
from indexer.entities.countries import gazetteer
from indexer.entities.names import key_tokens
from indexer.errors import SearchTimeout
from indexer.facets import FACETS_BY_NAME, FacetTables
from indexer.paging import Ranking
from indexer.querylang import QueryReader
from indexer.querylimits import bound_query
from indexer.request import SearchRequest


@dataclass(frozen=True)
class Matches:
    """What a search selects: the text query (None without words), its ranking when the
    order is relevance, the query-and-dates mask, and one mask per facet selection."""

    parsed: wq.Query | None
    ranking: Ranking | None  # every match's score
    base: np.ndarray
    selections: dict[str, np.ndarray]

    @property
    def matching(self) -> np.ndarray:
        """Every condition together."""
        mask = self.base.copy()
        for selection in self.selections.values():
            mask &= selection
        return mask


def effective_sort(request: SearchRequest, parsed: wq.Query | None) -> str:
    # With no words there is no relevance: browse newest first.
    return "newest" if request.sort == "relevance" and parsed is None else request.sort


def canonical_values(data_dir: str, facet: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """Officials and countries named in any spelling or script, as the index holds them."""
    if not values:  # nothing to look up: never load the registry for it
        return values
    if facet == "official":
        registry = extractor_for(data_dir).registry
        return tuple(getattr(registry.lookup(v), "name", v) for v in values)
    if facet == "country":
        places = gazetteer()
        canonical = []
        for value in values:
            code = places.by_key.get(key_tokens(value)) or places.abbreviations.get(value)
            if code is None and len(value) == 2 and value.upper() in places.names:
                code = value.upper()  # an ISO code, as pair pages and ministry_country take
            canonical.append(places.names.get(code, value) if code else value)
        return tuple(canonical)
    return values


def match(request: SearchRequest, searcher, tables: FacetTables, bulk: BulkEvaluator,
          reader: QueryReader, canonical: Callable[[str, tuple[str, ...]], tuple[str, ...]],
          time_limit: float, extra: dict[str, np.ndarray] | None = None) -> Matches:
    """The document sets of a search; SearchTimeout past `time_limit` seconds.

    For a relevance sort the query runs once, scored (its documents give the mask);
    otherwise only its documents are read.
    """
    deadline = time.monotonic() + time_limit
    parsed, q_start, q_end = reader.parse(request.q.strip(), searcher.schema, request.exact)
    start = max(filter(None, [request.date_from, q_start]), default=None)
    end = min(filter(None, [request.date_to, q_end]), default=None)
    ranking = None
    dates = tables.in_date_range(start, end) if start or end else None
    if parsed is None:
        base = tables.live.copy()
    else:
        base = np.zeros(tables.size, dtype=bool)
        relevance = effective_sort(request, parsed) == "relevance"
        # Whoosh scores one posting at a time in Python; the bulk evaluator reads and
        # scores whole blocks with numpy, with the same scores. Queries it does not
        # know (prefixes, wildcards, fuzzy terms) run through Whoosh.
        try:
            # Fuzzy, prefix and wildcard words are expanded here, within the limits
            # and the clock, so Whoosh never expands one itself.
            parsed = bound_query(parsed, searcher.reader(), deadline)
            use_bulk = bulk.supports(parsed, searcher)
            if relevance and use_bulk:
                # A date range restricts the matches as Whoosh's filter did. They are
                # ordered only as far as a page needs (paging.Ranking).
                docnums, scores = bulk.matches(parsed, searcher, restrict=dates,
                                               deadline=deadline)
                assert scores is not None
                ranking = Ranking(docnums, scores)
                base[docnums] = True
            elif relevance:
                ranking = Ranking(*_collected(parsed, searcher, dates, deadline),
                                  in_order=True)
                base[ranking.docnums] = True
            elif use_bulk:
                docnums, _ = bulk.matches(parsed, searcher, scored=False, restrict=dates,
                                          deadline=deadline)
                base[docnums] = True
            else:
                base[_documents_within(parsed, searcher, deadline)] = True
        except TimeLimit:
            raise SearchTimeout(
                f"the search took longer than {time_limit:g} s and was stopped;"
                " add words, a date range or a filter to narrow it") from None
        base &= tables.live
    if dates is not None:
        base &= dates
    selections = {
        name: tables.selection(name, canonical(name, values), all_of=name in request.all_of)
        for name, values in request.filters.items() if values and name in FACETS_BY_NAME
    }
    # Filters that are no facet (an event's readouts, issue 11) come as masks made by the
    # caller; like a facet's selection they apply to every count.
    selections.update(extra or {})
    return Matches(parsed, ranking, base, selections)


def _collected(parsed, searcher, dates: np.ndarray | None, deadline: float):
    """(docnums, scores) best first from Whoosh's own collector, every match scored.

    Raises TimeLimit past the deadline (time.monotonic()).
    """
    # A date range is part of every count, so Whoosh need not score documents
    # outside it (a filter, never a query: WHOOSH.md, trap 1).
    within = set(np.nonzero(dates)[0].tolist()) if dates is not None else None
    # use_alarm=False: SIGALRM works in the main thread only.
    collector = TimeLimitCollector(
        searcher.collector(limit=None, filter=within),
        max(0.001, deadline - time.monotonic()), use_alarm=False)
    searcher.search_with_collector(parsed, collector)
    top = collector.results().top_n  # (score, docnum), best first: no Hit objects
    docnums = np.fromiter((docnum for _, docnum in top), dtype=np.int64, count=len(top))
    scores = np.fromiter((score for score, _ in top), dtype=np.float64, count=len(top))
    return docnums, scores


def _documents_within(parsed: wq.Query, searcher, deadline: float) -> np.ndarray:
    """Every document the query matches (unscored), looking at the clock as it goes:
    Whoosh's docs_for_query has no time limit."""
    found: list[int] = []
    for subsearcher, offset in searcher.leaf_searchers():
        for count, docnum in enumerate(parsed.docs(subsearcher)):
            if count % 4096 == 0 and time.monotonic() > deadline:
                raise TimeLimit()
            found.append(docnum + offset)
    return np.array(found, dtype=np.int64)
