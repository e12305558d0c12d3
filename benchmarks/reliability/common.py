"""What the stages share: the data they run over, servers on loopback, limits, figures."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType

from benchmarks.measure import percentile

REPO = Path(__file__).resolve().parents[2]
LOAD_BATCH = 2000


def communiques() -> list[str]:
    """The `communiques` command of this virtualenv (as cron and operators run it)."""
    script = Path(sys.executable).with_name("communiques")
    return [str(script)] if script.exists() else [sys.executable, "-m", "webapp.cli"]


def gunicorn() -> str | None:
    script = Path(sys.executable).with_name("gunicorn")
    return str(script) if script.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- limits ------------------------------------------------------------------------------

# The app's per-client limits (webapp/limits.py), switched off on every server a stage
# starts: the stages measure the service (its errors, its capacity), not the limiter, which
# would answer one loopback client with 429s. benchmarks/run.py does the same for wrk.
LIMITS_OFF_CONFIG: dict[str, object] = {"RATE_LIMIT": "", "CONCURRENT_PER_CLIENT": 0}
LIMITS_OFF = {f"COMMUNIQUES_{key}": str(value) for key, value in LIMITS_OFF_CONFIG.items()}


def limits_env() -> dict[str, str]:
    """Environment that switches off the per-client limits of a server we start.

    The HOOK for limits: add a new limit's setting to LIMITS_OFF_CONFIG. Every stage still counts
    429s separately, so a limit this misses shows up in the report instead of as errors.
    """
    return dict(LIMITS_OFF)


def server_env(data: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "COMMUNIQUES_DATA_DIR": str(data), **limits_env(), **(extra or {})}


def search_time_limit() -> float:
    """The server's search time limit (its default, or COMMUNIQUES_SEARCH_TIME_LIMIT)."""
    from webapp.config import DEFAULTS

    return float(os.environ.get("COMMUNIQUES_SEARCH_TIME_LIMIT", DEFAULTS["SEARCH_TIME_LIMIT"]))


# -- servers -----------------------------------------------------------------------------

class Server:
    """A server process on a loopback port, in its own session so that it and its workers
    stop together; its output goes to a log file (tracebacks of 5xx land there)."""

    def __init__(self, argv: list[str], env: Mapping[str, str], port: int, log: Path,
                 ready_path: str = "/api/search?q=&size=1") -> None:
        self.argv = argv
        self.env = dict(env)
        self.port = port
        self.log = log
        self.ready_path = ready_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.log, "ab")  # noqa: SIM115 - the child owns it until stop()
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=REPO, stdout=handle,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log}")
            try:
                urllib.request.urlopen(self.base_url + self.ready_path, timeout=10).read()
                return
            except urllib.error.HTTPError:
                return  # it answers: that is all "ready" means
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not answering after {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def log_since(self, offset: int) -> str:
        with open(self.log, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def waitress_server(data: Path, log: Path, extra_env: Mapping[str, str] | None = None) -> Server:
    """`communiques serve` (waitress, 8 threads) over a data directory."""
    port = free_port()
    argv = [*communiques(), "--data-dir", str(data), "serve", "--host", "127.0.0.1",
            "--port", str(port)]
    return Server(argv, server_env(data, extra_env), port, log)


def gunicorn_server(data: Path, log: Path, workers: int = 2) -> Server:
    """gunicorn with `workers` sync workers (the `bench` extra), as benchmarks/run.py runs it."""
    binary = gunicorn()
    if binary is None:
        raise RuntimeError("gunicorn is not installed (make bench-tools installs it)")
    port = free_port()
    argv = [binary, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
            "webapp:create_app()"]
    return Server(argv, server_env(data), port, log)


# -- data --------------------------------------------------------------------------------

def run_command(argv: list[str], log: Path, env: Mapping[str, str] | None = None,
                timeout: float = 900) -> subprocess.CompletedProcess:
    """Run a command to completion, appending its output to a log; raise if it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        result = subprocess.run(argv, cwd=REPO, env=dict(env or os.environ), stdout=handle,
                                stderr=subprocess.STDOUT, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {result.returncode}; see {log}")
    return result


def fixture_index(work: Path) -> Path:
    """The bundled fixture sites crawled and indexed by `communiques demo --no-serve`."""
    data = work / "fixture" / "demo"
    if not (data / "whoosh" / "CURRENT").exists():
        run_command([*communiques(), "--data-dir", str(work / "fixture"), "demo", "--no-serve"],
                    work / "logs" / "fixture-demo.log")
    return data


def load_synthetic(data: Path, count: int, start: int = 0) -> list[str]:
    """Store synthetic communiqués number start .. start+count-1 (benchmarks/corpus.py) in
    the archive, committed in batches as benchmarks/run.py loads them; returns their ids."""
    from benchmarks.corpus import generate
    from indexer.archive import Archive

    ids: list[str] = []
    with Archive(data) as archive:
        batch = []
        for record in generate(count, start=start):
            batch.append(record)
            ids.append(record.id)
            if len(batch) == LOAD_BATCH:
                archive.store_many(batch)
                batch = []
        if batch:
            archive.store_many(batch)
    return ids


def synthetic_index(work: Path, docs: int) -> tuple[Path, float]:
    """An archive of `docs` synthetic communiqués and its index (`communiques index
    --rebuild`); returns the data directory and how long that rebuild took."""
    data = work / "synthetic"
    marker = work / "synthetic.json"
    if marker.exists() and (data / "whoosh" / "CURRENT").exists():
        return data, float(json.loads(marker.read_text())["rebuild_seconds"])
    load_synthetic(data, docs)
    start = time.perf_counter()
    run_command([*communiques(), "--data-dir", str(data), "index", "--rebuild"],
                work / "logs" / "synthetic-rebuild.log")
    seconds = time.perf_counter() - start
    marker.write_text(json.dumps({"docs": docs, "rebuild_seconds": seconds}))
    return data, seconds


def archive_versions(data: Path) -> set[tuple[str, int, str]]:
    """Every (id, version, content hash) committed to the archive."""
    path = data / "archive.sqlite3"
    if not path.exists():
        return set()
    db = sqlite3.connect(path, timeout=30)
    try:
        return set(db.execute("SELECT id, version, content_hash FROM versions"))
    finally:
        db.close()


def archive_count(data: Path) -> int:
    path = data / "archive.sqlite3"
    if not path.exists():
        return 0
    db = sqlite3.connect(path, timeout=30)
    try:
        return int(db.execute("SELECT COUNT(*) FROM communiques").fetchone()[0])
    finally:
        db.close()


def index_count(data: Path) -> int | None:
    """Documents in the current index generation (None when there is none)."""
    from indexer.build import IndexHome

    home = IndexHome(data)
    current = home.current_dir()
    if current is None:
        return None
    return int(home.open(current).doc_count())


def index_has(data: Path, ids: Iterable[str]) -> list[str]:
    """Which of `ids` the current index generation lacks."""
    from indexer.build import IndexHome

    home = IndexHome(data)
    current = home.current_dir()
    wanted = list(ids)
    if current is None:
        return wanted
    with home.open(current).searcher() as searcher:
        return [i for i in wanted if searcher.document_number(id=i) is None]


def generation_dirs(data: Path) -> list[str]:
    root = data / "whoosh"
    return sorted(p.name for p in root.glob("gen-*") if p.is_dir()) if root.exists() else []


# -- figures -----------------------------------------------------------------------------

def latency_ms(seconds: list[float]) -> dict[str, float | int]:
    if not seconds:
        return {"n": 0}
    return {"n": len(seconds), "p50": round(percentile(seconds, 0.50) * 1000, 1),
            "p99": round(percentile(seconds, 0.99) * 1000, 1),
            "max": round(max(seconds) * 1000, 1)}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
