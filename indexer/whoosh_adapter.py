"""Every use of Whoosh's internals, in one module, and the check that they are there.

The fast paths that make rebuilds and searches fast (docs/performance.md) read and
write Whoosh's W3 codec below its public API. All of that is here, behind small
functions; no other module imports a private Whoosh name or touches a private
attribute. The on-disk rules these paths share are in docs/whoosh-internals.md.

What is used, and why (`INTERNALS` below lists each name; tests/test_whoosh_adapter.py
checks every one against the installed Whoosh):

- Writing segments (indexer/segments.py): `SegmentWriterBase` is Whoosh's
  `SegmentWriter` with its per-document writer driven directly (`perdocwriter`,
  `_check_state`, `_added`, `docnum`) and its `_flush_segment` replaced, so postings
  go to the field writer's `_postwriter` (a `W3PostingsWriter`) a block at a time: the
  block buffers `_ids`, `_weights`, `_values` and statistics `_maxweight`,
  `_minlength`, `_maxlength` are set, then `_write_block` runs. `_BlockWriter` is
  `W3PostingsWriter._write_block` copied (with `_mini_ids`, `_mini_weights`,
  `_mini_values`, `_blockcount`, `_postfile`, `_terminfo`, `_compression`) to pickle
  block data with protocol 4 instead of 2; its `_mini_weights` writes a block's
  differing weights as an array("f"); `PostingSink.add_term` sets `_compression` per
  term (indexer/segments.py's `postings_compression`). `PostingSink.add_terms`
  (`write_terms`) writes many terms' blocks in one pass instead: the block data and info
  as `_write_block`, the term info as `add_block`, `finish_postings` and `finish_term`
  make it (a `W3TermInfo` set by its constructor and `set_extent`), into the field
  writer's `_postfile` and `_tindex` under its `_fieldid`, with its `_format`; with
  inlining (`_inlinelimit` above 1) or byte ids (`_byteids`) it goes term by term as
  before. Writer processes make their segments
  with `_finalize_segment` (or `_close_segment` when empty) and no lock (`_lk=False`).
- Reading posting blocks (indexer/bulk.py, indexer/facets.py): a `W3LeafMatcher`'s
  `_postfile`, `_startoffset`, `_length` and `_byteids`, to read a whole posting list
  at once and parse its blocks as `_goto` and `_read_data` do; or, from a term's entry
  (`term_entry`: `SegmentReader.term_info`, `TermNotFound`), the segment reader's
  `_terms._postfile` (a `W3TermsReader`), with no matcher made; and a `FilterMatcher`'s
  `_exclude` (with `child`), to read under a segment's deletions.
- Flat posting lists (indexer/flat_postings.py): the segment writer's `newsegment`
  (its file name), `storage` and `compound`, to write `<segment id>.flat` beside it.
- Columns: a segment reader's `_perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)`
  and the `NumericColumn.Reader`'s `_fixedlen`, `_count`, `_dbfile`, `_basepos`, to
  read a segment's length bytes in one slice.
- Scoring: `BM25F._field_B` (per-field B).
- Queries: `Wildcard._get_pattern` and `_find_prefix` (indexer/querylimits.py), and
  `type(NullQuery)` (the private `_NullQuery` class, reached through the public object).
- Formats: posting values of `Positions` fields are pack_uint(n) + pickle protocol 2
  of the position deltas; indexer/position_values.py writes them by hand and bulk.py
  parses them with numpy, so the encoding is checked too. A block of 16 postings or
  more holds them as a `PositionBlock` (`_mini_values`, `write_terms`), which
  `W3LeafMatcher._read_values` keeps as it keeps a tuple and `value()` indexes.

At import this module compares the installed Whoosh with the one it was written for
(`WRITTEN_FOR`) and probes every internal. On any difference `FAST_PATHS` is False:
rebuilds use Whoosh's own writer in one process, every search goes through Whoosh's
own collector, and facets read postings with public calls. That is slower, with the
same results; it is logged once and shown by `communiques status`. Setting
COMMUNIQUES_WHOOSH_FAST_PATHS=0 turns the fast paths off on purpose.

Callers read `whoosh_adapter.FAST_PATHS` when they run (never copy it at import), so a
test can switch the whole application to the fallback.
"""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import io
import logging
import os
import pickle
import struct
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from hashlib import md5
from itertools import chain, islice, pairwise, repeat
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from indexer.flat_postings import FLAT_EXTENSION, FlatCollector
from indexer.position_values import (
    PackedPositions,
    PositionBlock,
    block_values,
    decoded_block,
    packed_from,
)

log = logging.getLogger("communiques")

# The Whoosh this module was written against: a distribution name and version.
WRITTEN_FOR = ("whoosh3", "3.54.0")
# "0", "off", "no" or "false" turns the fast paths off whatever is installed.
FAST_PATHS_ENV = "COMMUNIQUES_WHOOSH_FAST_PATHS"

# A block starts with its length (a big-endian int, negative for a list's last block):
# whoosh.system's pack_int, which _changed_rules checks.
_INT_SIZE = 4
# The bulk term writing's packing (write_terms, add_to_term_index, _write_hash_tables),
# which _changed_rules checks: W3TermInfo.to_bytes of a term whose postings are not
# inlined (its `_struct`, the postings' offset as pack_long and length as pack_int); a
# hash file entry's key and value lengths; a hash table slot (whoosh.filedb.filetables).
_TERM_INFO = struct.Struct("!BfIBBfIIqi")
_HASH_LENGTHS = struct.Struct("!ii")
_HASH_SLOT = np.dtype([("hash", ">u4"), ("position", ">i8")])

# -- guarded imports: a missing name turns the fast paths off, never raises ----------------

_import_errors: list[str] = []


def _import(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except Exception as error:  # ImportError, AttributeError, or anything a module raises
        _import_errors.append(f"{module}.{name} ({type(error).__name__})")
        return None


W3Codec = _import("whoosh.codec.whoosh3", "W3Codec")
W3PostingsWriter = _import("whoosh.codec.whoosh3", "W3PostingsWriter")
W3Segment = _import("whoosh.codec.whoosh3", "W3Segment")
W3LeafMatcher = _import("whoosh.codec.whoosh3", "W3LeafMatcher")
W3TermsReader = _import("whoosh.codec.whoosh3", "W3TermsReader")
TermNotFound = _import("whoosh.reading", "TermNotFound") or KeyError
WHOOSH3_HEADER_MAGIC = _import("whoosh.codec.whoosh3", "WHOOSH3_HEADER_MAGIC")
COMPRESSION_MIN_SIZE = _import("whoosh.codec.whoosh3", "COMPRESSION_MIN_SIZE")
LENGTHS_COLUMN = _import("whoosh.codec.whoosh3", "LENGTHS_COLUMN")
_lenfield = _import("whoosh.codec.whoosh3", "_lenfield")
NumericColumn = _import("whoosh.columns", "NumericColumn")
FilterMatcher = _import("whoosh.matching", "FilterMatcher")
length_to_byte = _import("whoosh.util.numeric", "length_to_byte")
byte_to_length = _import("whoosh.util.numeric", "byte_to_length")
_SegmentWriter = _import("whoosh.writing", "SegmentWriter") or object


# -- the contract: every internal used ------------------------------------------------------

@dataclass(frozen=True)
class Internal:
    """One Whoosh name this module relies on.

    `where` is "module" (a name in module `owner`), "class" (an attribute of class
    `owner`), "instance" (an attribute its objects set, checked on a probe object) or
    "parameter" (a keyword argument of `owner`).
    """

    owner: str
    name: str
    where: str

    def __str__(self) -> str:
        return f"{self.owner}.{self.name}"


def _names(owner: str, where: str, names: str) -> list[Internal]:
    return [Internal(owner, name, where) for name in names.split()]


_W3 = "whoosh.codec.whoosh3"
INTERNALS: tuple[Internal, ...] = (
    *_names(_W3, "module", "W3Codec W3PostingsWriter W3Segment W3LeafMatcher W3TermsReader "
            "W3TermInfo WHOOSH3_HEADER_MAGIC COMPRESSION_MIN_SIZE LENGTHS_COLUMN _lenfield"),
    *_names("whoosh.util.numeric", "module", "length_to_byte byte_to_length"),
    *_names("whoosh.columns", "module", "NumericColumn"),
    *_names("whoosh.matching", "module", "FilterMatcher"),
    *_names("whoosh.writing", "module", "SegmentWriter"),
    # Writing a segment.
    *_names("whoosh.writing.SegmentWriter", "parameter", "_lk codec compound"),
    *_names("whoosh.writing.SegmentWriter", "class",
            "_check_state _flush_segment _finalize_segment _close_segment"),
    *_names("whoosh.writing.SegmentWriter", "instance",
            "_added docnum perdocwriter fieldwriter schema codec newsegment storage compound"),
    *_names(f"{_W3}.W3Codec", "instance", "_blocklimit _compression _inlinelimit"),
    *_names(f"{_W3}.W3FieldWriter", "instance", "_postwriter _postfile _tindex _fieldid _format"),
    *_names(f"{_W3}.W3PostingsWriter", "parameter",
            "blocklimit byteids compression inlinelimit"),
    *_names(f"{_W3}.W3PostingsWriter", "class",
            "_write_block _new_block _mini_ids _mini_weights _mini_values"),
    *_names(f"{_W3}.W3PostingsWriter", "instance",
            "_postfile _blocklimit _compression _blockcount _terminfo _ids _weights _values "
            "_maxweight _minlength _maxlength _inlinelimit _byteids"),
    *_names(f"{_W3}.W3TermInfo", "class", "set_extent to_bytes _struct"),
    # A segment's term index (the field writer's _tindex), added to in bulk.
    *_names("whoosh.filedb.filetables.OrderedHashWriter", "class", "_write_hashes"),
    *_names("whoosh.filedb.filetables.OrderedHashWriter", "instance",
            "dbfile hashtype buckets directory index lastkey"),
    *_names("whoosh.util.numlists.GrowableArray", "class", "_retype typecode"),
    *_names("whoosh.util.numlists.GrowableArray", "instance", "array"),
    # Reading posting blocks.
    *_names(f"{_W3}.W3LeafMatcher", "instance",
            "_postfile _startoffset _length _byteids"),
    *_names("whoosh.matching.FilterMatcher", "instance", "child _exclude"),
    # Reading a posting list from its term's entry (term_entry, listed_postings).
    *_names("whoosh.reading", "module", "TermNotFound"),
    *_names("whoosh.reading.SegmentReader", "instance", "_terms"),
    *_names(f"{_W3}.W3TermsReader", "instance", "_postfile"),
    # Columns.
    *_names("whoosh.reading.SegmentReader", "instance", "_perdoc"),
    *_names(f"{_W3}.W3PerDocReader", "class", "_cached_reader"),
    *_names("whoosh.columns.NumericColumn.Reader", "instance",
            "_fixedlen _count _dbfile _basepos"),
    # Scoring and queries.
    *_names("whoosh.scoring.BM25F", "instance", "_field_B B K1 use_final"),
    *_names("whoosh.query.Wildcard", "class", "_get_pattern _find_prefix"),
)
# Whoosh code copied here (a change there must be carried over): qualified name -> the
# SHA-256 of its source as written for, first 16 hex digits.
COPIED_CODE = {
    f"{_W3}.W3PostingsWriter._write_block": "e83943e6e72d01ef",
    # write_terms does what these do, for many terms at once.
    f"{_W3}.W3FieldWriter.start_term": "ec3f34231ac58f19",
    f"{_W3}.W3FieldWriter.finish_term": "ead26346d81433a0",
    f"{_W3}.W3PostingsWriter.finish_postings": "d73a95bf811a6541",
    f"{_W3}.W3PostingsWriter._mini_ids": "f2287d08ab760c13",
    f"{_W3}.W3PostingsWriter._mini_weights": "9471308d1d7d273f",
    f"{_W3}.W3PostingsWriter._mini_values": "2b6770f09266eedc",
    f"{_W3}.W3TermInfo.add_block": "e483f804944ee312",
    f"{_W3}.W3TermInfo.to_bytes": "182103aeda37ce64",
    # add_to_term_index and _write_hash_tables do what these do, for many terms at once.
    "whoosh.filedb.filetables.HashWriter.add": "d99a9f8cb4921103",
    "whoosh.filedb.filetables.OrderedHashWriter.add": "39527e7a264e16a8",
    "whoosh.filedb.filetables.HashWriter._write_hashes": "3455643a570eaced",
    "whoosh.filedb.filetables.md5_hash": "b9e0071dcabef370",
    "whoosh.util.numlists.GrowableArray.append": "e5b26c3a2b38338d",
    # _read_blocks parses a posting list's blocks as these do, from one read of the list.
    f"{_W3}.W3LeafMatcher._goto": "2336acae68a6b10b",
    f"{_W3}.W3LeafMatcher._read_data": "150a9642f8b55013",
    # A PositionBlock is read by Whoosh as these read a tuple of values (kept as
    # unpickled, then indexed): a change there must be checked against it.
    f"{_W3}.W3LeafMatcher._read_values": "730ce568f5c7af43",
    f"{_W3}.W3LeafMatcher.value": "058730e907b39ed8",
}


def _resolve(dotted: str) -> Any:
    """The object a dotted name names: a module, or an attribute chain within one."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            found = getattr(found, part)
        return found
    raise ImportError(dotted)


def _probe_objects() -> dict[str, _Snapshot]:
    """Whoosh objects of every kind whose instance attributes are used, from a tiny
    in-memory index (a few milliseconds). A step that fails leaves its kinds out, so
    their names are reported missing one by one."""
    from io import BytesIO

    from whoosh import scoring
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.filedb.filestore import RamStorage
    from whoosh.filedb.structfile import StructFile
    from whoosh.matching import ListMatcher

    objects: dict[str, _Snapshot] = {}

    def step(make: Callable[[], dict[str, Any]]) -> None:
        try:
            objects.update({k: _Snapshot(v) for k, v in make().items()})
        except Exception:
            pass

    schema = Schema(t=TEXT(), id=ID(stored=True))
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        writer.add_document(t="probe words", id="1")
    with ix.reader() as reader:
        step(lambda: {"whoosh.reading.SegmentReader": reader,
                      f"{_W3}.W3LeafMatcher": reader.postings("t", b"probe")})
        step(lambda: {f"{_W3}.W3PerDocReader": reader._perdoc})
        step(lambda: {f"{_W3}.W3TermsReader": reader._terms})
        step(lambda: {"whoosh.columns.NumericColumn.Reader": reader._perdoc._cached_reader(
            _lenfield("t"), LENGTHS_COLUMN)})
    writer = ix.writer()
    try:
        step(lambda: {"whoosh.writing.SegmentWriter": writer,
                      f"{_W3}.W3Codec": writer.codec})

        def field_writer() -> dict[str, Any]:
            writer.fieldwriter.start_field("t", schema["t"])
            return {f"{_W3}.W3FieldWriter": writer.fieldwriter,
                    "whoosh.filedb.filetables.OrderedHashWriter": writer.fieldwriter._tindex,
                    "whoosh.util.numlists.GrowableArray": writer.fieldwriter._tindex.index}

        step(field_writer)

        def postings_writer() -> dict[str, Any]:
            from whoosh.codec.whoosh3 import W3TermInfo

            postings = W3Codec().postings_writer(StructFile(BytesIO()))
            postings.start_postings(schema["t"].format, W3TermInfo())
            return {f"{_W3}.W3PostingsWriter": postings}

        step(postings_writer)
    finally:
        writer.cancel()
    step(lambda: {"whoosh.matching.FilterMatcher":
                  FilterMatcher(ListMatcher([1], [1.0]), {0}, exclude=True)})
    step(lambda: {"whoosh.scoring.BM25F": scoring.BM25F()})
    return objects


class _Snapshot:
    """The attribute names an object had when probed."""

    def __init__(self, obj: Any) -> None:
        self.type = type(obj)
        self.names = set(dir(obj))


def internal_present(internal: Internal, probes: dict[str, _Snapshot]) -> bool:
    """Whether the installed Whoosh has this internal (`probes`: _probe_objects())."""
    try:
        if internal.where in ("module", "class"):
            return hasattr(_resolve(internal.owner), internal.name)
        if internal.where == "parameter":
            return internal.name in inspect.signature(_resolve(internal.owner)).parameters
        return internal.owner in probes and internal.name in probes[internal.owner].names
    except Exception:
        return False


def missing_internals() -> list[str]:
    """Every internal in INTERNALS the installed Whoosh lacks, plus encoding rules that
    changed (empty: the fast paths can run). Never raises."""
    missing = list(_import_errors)
    try:
        probes = _probe_objects()
    except Exception as error:  # the index itself could not be made
        return [*missing, f"the probe index ({type(error).__name__}: {error})"]
    missing += [str(i) for i in INTERNALS if not internal_present(i, probes)]
    return missing + _changed_rules()


def _changed_rules() -> list[str]:
    """The encoding rules the fast paths share with Whoosh, checked on samples."""
    changed = []
    try:
        from whoosh.formats import Positions
        from whoosh.system import pack_int, pack_uint

        if pack_int(-300) != (-300).to_bytes(_INT_SIZE, "big", signed=True):
            changed.append("whoosh.system.pack_int (a posting block's length)")
        positions = [3, 7, 300, 70_000]
        deltas = [3, 4, 293, 69_700]
        if Positions().encode(positions) != pack_uint(4) + pickle.dumps(deltas, 2):
            changed.append("whoosh.formats.Positions.encode (pack_uint(n) + pickle 2 of deltas)")
        # The length column's one-byte quantisation, which stored_length and the
        # bulk evaluator's length table reproduce.
        if ([length_to_byte(n) for n in (1, 7, 100, 1000, 100_000)] != [1, 7, 48, 113, 254]
                or [byte_to_length(b) for b in (1, 50, 100, 200, 255)]
                != [1, 110, 667, 17814, 106374]):
            changed.append("whoosh.util.numeric.length_to_byte (the length byte's scale)")
        # The term index's entries and hash slots, and a term info, as the bulk term
        # writing packs them (add_to_term_index, _write_hash_tables, write_terms).
        from whoosh.codec.whoosh3 import W3TermInfo
        from whoosh.filedb import filetables
        from whoosh.system import pack_long

        if (filetables._lengths.format, filetables._pointer.format) != \
                (_HASH_LENGTHS.format, "!Iq") or \
                W3TermInfo._struct.format + "qi" != _TERM_INFO.format or \
                pack_long(-2) + pack_int(-3) != struct.pack("!qi", -2, -3) or \
                filetables._hash_functions[0] is not filetables.md5_hash:
            changed.append("whoosh.filedb.filetables (the term index's entries) or "
                           "W3TermInfo._struct")
    except Exception as error:
        changed.append(f"the encoding checks ({type(error).__name__}: {error})")
    return changed


def copied_code_digest(qualified: str) -> str:
    """SHA-256 (16 hex digits) of the installed source of a function in COPIED_CODE."""
    import hashlib

    return hashlib.sha256(inspect.getsource(_resolve(qualified)).encode()).hexdigest()[:16]


# -- which Whoosh is installed ------------------------------------------------------------

def installed_engine() -> tuple[str, str]:
    """(distribution, version) of the `whoosh` package Python imports. Never raises."""
    try:
        import whoosh

        version = ".".join(str(part) for part in whoosh.__version__)
        here = Path(whoosh.__file__).resolve()
    except Exception:
        return ("whoosh", "unknown")
    try:
        dist = importlib.metadata.distribution(WRITTEN_FOR[0])
        if any(Path(str(dist.locate_file(f))).resolve() == here for f in dist.files or ()
               if str(f).endswith("whoosh/__init__.py")):
            # The package's own version wins: another distribution may have overwritten
            # the files that whoosh3's metadata lists.
            return (dist.metadata["Name"] or WRITTEN_FOR[0], version)
    except Exception:
        pass
    try:  # slow (every distribution is read), so only when it is not whoosh3
        names = importlib.metadata.packages_distributions().get("whoosh") or ["whoosh"]
        return (names[0], version)
    except Exception:
        return ("whoosh", version)


def check_engine(installed: tuple[str, str]) -> str | None:
    """Why the fast paths cannot run with this Whoosh, or None when they can."""
    name, version = installed
    if name.lower() != WRITTEN_FOR[0]:
        return f"written for {WRITTEN_FOR[0]} {WRITTEN_FOR[1]}"
    if version != WRITTEN_FOR[1]:
        return f"written for {WRITTEN_FOR[0]} {WRITTEN_FOR[1]}, not {version}"
    return None


def _decide() -> tuple[tuple[str, str], str | None]:
    installed = installed_engine()
    if os.environ.get(FAST_PATHS_ENV, "").strip().lower() in ("0", "off", "no", "false"):
        return installed, f"turned off by {FAST_PATHS_ENV}"
    reason = check_engine(installed)
    if reason is None:
        missing = missing_internals()
        if missing:
            shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more"
                                              if len(missing) > 4 else "")
            reason = f"Whoosh internals missing or changed: {shown}"
    return installed, reason


ENGINE, REASON = _decide()
FAST_PATHS: bool = REASON is None


def status_line() -> str:
    """One line for `communiques status` and the log: the engine and the paths in use."""
    engine = f"{ENGINE[0]} {ENGINE[1]}"
    if FAST_PATHS:
        return f"search engine: {engine}, fast paths on"
    return (f"search engine: {engine}, fast paths off ({REASON or 'turned off'}),"
            " using Whoosh's own writer and collector")


if not FAST_PATHS:
    log.warning("%s", status_line())


def _require_fast_paths() -> None:
    if not FAST_PATHS:
        raise RuntimeError(f"the fast paths are off: {status_line()}")


# -- writing segments ------------------------------------------------------------------------

@functools.cache
def _bulk_codec_class() -> type:
    """The W3 codec writing posting blocks with _BlockWriter (made on first use: the
    classes subclass internals that another Whoosh may lack)."""

    class _BlockWriter(W3PostingsWriter):  # type: ignore[misc, valid-type]
        """W3PostingsWriter writing each block's data with `pickle_protocol`."""

        pickle_protocol = 2

        def _mini_ids(self) -> Any:
            # Whoosh keeps a block's id deltas as a tuple of ints; loading one makes an
            # int object per posting and reading it a Python loop. An array of them
            # (ids_array) loads as one buffer numpy reads as it is: about 0.6 of a
            # block's loading time, for about the same bytes.
            ids = super()._mini_ids()
            if not self._byteids and self.pickle_protocol >= ARRAY_PROTOCOL \
                    and len(ids) >= ARRAY_IDS_MIN:
                return ids_array(ids)
            return ids

        def _mini_weights(self) -> Any:
            # Whoosh keeps differing weights as a tuple of floats: 9 bytes each in the
            # pickle. An array("f") pickles them in 4 (the values are already float32),
            # loads faster, and is what W3LeafMatcher._read_weights makes of the other
            # shapes; below ARRAY_WEIGHTS_MIN the array's own header would cost more.
            weights = super()._mini_weights()
            if isinstance(weights, tuple) and len(weights) >= ARRAY_WEIGHTS_MIN:
                return array("f", weights)
            return weights

        def _mini_values(self) -> Any:
            # A text field's larger blocks: one PositionBlock, as write_terms writes them.
            values = self._values
            if self._format.fixed_value_size() is None \
                    and len(values) >= packed_from(self._format):
                return decoded_block(values, self._format)
            return super()._mini_values()

        def _write_block(self, last: bool = False) -> None:
            # As W3PostingsWriter._write_block (whoosh3 3.54.0; COPIED_CODE holds its
            # digest), but for the pickle protocol of the block data.
            if not self._blockcount:
                self._postfile.write(WHOOSH3_HEADER_MAGIC)
            self._terminfo.add_block(self)
            data = (self._mini_ids(), self._mini_weights(), self._mini_values())
            databytes = pickle.dumps(data, self.pickle_protocol)
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

    class _BulkCodec(W3Codec):  # type: ignore[misc, valid-type]
        """Segments record a plain W3Codec, so an index never needs this class to be read."""

        pickle_protocol = 2

        def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
            writer = _BlockWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                  compression=self._compression,
                                  inlinelimit=self._inlinelimit)
            writer.pickle_protocol = self.pickle_protocol
            return writer

        def new_segment(self, storage: Any, indexname: str) -> Any:
            return W3Segment(W3Codec(blocklimit=self._blocklimit,
                                     compression=self._compression,
                                     inlinelimit=self._inlinelimit), indexname)

    return _BulkCodec


# Fewest differing weights in a block written as an array("f") instead of a tuple: the
# array's pickle has a header of about 70 bytes, a tuple 9 bytes a weight against 4.
ARRAY_WEIGHTS_MIN = 16
# Fewest postings in a block whose id deltas are written as an array (2 or 4 bytes
# each, against 2 to 5 in a tuple; the header is mostly shared with the weights').
ARRAY_IDS_MIN = 16
# Pickle protocols below 3 write an array as a list of its items: no gain.
ARRAY_PROTOCOL = 3
# array's typecode of 4 bytes (a block's first id is absolute and may pass 65535).
_UINT32 = next(code for code in "IL" if array(code).itemsize == 4)


def ids_array(deltas: Any) -> array:
    """A block's id deltas (the first id absolute) as an array of 2-byte unsigned ints,
    or of 4-byte ones when one is 65536 or more. W3LeafMatcher's delta_decode reads it
    as it reads the tuple."""
    deltas = deltas if isinstance(deltas, np.ndarray) else np.asarray(deltas, dtype=np.int64)
    if len(deltas) and int(deltas.max()) >= 1 << 16:
        return array(_UINT32, deltas.astype(np.uint32).tobytes())
    return array("H", deltas.astype(np.uint16).tobytes())


def bulk_codec(compression: int, pickle_protocol: int) -> Any:
    """A W3 codec whose posting blocks are zlib-compressed at `compression` (0: never)
    and whose block data is pickled with `pickle_protocol`. The files are W3's format;
    readers need neither setting (each block says how it was written)."""
    _require_fast_paths()
    codec = _bulk_codec_class()(compression=compression)
    codec.pickle_protocol = pickle_protocol
    return codec


def stored_length(length: int) -> int:
    """The field length Whoosh reads back from its one-byte length column (0: none)."""
    if not length:
        return 0
    stored = length_to_byte(length)
    return byte_to_length(stored) if stored else 0


# False: add_terms writes term by term through add_term (what tests compare it with).
WRITE_TERMS_IN_BULK = True


class PostingSink:
    """Where a SegmentWriterBase writes its postings: field by field, term by term.
    `flat`: where the long lists of the fields that ask for it are kept as well
    (indexer.flat_postings)."""

    def __init__(self, fieldwriter: Any, flat: FlatCollector | None = None) -> None:
        self._fieldwriter = fieldwriter
        self.flat = flat

    def start_field(self, fieldname: str, field: Any) -> None:
        self._fieldwriter.start_field(fieldname, field)

    def add_term(self, term: bytes, docnums: array, weights: array, values: list[bytes],
                 lengths: np.ndarray, *, compression: int) -> None:
        """One term's postings in docnum order. `values`: the non-empty posting values
        in order; `lengths`: every document's stored field length (stored_length);
        `compression`: the zlib level of this term's blocks (0: none). Each block's info
        records its own level, so readers need no setting."""
        self._fieldwriter._postwriter._compression = compression
        self._fieldwriter.start_term(term)
        write_posting_blocks(self._fieldwriter._postwriter, docnums, weights, values,
                             lengths)
        self._fieldwriter.finish_term()

    def add_terms(self, terms: list[bytes], starts: np.ndarray, docnums: np.ndarray,
                  weights: np.ndarray, values: list[bytes] | PackedPositions,
                  lengths: np.ndarray, compressions: list[int], flat: bool = False) -> None:
        """Several terms' postings at once, in term order: term n's postings are
        docnums[starts[n]:starts[n + 1]] (the last one's run to the end), in docnum order,
        with their weights (float32) and, unless `values` is empty, their values (or
        their positions, PackedPositions);
        `compressions`: each term's zlib level. The same bytes as add_term for each.
        `flat`: the long lists are also kept as flat arrays (when the sink keeps any)."""
        postwriter = self._fieldwriter._postwriter
        if postwriter._inlinelimit > 1 or postwriter._byteids or not WRITE_TERMS_IN_BULK:
            # Inlined or byte ids: postings written the way add_term writes them.
            stops = [*starts[1:].tolist(), len(docnums)]
            for n, term in enumerate(terms):
                start, stop = int(starts[n]), stops[n]
                taken = values.encoded(np.arange(start, stop)) \
                    if isinstance(values, PackedPositions) else values[start:stop]
                self.add_term(term, array("I", docnums[start:stop].astype(np.uint32).tobytes()),
                              array("f", weights[start:stop].astype(np.float32).tobytes()),
                              taken if len(values) else [], lengths,
                              compression=compressions[n])
            return
        write_terms(self._fieldwriter, postwriter, terms, starts, docnums, weights, values,
                    lengths, compressions, self.flat if flat else None)

    def finish_field(self) -> None:
        self._fieldwriter.finish_field()


def write_terms(fieldwriter: Any, postwriter: Any, terms: list[bytes], starts: np.ndarray,
                docnums: np.ndarray, weights: np.ndarray,
                values: list[bytes] | PackedPositions, lengths: np.ndarray,
                compressions: list[int], flat: FlatCollector | None = None) -> None:
    """Write terms' posting blocks and term infos as add_term does through Whoosh's
    codec (W3FieldWriter.start_term and finish_term, W3PostingsWriter.finish_postings,
    W3TermInfo.add_block and _BlockWriter._write_block, whose digests COPIED_CODE
    holds), with each block's statistics computed for all the blocks at once (numpy)
    and the postings file written once, not a chain of calls per term and per block.
    A test compares the files with add_term's byte for byte."""
    from whoosh.system import pack_int, pack_ushort

    count = len(docnums)
    if not count:
        return
    limit = postwriter._blocklimit
    protocol = postwriter.pickle_protocol
    arrays_ids = protocol >= ARRAY_PROTOCOL
    fmt = fieldwriter._format  # what start_term gives the postings
    fixedsize = fmt.fixed_value_size()
    # Blocks: each term's postings cut every `limit`.
    term_starts = starts.astype(np.int64)
    term_sizes = np.diff(np.append(term_starts, count))
    block_counts = (term_sizes + limit - 1) // limit
    first_block = np.cumsum(block_counts) - block_counts
    within = np.arange(int(block_counts.sum()), dtype=np.int64) - np.repeat(first_block,
                                                                           block_counts)
    block_starts = np.repeat(term_starts, block_counts) + within * limit
    block_stops = np.minimum(block_starts + limit,
                             np.repeat(term_starts + term_sizes, block_counts))
    ids = docnums.astype(np.int64)
    deltas = np.diff(ids, prepend=0)
    deltas[block_starts] = ids[block_starts]  # a block's first id is absolute
    weights = weights.astype(np.float32)
    top = np.maximum.reduceat(weights, block_starts)
    equal = np.minimum.reduceat(weights, block_starts) == top
    posting_lengths = lengths[docnums].astype(np.int64)
    longest = np.maximum.reduceat(posting_lengths, block_starts).tolist()
    unset = np.iinfo(np.int64).max  # no length (0) is left out of the shortest
    shortest = np.minimum.reduceat(np.where(posting_lengths > 0, posting_lengths, unset),
                                   block_starts).tolist()
    id_list, delta_list = ids.tolist(), deltas.tolist()
    weight_list = weights.astype(np.float64).tolist()  # the float32 values, as Python reads them
    top_list, equal_list = top.astype(np.float64).tolist(), equal.tolist()
    starts_list, stops_list = block_starts.tolist(), block_stops.tolist()
    counts_list = block_counts.tolist()
    postfile = fieldwriter._postfile
    # W3TermInfo.add_block's sums over each term's blocks, for all terms at once: the
    # total weight (summed by numpy only when every weight is a whole number, whose sum
    # no order of additions changes), the shortest and longest lengths, the largest
    # weight (at least 0), the first and last ids.
    whole = bool(np.all(weights == np.floor(weights))) and float(np.abs(weights).sum()) < 2**52
    term_weights = np.add.reduceat(weights.astype(np.float64), term_starts).tolist() \
        if whole else []
    term_shortest = np.minimum.reduceat(np.where(posting_lengths > 0, posting_lengths, unset),
                                        term_starts).tolist()
    term_longest = np.maximum.reduceat(posting_lengths, term_starts).tolist()
    term_top = np.maximum(np.maximum.reduceat(weights, term_starts), 0).astype(
        np.float64).tolist()
    first_ids = ids[term_starts].tolist()
    last_ids = ids[term_starts + term_sizes - 1].tolist()
    byte_of = _length_bytes([*shortest, *longest, *term_shortest, *term_longest], unset)
    small_values: Iterator[bytes] = iter(())
    packed = isinstance(values, PackedPositions)
    pack_from = packed_from(fmt)
    has_values = len(values) > 0
    if isinstance(values, PackedPositions):
        # The Whoosh values of the blocks written as tuples (all of them when the field
        # does not pack), encoded together; the others are packed a block at a time.
        sizes = block_stops - block_starts
        small = sizes < pack_from
        small_sizes = sizes[small]
        within_small = np.arange(int(small_sizes.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(small_sizes) - small_sizes, small_sizes)
        small_values = iter(values.encoded(np.repeat(block_starts[small], small_sizes)
                                           + within_small))
    out: list[bytes] = []
    extents: list[tuple[int, int]] = []
    offset = postfile.tell()
    block = 0
    for n in range(len(terms)):
        compression = compressions[n]
        term_start = offset
        out.append(WHOOSH3_HEADER_MAGIC)
        offset += len(WHOOSH3_HEADER_MAGIC)
        weight: float = 0
        last = block + counts_list[n] - 1
        for b in range(block, last + 1):
            a, z = starts_list[b], stops_list[b]
            block_weights = weight_list[a:z]
            if not whole:
                weight += sum(block_weights)
            # _BlockWriter._mini_weights: all 1.0, all equal, or each (an array if many).
            if equal_list[b]:
                mini_weights: Any = None if block_weights[0] == 1.0 else block_weights[0]
            elif z - a >= ARRAY_WEIGHTS_MIN:
                mini_weights = array("f", block_weights)
            else:
                mini_weights = tuple(block_weights)
            if fixedsize is None or fixedsize < 0:
                if not has_values:
                    mini_values: Any = ()
                elif not packed:
                    mini_values = block_values(values, a, z, fmt)
                elif z - a >= pack_from:  # (block_values, for PackedPositions)
                    mini_values = values.block(a, z)  # type: ignore[union-attr]
                else:
                    mini_values = tuple(islice(small_values, z - a))
            elif fixedsize == 0:
                mini_values = None
            else:
                assert not isinstance(values, PackedPositions)  # only Positions fields
                mini_values = b"".join(values[a:z]) if values else b""
            # _BlockWriter._mini_ids: many ids as an array, a few as a tuple.
            mini_ids: Any = ids_array(deltas[a:z]) if arrays_ids and z - a >= ARRAY_IDS_MIN \
                else tuple(delta_list[a:z])
            databytes = pickle.dumps((mini_ids, mini_weights, mini_values), protocol)
            level = compression if len(databytes) >= COMPRESSION_MIN_SIZE else 0
            if level:
                databytes = zlib.compress(databytes, level)
            infobytes = pickle.dumps((z - a, id_list[z - 1], max(top_list[b], 0), level,
                                      byte_of[shortest[b]], byte_of[longest[b]]), 2)
            length = len(infobytes) + len(databytes)
            out += (pack_int(-length if b == last else length), infobytes, databytes)
            offset += 4 + length
        block = last + 1
        if not whole:
            term_weights.append(weight)
        extents.append((term_start, offset - term_start))
    postfile.write(b"".join(out))
    # Each term's info as W3TermInfo.to_bytes packs it (not inlined; no length: 0).
    pack = _TERM_INFO.pack
    frequencies = term_sizes.tolist()
    infos = [pack(0, term_weights[n], frequencies[n], byte_of[term_shortest[n]],
                  byte_of[term_longest[n]], term_top[n], first_ids[n], last_ids[n], start,
                  length)
             for n, (start, length) in enumerate(extents)]
    field_key = pack_ushort(fieldwriter._fieldid)
    add_to_term_index(fieldwriter._tindex, [field_key + term for term in terms], infos)
    if flat is not None:
        flat.add(np.array([start for start, _ in extents], dtype=np.int64), term_starts,
                 term_sizes, docnums, weights)


def _length_bytes(lengths: list[int], unset: int) -> dict[int, int]:
    """length_to_byte of each distinct length (`unset`: no length, byte 0)."""
    return {length: length_to_byte(None if length == unset else length)
            for length in set(lengths)}


def add_to_term_index(tindex: Any, keys: list[bytes], values: list[bytes]) -> None:
    """Add keys (in increasing order, after any added before) with their values to a
    segment's term index (an OrderedHashWriter), as OrderedHashWriter.add and
    HashWriter.add do one at a time (COPIED_CODE): each entry written as its key's and
    value's lengths, the key and the value, its position kept in the ordered index, its
    MD5 hash and position in the hash bucket of the hash's low byte. One write for all.
    Its hash tables are then written by _write_hash_tables when the index closes."""
    if not keys:
        return
    if keys[0] <= tindex.lastkey or any(a >= b for a, b in pairwise(keys)):
        raise ValueError("Keys must increase")
    if tindex.hashtype != 0:  # not MD5: Whoosh's own, one at a time
        for key, value in zip(keys, values, strict=True):
            tindex.add(key, value)
        return
    dbfile = tindex.dbfile
    position = dbfile.tell()
    positions: list[int] = []
    out: list[bytes] = []
    buckets = tindex.buckets
    lengths = _HASH_LENGTHS.pack
    for key, value in zip(keys, values, strict=True):
        positions.append(position)
        # md5_hash: the digest's last 32 bits, as a big-endian number.
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        buckets[h & 255].append((h, position))
        out += (lengths(len(key), len(value)), key, value)
        position += 8 + len(key) + len(value)
    dbfile.write(b"".join(out))
    index = tindex.index
    # GrowableArray.append: the array widens to the type its largest number needs.
    try:
        array(index.typecode, [positions[-1]])
    except OverflowError:
        index._retype(positions[-1])
    index.array.extend(positions)
    tindex.lastkey = keys[-1]
    tindex._write_hashes = functools.partial(_write_hash_tables, tindex)


def _write_hash_tables(tindex: Any) -> None:
    """HashWriter._write_hashes (COPIED_CODE) with one write per bucket: each bucket's
    open-addressing table of (hash, position) slots, twice its entries, each entry at
    the slot of its hash's upper bits or the next free one."""
    dbfile = tindex.dbfile
    for entries in tindex.buckets:
        position = dbfile.tell()
        slots = 2 * len(entries)
        tindex.directory.append((position, slots))
        hashes = [0] * slots
        positions = [0] * slots  # no entry is at position 0 (the file's header)
        for hashval, at in entries:
            slot = (hashval >> 8) % slots
            while positions[slot]:
                slot = (slot + 1) % slots
            hashes[slot] = hashval
            positions[slot] = at
        table = np.empty(slots, dtype=_HASH_SLOT)
        table["hash"] = hashes
        table["position"] = positions
        dbfile.write(table.tobytes())


def write_posting_blocks(writer: Any, docnums: array, weights: array, values: list[bytes],
                         lengths: np.ndarray) -> None:
    """Give a W3PostingsWriter one term's postings a block at a time: each full block's
    buffers and statistics are set as add_posting would have left them, then written."""
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
    # The last (or only) block is written, or inlined, by finish_postings (finish_term).


class SegmentWriterBase(_SegmentWriter):  # type: ignore[misc, valid-type]
    """Whoosh's SegmentWriter for a writer that inverts documents itself.

    A subclass adds each document with begin_document, store_field, store_column and
    end_document, and writes every posting in write_postings(sink) when Whoosh flushes
    the segment (on commit, or finish_segment). `locked=False` (writer processes) takes
    no index lock: the parent commits their segments with commit_segments.
    """

    def __init__(self, ix: Any, *, locked: bool = True, **kwargs: Any) -> None:
        _require_fast_paths()
        super().__init__(ix, _lk=locked, **kwargs)
        if not isinstance(self.codec, W3Codec):
            raise TypeError(f"bulk segments need Whoosh's W3 codec, not {self.codec!r}")

    def begin_document(self) -> int:
        """Start the next document; its docnum."""
        self._check_state()
        self.perdocwriter.start_doc(self.docnum)
        return self.docnum

    def store_field(self, fieldname: str, field: Any, value: Any, length: int) -> None:
        """The field's stored value (None: not stored) and its length for scoring."""
        self.perdocwriter.add_field(fieldname, field, value, length)

    def store_column(self, fieldname: str, column: Any, value: Any) -> None:
        self.perdocwriter.add_column_value(fieldname, column, value)

    def end_document(self) -> None:
        self.perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def write_postings(self, sink: PostingSink) -> None:
        raise NotImplementedError

    def _flush_segment(self) -> None:
        # Whoosh's own flush hands the pooled postings to the field writer; here the
        # subclass writes them. The flat lists go in a file of the index's storage (a
        # compound segment would take it in: none is written then).
        self.perdocwriter.close()
        flat = None if self.compound else FlatCollector()
        self.write_postings(PostingSink(self.fieldwriter, flat))
        self.fieldwriter.close()
        if flat:
            flat.write(self.storage, self.newsegment.make_filename(FLAT_EXTENSION))

    def finish_segment(self) -> list:
        """This writer's segment, written and closed, for commit_segments (none if it
        holds no document)."""
        if self.doc_count():
            return [self._finalize_segment()]
        self._close_segment()
        return []


def commit_segments(ix: Any, segments: list) -> None:
    """Add segments that unlocked writers made to the index, in one table-of-contents
    write (Whoosh's public `mergetype` hook: the segment list it returns is committed)."""
    writer = ix.writer()
    writer.commit(mergetype=lambda _writer, existing: [*existing, *segments])


# -- reading posting blocks and columns ---------------------------------------------------------

def unwrap_deletions(matcher: Any) -> Any:
    """The matcher under a segment's deletion filter (FilterMatcher(deleted,
    exclude=True)), so every posting is read; the matcher itself when fast paths are off."""
    if not FAST_PATHS:
        return matcher
    while type(matcher) is FilterMatcher and matcher._exclude:
        matcher = matcher.child
    return matcher


class TermEntry(NamedTuple):
    """What reading a term's postings in one segment needs of its term info: looked up
    once (Whoosh looks the term up in the segment's hash table again for each of
    `in`, `doc_frequency` and `postings`), and kept small."""

    doc_frequency: int
    offset: int  # where its posting list starts in the postings file; -1: inlined
    length: int  # the list's bytes, from its header tag


def term_entry(reader: Any, fieldname: str, btext: bytes) -> TermEntry | None:
    """The term's entry in a segment (`reader`: a leaf reader), or None when the segment
    does not hold it."""
    try:
        info = reader.term_info(fieldname, btext)
    except (TermNotFound, KeyError):
        return None
    if info.is_inlined():
        return TermEntry(info.doc_frequency(), -1, 0)
    offset, length = info.extent()
    if type(length) is tuple and len(length) == 1:  # W3TermInfo.from_bytes leaves a 1-tuple
        length = length[0]
    return TermEntry(info.doc_frequency(), offset, length)


def listed_postings(reader: Any, entry: TermEntry, values: bool,
                    within: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, list[Sequence[bytes]] | None] | None:
    """`block_postings` of the W3 posting list `entry` locates in the segment `reader`,
    read with no matcher made; None where `block_postings` gives None, or the postings
    are inlined in the term info."""
    if not FAST_PATHS or entry.offset < 0 or type(entry.length) is not int:
        return None
    if type(getattr(reader, "_terms", None)) is not W3TermsReader:
        return None
    try:
        return _read_blocks(reader._terms._postfile, entry.offset, entry.length, values,
                            within)
    except Exception:  # damaged bytes: Whoosh's own reading says what is wrong
        return None


def block_postings(matcher: Any, values: bool, within: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, list[Sequence[bytes]] | None] | None:
    """(ids int64, weights float64, values or None) of a W3 posting list, read a block
    at a time from its start; None when the matcher is not a W3 block list, a block is
    not as expected, or the fast paths are off (the caller then steps through it).
    The values are each block's, as it holds them: a tuple of Whoosh's values, or a
    PositionBlock (indexer.position_values).

    `within` (docnums, ascending): only the blocks whose range of ids holds one of them
    are unpickled, the others are passed over on their info alone (a block's info gives
    its last id, so its ids lie after the previous block's last id, up to its own). The
    postings returned are then those of the blocks read: every posting of a `within`
    document, and others."""
    if not FAST_PATHS or type(matcher) is not W3LeafMatcher or matcher._byteids:
        return None
    extent = matcher._length  # W3TermInfo.from_bytes leaves it a 1-tuple (unused there)
    if type(extent) is tuple and len(extent) == 1:
        extent = extent[0]
    if type(extent) is not int:
        return None
    try:
        return _read_blocks(matcher._postfile, matcher._startoffset, extent, values, within)
    except Exception:  # damaged bytes: Whoosh's own reading says what is wrong
        return None


def _read_blocks(postfile: Any, startoffset: int, extent: int, values: bool,
                 within: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, list[Sequence[bytes]] | None] | None:
    # The whole list in one read (Whoosh reads each block's length, info and data apart,
    # a seek and a read each, through a file object): its header tag is checked as
    # W3LeafMatcher._read_header checks it, then its blocks are parsed from the bytes,
    # as W3LeafMatcher._goto and _read_data parse them.
    raw = postfile.get(startoffset, extent)
    header = len(WHOOSH3_HEADER_MAGIC)
    if raw[:header] != WHOOSH3_HEADER_MAGIC:
        return None
    view = memoryview(raw)
    infos = io.BytesIO(raw)
    load_info = pickle.Unpickler(infos).load
    size = len(raw)
    # First each block read: where its data lies, its postings, last id and compression.
    firsts: list[int] = []
    ends: list[int] = []
    counts: list[int] = []
    last_ids: list[int] = []
    compressions: list[int] = []
    # A list: bisect on it costs a fraction of a numpy call per block.
    wanted = [] if within is None else within.tolist()
    passed = 0  # how many `within` ids lie at or before the previous block's last id
    at = header
    while at + _INT_SIZE <= size:
        length = int.from_bytes(raw[at:at + _INT_SIZE], "big", signed=True)
        last = length < 0  # a negative length marks the last block
        following = at + _INT_SIZE + abs(length)
        infos.seek(at + _INT_SIZE)
        info = load_info()
        data_at = infos.tell()
        if type(info) is not tuple or len(info) != 6 or following > size \
                or data_at > following:
            return None
        maxid = info[1]
        at = following
        if within is not None:
            # The block holds ids in (previous block's last id, its own last id].
            upto = bisect_right(wanted, maxid, passed)
            if upto == passed:
                if last:
                    break
                continue  # passed over on its info alone
            passed = upto
        firsts.append(data_at)
        ends.append(following)
        counts.append(info[0])
        last_ids.append(maxid)
        compressions.append(info[3])
        if last or (within is not None and passed == len(wanted)):
            break  # the end, or no wanted id lies further on
    else:
        return None  # the bytes ended before the last block
    # Without values, a long list's uncompressed blocks of the bulk writer's shape are
    # checked together with numpy and their arrays read where they lie in the bytes
    # (_array_shapes); a short list's (or a compressed block's) checks cost less one
    # block at a time (_array_fields).
    shapes: list[BlockShape | None] | None = None
    if not values and compressions.count(0) >= IN_PLACE_BLOCKS_MIN:
        shapes = _array_shapes(raw, firsts, ends, counts, compressions)
    id_parts: list[Any] = []  # a block's ids: a tuple, or an array (ARRAY_IDS_MIN)
    weight_parts: list[Any] = []
    encoded: list[Sequence[bytes]] | None = [] if values else None
    arrays = False  # whether some block's ids or weights came as an array
    for b, n in enumerate(counts):
        shape = None if shapes is None else shapes[b]
        if shape is not None:
            ids_at, ids_type, weights_at, weight = shape
            block_ids = np.frombuffer(raw, ids_type, n, ids_at)
            block_weights = np.frombuffer(raw, "<f4", n, weights_at) if weights_at \
                else weight
            arrays = True
        else:
            data = view[firsts[b]:ends[b]]
            if compressions[b]:
                data = memoryview(zlib.decompress(data))
            fields = None
            if encoded is None and n >= ARRAY_IDS_MIN:
                try:
                    fields = _array_fields(data, n)
                except (IndexError, struct.error):
                    fields = None  # not the shape looked for: unpickled below
            if fields is not None:
                (block_ids, block_weights), arrays = fields, True
            else:
                block_ids, block_weights, stored_values = pickle.loads(data)
        if len(block_ids) != n:
            return None
        id_parts.append(block_ids)
        # Weights as W3LeafMatcher._read_weights: None = all 1.0, a float = all equal.
        if block_weights is None:
            weight_parts.append(repeat(1.0, n))
        elif isinstance(block_weights, float):
            weight_parts.append(repeat(block_weights, n))
        elif len(block_weights) == n:
            weight_parts.append(block_weights)
        else:
            return None
        arrays = arrays or type(block_ids) is array or type(block_weights) is array
        if encoded is not None:
            if type(stored_values) not in (tuple, PositionBlock) or len(stored_values) != n:
                return None
            encoded.append(stored_values)
    count = sum(counts)
    if not count:
        return np.empty(0, np.int64), np.empty(0, np.float64), encoded
    if arrays:  # numpy reads arrays' buffers; tuples and repeats are made arrays
        deltas = np.concatenate([_as_numbers(part, np.int64) for part in id_parts])
        weights = np.concatenate([_as_numbers(part, np.float64) for part in weight_parts])
    else:
        deltas = np.fromiter(chain.from_iterable(id_parts), dtype=np.int64, count=count)
        weights = np.fromiter(chain.from_iterable(weight_parts), dtype=np.float64,
                              count=count)
    # Each block's ids are deltas from 0 (its first id is absolute): make the first one
    # relative to the last id of the block read before it (blocks passed over leave no
    # gap: the sum restarts from an absolute id), and one cumulative sum decodes them all.
    deltas = deltas.astype(np.int64, copy=False)
    starts = np.cumsum(counts[:-1], dtype=np.int64)
    deltas[starts] -= np.array(last_ids[:-1], dtype=np.int64)
    ids = np.cumsum(deltas)
    return ids, weights.astype(np.float64, copy=False), encoded


def _as_numbers(part: Any, dtype: type) -> np.ndarray:
    """A block's ids or weights as a numpy array: an array's buffer as it is, else the
    items (a tuple, or a repeat of one weight)."""
    if isinstance(part, np.ndarray):
        return part
    if type(part) is array:
        return np.frombuffer(part, dtype=part.typecode)
    return np.fromiter(part, dtype=dtype)


# How protocol 4 pickles a block's data (ids, weights, values) when its ids are an array:
# PROTO 4, FRAME, the _array_reconstructor global, then (array, typecode, machine format,
# the items' bytes) and REDUCE; the weights the same way after BINGETs of the memoized
# globals (or N for all 1.0, or G and a float for all equal). _array_fields reads the
# ids' and weights' bytes where they lie in the pickle, so a search that needs no
# positions never unpickles the block's 128 position values (most of its loading time).
_PICKLED_IDS_HEAD = (b"\x8c\x05array\x94\x8c\x14_array_reconstructor\x94\x93\x94"
                     b"(\x8c\x05array\x94\x8c\x05array\x94\x93\x94\x8c\x01")
_PICKLED_WEIGHTS_HEAD = b"h\x02(h\x05\x8c\x01f\x94K"
_PICKLED_ARRAY_TAIL = b"\x94t\x94R\x94"
# array's machine format codes (arraymodule.c) for the little-endian shapes written here.
_ARRAY_FORMATS = {ord("H"): (2, "<u2"), ord("I"): (6, "<u4"), ord("L"): (6, "<u4")}
_FLOAT32_LE_FORMAT = 14
_BINFLOAT = struct.Struct(">d")


def _array_fields(data: memoryview, n: int) -> tuple[np.ndarray, Any] | None:
    """(id deltas, weights) of a block's pickled data without unpickling it: weights an
    array of float32, None (all 1.0) or a float (all equal); None when the data is not
    of that shape (the caller then unpickles it)."""
    if len(data) < 80 or data[0] != 0x80 or data[1] != 4 or data[2] != 0x95:
        return None
    at = 11 + len(_PICKLED_IDS_HEAD)
    if data[11:at] != _PICKLED_IDS_HEAD:
        return None
    shape = _ARRAY_FORMATS.get(data[at])
    if shape is None or data[at + 1:at + 3] != b"\x94K" or data[at + 3] != shape[0]:
        return None
    found = _pickled_bytes(data, at + 4)
    if found is None:
        return None
    items, at = found
    ids = np.frombuffer(items, dtype=shape[1])
    if len(ids) != n:
        return None
    op = data[at]
    if op == ord("N"):
        return ids, None
    if op == ord("G"):
        return ids, _BINFLOAT.unpack_from(data, at + 1)[0]
    head = at + len(_PICKLED_WEIGHTS_HEAD)
    if data[at:head] != _PICKLED_WEIGHTS_HEAD or data[head] != _FLOAT32_LE_FORMAT:
        return None
    found = _pickled_bytes(data, head + 1)
    if found is None:
        return None
    weights = np.frombuffer(found[0], dtype="<f4")
    return (ids, weights) if len(weights) == n else None


def _pickled_bytes(data: memoryview, at: int) -> tuple[memoryview, int] | None:
    """(the bytes, where the array's pickle ends) of a SHORT_BINBYTES or BINBYTES at
    `at`, followed by the array's MEMOIZE, TUPLE, MEMOIZE, REDUCE, MEMOIZE."""
    op = data[at]
    if op == ord("C"):
        start, length = at + 2, data[at + 1]
    elif op == ord("B"):
        start, length = at + 5, int.from_bytes(data[at + 1:at + 5], "little")
    else:
        return None
    end = start + length
    tail = end + len(_PICKLED_ARRAY_TAIL)
    if data[end:tail] != _PICKLED_ARRAY_TAIL:
        return None
    return data[start:end], tail


# A list read without values with this many uncompressed blocks or more has its blocks'
# shapes checked together (_array_shapes: about 60 numpy calls, ~150 us whatever the
# number of blocks, then ~4.5 us a block) instead of one block at a time (_array_fields:
# ~6 us a block). Chosen by measurement (CPU time of lists of 1 to 195 blocks at 100k:
# the in-place path costs more up to about 100 blocks); see docs/benchmarks/analysis.md
# ("Cold search pages").
IN_PLACE_BLOCKS_MIN = 100
_FIRST_FRAME = 11  # PROTO 4, then FRAME and its 8-byte length
_UINT16_LE_FORMAT, _UINT32_LE_FORMAT = 2, 6
# (where the ids start, their numpy type, where the float32 weights start or 0, the
# weight of every posting when they are not listed: None for 1.0)
BlockShape = tuple[int, str, int, float | None]


def _array_shapes(raw: bytes, firsts: list[int], ends: list[int], counts: list[int],
                  compressions: list[int]) -> list[BlockShape | None]:
    """For each block (its pickled data in raw[firsts[b]:ends[b]], counts[b] postings),
    where its arrays' bytes lie when it has the bulk writer's shape (see _array_fields),
    as a BlockShape; None for a block of any other shape (compressed, a tuple of ids,
    another protocol, more than one frame...). Every opcode, length and array format on
    the way is checked, for all blocks at once."""
    blocks = len(counts)
    if not blocks:
        return []
    data = np.frombuffer(raw, dtype=np.uint8)
    top = len(data) - 1
    first = np.array(firsts, dtype=np.int64)
    end = np.array(ends, dtype=np.int64)
    n = np.array(counts, dtype=np.int64)

    def byte(where: np.ndarray) -> np.ndarray:  # (every `where` is at least 0)
        return data[np.minimum(where, top)].astype(np.int64)

    def little(where: np.ndarray, size: int) -> np.ndarray:
        number = np.zeros(blocks, dtype=np.int64)
        for k in range(size):
            number |= byte(where + k) << (8 * k)
        return number

    def holds(where: np.ndarray, pattern: bytes) -> np.ndarray:
        expected = np.frombuffer(pattern, dtype=np.uint8)
        return (data[np.minimum(where[:, None] + np.arange(len(expected)), top)]
                == expected).all(axis=1)

    def pickled_bytes(at: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # (where the bytes start, their length, whether it is SHORT_BINBYTES or BINBYTES)
        op = byte(at)
        short = op == ord("C")
        return (np.where(short, at + 2, at + 5),
                np.where(short, byte(at + 1), little(at + 1, 4)),
                short | (op == ord("B")))

    ok = (np.array(compressions) == 0) & (n >= ARRAY_IDS_MIN) & (end - first >= 80)
    ok &= (byte(first) == 0x80) & (byte(first + 1) == 4) & (byte(first + 2) == 0x95)
    # One frame: a pickle of over 64 KiB has more, between any two opcodes.
    ok &= (little(first + 3, 4) == end - first - _FIRST_FRAME) & (little(first + 7, 4) == 0)
    ok &= holds(first + _FIRST_FRAME, _PICKLED_IDS_HEAD)
    at = first + _FIRST_FRAME + len(_PICKLED_IDS_HEAD)
    code = byte(at)
    narrow = code == ord("H")
    ok &= narrow | (code == ord("I")) | (code == ord("L"))
    ok &= (byte(at + 1) == 0x94) & (byte(at + 2) == ord("K")) & \
        (byte(at + 3) == np.where(narrow, _UINT16_LE_FORMAT, _UINT32_LE_FORMAT))
    ids_at, ids_length, found = pickled_bytes(at + 4)
    ok &= found & (ids_length == n * np.where(narrow, 2, 4))
    ids_end = ids_at + ids_length
    ok &= holds(ids_end, _PICKLED_ARRAY_TAIL)
    at = ids_end + len(_PICKLED_ARRAY_TAIL)
    op = byte(at)
    none, equal = op == ord("N"), op == ord("G")
    listed = ~none & ~equal  # an array of float32
    ok &= ~listed | (holds(at, _PICKLED_WEIGHTS_HEAD) &
                     (byte(at + len(_PICKLED_WEIGHTS_HEAD)) == _FLOAT32_LE_FORMAT))
    weights_at, weights_length, found = pickled_bytes(at + len(_PICKLED_WEIGHTS_HEAD) + 1)
    ok &= ~listed | (found & (weights_length == 4 * n))
    weights_end = weights_at + weights_length
    ok &= ~listed | holds(weights_end, _PICKLED_ARRAY_TAIL)
    # What follows the weights (the values) lies inside the block: nothing read is past it.
    after = np.where(none, at + 1,
                     np.where(equal, at + 9, weights_end + len(_PICKLED_ARRAY_TAIL)))
    ok &= after < end
    shapes: list[BlockShape | None] = [None] * blocks
    for b in np.flatnonzero(ok).tolist():
        weight: float | None = None
        if op[b] == ord("G"):
            weight = _BINFLOAT.unpack_from(raw, int(at[b]) + 1)[0]
        shapes[b] = (int(ids_at[b]), "<u2" if narrow[b] else "<u4",
                     int(weights_at[b]) if listed[b] else 0, weight)
    return shapes


@functools.cache
def _byte_lengths() -> np.ndarray:
    # Field length per stored length byte (byte 0: no length; never read for a match).
    made = _BYTE_LENGTHS.get("table")
    if made is None:
        made = _BYTE_LENGTHS["table"] = np.array(
            [byte_to_length(b) for b in range(256)], dtype=np.float64)
    return made


_BYTE_LENGTHS: dict[str, np.ndarray] = {}


def decoded_lengths(codes: np.ndarray) -> np.ndarray:
    """Stored length bytes (`field_length_codes`) as the lengths doc_field_length gives
    (float64): the same floats as `field_lengths`, for as few documents as asked."""
    return _byte_lengths()[codes]


def field_length_codes(reader: Any, fieldname: str) -> np.ndarray | None:
    """Every document's stored length byte of a field in a segment (uint8: Whoosh keeps
    a field's length as one byte, `length_to_byte`), read as one slice of the length
    column; the byte of 1 for every document without a length column (BM25FScorer's
    default length); None when that cannot be done (another kind of reader or column,
    or the fast paths are off)."""
    if not FAST_PATHS:
        return None
    size = reader.doc_count_all()
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    except AttributeError:
        return None  # not a W3 segment reader
    if column is None:
        return np.full(size, length_to_byte(1), dtype=np.uint8)
    if type(column) is not NumericColumn.Reader or column._fixedlen != 1:
        return None
    stored = np.zeros(size, dtype=np.uint8)
    count = min(column._count, size)
    stored[:count] = np.frombuffer(column._dbfile.get(column._basepos, count), dtype=np.uint8)
    return stored


def field_lengths(reader: Any, fieldname: str) -> np.ndarray | None:
    """Every document's stored length of a field in a segment (float64, as
    doc_field_length gives it; all 1.0 without a length column, BM25FScorer's default);
    None when `field_length_codes` cannot read them."""
    codes = field_length_codes(reader, fieldname)
    return None if codes is None else decoded_lengths(codes)


# -- scoring and queries ------------------------------------------------------------------------

def bm25f_b(weighting: Any, fieldname: str) -> float:
    """BM25F's B for a field (a per-field `<field>_B` argument, else B)."""
    return weighting._field_B.get(fieldname, weighting.B)


def is_null_query(query: Any) -> bool:
    """Whether a query is Whoosh's NullQuery (or a copy of it)."""
    from whoosh import query as wq

    return isinstance(query, type(wq.NullQuery))


def wildcard_pattern(node: Any) -> tuple[Callable[[str], Any], str]:
    """(a regex match function, the literal prefix) of a Wildcard query node, as Whoosh
    matches it; computed the same way from the public text when fast paths are off."""
    import fnmatch
    import re

    if FAST_PATHS:
        return re.compile(node._get_pattern()).match, node._find_prefix(node.text)
    text = node.text
    special = getattr(node, "SPECIAL_CHARS", frozenset("*?["))
    # Whoosh's PatternQuery._find_prefix: the text before the first special character
    # (and, with none, all but its last character).
    prefix = text[:-1]
    for at, char in enumerate(text):
        if char in special:
            prefix = text[:at]
            break
    return re.compile(fnmatch.translate(text)).match, prefix
