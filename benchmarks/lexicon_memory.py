"""One worker's memory and time to its first "did you mean" lexicon, mapped from the
writer's files or built by the worker (as before issue 18's mapped lexicon).

    python -m benchmarks.lexicon_memory mapped|built DATA_DIR

DATA_DIR is a benchmark archive (`python -m benchmarks.run build --docs N --data DIR`).
Run each mode in a fresh process: the figures are the process's RSS (/proc/self/status).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def _rss() -> dict[str, int]:
    """The process's resident memory in MB: all, anonymous, file-backed."""
    out = {}
    with open("/proc/self/status") as status:
        for line in status:
            name = line.split(":")[0]
            if name in ("VmRSS", "RssAnon", "RssFile"):
                out[name] = int(line.split()[1]) // 1024
    return out


def main(mode: str, data: Path) -> str:
    from indexer import gendata

    if mode == "built":  # as before: each worker builds its own
        gendata.load_lexicon = lambda *args, **kwargs: None  # type: ignore[assignment]
    elif mode != "mapped":
        raise SystemExit("mode: mapped or built")
    from indexer.entities.registry import OfficialsRegistry
    from indexer.search import SearchRequest, SearchService
    from indexer.suggestions import suggestions

    service = SearchService(data)
    service.search(SearchRequest(q="minister"))
    current = service.generations.current()
    assert current is not None
    generation = current[0]
    before = _rss()
    cpu, started = time.process_time(), time.monotonic()
    service.did_you_mean(SearchRequest(q="Lavrof"))  # loads the registry, asks the lexicon
    while (lexicon := service.lexicons.get(generation.key, generation.index.reader)) is None:
        time.sleep(0.005)
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    after = _rss()
    officials = list(OfficialsRegistry.load().by_id.values())
    queries = ["Lavrof", "ministar", "sanctons", "terorism", "Дачич", "negotiatons",
               "Brusels", "humanitarain", "cooperaton", "Vucic"]
    suggestions("warm", lexicon, officials, time_limit=None)
    start = time.process_time()
    for _ in range(3):
        for q in queries:
            suggestions(q, lexicon, officials, time_limit=None)
    per = (time.process_time() - start) / (3 * len(queries)) * 1000
    return (f"{mode}: {type(lexicon).__name__} {len(lexicon.folded):,} terms; first lexicon "
            f"{wall:.2f} s wall, {cpu:.2f} s CPU; RSS MB before {before} after {after}; "
            f"suggestions() {per:.1f} ms CPU a query")


if __name__ == "__main__":
    print(main(sys.argv[1], Path(sys.argv[2])))
