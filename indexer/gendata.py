"""Generation data: the per-document arrays every search needs, computed once per commit.

A search reads each document's facet values, date, id and field lengths as numpy arrays
(`indexer.facets.FacetTables`, the bulk evaluator's lengths). Built by each reader when
a generation opens, they cost every web worker the same seconds and memory again (6.1 s
and about 400 MB each at 1M documents). Here the writer computes them once, right after
it commits, and writes them beside the segments as flat `.npy` files; a reader maps them
(`numpy.load(mmap_mode="r")`), so every worker shares one copy through the page cache.

Layout, in the generation directory (beside ``segments/``)::

    data/toc-<n>/manifest.json     what the arrays describe (see `_signature`)
    data/toc-<n>/<array>.npy       one file per array, read-only once written
    data/toc-<n>/lexicon/          the "did you mean" lexicon (indexer.suggestions), with
                                   a manifest of its own; written after the arrays

``<n>`` is the Whoosh TOC generation the arrays were computed from: an incremental
commit writes a new TOC, and so a new directory. A directory is written under a
temporary name and renamed into place, so a reader sees all of it or none of it.

A reader uses the files only when the manifest matches the index it has open: the same
format, TOC generation, segments (ids, sizes, deletions) and fast-paths setting. Any
mismatch, a missing or damaged file, or an index older than this module: `load` returns
None, and the reader builds the arrays itself as before. The arrays are computed by the
same code the reader would run (`FacetTables`, `bulk.read_length_codes`), so the two
paths give the same results.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import IndexReader

from indexer import suggestions, whoosh_adapter
from indexer.bulk import read_length_codes
from indexer.facets import COLUMN_INT, FACETS, FacetTables, MappedIds, _Facet

# 2: 32-bit columns, length bytes for every scored field, the stacked single-valued
# facets and the multi-valued facets' runs; 3: runs of at most 255 pairs.
FORMAT = 3
DATA_DIR = "data"
MANIFEST = "manifest.json"
# TOC generations whose data is kept besides the newest: a reader that opened the
# previous TOC (a web worker mid-request) still finds its files.
KEEP_OLD = 1
# numpy arrays of FacetTables, saved as they are (same dtypes: results stay identical).
_TABLE_ARRAYS = ("live", "id_rank", "ordinal", "year", "month", "dated")

log = logging.getLogger("communiques")


def _signature(reader: IndexReader, toc_generation: int) -> dict[str, Any]:
    """What the arrays were computed from; a reader's must be equal to use them."""
    segments = []
    for leaf, _offset in reader.leaf_readers():
        segment = getattr(leaf, "segment", None)
        segment = segment() if callable(segment) else segment
        segments.append({
            "id": segment.segment_id() if segment is not None else None,
            "documents": leaf.doc_count_all(),
            "deleted": leaf.doc_count_all() - leaf.doc_count(),
        })
    return {"format": FORMAT, "toc": toc_generation, "documents": reader.doc_count_all(),
            "segments": segments, "fast_paths": bool(whoosh_adapter.FAST_PATHS)}


def _directory(generation_dir: Path, toc_generation: int) -> Path:
    return Path(generation_dir) / DATA_DIR / f"toc-{toc_generation}"


@dataclass(frozen=True)
class SegmentData:
    """A new segment's share of the arrays, computed by the writer process that wrote it
    (`segment_data`), so that the commit's data (`write`) need not read it again."""

    segment_id: str
    documents: int
    tables: FacetTables
    ids: np.ndarray  # encoded as `_encoded` encodes them
    lengths: dict[str, np.ndarray]  # each scored field's length bytes (uint8)


def length_fields(schema: Any) -> list[str]:
    """The fields whose lengths searches read: every scored one (BM25F)."""
    return [name for name, field in schema.items() if field.scorable] \
        if whoosh_adapter.FAST_PATHS else []


def _length_codes(reader: IndexReader, fields: Sequence[str]) -> dict[str, np.ndarray]:
    """Each field's length bytes (uint8 a document) of a segment; a field whose bytes
    cannot be read is left out (the evaluator then reads its lengths itself)."""
    found = {}
    for field in fields:
        codes = read_length_codes(reader, field)
        if codes is not None:
            found[field] = codes
    return found


def segment_data(index: Any, segment: Any) -> SegmentData:
    """The arrays of a segment written but not yet committed to `index`: what `write`
    would read of it once committed (a new segment has no deletions)."""
    from whoosh.reading import SegmentReader

    reader = SegmentReader(index.storage, index.schema, segment)
    try:
        tables = FacetTables(reader)
        lengths = _length_codes(reader, length_fields(reader.schema))
        return SegmentData(segment.segment_id(), reader.doc_count_all(), tables,
                           _encoded(tables.ids), lengths)
    finally:
        reader.close()


def write(generation_dir: Path | str, index: Any, lexicon: bool = True,
          added: Sequence[SegmentData] = ()) -> Path | None:
    """Compute the arrays of the index's latest TOC and write them under `generation_dir`.

    Called by the writer after each commit. Returns the directory written, or None when
    the index has segments this module cannot name (then readers build their arrays).
    Older TOCs' data past KEEP_OLD is deleted. Then, if `lexicon`, the "did you mean"
    lexicon is computed and written beside the arrays (`write_lexicon`). `added`: the
    new segments' arrays as their writers computed them (others are read here).
    """
    generation_dir = Path(generation_dir)
    toc_generation = index.latest_generation()
    target = _directory(generation_dir, toc_generation)
    with index.reader() as reader:
        signature = _signature(reader, toc_generation)
        if any(s["id"] is None for s in signature["segments"]):
            return None
        fields = length_fields(reader.schema)
        previous = _previous(generation_dir, toc_generation, signature, fields)
        if previous is not None:
            tables, encoded_ids, lengths = _extended(
                previous, reader, {data.segment_id: data for data in added})
        else:
            tables = FacetTables(reader)
            encoded_ids = _encoded(tables.ids)
            parts = [_length_codes(leaf, fields) for leaf, _ in reader.leaf_readers()]
            lengths = {field: np.concatenate([part[field] for part in parts])
                       for field in fields if parts and all(field in p for p in parts)}
    temporary = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
    temporary.mkdir(parents=True)
    try:
        for name in _TABLE_ARRAYS:
            np.save(temporary / f"{name}.npy", getattr(tables, name))
        np.save(temporary / "ids.npy", encoded_ids)
        facets: dict[str, list[str]] = {}
        for spec in FACETS:
            table = tables._facets[spec.name]
            facets[spec.name] = table.terms
            np.save(temporary / f"facet-{spec.name}-values.npy", table.values)
            if spec.multi:
                np.save(temporary / f"facet-{spec.name}-docs.npy", table.docs)
                starts, run_values = table.runs()
                np.save(temporary / f"facet-{spec.name}-run-starts.npy", starts)
                np.save(temporary / f"facet-{spec.name}-run-values.npy", run_values)
        np.save(temporary / "stack.npy", tables.stacked_values())
        for field, values in lengths.items():
            np.save(temporary / f"lengths-{field}.npy", values)
        (temporary / "facets.json").write_text(json.dumps(facets, ensure_ascii=False))
        if lexicon:  # from the first moment the arrays are seen: workers wait for it
            (temporary / suggestions.LEXICON_PENDING).touch()
        # The manifest last: a directory without one is never used.
        (temporary / MANIFEST).write_text(json.dumps(
            {**signature, "lengths": sorted(lengths)}))
        for path in temporary.iterdir():
            _fsync(path)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    finally:
        withdraw(generation_dir, toc_generation)
    _prune(generation_dir, toc_generation)
    if lexicon:
        write_lexicon(target, index, signature)
    return target


def write_lexicon(target: Path, index: Any, signature: dict[str, Any]) -> None:
    """The "did you mean" lexicon of the index, built as a worker would build it and
    written under `target` (the TOC's data directory) for workers to map. A lexicon past
    its bounds, or any failure, is only logged: workers then build it themselves."""
    pending = target / suggestions.LEXICON_PENDING
    pending.touch()
    try:
        started = time.monotonic()
        with index.reader() as reader:
            if _signature(reader, signature["toc"]) != signature:
                return  # another commit came first (the lock forbids it, but never mind)
            built = suggestions.Lexicon.from_reader(
                reader, started + suggestions.LEXICON_BUILD_LIMIT)
        suggestions.write_lexicon(target, built, signature)
        log.info("did-you-mean lexicon written: %d terms in %.1f s", len(built.folded),
                 time.monotonic() - started)
    except Exception as error:  # noqa: BLE001 (the index and its arrays are sound)
        log.warning("did-you-mean lexicon not written (%s: %s); workers will build it",
                    type(error).__name__, error)
    finally:
        pending.unlink(missing_ok=True)


def lexicon_pending(generation_dir: Path | str, toc_generation: int) -> bool:
    """Whether the writer is computing the lexicon of this TOC generation (or announced
    its data, which comes with a lexicon)."""
    directory = _directory(Path(generation_dir), toc_generation)
    return pending(generation_dir, toc_generation) or \
        (directory / suggestions.LEXICON_PENDING).exists()


def load_lexicon(generation_dir: Path | str, reader: IndexReader, toc_generation: int
                 ) -> suggestions.MappedLexicon | None:
    """The lexicon written for the reader's TOC, mapped; None when missing, stale or
    damaged (the worker then builds it)."""
    directory = _directory(Path(generation_dir), toc_generation)
    return suggestions.open_lexicon(directory, _signature(reader, toc_generation))


def _encoded(ids: Sequence[str]) -> np.ndarray:
    """Ids as fixed-width UTF-8 bytes (the order of UTF-8 bytes is that of the str)."""
    return np.array([i.encode() for i in ids], dtype=bytes) if len(ids) \
        else np.empty(0, dtype="S1")


def _previous(generation_dir: Path, toc_generation: int, signature: dict[str, Any],
              fields: list[str]) -> GenerationData | None:
    """The newest earlier TOC's data when its segments (ids and sizes) are the first
    segments of this one: an incremental commit that only added segments and deleted
    documents. Its arrays then describe those segments' documents still (deletions
    only change `live`), and only the new segments need reading."""
    root = generation_dir / DATA_DIR
    numbers = sorted((int(p.name[4:]) for p in root.glob("toc-*") if p.name[4:].isdigit()
                      and int(p.name[4:]) < toc_generation), reverse=True)
    if not numbers:
        return None
    directory = _directory(generation_dir, numbers[0])
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    old = manifest.get("segments", [])
    new = signature["segments"]
    if manifest.get("format") != FORMAT or \
            manifest.get("fast_paths") != signature["fast_paths"] or \
            not old or len(old) >= len(new) or \
            [(s["id"], s["documents"]) for s in old] != \
            [(s["id"], s["documents"]) for s in new[:len(old)]] or \
            sorted(manifest.get("lengths", [])) != sorted(fields):
        return None
    return _load_arrays(directory, manifest)


def _extended(previous: GenerationData, reader: IndexReader,
              known: dict[str, SegmentData] | None = None
              ) -> tuple[FacetTables, np.ndarray, dict[str, np.ndarray]]:
    """The tables, encoded ids and lengths of the reader's index from the previous
    commit's data and the segments added since, read alone (or as `known` holds them,
    by segment id): the same arrays as FacetTables(reader) builds (tests/test_gendata.py
    compares them)."""
    old = FacetTables.from_data(previous)
    leaves = reader.leaf_readers()
    first_new = next(i for i, (_leaf, offset) in enumerate(leaves) if offset >= old.size)
    tables = old
    encoded = np.asarray(previous.ids)
    lengths = {field: np.asarray(values) for field, values in previous.lengths.items()}
    for leaf, _offset in leaves[first_new:]:
        data = _leaf_data(leaf, list(lengths), known or {})
        tables = _joined(tables, encoded, data.tables, data.ids)
        encoded = np.concatenate([encoded, data.ids]) if len(data.ids) else encoded
        for field in lengths:
            lengths[field] = np.concatenate([lengths[field], data.lengths[field]])
    # Deletions anywhere (old segments lose the changed communiqués' previous versions).
    live = np.ones(tables.size, dtype=bool)
    for leaf, offset in leaves:
        segment = leaf.segment()
        if segment is not None and segment.has_deletions():
            live[np.fromiter(segment.deleted_docs(), dtype=np.int64) + offset] = False
    tables.live = live
    return tables, encoded, lengths


def _leaf_data(leaf: Any, fields: list[str], known: dict[str, SegmentData]
               ) -> SegmentData:
    """A new segment's arrays: as its writer computed them when it has (the same
    segment, documents and length fields, no deletion since), or read from it."""
    segment = leaf.segment()
    data = known.get(segment.segment_id()) if segment is not None else None
    if data is not None and data.documents == leaf.doc_count_all() and \
            not segment.has_deletions() and set(fields) <= set(data.lengths):
        return data
    tables = FacetTables(leaf)
    return SegmentData(segment.segment_id() if segment is not None else "",
                       leaf.doc_count_all(), tables, _encoded(tables.ids),
                       _length_codes(leaf, fields))


def _joined(first: FacetTables, first_ids: np.ndarray, then: FacetTables,
            then_ids: np.ndarray) -> FacetTables:
    """Tables of `first`'s documents followed by `then`'s, as one reader over both
    segments' documents in that order would build them (live is set by the caller)."""
    tables = FacetTables.__new__(FacetTables)
    size = first.size + then.size
    tables.size = size
    tables.live = np.concatenate([first.live, then.live])
    tables.ids = MappedIds(np.concatenate([first_ids, then_ids]))  # type: ignore[assignment]
    # id_rank: a stable sort of every id; the new ids come after the old in docnum, so an
    # equal old id ranks first (side="right"). Merged instead of sorting everything again.
    order = np.empty(first.size, dtype=np.int64)
    order[first.id_rank] = np.arange(first.size)
    old_sorted = first_ids[order]
    new_order = np.argsort(then_ids, kind="stable")
    inserted = np.searchsorted(old_sorted, then_ids[new_order], side="right")
    rank = np.empty(size, dtype=np.int64)
    rank[first.size + new_order] = inserted + np.arange(then.size)
    rank[:first.size] = first.id_rank + np.searchsorted(inserted, first.id_rank, side="right")
    tables.id_rank = rank.astype(COLUMN_INT)
    for name in ("ordinal", "year", "month", "dated"):
        setattr(tables, name, np.concatenate([getattr(first, name), getattr(then, name)]))
    tables._facets = {}
    for spec in FACETS:
        if spec.field is None:
            tables._facets[spec.name] = tables._date_facet(spec.name)
            continue
        a, b = first._facets[spec.name], then._facets[spec.name]
        terms = list(a.terms) + [t for t in b.terms if t not in a.index]
        index = {t: i for i, t in enumerate(terms)}
        remap = np.array([index[t] for t in b.terms] + [-1], dtype=COLUMN_INT)
        if spec.multi:
            docs = np.concatenate([a.docs, b.docs + first.size]).astype(COLUMN_INT)
            values = np.concatenate([a.values, remap[b.values]]).astype(COLUMN_INT)
        else:
            docs = np.empty(0, COLUMN_INT)
            values = np.concatenate([a.values, remap[b.values]]).astype(COLUMN_INT)
        tables._facets[spec.name] = _Facet(terms, index, docs, values)
    return tables


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _prune(generation_dir: Path, newest: int) -> None:
    root = Path(generation_dir) / DATA_DIR
    numbers = sorted(int(p.name[4:]) for p in root.glob("toc-*") if p.name[4:].isdigit())
    for number in [n for n in numbers if n < newest][:-KEEP_OLD or None]:
        shutil.rmtree(root / f"toc-{number}", ignore_errors=True)
    for leftover in root.glob(".toc-*"):  # a writer killed half-way
        shutil.rmtree(leftover, ignore_errors=True)
    for announcement in root.glob("writing-*"):  # ... or between its commit and its data
        announced = announcement.name.removeprefix("writing-")
        if announced.isdigit() and int(announced) <= newest:
            announcement.unlink(missing_ok=True)


def _announcement(generation_dir: Path, toc_generation: int) -> Path:
    return Path(generation_dir) / DATA_DIR / f"writing-{toc_generation}"


def announce(generation_dir: Path | str, toc_generation: int) -> None:
    """Say, before a commit, that the writer will write the data of the TOC generation
    it makes: a reader that opens that TOC first then waits for the data (`pending`)
    instead of building the arrays itself. `write` takes the announcement back."""
    path = _announcement(Path(generation_dir), toc_generation)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def pending(generation_dir: Path | str, toc_generation: int) -> bool:
    """Whether a writer announced the data of this TOC generation and has not written it
    yet (nor given up: a writer that fails takes its announcement back)."""
    return _announcement(Path(generation_dir), toc_generation).exists() and not \
        (_directory(Path(generation_dir), toc_generation) / MANIFEST).exists()


def withdraw(generation_dir: Path | str, toc_generation: int) -> None:
    """Take an announcement back (the commit or the data did not happen)."""
    _announcement(Path(generation_dir), toc_generation).unlink(missing_ok=True)


@dataclass(frozen=True)
class GenerationData:
    """The mapped arrays of one TOC generation (read-only numpy memmaps)."""

    directory: Path
    arrays: dict[str, np.ndarray]
    facet_terms: dict[str, list[str]]
    lengths: dict[str, np.ndarray]

    @property
    def ids(self) -> np.ndarray:
        return self.arrays["ids"]


def load(generation_dir: Path | str, reader: IndexReader,
         toc_generation: int) -> GenerationData | None:
    """The data written for the reader's TOC, mapped; None when it is missing, stale
    (another TOC, other segments or deletions, another format or fast-paths setting) or
    unreadable. The caller then builds the arrays itself."""
    directory = _directory(Path(generation_dir), toc_generation)
    if not (directory / MANIFEST).exists():
        return None
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        log.warning("generation data in %s unreadable (%s): building it instead",
                    directory, error)
        return None
    if {k: v for k, v in manifest.items() if k != "lengths"} != \
            _signature(reader, toc_generation):
        return None
    return _load_arrays(directory, manifest)


def indexed(data: GenerationData, ids: Sequence[str]) -> list[str]:
    """Those of `ids` that a document of the data's generation has, deleted or not (an
    id none has needs no deletion): a binary search each in the ids ordered by rank."""
    wanted = [i for i in ids if i]
    if not wanted or not len(data.ids):
        return []
    order = np.empty(len(data.ids), dtype=np.int64)
    order[np.asarray(data.arrays["id_rank"])] = np.arange(len(data.ids))
    ordered = np.asarray(data.ids)[order]
    asked = _encoded(wanted)
    at = np.minimum(np.searchsorted(ordered, asked), len(ordered) - 1)
    # Compared whole: an id wider than the array's width is never equal to one of it.
    found = ordered[at] == asked
    return [i for i, hit in zip(wanted, found.tolist(), strict=True) if hit]


def _load_arrays(directory: Path, manifest: dict[str, Any]) -> GenerationData | None:
    """The arrays of a data directory whose manifest was read, mapped; None when a file
    is missing, unreadable or of the wrong size."""
    try:
        facet_terms = json.loads((directory / "facets.json").read_text())
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r")
                  for name in (*_TABLE_ARRAYS, "ids", "stack")}
        for spec in FACETS:
            parts = ("values", "docs", "run-starts", "run-values") if spec.multi \
                else ("values",)
            for part in parts:
                arrays[f"facet-{spec.name}-{part}"] = np.load(
                    directory / f"facet-{spec.name}-{part}.npy", mmap_mode="r")
        lengths = {field: np.load(directory / f"lengths-{field}.npy", mmap_mode="r")
                   for field in manifest.get("lengths", [])}
    except (OSError, ValueError, KeyError) as error:
        log.warning("generation data in %s unreadable (%s): building it instead",
                    directory, error)
        return None
    size = manifest["documents"]
    if any(len(arrays[name]) != size for name in (*_TABLE_ARRAYS, "ids", "stack")) or \
            any(len(values) != size for values in lengths.values()) or \
            set(facet_terms) != {spec.name for spec in FACETS}:
        return None
    return GenerationData(directory, arrays, facet_terms, lengths)
