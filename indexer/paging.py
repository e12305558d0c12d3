"""Ranking and paging: which documents a page shows, in order, and the opaque cursor
that resumes after them.

Relevance pages slice the ranking (a cursor holds the offset: stable while the index
generation is); date-ordered pages sort by (date, id) and a cursor holds the last key,
so any result set can be walked to its end with no repeats or gaps.
"""

from __future__ import annotations

import base64
import json
from datetime import date

import numpy as np

from indexer.errors import QueryError
from indexer.facets import FacetTables
from indexer.request import MAX_PAGE, MAX_PAGE_SIZE, SearchRequest

# Cursor positions past these cannot come from a real result set.
MAX_CURSOR_OFFSET = MAX_PAGE * MAX_PAGE_SIZE * 10_000
MAX_CURSOR_ID_CHARS = 200


def encode_cursor(request: SearchRequest, position: dict) -> str:
    """An opaque token: where the next page starts, bound to this search."""
    blob = json.dumps({"f": request.fingerprint(), **position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(blob.encode()).decode().rstrip("=")


def _whole(value: object, low: int, high: int) -> bool:
    # JSON's true is an int in Python; a cursor's numbers are never booleans or floats.
    return type(value) is int and low <= value <= high


def decode_cursor(request: SearchRequest) -> dict | None:
    """The position a cursor holds, every field's type and range checked.

    A cursor comes back from the client, so it is input like any other: only the two
    shapes encode_cursor writes are accepted ({"f", "o"} for relevance, {"f", "k", "i"}
    for date order), so nothing crafted reaches the paging code.
    """
    if not request.cursor:
        return None
    invalid = QueryError("the cursor is not one this service gave out; start again without it")
    try:
        padded = request.cursor + "=" * (-len(request.cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError):
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("f"), str):
        raise invalid
    if set(data) == {"f", "o"}:
        if not _whole(data["o"], 0, MAX_CURSOR_OFFSET):
            raise invalid
    elif set(data) == {"f", "k", "i"}:
        if not _whole(data["k"], 0, date.max.toordinal()) or not isinstance(data["i"], str) \
                or len(data["i"]) > MAX_CURSOR_ID_CHARS:
            raise invalid
    else:
        raise invalid
    if data.pop("f") != request.fingerprint():
        raise QueryError("the cursor belongs to a different search; start again without it")
    return data


def page_of(request, ranking: Ranking | None, tables, matching, total, position):
    """The page's (docnum, score) pairs and where the next page starts."""
    size = request.page_size
    if position is not None and ("o" in position) != (ranking is not None):
        # A relevance cursor on a date-ordered search, or the reverse: not ours.
        raise QueryError("the cursor is not one this service gave out; start again without it")
    if ranking is not None:
        # The position is an offset into the ranking (stable while the index
        # generation is).
        offset = position["o"] if position else (request.page - 1) * size
        docnums, scores = ranking.best(matching, offset + size)
        page = list(zip(docnums[offset:offset + size].tolist(),
                        scores[offset:offset + size].tolist(), strict=True))
        following = {"o": offset + size} if offset + size < total else None
        return page, following
    # One more than the page: whether a next page exists comes with the same sort.
    docnums = date_order(request, tables, matching, position,
                               None if position else (request.page - 1) * size, size + 1)
    page = [(int(d), None) for d in docnums[:size]]
    following = date_key(request, tables, page[-1][0]) \
        if len(docnums) > size else None
    return page, following

class Ranking:
    """Every match of a relevance search with its score, ordered best first only as far
    as a page needs.

    The order is Whoosh's collector's: score descending, then docnum. Sorting every
    match of a common word (tens of thousands at 100k documents) cost a cold search
    several milliseconds, for a page of ten: `best` sorts only the documents that can be
    on the page, `ordered` (exports, collapsing) sorts all it is given.
    """

    def __init__(self, docnums: np.ndarray, scores: np.ndarray, *,
                 in_order: bool = False) -> None:
        # Docnums ascending (the bulk evaluator's), or already best first (`in_order`:
        # Whoosh's collector's).
        self.docnums = docnums
        self.scores = scores
        self._in_order = in_order

    def __len__(self) -> int:
        return len(self.docnums)

    def best(self, matching: np.ndarray, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """The first `stop` (docnums, scores) best first among the `matching` ones (a
        mask over every document)."""
        keep = matching[self.docnums]
        docnums, scores = self.docnums[keep], self.scores[keep]
        if stop <= 0:
            return docnums[:0], scores[:0]
        if self._in_order or stop >= len(docnums):
            return self._sorted(docnums, scores, stop)
        # The stop-th best score; every document scored above it is on the page, and of
        # those scored equal the lowest docnums fill it (docnums are ascending here).
        threshold = np.partition(scores, len(scores) - stop)[len(scores) - stop]
        above = np.flatnonzero(scores > threshold)
        tied = np.flatnonzero(scores == threshold)[:stop - len(above)]
        chosen = np.concatenate([above, tied])
        return self._sorted(docnums[chosen], scores[chosen], stop)

    def ordered(self, matching: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (docnum, score) among the `matching` ones, best first."""
        keep = matching[self.docnums]
        return self._sorted(self.docnums[keep], self.scores[keep], len(self.docnums))

    def _sorted(self, docnums: np.ndarray, scores: np.ndarray, stop: int
                ) -> tuple[np.ndarray, np.ndarray]:
        if not self._in_order:
            order = np.lexsort((docnums, -scores))  # UnlimitedCollector: (-score, docnum)
            docnums, scores = docnums[order], scores[order]
        return docnums[:stop], scores[:stop]


def ranked(ranking: Ranking, matching: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ranking (best first) restricted to the matching documents."""
    return ranking.ordered(matching)

def date_key(request: SearchRequest, tables: FacetTables, docnum: int) -> dict:
    return {"k": int(tables.ordinal[docnum]), "i": tables.ids[docnum]}

def date_order(request, tables, matching, after, offset, size) -> np.ndarray:
    """Matching documents by date (then id), after a cursor key or from an offset."""
    newest = request.sort != "oldest"
    candidates = np.nonzero(matching)[0]
    ordinal = tables.ordinal[candidates].astype(np.int64)  # the key below needs 64 bits
    # Undated documents come last in both directions (after any day ordinal).
    undated = 10_000_000
    primary = np.where(ordinal > 0, -ordinal if newest else ordinal, undated)
    if after is not None:
        cursor_primary = (-after["k"] if newest else after["k"]) if after["k"] else undated
        ids = tables.ids
        later = primary > cursor_primary
        ties = np.nonzero(primary == cursor_primary)[0]
        tie_later = np.array([ids[candidates[t]] > after["i"] for t in ties], dtype=bool)
        keep = later.copy()
        keep[ties[tie_later]] = True
        candidates, primary = candidates[keep], primary[keep]
        offset = 0
    # One sort key: the date (or its negation), then the id's rank among all ids.
    key = primary * tables.size + tables.id_rank[candidates]
    wanted = offset + size
    if wanted < len(key):
        # Only the first `wanted` need ordering: partition, then sort those.
        nearest = np.argpartition(key, wanted - 1)[:wanted]
        order = nearest[np.argsort(key[nearest], kind="stable")]
    else:
        order = np.argsort(key, kind="stable")
    return candidates[order[offset:wanted]]
