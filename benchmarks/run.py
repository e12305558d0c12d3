"""`make bench`: index, search and serve a synthetic corpus, and write docs/performance.md.

Each stage runs in its own process, so each one's peak memory is its own:

    python -m benchmarks.run --docs 10000            # the whole benchmark
    python -m benchmarks.run build --docs 10000 --data DIR   # one stage, JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.measure import (
    memory_mb,
    peak_rss_children_mb,
    peak_rss_mb,
    rss_mb,
    size_mb,
    summary_ms,
    timed,
)

REPO = Path(__file__).resolve().parent.parent
LOAD_BATCH = 2000
INCREMENTAL_BATCH = 1000
WRK_THREADS = 2
WEB_WARMUP_PASSES = 10  # sequential passes over the mix before wrk (two workers to fill)


def _request(spec: dict):
    from benchmarks.corpus import search_request_kwargs
    from indexer.search import SearchRequest

    return SearchRequest(**search_request_kwargs(spec))


# -- stages (each prints one JSON object) -------------------------------------------------

def stage_build(docs: int, data: Path) -> dict:
    """Load the corpus into the archive, then a full rebuild of the index."""
    from benchmarks.corpus import generate
    from indexer.archive import Archive
    from indexer.build import IndexHome, rebuild_index

    with Archive(data) as archive:
        start = time.perf_counter()
        batch = []
        for record in generate(docs):
            batch.append(record)
            if len(batch) == LOAD_BATCH:
                archive.store_many(batch)
                batch = []
        if batch:
            archive.store_many(batch)
        load_seconds = time.perf_counter() - start
        seconds, update = timed(lambda: rebuild_index(archive, data))
    return {
        "documents": update.total_documents,
        "load_seconds": round(load_seconds, 1),
        "rebuild_seconds": round(seconds, 1),
        "rebuild_docs_per_second": round(docs / seconds, 1),
        "index_mb": size_mb(data / "whoosh"),
        "archive_mb": size_mb(data) - size_mb(data / "whoosh"),
        "peak_rss_mb": peak_rss_mb(),
        # The writer processes: each holds up to a segment's postings.
        "peak_rss_writer_mb": peak_rss_children_mb(),
        "procs": update.procs,
        "segments": len(IndexHome.open(update.generation_dir).reader().leaf_readers()),
    }


def stage_search(data: Path, repeat: int) -> dict:
    """The work behind one search page over the query mix, cold and warm."""
    from benchmarks.corpus import QUERY_MIX
    from indexer.search import SearchService

    service = SearchService(data)

    def open_generation():  # what each new generation costs a web worker before a search
        generation = service.generations.current()[0]
        service.texts.tables(generation)  # the version tables collapsing relies on
        return generation

    open_seconds, generation = timed(open_generation)
    service.warm()  # as a web worker does when it starts: the officials registry too
    cold: dict[str, list[float]] = {}
    warm: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for _ in range(repeat):
        for spec in QUERY_MIX:
            generation.cache.clear()
            seconds, results = timed(lambda s=spec: service.search(_request(s)))
            cold.setdefault(spec["kind"], []).append(seconds)
            totals[spec["kind"]] = max(totals.get(spec["kind"], 0), results.total)
    for spec in QUERY_MIX:  # each search once, so that the measured ones are repeats
        service.search(_request(spec))
    for _ in range(repeat):
        for spec in QUERY_MIX:
            seconds, _ = timed(lambda s=spec: service.search(_request(s)))
            warm.setdefault(spec["kind"], []).append(seconds)
    return {
        "open_generation_ms": round(open_seconds * 1000, 1),
        "cold": {"all": summary_ms(sum(cold.values(), [])),
                 **{name: summary_ms(v) for name, v in cold.items()}},
        "warm": {"all": summary_ms(sum(warm.values(), []))},
        "matches": totals,
        "peak_rss_mb": peak_rss_mb(),
    }


def stage_incremental(docs: int, data: Path) -> dict:
    """1,000 new communiqués: from stored in the archive to found by a search."""
    from benchmarks.corpus import generate
    from indexer.archive import Archive
    from indexer.build import update_index
    from indexer.search import SearchRequest, SearchService

    records = list(generate(INCREMENTAL_BATCH, start=docs))
    with Archive(data) as archive:
        store_seconds, _ = timed(lambda: archive.store_many(records))
        start = time.perf_counter()
        update = update_index(archive, data)
    service = SearchService(data)
    probe = SearchRequest(q=f'title:"{records[-1].title.split()[0]}"', page_size=1)
    found = service.search(probe).total > 0
    searchable = time.perf_counter() - start
    return {
        "documents": INCREMENTAL_BATCH,
        "store_seconds": round(store_seconds, 2),
        "index_seconds_to_searchable": round(searchable, 2),
        "docs_per_second": round(INCREMENTAL_BATCH / searchable, 1),
        "indexed": update.indexed,
        "found_after": found,
        "peak_rss_mb": peak_rss_mb(),
    }


def search_path(spec: dict) -> str:
    """A mix entry as the /api/search URL a client would send."""
    from urllib.parse import urlencode

    params: list[tuple[str, str]] = [("q", spec.get("q", "")),
                                     ("sort", spec.get("sort", "relevance"))]
    for key, name in (("date_from", "from"), ("date_to", "to")):
        if spec.get(key):
            params.append((name, str(spec[key])))
    for name, values in (spec.get("filters") or {}).items():
        params += [(name, v) for v in values]
    return "/api/search?" + urlencode(params)


def wrk_script(paths: list[str], *, once: int = 0, threads: int = WRK_THREADS,
               done_file: Path | None = None) -> str:
    """A wrk Lua script requesting `paths`.

    once=0: cycle through them for as long as wrk runs. once=N: each of the `threads` wrk
    threads takes every `threads`-th path from its own start, so no path is sent twice;
    a thread stops after its share of the first N responses and appends a line to
    `done_file`. Its other connections may have sent a few more paths by then (distinct
    too: pass N plus the connections' worth of paths); those responses are not counted.
    wrk itself runs until its duration ends or it gets SIGINT (see `_wrk`).
    """
    table = "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
    if not once:
        return table + (
            "counter = 0\n"
            "request = function()\n  counter = counter + 1\n"
            "  return wrk.format('GET', paths[(counter % #paths) + 1])\nend\n")
    if done_file is None:
        raise ValueError("once= needs a done_file")
    return table + f"""
local created = 0
function setup(thread)
  thread:set("number", created)
  created = created + 1
end
function init(args)
  sent = 0
  received = 0
  share = 0
  for k = number + 1, {once}, {threads} do share = share + 1 end
end
function request()
  local k = number + 1 + sent * {threads}
  sent = sent + 1
  if k > #paths then k = #paths end
  return wrk.format('GET', paths[k])
end
function response(status, headers, body)
  received = received + 1
  if received == share then
    local f = io.open({json.dumps(str(done_file))}, "a")
    f:write("done\\n")
    f:close()
    wrk.thread:stop()
  end
end
"""


def _wrk(wrk: str, port: int, paths: list[str], connections: int, seconds: int,
         once: int = 0) -> dict:
    """Run wrk over `paths` (see `wrk_script`) and parse its figures.

    With once=N, wrk gets SIGINT as soon as every thread has had its share of the N
    responses: wrk then reports on the time it actually ran (it would otherwise sleep
    out its whole duration).
    """
    # A mix sent once runs on one wrk thread: a thread that has had its share stops its
    # loop, but its connections, reopened after gunicorn closed them, stay connected
    # without a request, and each holds a sync worker waiting for one until the other
    # threads finish (which halved the cold mix's figure and showed as wrk "timeouts").
    threads = 1 if once else WRK_THREADS
    directory = Path(tempfile.mkdtemp())
    script = directory / "mix.lua"
    done = directory / "done"
    script.write_text(wrk_script(paths, once=once, threads=threads,
                                 done_file=done if once else None))
    process = subprocess.Popen(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if once:
        while process.poll() is None:
            if done.exists() and done.read_text().count("done") >= threads:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.01)
    stdout, _ = process.communicate()
    shutil.rmtree(directory, ignore_errors=True)
    return {**parse_wrk(stdout), "wrk_output": stdout}


def stage_web(data: Path, seconds: int, connections: int) -> dict:
    """/api/search under load from wrk, served by gunicorn with two workers, with two mixes.

    cold: COLD_MIX_SIZE distinct searches (benchmarks.corpus.cold_query_mix), each sent
    once, so no worker answers one from its result cache; the workers have only opened
    the generation (by searches outside the mix). warm: the 27 searches of QUERY_MIX
    cycled for `seconds`, after sequential passes that fill both workers' caches.
    """
    from benchmarks.corpus import COLD_MIX_SIZE, QUERY_MIX, cold_query_mix

    wrk = shutil.which("wrk")
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    if not wrk or not Path(gunicorn).exists():
        return {"skipped": "wrk or gunicorn is not installed (make bench installs both)"}
    warm_paths = [search_path(spec) for spec in QUERY_MIX]
    # Spare distinct searches for the requests in flight when a wrk thread stops.
    cold_paths = [search_path(spec) for spec in cold_query_mix(COLD_MIX_SIZE + connections)]
    port = 18000 + os.getpid() % 1000
    # Capacity is measured, so the per-client limits (one wrk client) are off.
    env = {**os.environ, "COMMUNIQUES_DATA_DIR": str(data), "COMMUNIQUES_RATE_LIMIT": "",
           "COMMUNIQUES_CONCURRENT_PER_CLIENT": "0"}
    server = subprocess.Popen(
        [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "webapp:create_app()"], cwd=REPO, env=env,
    )
    try:
        import urllib.request
        from concurrent.futures import ThreadPoolExecutor

        import psutil

        def get(path: str) -> None:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120).read()

        for _ in range(100):
            try:
                get("/api/search?q=")
                break
            except OSError:
                time.sleep(0.2)
        # Both workers open the generation (concurrent requests reach both; none of
        # these searches is in the cold mix).
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(get, [f"/api/search?q=&page={n}" for n in range(1, 9)]))
        cold = _wrk(wrk, port, cold_paths, connections, max(seconds, 900),
                    once=COLD_MIX_SIZE)
        workers = psutil.Process(server.pid).children()
        cold["worker_rss_mb"] = [rss_mb(w.pid) for w in workers]
        cold["worker_memory_mb"] = [memory_mb(w.pid) for w in workers]
        # Steady state for the warm mix: each worker has cached the mix.
        warm_start = time.perf_counter()
        for _ in range(WEB_WARMUP_PASSES):
            for path in warm_paths:
                get(path)
        warmup_seconds = time.perf_counter() - warm_start
        warm = _wrk(wrk, port, warm_paths, connections, seconds)
        warm["worker_rss_mb"] = [rss_mb(w.pid) for w in workers]
        warm["worker_memory_mb"] = [memory_mb(w.pid) for w in workers]
        warm["warmup_seconds"] = round(warmup_seconds, 1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"connections": connections, "seconds": seconds,
            "cold": {"queries": COLD_MIX_SIZE, **cold}, "warm": warm}


def parse_wrk(output: str) -> dict:
    figures: dict[str, object] = {"errors": 0}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            figures["requests_per_second"] = float(words[1])
        elif line.strip().startswith("99%"):
            figures["p99_ms"] = _ms(words[1])
        elif line.strip().startswith("50%"):
            figures["p50_ms"] = _ms(words[1])
        elif "Non-2xx" in line:
            figures["errors"] = int(figures["errors"]) + int(words[-1])
        elif line.strip().startswith("Socket errors"):
            counts = {part.split()[0]: int(part.split()[-1])
                      for part in line.split(":", 1)[1].split(",")}
            figures["errors"] = int(figures["errors"]) + sum(counts.values())
            # Requests wrk gave up on after its 2 s timeout (counted in the errors too).
            figures["timeouts"] = counts.get("timeout", 0)
        elif "requests in" in line:
            figures["requests"] = int(words[0])
    return figures


def _ms(text: str) -> float:
    for unit, factor in (("ms", 1), ("us", 0.001), ("s", 1000)):
        if text.endswith(unit):
            return round(float(text[: -len(unit)]) * factor, 2)
    return float(text)


def stage_tantivy(docs: int, repeat: int) -> dict:
    """tantivy on the same corpus: the rebuild, the query mix, a fresh open of the index,
    and the incremental batch (added, committed, opened again and found by a search)."""
    from benchmarks import tantivy_engine
    from benchmarks.corpus import QUERY_MIX, generate

    directory = Path(tempfile.mkdtemp(prefix="tantivy-"))
    try:
        built = tantivy_engine.build(generate(docs), directory)
        open_seconds, index = timed(lambda: _tantivy_open(directory))
        searched = tantivy_engine.measure(index, QUERY_MIX, repeat)
        records = list(generate(INCREMENTAL_BATCH, start=docs))
        start = time.perf_counter()
        tantivy_engine.build(iter(records), directory)
        found = tantivy_engine.run_query(
            _tantivy_open(directory), {"q": records[-1].title.split()[0]})["total"] > 0
        searchable = time.perf_counter() - start
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {"build": built, "search": searched, "peak_rss_mb": peak_rss_mb(),
            "open_index_ms": round(open_seconds * 1000, 1),
            "incremental": {"documents": INCREMENTAL_BATCH,
                            "index_seconds_to_searchable": round(searchable, 2),
                            "found_after": found}}


def _tantivy_open(directory: Path):
    from benchmarks import tantivy_engine

    index = tantivy_engine.open_index(directory)
    index.searcher()
    return index


# -- the whole benchmark ------------------------------------------------------------------

def run_stage(*args: str) -> dict:
    """Run a stage in a fresh Python process and read its JSON."""
    result = subprocess.run([sys.executable, "-m", "benchmarks.run", *args], cwd=REPO,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"stage {args[0]} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


CODE_PATHS = ("indexer", "scrapers", "webapp", "benchmarks", "pyproject.toml")


def _commit() -> str:
    """The code measured: HEAD's short hash, marked when the code differed from it (the
    report this run rewrites, and other documentation, do not count)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    if head and git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS):
        return f"{head} (with uncommitted changes)"
    return head


def machine() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = f"{int(meminfo.read_text().split()[1]) // 1024 // 1024} GiB"
    return {"cpus": os.cpu_count(), "cpu": model, "memory": memory,
            "python": platform.python_version(), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("stage", nargs="?", default="all",
                        choices=["all", "build", "search", "incremental", "web", "tantivy"])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--web-seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-tantivy", action="store_true")
    parser.add_argument("--results", type=Path, help="where to keep the JSON figures")
    parser.add_argument("--keep-data", action="store_true",
                        help="leave the data directory (with --data) for profiling")
    args = parser.parse_args(argv)
    if args.stage != "all":
        stages = {
            "build": lambda: stage_build(args.docs, args.data),
            "search": lambda: stage_search(args.data, args.repeat),
            "incremental": lambda: stage_incremental(args.docs, args.data),
            "web": lambda: stage_web(args.data, args.web_seconds, args.connections),
            "tantivy": lambda: stage_tantivy(args.docs, args.repeat),
        }
        print(json.dumps(stages[args.stage]()))
        return 0

    data = args.data or Path(tempfile.mkdtemp(prefix=f"bench-{args.docs}-"))
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    figures: dict[str, object] = {
        "documents": args.docs, "machine": machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m benchmarks.run " + " ".join(argv if argv is not None
                                                           else sys.argv[1:]),
        "commit": _commit(),
    }
    print(f"building {args.docs} documents in {data} ...", file=sys.stderr)
    figures["build"] = run_stage("build", "--docs", str(args.docs), "--data", str(data))
    print(f"  {figures['build']}", file=sys.stderr)
    figures["search"] = run_stage("search", "--data", str(data), "--repeat", str(args.repeat))
    print("  search done", file=sys.stderr)
    figures["web"] = run_stage("web", "--data", str(data), "--web-seconds",
                               str(args.web_seconds), "--connections", str(args.connections))
    print("  web done", file=sys.stderr)
    figures["incremental"] = run_stage("incremental", "--docs", str(args.docs), "--data",
                                       str(data))
    if not args.no_tantivy:
        figures["tantivy"] = run_stage("tantivy", "--docs", str(args.docs), "--repeat",
                                       str(args.repeat))
    results = args.results or REPO / "docs" / "benchmarks" / f"results-{args.docs}.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    print(f"figures written to {results}", file=sys.stderr)
    from benchmarks.report import write_report

    write_report(REPO / "docs" / "benchmarks", REPO / "docs" / "performance.md")
    if not args.keep_data:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
