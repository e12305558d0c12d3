"""Where an index's bytes go: per kind of file, and the posting lists per field.

    python -m benchmarks.index_size DATA_DIR

reads the generation DATA_DIR/whoosh/CURRENT points to (a `make bench` or
`python -m benchmarks.run build --data DATA_DIR` index, or the service's own) and prints
MB and shares. The posting bytes of a term are its term info's extent (public
`TermInfo.extent()`), summed over the segments.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from indexer.build import IndexHome


def _kind(name: str) -> str:
    if name.endswith(".pst"):
        return "postings (.pst)"
    if name.endswith(".trm"):
        return "term table (.trm)"
    if name.endswith("._stored.col"):
        return "stored fields (._stored.col)"
    if name.endswith("_len.col"):
        return "length columns"
    if name.endswith(".col"):
        return "sortable columns (id, date)"
    return "other"


def breakdown(generation: Path) -> dict:
    """{"files": kind -> bytes, "fields": field -> {bytes, terms, postings}, "total"}."""
    files: Counter[str] = Counter()
    for path in generation.rglob("*"):
        if path.is_file():
            in_segments = path.parent.name == "segments"
            files[_kind(path.name) if in_segments else "generation data (.npy)"] += \
                path.stat().st_size
    fields: dict[str, Counter[str]] = {}
    reader = IndexHome.open(generation).reader()
    for leaf, _ in reader.leaf_readers():
        for fieldname, term in leaf.all_terms():
            info = leaf.term_info(fieldname, term)
            length = info.extent()[1]
            # whoosh3 reads the length back as a 1-tuple (unpack_int); inlined: no extent.
            length = length[0] if isinstance(length, tuple) else (length or 0)
            counts = fields.setdefault(fieldname, Counter())
            counts["bytes"] += length
            counts["terms"] += 1
            counts["postings"] += info.doc_frequency()
    return {"total": sum(files.values()), "files": dict(files.most_common()),
            "fields": {name: dict(c) for name, c in
                       sorted(fields.items(), key=lambda item: -item[1]["bytes"])},
            "segments": len(reader.leaf_readers())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.index_size")
    parser.add_argument("data", type=Path, help="a data directory (its whoosh/CURRENT)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    generation = IndexHome(args.data).current_dir()
    if generation is None:
        print(f"no index in {args.data}", file=sys.stderr)
        return 1
    found = breakdown(generation)
    if args.json:
        print(json.dumps(found, indent=1))
        return 0
    total = found["total"]
    print(f"{generation}: {total / 1e6:.1f} MB, {found['segments']} segments")
    for kind, size in found["files"].items():
        print(f"  {kind:30s} {size / 1e6:9.1f} MB {100 * size / total:5.1f}%")
    postings = sum(f["bytes"] for f in found["fields"].values())
    print("posting lists by field: MB, share of postings, terms, postings, bytes a posting")
    for name, f in found["fields"].items():
        print(f"  {name:18s} {f['bytes'] / 1e6:9.1f} {100 * f['bytes'] / postings:5.1f}%"
              f" {f['terms']:9,} {f['postings']:12,} {f['bytes'] / max(f['postings'], 1):6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
