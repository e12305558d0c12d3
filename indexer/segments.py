"""Writing a Whoosh segment in bulk: documents inverted in memory, postings written a block
at a time.

Whoosh's own writer puts every posting through a pool (a tuple per posting, sorted,
spilled to disk and merged), then hands them one at a time to the codec. At ~470
postings a communiqué that was over half of a rebuild's time. This writer keeps each
term's postings in compact arrays (documents arrive in docnum order, so they are
already sorted) and gives the codec whole blocks. The files are Whoosh's own format:
the same codec writes them, and a test compares the index with one Whoosh wrote.

It reaches into the W3 codec's postings writer (`_ids`, `_weights`, `_values`, block
statistics, `_write_block`), which is why whoosh3 is pinned (pyproject.toml).
"""

from __future__ import annotations

from array import array
from typing import Any

from whoosh.codec.whoosh3 import W3Codec
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from indexer.schema import FastText, encode_positions


class _Postings:
    """One term's postings in a segment: docnums, weights and encoded values."""

    __slots__ = ("ends", "ids", "values", "weights")

    def __init__(self) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.values = bytearray()  # the values one after another ...
        self.ends = array("I")  # ... and where each ends


class BulkSegmentWriter(SegmentWriter):
    """A SegmentWriter that inverts documents in memory instead of pooling postings.

    For new segments only (a rebuild): it neither deletes nor updates documents, and it
    expects documents built by `indexer.schema.document_for` (no per-field boosts).
    `postings_count` lets the caller start a new segment before memory grows too large.
    """

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        if not isinstance(self.codec, W3Codec):
            raise TypeError(f"bulk segments need Whoosh's W3 codec, not {self.codec!r}")
        # Field -> term -> postings (terms are str for FastText fields, else bytes).
        self._terms: dict[str, dict[str | bytes, _Postings]] = {}
        # Per field, each document's length as the length column will give it back.
        self._lengths: dict[str, array] = {}
        self.postings_count = 0

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
                terms = self._terms.get(fieldname)
                if terms is None:
                    terms = self._terms[fieldname] = {}
                if isinstance(field, FastText) and isinstance(value, str):
                    length = self._add_text(terms, field, value, docnum)
                else:
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

    def _add_text(self, terms: dict, field: FastText, text: str, docnum: int) -> int:
        """A text field's postings straight from its word positions (the hot path)."""
        boost = field.format.field_boost
        length = 0
        found = field.positions(text)
        for term, positions in found.items():
            postings = terms.get(term)
            if postings is None:
                postings = terms[term] = _Postings()
            count = len(positions)
            postings.ids.append(docnum)
            postings.weights.append(count * boost)
            postings.values += encode_positions(positions)
            postings.ends.append(len(postings.values))
            length += count
        self.postings_count += len(found)
        return length

    def _add_terms(self, terms: dict, field: Any, value: Any, docnum: int) -> int:
        """Any other field's postings, as the field's `index` gives them."""
        length = 0
        for tbytes, freq, weight, vbytes in field.index(value):
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
        for fieldname in sorted(self._terms):
            terms = self._terms.pop(fieldname)
            lengths = self._lengths.get(fieldname, array("I"))
            lengths.extend([0] * (self.docnum - len(lengths)))
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            # Text terms are str here: code point order is UTF-8 byte order.
            for term in sorted(terms):
                fieldwriter.start_term(term.encode("utf-8") if isinstance(term, str) else term)
                _write_postings(fieldwriter._postwriter, terms.pop(term), lengths)
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        fieldwriter.close()


def _stored_length(length: int) -> int:
    """The length Whoosh reads back from its one-byte length column (0: none stored)."""
    if not length:
        return 0
    stored = length_to_byte(length)
    return byte_to_length(stored) if stored else 0


def _write_postings(writer: Any, postings: _Postings, lengths: array) -> None:
    """Give the codec's postings writer one term's postings, a block at a time."""
    ids, weights, ends = postings.ids, postings.weights, postings.ends
    values = bytes(postings.values)
    limit = writer._blocklimit
    count = len(ids)
    start_value = 0
    for start in range(0, count, limit):
        stop = min(start + limit, count)
        block_ids = ids[start:stop]
        block_weights = weights[start:stop]
        block_ends = ends[start:stop]
        block_values = []
        for end in block_ends:
            if end != start_value:
                block_values.append(values[start_value:end])
            start_value = end
        block_lengths = [length for length in (lengths[d] for d in block_ids) if length]
        writer._ids = block_ids
        writer._weights = block_weights
        writer._values = block_values
        writer._maxweight = max(max(block_weights), 0)
        writer._minlength = min(block_lengths) if block_lengths else None
        writer._maxlength = max(block_lengths) if block_lengths else 0
        if stop < count:
            writer._write_block()
    # The last (or only) block is written, or inlined, by finish_postings.
