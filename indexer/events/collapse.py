"""Events and versions in a search: the `event` filter (and `event:<id>` in the query), and
language versions collapsed into one result per text.

Per index generation, `VersionTables` holds each document's version group as numpy arrays
(like the facet tables), so collapsing is array work over the result mask: one result per
group among the documents that match, the best ranked one when results are ranked, else the
group's lead (its newest site generation, the source's first language) when it matches.
`TextCollapse` is the search service's part that does it for a search.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from indexer.events.service import EventService
from indexer.request import EVENT_FILTER, SearchRequest

if TYPE_CHECKING:
    from indexer.facets import FacetTables
    from indexer.matching import Matches
    from indexer.paging import Ranking

# "event:2015-02-17-ivica-dacic-sergey-lavrov" in the query: a filter, taken out of the text.
_EVENT_CLAUSE = re.compile(r"(?<![\w-])event:([a-z0-9][a-z0-9-]{0,199})(?=$|[\s)])",
                           re.IGNORECASE)
EVENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,199}")
# Ids looked up one binary search at a time (fewer than this); more are searched for
# together over a sorted copy of every id (a generation's version tables, when built).
_FEW_IDS = 64


def with_event_clauses(request: SearchRequest) -> SearchRequest:
    """The request with `event:<id>` clauses of its query moved to the event filter."""
    found = _EVENT_CLAUSE.findall(request.q)
    if not found:
        return request
    q = " ".join(_EVENT_CLAUSE.sub(" ", request.q).split())
    events = tuple(dict.fromkeys([*request.filters.get(EVENT_FILTER, ()),
                                  *(e.lower() for e in found)]))
    return replace(request, q=q, filters={**request.filters, EVENT_FILTER: events})


class VersionTables:
    """One generation's documents by version group: `group[docnum]` (-1: in none) and
    `rank[docnum]` (0 for a group's lead, then the order of its other versions).

    Ids are found by a binary search over the live documents ordered by id (the ids as
    fixed-width UTF-8 bytes, the generation data's mapped array when there is one), not
    through a dict of every id: that dict was about 13 MB of each web worker's own
    memory at 100,000 communiqués."""

    def __init__(self, ids: Sequence[str], live: np.ndarray,
                 memberships: Iterable[tuple[str, str, int]],
                 id_rank: np.ndarray | None = None) -> None:
        size = len(ids)
        # 32-bit: a generation's own arrays in every worker (4 MB each a million).
        self.group = np.full(size, -1, dtype=np.int32)
        self.rank = np.zeros(size, dtype=np.int32)
        self._ids = _encoded_ids(ids)
        live_docnums = np.nonzero(live)[0]
        # Stable: of two live documents with one id, the later docnum is found (last).
        if id_rank is not None:
            # The generation's rank of each id (FacetTables.id_rank, a stable sort of
            # every id): the same order without reading or sorting every id again.
            order = np.empty(size, dtype=np.int64)
            order[id_rank] = np.arange(size)
            self._by_id = order[live[order]].astype(np.int32)
        else:
            self._by_id = live_docnums[np.argsort(self._ids[live_docnums], kind="stable")
                                       ].astype(np.int32)
        members = list(memberships)
        found = self._find([communique_id for communique_id, _, _ in members])
        numbers: dict[str, int] = {}
        for (_, group_id, position), member in zip(members, found.tolist(), strict=True):
            if member >= 0:
                self.group[member] = numbers.setdefault(group_id, len(numbers))
                self.rank[member] = position
        self.grouped = self.group >= 0

    def _find(self, ids: Sequence[str]) -> np.ndarray:
        """Each id's live docnum, -1 where it has none."""
        if not ids or not len(self._by_id):
            return np.full(len(ids), -1, dtype=np.int64)
        if len(ids) <= _FEW_IDS:  # an event's readouts: a binary search each, no copy
            return np.array([self._find_one(i.encode()) for i in ids], dtype=np.int64)
        wanted = np.array([i.encode() for i in ids], dtype=bytes)
        ordered = self._ids[self._by_id]  # this call's copy (all ids), not kept
        at = np.searchsorted(ordered, wanted, side="right") - 1
        hit = at >= 0
        hit[hit] = ordered[at[hit]] == wanted[hit]
        return np.where(hit, self._by_id[np.maximum(at, 0)], -1)

    def _find_one(self, wanted: bytes) -> int:
        at = bisect.bisect_right(self._by_id, wanted, key=lambda d: self._ids[d]) - 1
        return int(self._by_id[at]) if at >= 0 and self._ids[self._by_id[at]] == wanted \
            else -1

    def docnums(self, ids: Iterable[str]) -> np.ndarray:
        found = self._find(list(ids))
        return found[found >= 0].astype(np.int64)

    def by_language(self, languages: np.ndarray) -> np.ndarray:
        """The groups split by language (`languages`: each document's language number):
        when a search asks for languages, each one's versions are its own results, and
        only the same text on two site generations folds."""
        spread = int(languages.max(initial=0)) + 2
        return np.where(self.grouped, self.group.astype(np.int64) * spread + languages + 1,
                        -1)

    def collapse(self, matching: np.ndarray, ranking: Ranking | None,
                 group: np.ndarray | None = None) -> np.ndarray:
        """The matching documents, one per version group (or per `group`, the groups as
        `by_language` splits them)."""
        group = self.group if group is None else group
        grouped = group >= 0
        candidates = matching & grouped
        if not candidates.any():
            return matching
        if ranking is not None:
            in_group = ranking.ordered(candidates)[0]  # best first
            _, first = np.unique(group[in_group], return_index=True)
            keep = in_group[first]
        else:
            docnums = np.nonzero(candidates)[0]
            order = np.lexsort((docnums, self.rank[docnums], group[docnums]))
            ordered = docnums[order]
            groups = group[ordered]
            first = np.ones(len(ordered), dtype=bool)
            first[1:] = groups[1:] != groups[:-1]
            keep = ordered[first]
        collapsed = matching & ~grouped
        collapsed[keep] = True
        return collapsed


def version_tables(events: EventService, ids: Sequence[str], live: np.ndarray,
                   id_rank: np.ndarray | None = None) -> VersionTables:
    return VersionTables(ids, live, events.all_versions(), id_rank)


def _encoded_ids(ids: Sequence[str]) -> np.ndarray:
    """Ids as fixed-width UTF-8 bytes (whose order is the str order): the generation
    data's mapped array itself when `ids` reads one (`indexer.facets.MappedIds`)."""
    encoded = getattr(ids, "encoded", None)
    if isinstance(encoded, np.ndarray):
        return encoded
    return np.array([i.encode() for i in ids], dtype=bytes) if len(ids) \
        else np.empty(0, dtype="S1")


def event_selection(events: EventService, tables: VersionTables, size: int,
                    event_ids: tuple[str, ...]) -> np.ndarray:
    """The documents that are readouts of any of some events."""
    mask = np.zeros(size, dtype=bool)
    docnums = tables.docnums(events.event_members(list(event_ids)))
    if len(docnums):
        mask[docnums] = True
    return mask


class Generation(Protocol):
    """What collapsing needs of an index generation (`indexer.generations.Generation`):
    its tables, and a place to keep its version tables."""

    tables: FacetTables
    versions: VersionTables | None


class TextCollapse:
    """Versions of one text folded into one result: each generation's version tables (read
    on first use, kept on the generation) and a search's groups and result mask."""

    def __init__(self, events: EventService) -> None:
        self.events = events

    def tables(self, generation: Generation) -> VersionTables:
        """The generation's version tables, read once per generation."""
        if generation.versions is None:
            # A benign race: two threads may both read them; either result is the same.
            tables = generation.tables
            generation.versions = version_tables(self.events, tables.ids, tables.live,
                                                 tables.id_rank)
        return generation.versions

    def groups(self, request: SearchRequest, generation: Generation) -> np.ndarray | None:
        """Each document's text (version group, -1: none) as this search folds them: none
        when versions do not collapse; split by language when it asks for languages."""
        if not request.collapse:
            return None
        versions = self.tables(generation)
        if request.filters.get("language"):
            return versions.by_language(generation.tables.values_of("language"))
        return versions.group

    def collapsed(self, request: SearchRequest, generation: Generation,
                  matches: Matches) -> np.ndarray:
        """The result mask, one communiqué per text when versions collapse."""
        groups = self.groups(request, generation)
        if groups is None:
            return matches.matching
        return self.tables(generation).collapse(matches.matching, matches.ranking, groups)
