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

``<n>`` is the Whoosh TOC generation the arrays were computed from: an incremental
commit writes a new TOC, and so a new directory. A directory is written under a
temporary name and renamed into place, so a reader sees all of it or none of it.

A reader uses the files only when the manifest matches the index it has open: the same
format, TOC generation, segments (ids, sizes, deletions) and fast-paths setting. Any
mismatch, a missing or damaged file, or an index older than this module: `load` returns
None, and the reader builds the arrays itself as before. The arrays are computed by the
same code the reader would run (`FacetTables`, `bulk.read_lengths`), so the two paths
give the same results.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.reading import IndexReader

from indexer import whoosh_adapter
from indexer.bulk import read_lengths
from indexer.facets import FACETS, FacetTables

FORMAT = 1
DATA_DIR = "data"
MANIFEST = "manifest.json"
# The scored fields whose lengths a search reads (the bulk evaluator's preload).
LENGTH_FIELDS = ("title", "body")
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


def write(generation_dir: Path | str, index: Any) -> Path | None:
    """Compute the arrays of the index's latest TOC and write them under `generation_dir`.

    Called by the writer after each commit. Returns the directory written, or None when
    the index has segments this module cannot name (then readers build their arrays).
    Older TOCs' data past KEEP_OLD is deleted.
    """
    generation_dir = Path(generation_dir)
    toc_generation = index.latest_generation()
    target = _directory(generation_dir, toc_generation)
    with index.reader() as reader:
        signature = _signature(reader, toc_generation)
        if any(s["id"] is None for s in signature["segments"]):
            return None
        tables = FacetTables(reader)
        lengths = {}
        if whoosh_adapter.FAST_PATHS:
            for field in LENGTH_FIELDS:
                if field in reader.schema:
                    parts = [read_lengths(leaf, field) for leaf, _ in reader.leaf_readers()]
                    lengths[field] = (np.concatenate(parts) if parts
                                      else np.empty(0, np.float64))
    temporary = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
    temporary.mkdir(parents=True)
    try:
        for name in _TABLE_ARRAYS:
            np.save(temporary / f"{name}.npy", getattr(tables, name))
        np.save(temporary / "ids.npy", np.array([i.encode() for i in tables.ids],
                                                dtype=bytes) if tables.ids
                else np.empty(0, dtype="S1"))
        facets: dict[str, list[str]] = {}
        for spec in FACETS:
            table = tables._facets[spec.name]
            facets[spec.name] = table.terms
            np.save(temporary / f"facet-{spec.name}-values.npy", table.values)
            if spec.multi:
                np.save(temporary / f"facet-{spec.name}-docs.npy", table.docs)
        for field, values in lengths.items():
            np.save(temporary / f"lengths-{field}.npy", values)
        (temporary / "facets.json").write_text(json.dumps(facets, ensure_ascii=False))
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
    return target


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
        if {k: v for k, v in manifest.items() if k != "lengths"} != \
                _signature(reader, toc_generation):
            return None
        facet_terms = json.loads((directory / "facets.json").read_text())
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r")
                  for name in (*_TABLE_ARRAYS, "ids")}
        for spec in FACETS:
            arrays[f"facet-{spec.name}-values"] = np.load(
                directory / f"facet-{spec.name}-values.npy", mmap_mode="r")
            if spec.multi:
                arrays[f"facet-{spec.name}-docs"] = np.load(
                    directory / f"facet-{spec.name}-docs.npy", mmap_mode="r")
        lengths = {field: np.load(directory / f"lengths-{field}.npy", mmap_mode="r")
                   for field in manifest.get("lengths", [])}
    except (OSError, ValueError, KeyError) as error:
        log.warning("generation data in %s unreadable (%s): building it instead",
                    directory, error)
        return None
    size = manifest["documents"]
    if any(len(arrays[name]) != size for name in (*_TABLE_ARRAYS, "ids")) or \
            any(len(values) != size for values in lengths.values()) or \
            set(facet_terms) != {spec.name for spec in FACETS}:
        return None
    return GenerationData(directory, arrays, facet_terms, lengths)
