"""Phrase and proximity matching over sorted numpy arrays (for indexer/bulk.py).

A phrase "w0 w1 ... wn"~slop matches a document with positions p0 < p1 < ... < pn of its
words where 1 <= p[i] - p[i-1] <= slop (slop 1: adjacent), which is what Whoosh's
Phrase.matcher (SpanNear2, ordered, mindist 1) finds. bulk._phrase reads the words'
postings rarest first, each only in the posting blocks that hold a document every rarer
word is in (`narrow`); `in_order` then checks positions, decoding them only for the
documents still in the running, word by word. Nothing here reads the index.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

POSITION_BITS = 32  # keys are docnum << 32 | position: one sort order for both


def narrow(docs: np.ndarray, ids: np.ndarray, size: int) -> np.ndarray:
    """The documents of `docs` that are in `ids` (docnums under `size`, no repeats)."""
    # A mask over the segment: several times faster than searching sorted arrays.
    present = np.zeros(size, dtype=bool)
    present[ids] = True
    return docs[present[docs]]


Positions = Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray]]


def in_order(docs: np.ndarray, words: int, positions: Positions, slop: int) -> np.ndarray:
    """The documents of `docs` (ascending) where the phrase's words occur in order.

    `positions(i, docs)` gives word i's positions in each of `docs`: (count per
    document, every position, ascending within each document). A word's position is
    kept when the previous word reached a position at most `slop` before it; the
    documents where some position of the last word is kept match.
    """
    reach = np.empty(0, np.int64)
    for i in range(words):
        if not len(docs):
            break
        counts, found = positions(i, docs)
        keys = (np.repeat(docs, counts) << POSITION_BITS) | found
        if i:
            # The latest reached position before each one, in the same document.
            before = np.searchsorted(reach, keys - 1, side="right") - 1
            ok = before >= 0
            latest = reach[before[ok]]
            if slop == 1:
                # Only the position just before: a key less 1 is never another
                # document's (its position would be 2**32 - 1).
                ok[ok] = latest == keys[ok] - 1
            else:
                ok[ok] = (latest >= keys[ok] - slop) & \
                    ((latest >> POSITION_BITS) == (keys[ok] >> POSITION_BITS))
            keys = keys[ok]
        elif counts.all():
            reach = keys  # every document keeps a position: the same documents
            continue
        reach = keys  # sorted: documents ascending, positions ascending within each
        owners = reach >> POSITION_BITS
        docs = owners[np.flatnonzero(np.diff(owners, prepend=-1))] if len(owners) else owners
    return docs
