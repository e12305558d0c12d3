"""A text field's posting values (where each word occurs), as posting blocks hold them.

Whoosh's `Positions` format gives each posting one value, pack_uint(n) and the pickled
deltas between its n positions, and a W3 posting block holds a tuple of them. Loading
such a block makes a bytes object per posting, and a phrase then parses each of them:
that was most of a phrase search's time. The bulk writer (indexer/whoosh_adapter.py's
`write_terms`) writes a text field's block of `PACKED_MIN` postings or more as one
`PositionBlock` instead: each posting's count of positions, then every position, in two
arrays. Whoosh reads it as it reads the tuple (a `PositionBlock` is a sequence of the
same values, each made when asked for); the search fast path reads its arrays as they
are (indexer/bulk.py), and the block is about a third of the tuple's size.

Blocks of fewer postings stay tuples: the arrays' pickled headers would cost more than
they save. An index written before `PositionBlock` existed, and segments Whoosh's own
merge writes, hold tuples only; readers take either.
"""

from __future__ import annotations

import itertools
import math
import pickle
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from whoosh import formats
from whoosh.system import pack_uint

# Fewest postings in a block written as a PositionBlock (see the module's docstring):
# its pickle has about 60 bytes of headers, a tuple about 3 bytes a value more.
PACKED_MIN = 16

# array typecodes of 1, 2 and 4 bytes, unsigned.
_UINT32 = next(code for code in "IL" if array(code).itemsize == 4)
_WIDTHS = (("B", 1 << 8), ("H", 1 << 16), (_UINT32, 1 << 32))


def encode_positions(positions: list[int]) -> bytes:
    """Posting value of whoosh.formats.Positions: count, then pickled position deltas."""
    if len(positions) == 1 and positions[0] < len(ONE_POSITION_VALUES):
        return ONE_POSITION_VALUES[positions[0]]  # most words occur once in a communiqué
    if len(positions) > 1:
        positions = [positions[0]] + [b - a for a, b in itertools.pairwise(positions)]
    return pack_uint(len(positions)) + pickle.dumps(positions, 2)


# The value of a word that occurs once, at each position (most words of a communiqué).
ONE_POSITION_VALUES = [pack_uint(1) + pickle.dumps([position], 2)
                       for position in range(16_384)]


def packed_from(fmt: Any) -> int | float:
    """The fewest postings of a block written as a PositionBlock in a field of this
    format: PACKED_MIN for Positions itself, never for any other (its subclasses, such
    as Characters, encode more than positions)."""
    return PACKED_MIN if type(fmt) is formats.Positions else math.inf


def _narrowest(largest: int) -> str:
    """The typecode of the narrowest unsigned array holding numbers up to `largest`."""
    return next(code for code, limit in _WIDTHS if largest < limit)


class PositionBlock(Sequence[bytes]):
    """A posting block's values: the positions of each posting, packed.

    `counts[k]` is how many positions posting k has; `positions` holds them all, posting
    after posting, each ascending. Indexing gives what encode_positions gives (Whoosh's
    value); the pickle is the two arrays (`__reduce__`), which numpy reads as they are.
    """

    __slots__ = ("_ends", "counts", "positions")

    def __init__(self, counts: array, positions: array) -> None:
        self.counts = counts
        self.positions = positions
        self._ends: list[int] | None = None

    @classmethod
    def of(cls, counts: np.ndarray, positions: np.ndarray) -> PositionBlock:
        """A block from each posting's count and every position (numpy integers)."""
        return cls(_packed(counts), _packed(positions))

    def __reduce__(self) -> tuple[Any, tuple[array, array]]:
        return PositionBlock, (self.counts, self.positions)

    def __len__(self) -> int:
        return len(self.counts)

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("PositionBlock index out of range")
        if self._ends is None:
            self._ends = list(itertools.accumulate(self.counts))
        end = self._ends[index]
        return encode_positions(self.positions[end - self.counts[index]:end].tolist())

    def __iter__(self) -> Iterator[bytes]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PositionBlock) and self.counts == other.counts \
            and self.positions == other.positions

    __hash__ = None  # type: ignore[assignment]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(counts, positions) as numpy arrays over the block's own buffers."""
        return (np.frombuffer(self.counts, dtype=self.counts.typecode),
                np.frombuffer(self.positions, dtype=self.positions.typecode))


def _packed(numbers: np.ndarray) -> array:
    code = _narrowest(int(numbers.max())) if len(numbers) else "B"
    return array(code, numbers.astype(np.dtype(code), copy=False).tobytes())


def decoded_block(values: Sequence[bytes], fmt: Any) -> PositionBlock:
    """The PositionBlock of values that `fmt` (a Positions format) encoded."""
    found = [fmt.decode_positions(value) for value in values]
    return PositionBlock.of(np.array([len(p) for p in found], dtype=np.int64),
                            np.array([p for each in found for p in each], dtype=np.int64))


@dataclass
class PackedPositions:
    """Postings' positions as an inversion leaves them: posting k's are
    positions[starts[k]:starts[k] + counts[k]] (each posting's right after the one
    before). A text field's TermChunk carries these instead of encoded values."""

    counts: np.ndarray
    starts: np.ndarray
    positions: np.ndarray

    def __len__(self) -> int:
        return len(self.counts)

    def block(self, a: int, z: int) -> PositionBlock:
        """Postings a to z (excluded) as a PositionBlock."""
        first = int(self.starts[a])
        last = int(self.starts[z - 1] + self.counts[z - 1])
        return PositionBlock.of(self.counts[a:z], self.positions[first:last])

    def encoded(self, chosen: np.ndarray) -> list[bytes]:
        """The Whoosh values of the chosen postings (indices, ascending)."""
        return encoded_values(self.positions, self.starts[chosen], self.counts[chosen])


def block_values(values: Sequence[bytes] | PackedPositions, a: int, z: int, fmt: Any,
                 encoded: Iterator[bytes] | None = None) -> tuple[bytes, ...] | PositionBlock:
    """A block's values, postings a to z (excluded), as the bulk writer writes them: a
    PositionBlock when the block holds `packed_from(fmt)` postings or more, else a tuple
    of Whoosh's values (for PackedPositions, taken from `encoded`: the values of the
    blocks written as tuples, in order). write_terms does the same inline."""
    pack = z - a >= packed_from(fmt)
    if isinstance(values, PackedPositions):
        if pack:
            return values.block(a, z)
        assert encoded is not None
        return tuple(itertools.islice(encoded, z - a))
    if pack:
        return decoded_block(values[a:z], fmt)
    return tuple(values[a:z])


def encoded_values(positions: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> list:
    """Each posting's value as whoosh.formats.Positions encodes it."""
    single = ONE_POSITION_VALUES
    if not len(counts):
        return []
    firsts = positions[starts]
    simple = (counts == 1) & (firsts < len(single))
    values: list[bytes] = [single[p] for p in np.where(simple, firsts, 0).tolist()]
    in_bulk = (counts > 1) & (counts <= PICKLE_BATCH)
    several = np.flatnonzero(in_bulk)
    if len(several):
        encoded, ends = pickled_position_lists(positions, starts[several], counts[several])
        begin = 0
        for index, end in zip(several.tolist(), ends.tolist(), strict=True):
            values[index] = encoded[begin:end]
            begin = end
    # The rest (a word more than PICKLE_BATCH times, or once far into a long text).
    for index in np.flatnonzero(~simple & ~in_bulk).tolist():
        start = int(starts[index])
        values[index] = encode_positions(positions[start:start + int(counts[index])].tolist())
    return values


# pickle writes a list's items in batches of this many; longer lists are encoded by pickle.
PICKLE_BATCH = 1000
# pack_uint(count), then pickle protocol 2 of a list: PROTO 2, EMPTY_LIST, BINPUT 0, MARK.
_LIST_START = b"\x80\x02]q\x00("
_LIST_END = b"e."  # APPENDS, STOP


def pickled_position_lists(positions: np.ndarray, starts: np.ndarray,
                            counts: np.ndarray) -> tuple[bytes, np.ndarray]:
    """encode_positions() of many lists of 2 to PICKLE_BATCH positions at once, with
    numpy: the bytes of all of them one after another, and where each ends.

    Each is pack_uint(n) and pickle.dumps(deltas, 2), whose items are BININT1 (K, one
    byte), BININT2 (M, two bytes) or BININT (J, four bytes, little-endian); a test
    compares the bytes with pickle's for deltas of every size.
    """
    # The positions of each list, and their deltas (the first one from 0).
    first_tokens = np.cumsum(counts) - counts  # where each list's positions begin, flat
    within = np.arange(int(counts.sum())) - np.repeat(first_tokens, counts)
    taken = positions[np.repeat(starts, counts) + within].astype(np.int64)
    deltas = taken.copy()
    deltas[1:] -= taken[:-1]
    deltas[within == 0] = taken[within == 0]
    item_sizes = np.where(deltas < 256, 2, np.where(deltas < 65536, 3, 5))
    header = 4 + len(_LIST_START)
    lengths = header + np.add.reduceat(item_sizes, first_tokens) + len(_LIST_END)
    ends = np.cumsum(lengths)
    begins = ends - lengths
    out = np.zeros(int(ends[-1]), dtype=np.uint8)
    # Headers: the count, big-endian, then the list's opening opcodes.
    for byte in range(4):
        out[begins + byte] = (counts >> (8 * (3 - byte))) & 0xFF
    for offset, byte in enumerate(_LIST_START):
        out[begins + 4 + offset] = byte
    # Items: an opcode, then the delta's bytes, little-endian.
    item_offsets = np.cumsum(item_sizes) - item_sizes  # from the first list's first item
    item_at = np.repeat(begins + header - item_offsets[first_tokens], counts) + item_offsets
    out[item_at] = np.select([item_sizes == 2, item_sizes == 3], [ord("K"), ord("M")],
                             ord("J"))
    for byte in range(4):
        has = item_sizes - 1 > byte
        out[item_at[has] + 1 + byte] = (deltas[has] >> (8 * byte)) & 0xFF
    for offset, byte in enumerate(_LIST_END):
        out[ends - len(_LIST_END) + offset] = byte
    return out.tobytes(), ends
