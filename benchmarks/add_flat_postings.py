"""Write the flat posting lists (indexer.flat_postings) of an index built before they
existed, from its own lists: what the bulk writer would have written beside each
segment. For comparing the code before and after them on one data directory (a 1M
rebuild takes half an hour); an index the writer builds has them already.

    python -m benchmarks.add_flat_postings DATA_DIR

Segments that have a `.flat` file are left as they are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from whoosh.filedb.filestore import FileStorage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.add_flat_postings")
    parser.add_argument("data", help="a data directory with an index")
    args = parser.parse_args(argv)
    from indexer import whoosh_adapter
    from indexer.bulk import read_postings
    from indexer.flat_postings import FLAT_EXTENSION, FLAT_POSTINGS_MIN, FlatCollector
    from indexer.search import SearchService
    from indexer.segments import flat_postings_wanted

    current = SearchService(args.data).generations.current()
    if current is None:
        print("no index in this data directory", file=sys.stderr)
        return 1
    generation, searcher = current
    folder = Path(generation.index.storage.folder)
    storage = FileStorage(str(folder))
    for leaf, _ in searcher.reader().leaf_readers():
        name = f"{leaf.segment().segment_id()}{FLAT_EXTENSION}"
        if (folder / name).exists():
            continue
        lists = []
        for fieldname, term in leaf.all_terms():
            if not flat_postings_wanted(leaf.schema[fieldname]):
                continue
            entry = whoosh_adapter.term_entry(leaf, fieldname, term)
            if entry is None or entry.offset < 0 or entry.doc_frequency < FLAT_POSTINGS_MIN:
                continue
            postings = read_postings(leaf, fieldname, term, entry=entry)
            lists.append((entry.offset, postings.ids, postings.weights))
        if not lists:
            continue
        lists.sort(key=lambda item: item[0])  # postings-file order, as the writer adds them
        sizes = np.array([len(ids) for _, ids, _ in lists], dtype=np.int64)
        collector = FlatCollector()
        collector.add(np.array([offset for offset, _, _ in lists], dtype=np.int64),
                      np.cumsum(sizes) - sizes, sizes,
                      np.concatenate([ids for _, ids, _ in lists]),
                      np.concatenate([weights for _, _, weights in lists]).astype(np.float32))
        collector.write(storage, name)
        print(f"{name}: {len(lists)} lists, {(folder / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
