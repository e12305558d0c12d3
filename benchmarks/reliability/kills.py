"""Stage 2: SIGKILL the writing commands at random moments, then run the next normal one.

Three kinds, each killed `kills` times:

- `rebuild`: `communiques index --rebuild` over a synthetic archive large enough that a
  rebuild takes several seconds. The kill rotates between the whole process group, the
  main process alone (its forked writer processes live on, as after an OOM kill of the
  parent) and one writer process (what the OOM killer would pick: the largest). The next
  normal command is cron's `communiques index`; one unkilled rebuild ends the kind.
- `update`: `communiques update` (crawl + index) of the bundled fixture sites served on
  loopback, into a fresh data directory; every other kill lands in a `crawl --refetch`
  of the directory the previous round filled. The next command is `communiques update`.
- `crawl`: `communiques crawl` of the fixture sites into a fresh data directory; every
  other kill lands in a `crawl --refetch` of the directory the previous round filled. The
  next command is `communiques index`, a writer that is not a crawl: it must mark the
  killed run interrupted.
- `index`: incremental `communiques index` after a batch of new synthetic communiqués
  was committed to the archive. The next command is `communiques index`.

After each kill: every (id, version, content hash) committed to the archive before the
recovery must still be there after it, the next command must start (it retries while it
exits 75, "busy", and the wait is recorded) and succeed, and the index must hold exactly
the archive's communiqués, and no crawl run may be left marked running.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.reliability.common import (
    REPO,
    archive_count,
    archive_versions,
    communiques,
    generation_dirs,
    index_count,
    index_has,
    load_synthetic,
    run_command,
    say,
    synthetic_index,
)

KINDS = ("rebuild", "update", "crawl", "index")
REBUILD_MODES = ("group", "main", "writer")
EXIT_BUSY = 75  # EX_TEMPFAIL: another writer holds the lock
RETRY_BUSY_FOR = 180.0  # seconds the next command keeps retrying while it exits 75
BUSY_RETRY_PAUSE = 0.25
DEFAULT_KILLS = 20
DEFAULT_REBUILD_DOCS = 10_000
DEFAULT_BATCH_DOCS = 200
COMMAND_TIMEOUT = 600
SETTLE_SECONDS = 2.0  # for killed processes to disappear before survivors are counted
SYNTHETIC_START = 1_000_000  # record numbers of incremental batches (after any corpus)


@dataclass
class Workload:
    """One kind: how to prepare a round, what to kill, what runs next."""

    kind: str
    data: Callable[[int], Path]
    command: Callable[[int], list[str]]
    recovery: list[str] | Callable[[int], list[str]]
    expected_seconds: float
    prepare: Callable[[int], list[str]] | None = None  # returns ids that must get indexed
    modes: tuple[str, ...] = ("group",)
    env: dict[str, str] | None = None


def _session_processes(session: int) -> list[int]:
    """Live processes of a session we started (the killed command and its children)."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "status"]):
        try:
            if os.getsid(process.pid) == session and \
                    process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(process.pid)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return found


def _writer_children(pid: int) -> list[int]:
    """Forked writer processes of a rebuild (same command line as their parent)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        cmdline = parent.cmdline()
        return [c.pid for c in parent.children() if c.cmdline() == cmdline]
    except psutil.Error:
        return []


def kill_during(argv: list[str], env: dict[str, str], log: Path, at: float,
                mode: str) -> dict:
    """Start `argv`, SIGKILL it (`mode`) `at` seconds in; report what happened."""
    with open(log, "ab") as handle:
        handle.write(f"\n$ {' '.join(argv)}  # SIGKILL ({mode}) at {at:.2f} s\n".encode())
        handle.flush()
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    start = time.monotonic()
    victim = None
    while process.poll() is None:
        elapsed = time.monotonic() - start
        if elapsed >= at:
            if mode == "writer":
                children = _writer_children(process.pid)
                if not children:
                    time.sleep(0.01)  # not forked yet (or already gone): keep watching
                    continue
                victim = random.Random(process.pid).choice(children)
                os.kill(victim, signal.SIGKILL)
            elif mode == "main":
                victim = process.pid
                os.kill(process.pid, signal.SIGKILL)
            else:
                victim = process.pid
                os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    killed_at = time.monotonic()
    elapsed = killed_at - start
    try:
        code = process.wait(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        code = process.wait()
    survivors = _session_processes(process.pid) if victim else []
    deadline = time.monotonic() + SETTLE_SECONDS
    while survivors and mode != "main" and time.monotonic() < deadline:
        time.sleep(0.05)  # SIGKILLed children take a moment to go
        survivors = _session_processes(process.pid)
    return {"killed": victim is not None, "at": round(elapsed, 2), "exit": code,
            "session": process.pid, "survivors": len(survivors), "killed_at": killed_at}


def recover(argv: list[str], env: dict[str, str], log: Path, since: float) -> dict:
    """Run the next normal command, again while it exits 75 (busy)."""
    busy = 0
    while True:
        attempt = time.monotonic()
        result = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT, check=False)
        with open(log, "ab") as handle:
            handle.write(f"\n$ {' '.join(argv)}\n".encode() + result.stdout)
        if result.returncode != EXIT_BUSY:
            break
        busy += 1
        if time.monotonic() - since > RETRY_BUSY_FOR:
            return {"exit": EXIT_BUSY, "busy_exits": busy, "started_after_s": None,
                    "seconds": None, "index_mode": None}
        time.sleep(BUSY_RETRY_PAUSE)
    return {"exit": result.returncode, "busy_exits": busy,
            "started_after_s": round(attempt - since, 2),
            "seconds": round(time.monotonic() - attempt, 2),
            "index_mode": index_mode(result.stdout.decode("utf-8", "replace"))}


def index_mode(output: str) -> str | None:
    """"incremental" or "rebuild", from the `index: MODE, ...` line a command prints."""
    modes = re.findall(r"index: (incremental|rebuild)\b", output)  # plain or in a JSON log
    return modes[-1] if modes else None


def _runs_left_running(data: Path) -> int:
    path = data / "archive.sqlite3"
    if not path.exists():
        return 0
    db = sqlite3.connect(path, timeout=30)
    try:
        return int(db.execute(
            "SELECT COUNT(*) FROM crawl_runs WHERE status = 'running'").fetchone()[0])
    finally:
        db.close()


def _stray_generations(data: Path) -> int:
    """Generation directories other than the current one and the one kept for readers."""
    from indexer.build import KEEP_OLD_GENERATIONS, IndexHome

    current = IndexHome(data).current_dir()
    others = [g for g in generation_dirs(data) if current is None or g != current.name]
    return max(0, len(others) - KEEP_OLD_GENERATIONS)


def one_kill(workload: Workload, n: int, rng: random.Random, log: Path) -> dict:
    """Prepare round `n`, kill its command at a random moment, recover, check."""
    env = {**os.environ, **(workload.env or {})}
    must_index = workload.prepare(n) if workload.prepare else []
    data = workload.data(n)
    argv = workload.command(n)
    mode = workload.modes[n % len(workload.modes)]
    attempts = 0
    while True:
        attempts += 1
        at = rng.uniform(0.05, 0.95) * workload.expected_seconds
        killed = kill_during(argv, env, log, at, mode)
        if killed["killed"] or attempts >= 5:
            break
        # It finished first: the next attempt aims earlier within what it really took.
        workload.expected_seconds = max(0.2, killed["at"])
    before = archive_versions(data)
    recovery_argv = workload.recovery(n) if callable(workload.recovery) else workload.recovery
    recovered = recover(recovery_argv, env, log, killed["killed_at"])
    try:
        os.killpg(killed["session"], signal.SIGKILL)  # anything of the killed run left
    except (ProcessLookupError, PermissionError):
        pass
    after = archive_versions(data)
    archived = archive_count(data)
    indexed = index_count(data)
    missing = index_has(data, must_index) if must_index else []
    row = {
        "n": n + 1, "mode": mode, "command": " ".join(argv[len(communiques()) + 2:]),
        "kill_at_s": killed["at"], "killed": killed["killed"], "kill_attempts": attempts,
        "killed_exit": killed["exit"], "survivors": killed["survivors"],
        "committed_before": len(before), "lost": len(before - after),
        "lost_examples": sorted(before - after)[:5],
        "recovery": " ".join(recovery_argv[len(communiques()) + 2:]),
        "recovery_exit": recovered["exit"], "started_first_try": recovered["busy_exits"] == 0,
        "busy_exits": recovered["busy_exits"], "started_after_s": recovered["started_after_s"],
        "recovery_seconds": recovered["seconds"], "recovery_index_mode": recovered["index_mode"],
        "archive_count": archived,
        "index_count": indexed, "index_matches": indexed == archived,
        "batch_missing_from_index": len(missing),
        "stray_generations": _stray_generations(data),
        "runs_left_running": _runs_left_running(data),
    }
    row["ok"] = (row["killed"] and row["recovery_exit"] == 0 and row["lost"] == 0
                 and row["index_matches"] and not missing and row["runs_left_running"] == 0)
    return row


def _summary(rows: list[dict]) -> dict:
    started = [r["started_after_s"] for r in rows if r["started_after_s"] is not None]
    return {
        "kills": sum(r["killed"] for r in rows),
        "recovered": sum(r["recovery_exit"] == 0 for r in rows),
        "started_first_try": sum(r["started_first_try"] for r in rows),
        "max_wait_to_start_s": max(started) if started else None,
        "lost_records": sum(r["lost"] for r in rows),
        "index_matches_archive": sum(r["index_matches"] for r in rows),
        "max_stray_generations": max((r["stray_generations"] for r in rows), default=0),
        "runs_left_running": max((r["runs_left_running"] for r in rows), default=0),
        "passed": all(r["ok"] for r in rows),
    }


def _rebuild_workload(work: Path, docs: int) -> Workload:
    data, seconds = synthetic_index(work, docs)
    cli = [*communiques(), "--data-dir", str(data)]
    return Workload("rebuild", lambda n: data, lambda n: [*cli, "index", "--rebuild"],
                    [*cli, "index"], seconds, modes=REBUILD_MODES)


def _index_workload(work: Path, docs: int, batch: int, log: Path) -> Workload:
    data, _ = synthetic_index(work, docs)
    cli = [*communiques(), "--data-dir", str(data)]
    offset = [SYNTHETIC_START + archive_count(data)]

    def prepare(n: int) -> list[str]:
        ids = load_synthetic(data, batch, start=offset[0])
        offset[0] += batch
        return ids

    prepare(-1)  # one unkilled run sets the expected duration
    start = time.perf_counter()
    run_command([*cli, "index"], log)
    seconds = time.perf_counter() - start
    return Workload("index", lambda n: data, lambda n: [*cli, "index"], [*cli, "index"],
                    seconds, prepare=prepare)


def _sites_env(sites: dict[str, str]) -> dict[str, str]:
    return {"COMMUNIQUES_SITE_OVERRIDES": json.dumps(sites),
            "COMMUNIQUES_FETCH_ALLOW_PRIVATE_ADDRESSES": "true", "COMMUNIQUES_FETCH_DELAY": "0"}


def _crawl_workload(work: Path, sites: dict[str, str], log: Path) -> Workload:
    env = _sites_env(sites)
    root = work / "crawl-kills"

    def data(n: int) -> Path:
        return root / f"round-{n - n % 2:02d}"  # odd rounds refetch the previous directory

    def command(n: int) -> list[str]:
        cli = [*communiques(), "--data-dir", str(data(n))]
        return [*cli, "crawl", "--refetch"] if n % 2 else [*cli, "crawl"]

    def recovery(n: int) -> list[str]:
        return [*communiques(), "--data-dir", str(data(n)), "index"]

    start = time.perf_counter()
    run_command([*communiques(), "--data-dir", str(root / "unkilled"), "crawl"], log,
                env={**os.environ, **env})
    seconds = time.perf_counter() - start
    return Workload("crawl", data, command, recovery, seconds, env=env)


def _update_workload(work: Path, sites: dict[str, str], log: Path) -> Workload:
    env = _sites_env(sites)
    root = work / "crawls"

    def data(n: int) -> Path:
        return root / f"round-{n - n % 2:02d}"  # odd rounds refetch the previous directory

    def command(n: int) -> list[str]:
        cli = [*communiques(), "--data-dir", str(data(n))]
        return [*cli, "crawl", "--refetch"] if n % 2 else [*cli, "update"]

    def recovery(n: int) -> list[str]:
        return [*communiques(), "--data-dir", str(data(n)), "update"]

    start = time.perf_counter()
    run_command([*communiques(), "--data-dir", str(root / "unkilled"), "update"], log,
                env={**os.environ, **env})
    seconds = time.perf_counter() - start
    return Workload("update", data, command, recovery, seconds, env=env)


def run(work: Path, kills: int = DEFAULT_KILLS, seed: int = 16,
        rebuild_docs: int = DEFAULT_REBUILD_DOCS, batch_docs: int = DEFAULT_BATCH_DOCS,
        kinds: tuple[str, ...] = KINDS) -> dict:
    """The kill stage: `kills` rounds of each kind; figures per round and per kind."""
    from demo.localsites import LocalSites
    from webapp.cli import DEMO_SITES

    rng = random.Random(seed)
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {"kills_per_kind": kills, "seed": seed,
                                  "rebuild_documents": rebuild_docs, "batch_documents": batch_docs}
    for kind in kinds:
        log = logs / f"kill-{kind}.log"
        started = time.perf_counter()
        if kind in ("update", "crawl"):
            with LocalSites(DEMO_SITES) as local:
                make = _update_workload if kind == "update" else _crawl_workload
                workload = make(work, local.base_urls, log)
                rows = _rounds(workload, kills, rng, log)
        elif kind == "rebuild":
            workload = _rebuild_workload(work, rebuild_docs)
            rows = _rounds(workload, kills, rng, log)
            rows_final = _final_rebuild(work, rebuild_docs, log)
            figures["rebuild_after_kills"] = rows_final
        else:
            workload = _index_workload(work, rebuild_docs, batch_docs, log)
            rows = _rounds(workload, kills, rng, log)
        figures[kind] = {"expected_seconds": round(workload.expected_seconds, 2),
                         "seconds": round(time.perf_counter() - started, 1),
                         **_summary(rows), "rounds": rows}
    figures["passed"] = all(figures[k]["passed"] for k in kinds)  # type: ignore[index]
    final = figures.get("rebuild_after_kills")
    if isinstance(final, dict) and not final["ok"]:
        figures["passed"] = False
    return figures


def _rounds(workload: Workload, kills: int, rng: random.Random, log: Path) -> list[dict]:
    say(f"kills: {workload.kind} x{kills} (an unkilled run takes "
        f"{workload.expected_seconds:.1f} s)")
    rows = []
    for n in range(kills):
        row = one_kill(workload, n, rng, log)
        say(f"  {workload.kind} #{n + 1}: {row['mode']} kill at {row['kill_at_s']} s, "
            f"next run started after {row['started_after_s']} s (busy x{row['busy_exits']}), "
            f"exit {row['recovery_exit']}, lost {row['lost']}, index "
            f"{row['index_count']}/{row['archive_count']}")
        rows.append(row)
    return rows


def _final_rebuild(work: Path, docs: int, log: Path) -> dict:
    """One unkilled rebuild after the kills: it must succeed and clear stray generations."""
    data, _ = synthetic_index(work, docs)
    strays_before = _stray_generations(data)
    start = time.perf_counter()
    with open(log, "ab") as handle:
        result = subprocess.run([*communiques(), "--data-dir", str(data), "index", "--rebuild"],
                                cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                                timeout=COMMAND_TIMEOUT, check=False)
    archived, indexed = archive_count(data), index_count(data)
    row = {"exit": result.returncode, "seconds": round(time.perf_counter() - start, 1),
           "stray_generations_before": strays_before,
           "stray_generations_after": _stray_generations(data),
           "archive_count": archived, "index_count": indexed}
    row["ok"] = result.returncode == 0 and archived == indexed
    return row
