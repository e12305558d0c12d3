"""Killed writers: a SIGKILLed rebuild leaves no writer process and no held lock, and a
SIGKILLed crawl reads as interrupted at once and is marked so by the next writer.

Every test runs the real `communiques` command (or a script taking the real lock) in a
subprocess and kills it with SIGKILL, as an operator or the OOM killer would.
`KILL_ROUNDS=20 pytest tests/test_kill.py -k rebuild` kills a rebuild 20 times.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import run_cli

from indexer.archive import Archive
from indexer.build import PARALLEL_REBUILD_MIN_DOCUMENTS, IndexHome
from indexer.errors import IndexingError, WriterBusy
from indexer.lock import WriterLock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads processes from /proc")

REPO = Path(__file__).resolve().parent.parent
# Seconds between the writer processes appearing and the kill: right at their start,
# mid-way, and late in their work (a rebuild of this archive takes ~10 s on 2 cores).
DELAYS = (0.0, 0.8, 2.0, 3.5)
ROUNDS = int(os.environ.get("KILL_ROUNDS", len(DELAYS)))


def communiques(*args: str) -> list[str]:
    """The installed `communiques` command (as cron runs it), or the module if not installed."""
    script = Path(sys.executable).with_name("communiques")
    if script.exists():
        return [sys.executable, str(script), *args]
    return [sys.executable, "-m", "webapp.cli", *args]


def _stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (state first), None if gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else fields


def alive(pid: int) -> bool:
    return _stat(pid) is not None


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields and int(fields[1]) == pid:
                found.add(int(entry))
    return found


def wait_for(condition, timeout: float, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def lock_is_free(data_dir: Path) -> bool:
    """Probe the flock itself (WriterLock would also clear the dead writer's record)."""
    fd = os.open(data_dir / "writer.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing our own descriptor drops the probe's lock
    return True


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive large enough for `index --rebuild` to use two writer processes."""
    from benchmarks.corpus import generate

    root = tmp_path_factory.mktemp("big")
    with Archive(root) as archive:
        archive.store_many(list(generate(max(PARALLEL_REBUILD_MIN_DOCUMENTS, 5000))))
    return root / Archive.FILENAME


def kill_rebuild(command: list[str], delay: float) -> tuple[int, set[int]] | None:
    """Start a rebuild, SIGKILL its main process `delay` s after its two writer processes
    appear; the killed pid and the writers' pids, or None if it finished first."""
    run = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    try:
        writers = wait_for(lambda: len(children_of(run.pid)) >= 2 and children_of(run.pid),
                           timeout=120)
        assert writers and len(writers) == 2, run.stderr.read().decode() if (
            run.poll() is not None) else "no writer processes"
        time.sleep(delay)
        if run.poll() is not None:  # a machine fast enough to finish first: no kill
            assert run.returncode == 0, run.stderr.read().decode()
            return None
        writers |= children_of(run.pid)
        assert all(alive(pid) for pid in writers)
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.kill()
        run.wait()
        run.stderr.close()
    return run.pid, writers


def assert_nothing_left(data: Path, writers: set[int], what: str) -> None:
    wait_for(lambda: not any(alive(pid) for pid in writers), timeout=10)
    survivors = [pid for pid in writers if alive(pid)]
    assert not survivors, f"{what}: writer processes {survivors} survived"
    assert lock_is_free(data), f"{what}: writer.lock still held"


@pytest.fixture
def data(big_archive: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(big_archive, data / Archive.FILENAME)
    return data


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a rebuild uses one process on 1 core")
def test_killed_rebuilds_leave_no_writer_process_and_no_lock(data: Path) -> None:
    killed = 0
    last_killed: int | None = None
    for n in range(ROUNDS):
        delay = DELAYS[n % len(DELAYS)] + 0.1 * (n // len(DELAYS))
        outcome = kill_rebuild(communiques("--data-dir", str(data), "index", "--rebuild"), delay)
        if outcome is None:
            last_killed = None
            continue
        last_killed, writers = outcome
        killed += 1
        assert_nothing_left(data, writers, f"round {n}, killed {delay} s in")

    assert killed > ROUNDS // 2, "most rebuilds ended before the kill: enlarge the archive"
    # At once, the next normal run goes ahead, names the run that died, and is complete.
    result = subprocess.run(communiques("--data-dir", str(data), "index"), cwd=REPO,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    if last_killed is not None:
        assert f"recovered the writer lock from pid {last_killed}" in result.stderr
    with Archive(data, readonly=True) as archive:
        expected = archive.count()
    home = IndexHome(data)
    assert IndexHome.open(home.current_dir()).doc_count() == expected
    assert f"{expected} in the index" in result.stdout
    # The killed rebuilds' half-written generations are gone, not kept as "previous".
    assert [p.name for p in home.root.glob("gen-*")] == [home.current_dir().name]
    assert lock_is_free(data)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a rebuild uses one process on 1 core")
def test_without_pdeathsig_writers_notice_their_parent_died(data: Path) -> None:
    """The portable fallback alone (as off Linux): prctl made a no-op, the writers see
    their parent pid change between two communiqués and stop."""
    code = ("import sys, indexer.build as build; build.PR_SET_PDEATHSIG = 0;"
            " from webapp.cli import cli; sys.argv[0] = 'communiques'; cli()")
    outcome = kill_rebuild([sys.executable, "-c", code, "--data-dir", str(data), "index",
                            "--rebuild"], delay=1.0)
    assert outcome is not None, "the rebuild ended before the kill: enlarge the archive"
    assert_nothing_left(data, outcome[1], "without PR_SET_PDEATHSIG")


def _background(script: str, *args: str) -> subprocess.Popen:
    code = textwrap.dedent(script)
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture
def reaped() -> Iterator[list[int]]:
    """Pids a test starts outside subprocess (forked grandchildren): killed at the end."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_forked_child_of_a_dead_writer_does_not_keep_the_lock(tmp_path: Path,
                                                                reaped: list[int]) -> None:
    """The rebuild bug at its root: a child inherits the lock's descriptor, its parent is
    killed, and the child (stuck, not dying) must not hold the lock."""
    parent = _background("""
        import os, sys, time
        from indexer.lock import WriterLock
        WriterLock(sys.argv[1]).acquire()
        ready, told = os.pipe()
        child = os.fork()
        if child == 0:
            # fork() has returned here, so the at-fork hook has closed the lock's copy.
            os.write(told, b"x")
            time.sleep(120)
            os._exit(0)
        os.read(ready, 1)  # killing the parent sooner races the child's hook
        print(child, flush=True)
        os.kill(os.getpid(), 9)
    """, str(tmp_path))
    child = int(parent.stdout.readline())
    reaped.append(child)
    parent.wait()
    parent.stdout.close()
    assert parent.returncode == -signal.SIGKILL
    assert alive(child)
    lock = WriterLock(tmp_path)
    lock.acquire()  # raised WriterBusy when the child kept the inherited descriptor
    try:
        assert lock.previous is not None and lock.previous.pid == parent.pid
        assert "index" not in lock.previous.command  # a `python -c` script took it
    finally:
        lock.release()
    assert alive(child)
    assert WriterLock.holder(tmp_path) is None  # a clean release leaves no record


def test_busy_names_the_holder_and_how_long(tmp_path: Path) -> None:
    holder = _background("""
        import sys, time
        from indexer.lock import WriterLock
        with WriterLock(sys.argv[1]):
            print("locked", flush=True)
            time.sleep(120)
    """, str(tmp_path))
    try:
        assert holder.stdout.readline().strip() == "locked"
        time.sleep(1.1)
        with pytest.raises(WriterBusy) as busy:
            WriterLock(tmp_path).acquire()
        message = str(busy.value)
        assert f"pid {holder.pid} (`-c {tmp_path}`)" in message
        assert re.search(r", for [1-9]\d* s;", message), message
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_busy_names_an_orphan_holding_a_dead_writers_lock(tmp_path: Path,
                                                         reaped: list[int]) -> None:
    """What the previous version left behind (it wrote the pid alone and its writer
    processes kept the lock): the message says the named writer is dead and who holds it."""
    parent = _background("""
        import fcntl, os, sys, time
        fd = os.open(os.path.join(sys.argv[1], "writer.lock"), os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, str(os.getpid()).encode())
        child = os.fork()
        if child == 0:
            time.sleep(120)
            os._exit(0)
        print(child, flush=True)
        os._exit(0)
    """, str(tmp_path))
    child = int(parent.stdout.readline())
    reaped.append(child)
    parent.wait()
    parent.stdout.close()
    with pytest.raises(WriterBusy) as busy:
        WriterLock(tmp_path).acquire()
    message = str(busy.value)
    assert f"the writer it names, pid {parent.pid}" in message
    assert "no longer running" in message
    assert f"held by pid {child} (`" in message
    os.kill(child, signal.SIGKILL)
    assert wait_for(lambda: not alive(child), timeout=5)
    with WriterLock(tmp_path) as lock:  # the orphan gone, the lock is free again
        assert lock.previous is not None and lock.previous.pid == parent.pid


def _runs(data_dir: Path) -> list[tuple[int, str, str, str | None]]:
    db = sqlite3.connect(f"file:{data_dir / Archive.FILENAME}?mode=ro", uri=True)
    try:
        return db.execute("SELECT run_id, source_id, status, finished_at FROM crawl_runs"
                          " ORDER BY run_id").fetchall()
    except sqlite3.OperationalError:  # the crawler has not created its tables yet
        return []
    finally:
        db.close()


def _kill_a_crawl(app, base_urls: dict[str, str], *args: str) -> int:
    """Start `communiques crawl ARGS` slowly (a page every 0.3 s), SIGKILL it once its run
    is recorded, and return that run's id; the status shows the live crawl first."""
    data = Path(app.config["DATA_DIR"])
    before = {r[0] for r in _runs(data)} if (data / Archive.FILENAME).exists() else set()
    env = {**os.environ,
           "COMMUNIQUES_SITE_OVERRIDES": json.dumps(base_urls),
           "COMMUNIQUES_FETCH_ALLOW_PRIVATE_ADDRESSES": "true",
           "COMMUNIQUES_FETCH_MAX_RETRIES": "0",
           "COMMUNIQUES_FETCH_DELAY": "0.3"}
    crawl = subprocess.Popen(communiques("--data-dir", str(data), "crawl", *args),
                             cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        running = wait_for(lambda: (data / Archive.FILENAME).exists() and [
            r for r in _runs(data) if r[2] == "running" and r[0] not in before], timeout=60)
        assert running, "the crawl never started a run"
        assert crawl.poll() is None
        status = run_cli(app, "status").output
        assert "us-state: crawl running since" in status and f"(pid {crawl.pid})" in status
        crawl.send_signal(signal.SIGKILL)
    finally:
        crawl.kill()
        crawl.wait()
    return int(running[0][0])


def test_a_killed_crawl_reads_interrupted_and_any_writer_marks_it(
    app, local_sites,
) -> None:
    data = Path(app.config["DATA_DIR"])
    killed_run = _kill_a_crawl(app, local_sites.base_urls, "--source", "us-state")
    assert _runs(data) == [(killed_run, "us-state", "running", None)]
    # Before any writer comes, the read-only views say it: its process is gone.
    status = run_cli(app, "status").output
    assert re.search(r"us-state: last crawl started \S+, interrupted: its process is gone",
                     status)
    assert re.search(r"us-state .* interrupted", run_cli(app, "sources").output)
    health = app.test_client().get("/api/status").get_json()
    [us_state] = [s for s in health["sources"] if s["id"] == "us-state"]
    assert us_state["last_status"] == "interrupted" and us_state["state"] == "failing"
    assert _runs(data) == [(killed_run, "us-state", "running", None)]  # nothing written

    # A writer that is not a crawl marks it, with when it noticed.
    before = time.time()
    result = run_cli(app, "index")
    assert result.exit_code == 0, result.output
    [(run_id, source, state, noticed)] = _runs(data)
    assert (run_id, source, state) == (killed_run, "us-state", "interrupted")
    assert noticed is not None and datetime.fromisoformat(noticed).timestamp() >= before - 1
    status = run_cli(app, "status").output
    assert re.search(r"us-state: last crawl started \S+, interrupted: its process died"
                     r" \(noticed ", status)

    # The next crawl leaves it as it is and records its own.
    result = run_cli(app, "crawl", "--source", "serbia-mfa")
    assert result.exit_code == 0, result.output
    runs = {run_id: (source, state, finished) for run_id, source, state, finished in _runs(data)}
    assert runs[killed_run] == ("us-state", "interrupted", noticed)
    assert [s for src, s, _ in runs.values() if src == "serbia-mfa"] == ["ok"]
    sources = run_cli(app, "sources").output
    assert re.search(r"us-state .* interrupted", sources)
    assert re.search(r"serbia-mfa .* ok", sources)


def test_an_update_with_nothing_due_marks_a_killed_refetch(
    app, local_sites,
) -> None:
    data = Path(app.config["DATA_DIR"])
    result = run_cli(app, "crawl")  # every source crawled well: none is due for a while
    assert result.exit_code == 0, result.output
    killed_run = _kill_a_crawl(app, local_sites.base_urls, "--source", "us-state", "--refetch")
    assert [r[2] for r in _runs(data) if r[0] == killed_run] == ["running"]
    result = run_cli(app, "update")
    assert result.exit_code == 0, result.output
    assert result.output.count('"event": "not_due"') == 5  # no crawl ran
    assert [r[2] for r in _runs(data) if r[0] == killed_run] == ["interrupted"]
    assert "crawl run" in result.output and "interrupted" in result.output  # the run log says


def test_a_live_crawl_of_another_process_is_left_running(tmp_path: Path) -> None:
    """A writer (or a reader) never marks the run of a crawl whose process runs."""
    script = textwrap.dedent("""
        import sys, time
        from indexer.archive import Archive
        with Archive(sys.argv[1]) as archive:
            archive.start_run("us-state")
            print("started", flush=True)
            time.sleep(120)
    """)
    crawler = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert crawler.stdout is not None and crawler.stdout.readline().strip() == "started"
        with Archive(tmp_path) as archive:  # a writer opening the archive
            [run] = archive.last_runs()
            assert run.status == "running" and not run.process_gone
            assert archive.mark_dead_runs() == []
        crawler.send_signal(signal.SIGKILL)
        crawler.wait()
        with Archive(tmp_path, readonly=True) as archive:
            [run] = archive.last_runs()
            assert run.status == "interrupted" and run.process_gone and run.finished_at is None
        with Archive(tmp_path) as archive:
            [run] = archive.last_runs()
            assert run.status == "interrupted" and not run.process_gone and run.finished_at
    finally:
        crawler.kill()
        crawler.wait()


def test_a_killed_writer_process_stops_the_rebuild_at_once(tmp_path: Path,
                                                           monkeypatch) -> None:
    """The OOM killer's pick, the largest writer, is SIGKILLed: the rebuild fails then,
    stopping the other writer, instead of waiting for it to finish its share first."""
    import indexer.build as build
    from benchmarks.corpus import generate

    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(50)))
        build.rebuild_index(archive, tmp_path, procs=1)
    home = IndexHome(tmp_path)
    before = home.current_dir()
    real = build._index_share

    def share(segments_dir, data_dir, part, *args, **kwargs):
        if part == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(60)  # writer 0: a long share, still running when writer 1 dies
        return real(segments_dir, data_dir, part, *args, **kwargs)

    monkeypatch.setattr(build, "_index_share", share)
    started = time.monotonic()
    with Archive(tmp_path) as archive, pytest.raises(IndexingError, match="writer process died"):
        build.rebuild_index(archive, tmp_path, procs=2)
    assert time.monotonic() - started < 20  # not the 60 s writer 0 would have taken
    assert children_of(os.getpid()) == set()  # writer 0 was stopped, not left running
    assert home.current_dir() == before
    assert sorted(p.name for p in home.root.glob("gen-*")) == [before.name]
