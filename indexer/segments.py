"""Writing a Whoosh segment in bulk: documents inverted in memory, postings written a block
at a time.

Whoosh's own writer puts every posting through a pool (a tuple per posting, sorted,
spilled to disk and merged), then hands them one at a time to the codec. At ~470
postings a communiqué that was over half of a rebuild's time. This writer keeps a text
field as the term number of each word (4 bytes a word), inverts it with one numpy sort
when the segment is written, and gives the codec whole blocks. The files are Whoosh's
own format: the same codec writes them, and a test compares the index with one Whoosh
wrote.

It reaches into the W3 codec's postings writer (`_ids`, `_weights`, `_values`, block
statistics, `_write_block`), which is why whoosh3 is pinned (pyproject.toml).
"""

from __future__ import annotations

import itertools
import pickle
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import (
    COMPRESSION_MIN_SIZE,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3PostingsWriter,
    W3Segment,
)
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from indexer.folding import WORD
from indexer.schema import ONE_POSITION_VALUES, FastText, encode_positions

# zlib level for posting blocks (Whoosh's default is 3). Off: a rebuild runs 15% and a
# cold search 15-20% faster (no block to deflate when written or inflate when read).
# Readers need no setting: each block says whether it is compressed.
POSTINGS_COMPRESSION = 0
# Whoosh pickles a block's (ids, weights, values) with protocol 2, which has no opcode
# for bytes: each posting's value is pickled as a call to codecs.encode on a latin-1
# string, and unpickling a block of 128 runs 128 such calls (42 us a block against 4 us
# with protocol 4, which writes bytes as they are, in half the space). Readers unpickle
# whatever protocol a block has.
BLOCK_PICKLE_PROTOCOL = 4


class _BlockWriter(W3PostingsWriter):
    """W3PostingsWriter writing each block's data with BLOCK_PICKLE_PROTOCOL."""

    def _write_block(self, last: bool = False) -> None:
        # As W3PostingsWriter._write_block (whoosh3 3.54.0), but for the protocol.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, BLOCK_PICKLE_PROTOCOL)
        compression = self._compression if len(databytes) >= COMPRESSION_MIN_SIZE else 0
        if compression:
            databytes = zlib.compress(databytes, compression)
        ids = self._ids
        infobytes = pickle.dumps((len(ids), ids[-1], self._maxweight, compression,
                                  length_to_byte(self._minlength),
                                  length_to_byte(self._maxlength)), 2)
        length = len(infobytes) + len(databytes)
        self._postfile.write_int(-length if last else length)  # negative: the last block
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class _BulkCodec(W3Codec):
    """The W3 codec, writing posting blocks with _BlockWriter. Segments record a plain
    W3Codec, so an index never depends on this class to be read."""

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _BlockWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                            compression=self._compression, inlinelimit=self._inlinelimit)

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        return W3Segment(W3Codec(blocklimit=self._blocklimit, compression=self._compression,
                                 inlinelimit=self._inlinelimit), indexname)


ANALYSED_VALUES_KEPT = 100_000  # distinct keyword and date values remembered per segment


class _Postings:
    """One term's postings in a segment: docnums, weights and encoded values."""

    __slots__ = ("ends", "ids", "values", "weights")

    def __init__(self) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.values = bytearray()  # the values one after another ...
        self.ends = array("I")  # ... and where each ends


class _TextTokens:
    """A FastText field's words in a segment, as term numbers, document after document."""

    def __init__(self, field: FastText) -> None:
        self.field = field
        self.term_of = field.term_function()
        self.numbers: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.tokens = array("i")
        self.docnums = array("i")  # the documents that have words in this field ...
        self.counts = array("i")  # ... and how many

    def add(self, docnum: int, text: str) -> int:
        before = len(self.tokens)
        # map() over C functions: a word costs no Python-level step here.
        self.tokens.extend(map(self.numbers.__getitem__, map(self.term_of, _words(text))))
        count = len(self.tokens) - before
        if count:
            self.docnums.append(docnum)
            self.counts.append(count)
        return count

    def inverted(self) -> Iterator[tuple[bytes, array, array, list[bytes]]]:
        """(term, docnums, weights, posting values) per term, in term order."""
        tokens = np.frombuffer(self.tokens, dtype=np.int32)
        if not len(tokens):
            return
        counts = np.frombuffer(self.counts, dtype=np.int32)
        starts = np.cumsum(counts) - counts
        docnums = np.repeat(np.frombuffer(self.docnums, dtype=np.int32), counts)
        positions = np.arange(len(tokens), dtype=np.int32) - np.repeat(starts, counts)
        # Stable: within a term, documents and positions stay in the order they came.
        order = np.argsort(tokens, kind="stable")
        tokens, docnums, positions = tokens[order], docnums[order], positions[order]
        del order
        first = np.ones(len(tokens), dtype=bool)  # a posting starts: new term or document
        first[1:] = (tokens[1:] != tokens[:-1]) | (docnums[1:] != docnums[:-1])
        posting_starts = np.flatnonzero(first)
        posting_counts = np.diff(np.append(posting_starts, len(tokens)))
        posting_terms = tokens[posting_starts]
        posting_docnums = docnums[posting_starts].astype(np.uint32)
        weights = (posting_counts * self.field.format.field_boost).astype(np.float32)
        values = _encoded_values(positions, posting_starts, posting_counts)
        term_starts = np.flatnonzero(np.diff(posting_terms, prepend=-1))
        term_stops = np.append(term_starts[1:], len(posting_terms))
        numbers = self.numbers
        for term in sorted(numbers):  # code point order is UTF-8 byte order
            number = numbers[term]
            start, stop = int(term_starts[number]), int(term_stops[number])
            yield (term.encode("utf-8"), array("I", posting_docnums[start:stop].tobytes()),
                   array("f", weights[start:stop].tobytes()), values[start:stop])


_last_words: list = [None, []]  # (text, its words): one rebuild runs in one thread


def _words(text: str) -> list[str]:
    """WORD.findall(text), once for a text indexed twice in a row (folded, then exact)."""
    if _last_words[0] is not text:
        _last_words[:] = [text, WORD.findall(text)]
    return _last_words[1]


def _encoded_values(positions: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> list:
    """Each posting's value as whoosh.formats.Positions encodes it."""
    single = ONE_POSITION_VALUES
    firsts = positions[starts]
    simple = (counts == 1) & (firsts < len(single))
    values: list[bytes] = [single[p] for p in np.where(simple, firsts, 0).tolist()]
    in_bulk = (counts > 1) & (counts <= PICKLE_BATCH)
    several = np.flatnonzero(in_bulk)
    if len(several):
        encoded, ends = _pickled_position_lists(positions, starts[several], counts[several])
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


def _pickled_position_lists(positions: np.ndarray, starts: np.ndarray,
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


class BulkSegmentWriter(SegmentWriter):
    """A SegmentWriter that inverts documents in memory instead of pooling postings.

    For new segments only (a rebuild): it neither deletes nor updates documents, and it
    expects documents built by `indexer.schema.document_for` (no per-field boosts).
    `postings_count` lets the caller start a new segment before memory grows too large.
    """

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        kwargs.setdefault("codec", _BulkCodec(compression=POSTINGS_COMPRESSION))
        super().__init__(ix, **kwargs)
        if not isinstance(self.codec, W3Codec):
            raise TypeError(f"bulk segments need Whoosh's W3 codec, not {self.codec!r}")
        # Field -> term -> postings, for fields other than FastText ones.
        self._terms: dict[str, dict[bytes, _Postings]] = {}
        self._texts: dict[str, _TextTokens] = {}
        self._analysed: dict[tuple[int, Any], list] = {}
        # Per field, each document's length as the length column will give it back.
        self._lengths: dict[str, array] = {}
        self.postings_count = 0  # postings of other fields and words of text fields

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        schema = self.schema
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        perdocwriter.start_doc(docnum)
        for fieldname in sorted(fields):
            value = fields[fieldname]
            if value is None or fieldname.startswith("_"):
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                if isinstance(field, FastText) and isinstance(value, str):
                    text = self._texts.get(fieldname)
                    if text is None:
                        text = self._texts[fieldname] = _TextTokens(field)
                    length = text.add(docnum, value)
                    self.postings_count += length
                else:
                    terms = self._terms.get(fieldname)
                    if terms is None:
                        terms = self._terms[fieldname] = {}
                    length = self._add_terms(terms, field, value, docnum)
                lengths = self._lengths.get(fieldname)
                if lengths is None:
                    lengths = self._lengths[fieldname] = array("I")
                # Documents before this one that lacked the field have length 0.
                lengths.extend([0] * (docnum - len(lengths)))
                lengths.append(_stored_length(length))
            perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _add_terms(self, terms: dict, field: Any, value: Any, docnum: int) -> int:
        """Any other field's postings, as the field's `index` gives them."""
        length = 0
        # Values repeat (a handful of sources, languages and types; dates): each
        # distinct one is analysed once. Ids are unique, so they are not kept.
        key = None if field.unique else (id(field), value)
        items = self._analysed.get(key) if key else None
        if items is None:
            items = list(field.index(value))
            if key and len(self._analysed) < ANALYSED_VALUES_KEPT:
                self._analysed[key] = items
        for tbytes, freq, weight, vbytes in items:
            postings = terms.get(tbytes)
            if postings is None:
                postings = terms[tbytes] = _Postings()
            postings.ids.append(docnum)
            postings.weights.append(weight)
            if vbytes:
                postings.values += vbytes
            postings.ends.append(len(postings.values))
            if field.scorable:
                length += freq
            self.postings_count += 1
        return length

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        for fieldname in sorted(set(self._terms) | set(self._texts)):
            lengths = self._lengths.get(fieldname, array("I"))
            lengths.extend([0] * (self.docnum - len(lengths)))
            lengths_array = np.frombuffer(lengths, dtype=np.uint32)
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            if fieldname in self._texts:
                inverted = self._texts.pop(fieldname).inverted()
            else:
                terms = self._terms.pop(fieldname)
                inverted = ((term, p.ids, p.weights, _split(p.values, p.ends))
                            for term, p in sorted(terms.items()))
            for term, docnums, weights, values in inverted:
                fieldwriter.start_term(term)
                _write_postings(fieldwriter._postwriter, docnums, weights, values,
                                lengths_array)
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        fieldwriter.close()


def _split(values: bytearray, ends: array) -> list[bytes]:
    """Posting values stored one after another, apart again (empty ones left out, as
    Whoosh's postings writer leaves them out)."""
    joined = bytes(values)
    starts = [0, *ends[:-1]]
    return [joined[start:end] for start, end in zip(starts, ends, strict=True) if end != start]


def _stored_length(length: int) -> int:
    """The length Whoosh reads back from its one-byte length column (0: none stored)."""
    if not length:
        return 0
    stored = length_to_byte(length)
    return byte_to_length(stored) if stored else 0


def _write_postings(writer: Any, docnums: array, weights: array, values: list[bytes],
                    lengths: np.ndarray) -> None:
    """Give the codec's postings writer one term's postings, a block at a time."""
    limit = writer._blocklimit
    count = len(docnums)
    term_lengths = lengths[np.frombuffer(docnums, dtype=np.uint32)]
    value_at = 0
    for start in range(0, count, limit):
        stop = min(start + limit, count)
        block_weights = weights[start:stop]
        block_lengths = term_lengths[start:stop]
        block_lengths = block_lengths[block_lengths > 0]
        writer._ids = docnums[start:stop]
        writer._weights = block_weights
        # Values were left out for postings without one; a block takes its own share.
        taken = values[value_at:value_at + (stop - start)] if values else []
        value_at += len(taken)
        writer._values = taken
        writer._maxweight = max(max(block_weights), 0)
        writer._minlength = int(block_lengths.min()) if len(block_lengths) else None
        writer._maxlength = int(block_lengths.max()) if len(block_lengths) else 0
        if stop < count:
            writer._write_block()
    # The last (or only) block is written, or inlined, by finish_postings.
