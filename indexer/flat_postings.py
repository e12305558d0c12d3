"""Long posting lists as flat arrays beside their segment, in `<segment id>.flat`.

A W3 posting list is a chain of pickled blocks of 128 postings: reading one walks it a
block at a time in Python (4-6 us a block), and at a million communiqués a common
word's lists are thousands of blocks a search. The bulk writer also writes the ids and
weights of each list of FLAT_POSTINGS_MIN postings or more as plain arrays, one file
per segment, from which a search reads a list in one read.

Whoosh never reads the file, and deletes it with its segment: the name is the segment's
(`whoosh.index.clean_files` removes every `<segment id>.*` of a segment no longer in the
index). A segment without one (written by Whoosh's own writer, or a merge) is read
block by block, as before. A list is found by where its blocks start in the segment's
postings file (its term info says), and taken only when its length is the term's
document frequency, so a file that is not the segment's is never believed.

The file: a header (FLAT_HEADER), each list's postings-file offset (int64, ascending),
where each list starts among the postings (int64, one more for the end), every list's
ids (uint16 when all are below 65,536, else uint32), then their weights (uint8 when
every weight is a whole number up to 255, else float32).
"""

from __future__ import annotations

import os
import struct
import weakref
from pathlib import Path
from typing import Any

import numpy as np

FLAT_POSTINGS_MIN = 512  # postings: shorter lists (at most 4 blocks) are read as blocks
FLAT_EXTENSION = ".flat"
FLAT_MAGIC = b"CQFLAT01"
# magic, lists, postings, bytes of an id, bytes of a weight (1: uint8, 4: float32)
FLAT_HEADER = struct.Struct("<8sqqBB6x")
_ALIGN = 8


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % _ALIGN)


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Every index of the ranges [start, start + size), in order."""
    total = int(sizes.sum())
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (np.cumsum(sizes) - sizes),
                                                        sizes)


def _narrow_ids(ids: np.ndarray) -> np.ndarray:
    return ids.astype(np.uint16 if int(ids.max()) < 1 << 16 else np.uint32)


def _narrow_weights(weights: np.ndarray) -> np.ndarray:
    whole = bool((weights == np.round(weights)).all() and weights.min() >= 0
                 and weights.max() <= 255)
    return weights.astype(np.uint8 if whole else np.float32)


class FlatCollector:
    """The long lists of one segment, as its writer writes them (in postings-file order)."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._offsets: list[np.ndarray] = []
        self._sizes: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []
        self._weights: list[np.ndarray] = []

    def __bool__(self) -> bool:
        return bool(self._offsets)

    def add(self, offsets: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
            docnums: np.ndarray, weights: np.ndarray) -> None:
        """Terms just written: term n's list starts at offsets[n] in the postings file,
        and its postings are docnums[starts[n]:starts[n] + sizes[n]] with their weights.
        The long ones are kept."""
        long = sizes >= FLAT_POSTINGS_MIN
        if not long.any():
            return
        taken = _ranges(starts[long], sizes[long])
        self._offsets.append(offsets[long].astype(np.int64))
        self._sizes.append(sizes[long].astype(np.int64))
        # Kept as narrow as they will be written (a writer's memory is bounded).
        self._ids.append(_narrow_ids(docnums[taken]))
        self._weights.append(_narrow_weights(weights[taken]))

    def write(self, storage: Any, name: str) -> None:
        """Write the file `name` in the index's `storage` (nothing when no list is long)."""
        if not self:
            return
        offsets = np.concatenate(self._offsets)
        if len(offsets) > 1 and not (np.diff(offsets) > 0).all():
            raise ValueError("lists must be added in postings-file order")
        sizes = np.concatenate(self._sizes)
        ids = np.concatenate(self._ids)  # (the widest of the parts' types)
        weights = np.concatenate(self._weights)
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        parts = [FLAT_HEADER.pack(FLAT_MAGIC, len(offsets), len(ids), ids.itemsize,
                                  weights.itemsize),
                 offsets.astype("<i8").tobytes(), starts.astype("<i8").tobytes(),
                 _padded(ids.astype(ids.dtype.newbyteorder("<")).tobytes()),
                 weights.astype(weights.dtype.newbyteorder("<")).tobytes()]
        out = storage.create_file(name)
        try:
            out.write(b"".join(parts))
        finally:
            out.close()
        self._clear()  # written: let the arrays go


class FlatPostings:
    """A segment's flat lists: the file's directory (each list's offset and start) read
    when opened, a list's ids and weights read with one `pread` each when asked for.

    Not mapped: the pages of a mapped file that a search touches count in its process's
    resident memory (at 1M, 400 MB more in each web worker), and a list is copied into
    int64 and float64 arrays anyway. Read, the file stays in the page cache, shared by
    every process."""

    def __init__(self, descriptor: int, size: int) -> None:
        header = os.pread(descriptor, FLAT_HEADER.size, 0)
        magic, lists, postings, id_size, weight_size = FLAT_HEADER.unpack(header)
        directory_size = 8 * (2 * lists + 1)
        ids_end = FLAT_HEADER.size + directory_size + id_size * postings
        if magic != FLAT_MAGIC or id_size not in (2, 4) or weight_size not in (1, 4) \
                or min(lists, postings) < 0 \
                or size != ids_end + -ids_end % _ALIGN + weight_size * postings:
            raise ValueError("not a flat postings file")
        directory = os.pread(descriptor, directory_size, FLAT_HEADER.size)
        if len(directory) != directory_size:
            raise ValueError("not a flat postings file")
        self.offsets = np.frombuffer(directory, "<i8", lists, 0)
        self.starts = np.frombuffer(directory, "<i8", lists + 1, 8 * lists)
        self._ids = (FLAT_HEADER.size + directory_size, id_size,
                     np.dtype("<u2" if id_size == 2 else "<u4"))
        self._weights = (ids_end + -ids_end % _ALIGN, weight_size,
                         np.dtype("u1" if weight_size == 1 else "<f4"))
        self._descriptor = descriptor
        weakref.finalize(self, os.close, descriptor)

    @classmethod
    def open(cls, path: Path) -> FlatPostings | None:
        """The file's lists, or None when there is none or it is not one."""
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            return cls(descriptor, os.fstat(descriptor).st_size)
        except (OSError, ValueError, struct.error):
            os.close(descriptor)
            return None

    def _read(self, part: tuple[int, int, np.dtype], start: int, count: int) -> np.ndarray:
        at, size, dtype = part
        data = os.pread(self._descriptor, size * count, at + size * start)
        if len(data) != size * count:
            raise ValueError("the flat postings file was cut short")
        return np.frombuffer(data, dtype)

    def postings(self, offset: int, count: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(ids int64, weights float64) of the list starting at `offset` in the postings
        file, if it is here and holds `count` postings (its term's document frequency)."""
        k = int(np.searchsorted(self.offsets, offset))
        if k >= len(self.offsets) or int(self.offsets[k]) != offset:
            return None
        start, stop = int(self.starts[k]), int(self.starts[k + 1])
        if stop - start != count:
            return None
        try:
            ids = self._read(self._ids, start, count)
            weights = self._read(self._weights, start, count)
        except (OSError, ValueError):
            return None
        return ids.astype(np.int64), weights.astype(np.float64)
