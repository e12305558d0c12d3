"""`make reliability`: run the stages, keep their figures, write docs/reliability.md.

    python -m benchmarks.reliability                      # all five stages, default counts
    python -m benchmarks.reliability --stage fuzz --fuzz-requests 500
    python -m benchmarks.reliability --quick              # every stage, small counts
    python -m benchmarks.reliability --stage kills --kills 3 --write-docs   # merge into docs

A complete default run rewrites docs/reliability.md and its figures in
docs/reliability/results.json; other runs print their figures and keep them in the work
directory, unless --write-docs (which replaces just the stages that ran). The exit status
is 1 when any stage failed, so the run can gate a release.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.reliability import fuzz, kills, load, readers, xss
from benchmarks.reliability.common import REPO, limits_env, say
from benchmarks.run import _commit, machine

STAGES = ("fuzz", "kills", "readers", "load", "xss")
DOCS_DIR = Path(os.environ.get("RELIABILITY_SNAPSHOT_DOCS") or REPO / "docs")
DOCS = DOCS_DIR / "reliability.md"
RESULTS = DOCS_DIR / "reliability" / "results.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reliability",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--stage", action="append", choices=STAGES,
                        help="run only this stage (repeatable; default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="small counts everywhere (a try of the harness, not figures)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--work", type=Path, help="work directory (default: a fresh temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--fuzz-requests", type=int, default=fuzz.DEFAULT_REQUESTS)
    parser.add_argument("--fuzz-threads", type=int, default=fuzz.DEFAULT_THREADS)
    parser.add_argument("--timeout", type=float, default=fuzz.CLIENT_TIMEOUT,
                        help="client timeout per fuzz request (s)")
    parser.add_argument("--kills", type=int, default=kills.DEFAULT_KILLS, help="per kind")
    parser.add_argument("--kill-kinds", default=",".join(kills.KINDS),
                        help=f"comma-separated, of {', '.join(kills.KINDS)}")
    parser.add_argument("--rebuild-docs", type=int, default=kills.DEFAULT_REBUILD_DOCS,
                        help="synthetic archive size for the kill, reader and load stages")
    parser.add_argument("--batch-docs", type=int, default=kills.DEFAULT_BATCH_DOCS,
                        help="new documents before each incremental-index kill")
    parser.add_argument("--readers", type=int, default=readers.DEFAULT_READERS)
    parser.add_argument("--rebuilds", type=int, default=readers.DEFAULT_REBUILDS)
    parser.add_argument("--load-seconds", type=int, default=load.DEFAULT_SECONDS)
    parser.add_argument("--load-connections", type=int, default=load.DEFAULT_CONNECTIONS)
    parser.add_argument("--load-paths", type=int, default=load.DEFAULT_PATHS)
    parser.add_argument("--write-docs", action="store_true",
                        help="write docs/reliability.md even for a partial run")
    parser.add_argument("--no-docs", action="store_true", help="never write docs/")
    parser.add_argument("--results", type=Path, help="also write this run's figures (JSON)")
    parser.add_argument("--snapshot", action="store_true",
                        help="measure a clean export of HEAD, not the work tree (for a "
                             "checkout shared with work in progress)")
    args = parser.parse_args(argv)
    if args.quick:
        args.fuzz_requests = min(args.fuzz_requests, 300)
        args.kills = min(args.kills, 2)
        args.rebuild_docs = min(args.rebuild_docs, 6000)  # still two writer processes
        args.batch_docs = min(args.batch_docs, 50)
        args.rebuilds = min(args.rebuilds, 1)
        args.load_seconds = min(args.load_seconds, 5)
        args.load_paths = min(args.load_paths, 5000)
    return args


def stage_functions(args: argparse.Namespace, work: Path) -> dict:
    kinds = tuple(k.strip() for k in args.kill_kinds.split(",") if k.strip())
    return {
        "fuzz": lambda: fuzz.run(work, args.fuzz_requests, args.seed, args.fuzz_threads,
                                 args.timeout),
        "kills": lambda: kills.run(work, args.kills, args.seed, args.rebuild_docs,
                                   args.batch_docs, kinds),
        "readers": lambda: readers.run(work, args.readers, args.rebuilds, args.seed,
                                       args.rebuild_docs),
        "load": lambda: load.run(work, args.load_seconds, args.load_connections,
                                 args.load_paths, args.seed, args.rebuild_docs),
        "xss": lambda: xss.run(work),
    }


# Set when a --snapshot run re-executes itself in the export: what it measures, where the
# figures go.
SNAPSHOT_COMMIT = "RELIABILITY_SNAPSHOT_COMMIT"
SNAPSHOT_DOCS = "RELIABILITY_SNAPSHOT_DOCS"


def run_in_snapshot(raw: list[str]) -> int:
    """Export HEAD (git archive) to a temp dir and run there, so that edits not yet
    committed in a shared work tree do not leak into the figures; docs go back here."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    tree = Path(tempfile.mkdtemp(prefix=f"reliability-{commit}-"))
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=REPO, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    say(f"measuring a clean export of HEAD ({commit}) in {tree}")
    env = {**os.environ, "PYTHONPATH": str(tree), SNAPSHOT_COMMIT: commit,
           SNAPSHOT_DOCS: str(REPO / "docs")}
    try:
        return subprocess.run([sys.executable, "-m", "benchmarks.reliability", *raw],
                              cwd=tree, env=env, check=False).returncode
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    raw = list(argv if argv is not None else sys.argv[1:])
    args = parse_args(raw)
    if args.snapshot and SNAPSHOT_COMMIT not in os.environ:
        return run_in_snapshot(raw)
    stages = tuple(args.stage or STAGES)
    complete = set(stages) == set(STAGES) and not args.quick
    write_docs = not args.no_docs and (complete or args.write_docs)
    work = args.work or Path(tempfile.mkdtemp(prefix="reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.reliability" + (" " + " ".join(raw) if raw else "")
    commit = os.environ.get(SNAPSHOT_COMMIT)
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "command": command,
            "commit": f"{commit} (a clean export of it)" if commit else _commit()}
    figures: dict = {**meta, "machine": machine(), "limits_env": limits_env(), "stages": {},
                     "load_average_at_start": [round(v, 1) for v in os.getloadavg()]}
    functions = stage_functions(args, work)
    started = time.perf_counter()
    for name in stages:
        say(f"== {name}")
        stage_start = time.perf_counter()
        try:
            result = functions[name]()
        except Exception:  # noqa: BLE001 - one broken stage must not lose the others' figures
            result = {"error": traceback.format_exc()[-3000:], "passed": False}
            say(result["error"])
        result["stage_seconds"] = round(time.perf_counter() - stage_start, 1)
        result["load_average"] = [round(v, 1) for v in os.getloadavg()]
        result["run"] = meta
        figures["stages"][name] = result
        say(f"== {name}: {'passed' if result.get('passed') else 'FAILED'} "
            f"in {result['stage_seconds']} s")
    figures["seconds"] = round(time.perf_counter() - started, 1)
    if args.results:
        args.results.write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    from benchmarks.reliability.report import summary_rows

    for stage, what, result, ok in summary_rows(figures):
        print(f"{stage:8} {'passed' if ok else 'FAILED':7} {what}: {result}")
    if write_docs:
        from benchmarks.reliability.report import merge, write_report

        merged = merge(RESULTS, figures) if not complete else figures
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(merged, indent=1, ensure_ascii=False))
        write_report(merged, DOCS)
        say(f"report written to {DOCS}")
    passed = all(s.get("passed") for s in figures["stages"].values())
    if not args.keep and args.work is None:
        # The data goes; on a failure the logs stay (server tracebacks, killed commands).
        for child in work.iterdir():
            if passed or child.name != "logs":
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
        if passed:
            work.rmdir()
        else:
            say(f"logs kept in {work / 'logs'}")
    return 0 if passed else 1
