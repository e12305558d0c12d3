"""The cold web mix sent to the app in one process: for comparing two trees on one data
directory, alternately, without gunicorn or wrk in the way.

    python -m benchmarks.inprocess DATA_DIR [--searches 300] [--profile FILE]

Each of the cold mix's first N searches (benchmarks.corpus.cold_query_mix) goes once to
`/api/search` through Flask's test client, after the app has opened the generation (by
searches outside the mix). Prints one JSON line: the searches' mean, p50, p95, p99 and
slowest, in milliseconds. With --profile, the searches run under cProfile and its
figures are written to FILE (pstats format). Run it from the tree to measure
(`PYTHONPATH=<tree> python -m benchmarks.inprocess ...`).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess")
    parser.add_argument("data", help="a data directory with an index")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--profile", help="write cProfile's figures to this file")
    args = parser.parse_args(argv)
    os.environ["COMMUNIQUES_DATA_DIR"] = args.data
    # Capacity is measured: the per-client limits are off, as in the web stage.
    os.environ["COMMUNIQUES_RATE_LIMIT"] = ""
    os.environ["COMMUNIQUES_CONCURRENT_PER_CLIENT"] = "0"
    from benchmarks.corpus import cold_query_mix
    from benchmarks.run import search_path
    from webapp import create_app

    client = create_app().test_client()
    for page in range(1, 9):  # the generation opened, as the web stage's workers do
        client.get(f"/api/search?q=&page={page}")
    paths = [search_path(spec) for spec in cold_query_mix(args.searches)]
    profile = cProfile.Profile() if args.profile else None
    seconds = []
    if profile:
        profile.enable()
    for path in paths:
        start = time.perf_counter()
        response = client.get(path)
        seconds.append(time.perf_counter() - start)
        if response.status_code != 200:
            print(f"{path}: {response.status_code}", file=sys.stderr)
            return 1
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    ordered = sorted(seconds)

    def ms(value: float) -> float:
        return round(value * 1000, 1)

    print(json.dumps({
        "searches": len(ordered), "mean_ms": ms(sum(ordered) / len(ordered)),
        "p50_ms": ms(ordered[len(ordered) // 2]),
        "p95_ms": ms(ordered[int(len(ordered) * 0.95)]),
        "p99_ms": ms(ordered[int(len(ordered) * 0.99)]), "max_ms": ms(ordered[-1]),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
