"""Writing a Whoosh segment in bulk: documents inverted in memory, postings written a block
at a time.

Whoosh's own writer puts every posting through a pool (a tuple per posting, sorted,
spilled to disk and merged), then hands them one at a time to the codec. At ~470
postings a communiqué that was over half of a rebuild's time. This writer keeps a text
field as the term number of each word (4 bytes a word), inverts it with one numpy sort
when the segment is written, and gives the codec whole blocks. The files are Whoosh's
own format: the same codec writes them, and a test compares the index with one Whoosh
wrote.

It writes below Whoosh's public API (a segment's postings handed to the W3 codec a
block at a time); every such access is in indexer/whoosh_adapter.py. When the adapter
finds another Whoosh (`FAST_PATHS` False), `share_writer` gives Whoosh's own writer
instead: a rebuild then runs in one process, slower, and makes the same index.
"""

from __future__ import annotations

import itertools
import struct
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer import whoosh_adapter
from indexer.folding import WORD
from indexer.position_values import PackedPositions
from indexer.schema import FastText

# zlib level for posting blocks (Whoosh's default is 3) unless postings_compression says
# otherwise. Off: a rebuild runs 15% and a cold search 15-20% faster (no block to deflate
# when written or inflate when read). Readers need no setting: each block says whether
# it is compressed.
POSTINGS_COMPRESSION = 0
# zlib level of the blocks that are compressed: a block shrinks to about a third (level 3
# gains 2% more, deflating 20% slower); inflating costs about as much as unpickling.
COMPRESSED_LEVEL = 1
# In the searched text fields, a term found in fewer than this share of a segment's
# documents has its blocks compressed: about half of the body's bytes at 100k, while the
# common terms that make most of a search's block reads stay uncompressed.
RARE_TERM_SHARE = 0.1
RARE_TERMS_COMPRESSED_IN = frozenset({"title", "body"})


def postings_compression(fieldname: str, field: Any, doc_frequency: int,
                         doc_count: int) -> int:
    """The zlib level of one term's posting blocks in a new segment (0: none).

    The exact-spelling fields are read only by exact searches (exact=1), never by the
    default search, so all their blocks are compressed: they are half the postings.
    In the title and body, rare terms' blocks are. The official and country fields
    (each query on them reads rare terms, and they are small), keyword, id and date
    postings (facets read them when a generation opens) are left as they are.
    """
    if isinstance(field, FastText) and field.terms == "exact":
        return COMPRESSED_LEVEL
    if fieldname in RARE_TERMS_COMPRESSED_IN and doc_frequency < RARE_TERM_SHARE * doc_count:
        return COMPRESSED_LEVEL
    return POSTINGS_COMPRESSION
def flat_postings_wanted(field: Any) -> bool:
    """Whether a field's long lists are also written as flat arrays
    (indexer.flat_postings): every field a default search reads. Not the exact-spelling
    ones, read only by exact searches: they would add nearly as much again."""
    return not (isinstance(field, FastText) and field.terms == "exact")


# Whoosh pickles a block's (ids, weights, values) with protocol 2, which has no opcode
# for bytes: each posting's value is pickled as a call to codecs.encode on a latin-1
# string, and unpickling a block of 128 runs 128 such calls (42 us a block against 4 us
# with protocol 4, which writes bytes as they are, in half the space). Readers unpickle
# whatever protocol a block has.
BLOCK_PICKLE_PROTOCOL = 4
# Whoosh's own writer (the fallback) spills its posting pool to disk past this.
FALLBACK_WRITER_MEMORY_MB = 256


ANALYSED_VALUES_KEPT = 100_000  # distinct keyword and date values remembered per segment


class _Postings:
    """One term's postings in a segment: docnums, weights and encoded values."""

    __slots__ = ("ends", "ids", "values", "weights")

    def __init__(self) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.values = bytearray()  # the values one after another ...
        self.ends = array("I")  # ... and where each ends


# Distinct words a text field remembers the term number of (about 100 bytes each).
WORDS_KEPT = 250_000
# A FastText field given the same text as the field named like it with this suffix is
# added together with it (_PairedNumbers).
PAIRED_SUFFIX = "_exact"


class _WordNumbers(dict):
    """Word as written -> its term's number in a segment, each distinct word's term
    worked out once (`__missing__`)."""

    def __init__(self, term_of: Any, numbers: defaultdict[str, int]) -> None:
        super().__init__()
        self.term_of = term_of
        self.numbers = numbers

    def __missing__(self, word: str) -> int:
        number = self[word] = self.numbers[self.term_of(word)]
        return number


@dataclass
class TermChunk:
    """Terms in term order and their postings: term n's are docnums[starts[n]:starts[n + 1]]
    (the last term's run to the end), with their weights and values (empty: none)."""

    terms: list[bytes]
    starts: np.ndarray
    docnums: np.ndarray
    weights: np.ndarray
    values: list[bytes] | PackedPositions


class _PairedNumbers(dict):
    """Word as written -> its term numbers in two FastText fields given the same text
    (title and title_exact, body and body_exact), packed as two native ints: one look-up
    a word for both fields instead of one in each field's dict."""

    def __init__(self, first: _TextTokens, second: _TextTokens) -> None:
        super().__init__()
        self.first = first
        self.second = second

    def __missing__(self, word: str) -> bytes:
        packed = self[word] = _PAIR.pack(self.first.numbers[self.first.term_of(word)],
                                         self.second.numbers[self.second.term_of(word)])
        return packed

    def add(self, docnum: int, text: str) -> int:
        """Add a text to both fields (as each field's `add` would); its number of words."""
        both = array("i")
        both.frombytes(b"".join(map(self.__getitem__, _words(text))))
        if len(self) > WORDS_KEPT:
            self.clear()  # a cache, as _TextTokens.word_numbers
        count = len(both) // 2
        if count:
            for tokens, part in ((self.first, both[0::2]), (self.second, both[1::2])):
                tokens.tokens.extend(part)
                tokens.docnums.append(docnum)
                tokens.counts.append(count)
        return count


_PAIR = struct.Struct("ii")


class _TextTokens:
    """A FastText field's words in a segment, as term numbers, document after document."""

    def __init__(self, field: FastText) -> None:
        self.field = field
        self.term_of = field.term_function()
        self.numbers: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.word_numbers = _WordNumbers(self.term_of, self.numbers)
        self.tokens = array("i")
        self.docnums = array("i")  # the documents that have words in this field ...
        self.counts = array("i")  # ... and how many

    def add(self, docnum: int, text: str) -> int:
        before = len(self.tokens)
        # map() over a C lookup: a word seen before in the segment costs one dict hit,
        # no Python-level step and no term function (an lru_cache hit cost twice that).
        self.tokens.extend(map(self.word_numbers.__getitem__, _words(text)))
        if len(self.word_numbers) > WORDS_KEPT:
            self.word_numbers.clear()  # a cache: bounded, its terms keep their numbers
        count = len(self.tokens) - before
        if count:
            self.docnums.append(docnum)
            self.counts.append(count)
        return count

    def inverted(self) -> Iterator[TermChunk]:
        """The field's postings, term after term in term order, in chunks of whole terms.

        Memory: the positions stay one array; the Whoosh values of blocks too small to
        pack (indexer.position_values) are encoded a chunk of about VALUE_CHUNK
        postings at a time as the terms are written; the word-length arrays go as soon
        as the postings are known.
        """
        tokens = np.frombuffer(self.tokens, dtype=np.int32)
        if not len(tokens):
            return
        # Term numbers in term order (code point order is UTF-8 byte order), so the
        # sorted postings come term after term in the order they are written.
        terms = sorted(self.numbers)
        rank = np.empty(len(terms), dtype=np.int32)
        rank[np.fromiter(map(self.numbers.__getitem__, terms), dtype=np.int64,
                         count=len(terms))] = np.arange(len(terms), dtype=np.int32)
        tokens = rank[tokens]
        del rank
        self.tokens = array("i")  # the words as added are not needed again
        self.word_numbers.clear()
        # Stable: within a term, documents and positions stay in the order they came.
        order = np.argsort(tokens, kind="stable")
        tokens = tokens[order]
        # Each word's document and position, in the sorted order, made one at a time
        # (the peak of a segment's write is here: a few arrays as long as its words).
        counts = np.frombuffer(self.counts, dtype=np.int32)
        starts = (np.cumsum(counts) - counts).astype(np.int32)
        word_doc = np.repeat(np.arange(len(counts), dtype=np.int32), counts)[order]
        positions = order.astype(np.int32) - starts[word_doc]
        del order
        docnums = np.frombuffer(self.docnums, dtype=np.int32)[word_doc]
        del word_doc
        first = np.ones(len(tokens), dtype=bool)  # a posting starts: new term or document
        first[1:] = (tokens[1:] != tokens[:-1]) | (docnums[1:] != docnums[:-1])
        posting_starts = np.flatnonzero(first)
        del first
        posting_counts = np.diff(np.append(posting_starts, len(tokens)))
        posting_terms = tokens[posting_starts]
        posting_docnums = docnums[posting_starts].astype(np.uint32)
        del tokens, docnums
        assert self.field.format is not None  # text fields have a format
        weights = (posting_counts * self.field.format.field_boost).astype(np.float32)
        term_starts = np.flatnonzero(np.diff(posting_terms, prepend=-1))
        del posting_terms
        term_stops = np.append(term_starts[1:], len(posting_starts))
        number = 0
        while number < len(terms):
            # The next chunk: whole terms, from this one, about VALUE_CHUNK postings (the
            # previous chunk's values go before the next are made).
            start = int(term_starts[number])
            last = int(np.searchsorted(term_starts, start + VALUE_CHUNK)) - 1
            stop = int(term_stops[last])
            # The positions as they lie: the writer packs a block's into arrays, and
            # encodes Whoosh's values only for blocks too small to pack.
            values = PackedPositions(posting_counts[start:stop], posting_starts[start:stop],
                                     positions)
            yield (TermChunk([term.encode("utf-8") for term in terms[number:last + 1]],
                             term_starts[number:last + 1] - start, posting_docnums[start:stop],
                             weights[start:stop], values))
            del values
            number = last + 1


# Postings a chunk of a text field's inversion holds (whole terms: a common word's run on).
VALUE_CHUNK = 1 << 20


_last_words: list = [None, []]  # (text, its words): one rebuild runs in one thread


def _words(text: str) -> list[str]:
    """WORD.findall(text), once for a text indexed twice in a row (folded, then exact)."""
    if _last_words[0] is not text:
        _last_words[:] = [text, WORD.findall(text)]
    return _last_words[1]


class BulkSegmentWriter(whoosh_adapter.SegmentWriterBase):
    """A SegmentWriter that inverts documents in memory instead of pooling postings.

    For new segments only (a rebuild): it neither deletes nor updates documents, and it
    expects documents built by `indexer.schema.document_for` (no per-field boosts).
    `postings_count` lets the caller start a new segment before memory grows too large.
    `compress` False writes no block compressed (postings_compression is not asked): an
    update's small segment, where nearly every term is rare, is written a third faster
    and merged by size tiers soon. Only with the fast paths on
    (whoosh_adapter.FAST_PATHS).
    """

    def __init__(self, ix: Any, *, compress: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("codec", whoosh_adapter.bulk_codec(POSTINGS_COMPRESSION,
                                                             BLOCK_PICKLE_PROTOCOL))
        super().__init__(ix, **kwargs)
        self.compress = compress
        # Field -> term -> postings, for fields other than FastText ones.
        self._terms: dict[str, dict[bytes, _Postings]] = {}
        self._texts: dict[str, _TextTokens] = {}
        self._pairs: dict[str, _PairedNumbers] = {}
        self._analysed: dict[tuple[int, Any], list] = {}
        # Per field, each document's length as the length column will give it back.
        self._lengths: dict[str, array] = {}
        self.postings_count = 0  # postings of other fields and words of text fields

    def add_document(self, **fields: Any) -> None:
        schema = self.schema
        docnum = self.begin_document()
        paired: dict[str, int] = {}  # a field added with its pair: its number of words
        for fieldname in sorted(fields):
            value = fields[fieldname]
            if value is None or fieldname.startswith("_"):
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                if fieldname in paired:
                    length = paired.pop(fieldname)
                    self.postings_count += length
                elif isinstance(field, FastText) and isinstance(value, str):
                    text: str = value
                    partner = fieldname + PAIRED_SUFFIX
                    if fields.get(partner) is text and partner in schema.names() \
                            and isinstance(schema[partner], FastText):
                        # The same text in its exact field, which sorts right after it.
                        length = paired[partner] = self._pair(fieldname, partner).add(
                            docnum, text)
                    else:
                        length = self._text(fieldname).add(docnum, text)
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
                lengths.append(whoosh_adapter.stored_length(length))
            self.store_field(fieldname, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                self.store_column(fieldname, column, field.to_column_value(value))
        self.end_document()

    def _text(self, fieldname: str) -> _TextTokens:
        text = self._texts.get(fieldname)
        if text is None:
            text = self._texts[fieldname] = _TextTokens(self.schema[fieldname])
        return text

    def _pair(self, fieldname: str, partner: str) -> _PairedNumbers:
        pair = self._pairs.get(fieldname)
        if pair is None:
            pair = self._pairs[fieldname] = _PairedNumbers(self._text(fieldname),
                                                           self._text(partner))
        return pair

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

    def write_postings(self, sink: whoosh_adapter.PostingSink) -> None:
        for fieldname in sorted(set(self._terms) | set(self._texts)):
            lengths = self._lengths.get(fieldname, array("I"))
            lengths.extend([0] * (self.docnum - len(lengths)))
            lengths_array = np.frombuffer(lengths, dtype=np.uint32)
            field = self.schema[fieldname]
            sink.start_field(fieldname, field)
            if fieldname in self._texts:
                chunks: Iterable[TermChunk] = self._texts.pop(fieldname).inverted()
            else:
                chunks = [_term_chunk(sorted(self._terms.pop(fieldname).items()))]
            for chunk in chunks:
                # All of a chunk's blocks written in one pass (whoosh_adapter.write_terms).
                frequencies = np.diff(np.append(chunk.starts, len(chunk.docnums))).tolist()
                levels = [postings_compression(fieldname, field, frequency, self.docnum)
                          for frequency in frequencies] if self.compress \
                    else [0] * len(frequencies)
                sink.add_terms(chunk.terms, chunk.starts, chunk.docnums, chunk.weights,
                               chunk.values, lengths_array, levels,
                               flat=flat_postings_wanted(field))
            sink.finish_field()


class WhooshShareWriter:
    """Whoosh's own writer in BulkSegmentWriter's place, when the fast paths are off.

    It takes the index lock and commits its own segment, so a rebuild that uses it runs
    in one process; finish_segment returns no segment for commit_segments.
    """

    postings_count = 0  # never asks for a new segment: Whoosh's pool spills to disk

    def __init__(self, ix: Any) -> None:
        self._writer = ix.writer(limitmb=FALLBACK_WRITER_MEMORY_MB, compound=False)

    def add_document(self, **fields: Any) -> None:
        self._writer.add_document(**fields)

    def doc_count(self) -> int:
        return self._writer.doc_count()

    def cancel(self) -> None:
        self._writer.cancel()

    def finish_segment(self) -> list:
        self._writer.commit(merge=False)
        return []


def share_writer(ix: Any) -> BulkSegmentWriter | WhooshShareWriter:
    """The writer for a rebuild's share of the archive: the bulk writer, unlocked, with
    the fast paths on; Whoosh's own writer otherwise (then only in one process)."""
    if whoosh_adapter.FAST_PATHS:
        return BulkSegmentWriter(ix, locked=False, compound=False)
    return WhooshShareWriter(ix)


def _term_chunk(terms: list[tuple[bytes, _Postings]]) -> TermChunk:
    """A field's terms (other than a FastText field's) as one chunk."""
    sizes = [len(postings.ids) for _, postings in terms]
    values = [_split(postings.values, postings.ends) for _, postings in terms]
    joined: list[bytes] = []
    if any(values):
        if any(len(v) != size for v, size in zip(values, sizes, strict=True)):
            # Some postings without a value: not a field of this schema.
            raise ValueError("a field's postings have values for some postings only")
        joined = [value for term_values in values for value in term_values]
    return TermChunk(
        [term for term, _ in terms],
        np.cumsum([0, *sizes[:-1]], dtype=np.int64) if terms else np.empty(0, np.int64),
        np.frombuffer(b"".join(p.ids.tobytes() for _, p in terms), dtype=np.uint32),
        np.frombuffer(b"".join(p.weights.tobytes() for _, p in terms), dtype=np.float32),
        joined)


def _split(values: bytearray, ends: array) -> list[bytes]:
    """Posting values stored one after another, apart again (empty ones left out, as
    Whoosh's postings writer leaves them out)."""
    joined = bytes(values)
    starts = [0, *ends[:-1]]
    return [joined[start:end] for start, end in zip(starts, ends, strict=True) if end != start]
