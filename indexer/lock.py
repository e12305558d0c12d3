"""One writer at a time: overlapping cron runs exit cleanly instead of colliding.

The lock is an flock on `<data_dir>/writer.lock`. The kernel releases an flock when the
last file descriptor of its open file description closes, not when the locking process
dies: a forked child that inherited the descriptor would keep the lock after its parent
was killed. So a forked child closes its copy at once (see `_close_in_child`).

The file also records its holder (pid, since when, command), so a refused run says who
holds the lock and for how long, and a clean release empties it, so the next run can say
that the previous one died without releasing it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from indexer.errors import WriterBusy

log = logging.getLogger(__name__)

LOCK_FILENAME = "writer.lock"

# Descriptors of the writer locks this process holds.
_HELD_FDS: set[int] = set()


def _close_in_child() -> None:
    # Runs in every forked child (a rebuild's writer processes): close the inherited
    # descriptors so that only the parent's keeps the lock. Never flock(LOCK_UN) here:
    # that would release the lock the parent still holds.
    for fd in _HELD_FDS:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_FDS.clear()


os.register_at_fork(after_in_child=_close_in_child)


def _stat_fields(pid: int) -> list[bytes] | None:
    """Fields 3.. of /proc/<pid>/stat (state first); None if there is no such process,
    [] where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return None if os.path.isdir("/proc/self") else []
    except (OSError, IndexError):
        return []


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), which tells a reused
    pid from the process that recorded it."""
    fields = _stat_fields(pid)
    return fields[19].decode() if fields and len(fields) > 19 else None


def _is_running(pid: int, start: str | None) -> bool:
    """Whether process `pid` is alive and, if its start time is known, the same process."""
    fields = _stat_fields(pid)
    if fields is None:
        return False
    if fields:
        if fields[0] in (b"Z", b"X"):  # a zombie holds no descriptors
            return False
        return start is None or len(fields) <= 19 or fields[19].decode() == start
    try:  # no /proc: the signal-0 probe (cannot tell a reused pid)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_start(pid: int) -> str | None:
    """What tells process `pid` from a later one given the same pid (None: unknown)."""
    return _process_start(pid)


def process_alive(pid: int, start: str | None) -> bool:
    """Whether the process that was `pid` (started at `start`, see process_start) runs."""
    return _is_running(pid, start)


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def _processes_with_open(path: Path) -> list[int]:
    """Pids of the processes (other than this one) with `path` open (Linux /proc; the
    processes this user may inspect)."""
    try:
        target = os.stat(path)
        entries = os.listdir("/proc")
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(f"/proc/{entry}/fd/{fd}")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
                found.append(int(entry))
                break
    return sorted(found)


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@dataclass(frozen=True)
class LockHolder:
    """Who took the writer lock, as its file records."""

    pid: int
    since: datetime | None  # None for a lock file written by an older version
    command: str
    start: str | None = None  # the process's start time (see _process_start)

    def is_running(self) -> bool:
        return _is_running(self.pid, self.start)

    def describe(self) -> str:
        return f"pid {self.pid} (`{self.command}`)"

    def age(self) -> str:
        """How long ago the lock was taken."""
        if self.since is None:
            return "an unknown time"
        return _duration((datetime.now(UTC) - self.since).total_seconds())

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "start": self.start, "command": self.command,
                           "since": self.since.isoformat() if self.since else None})

    @classmethod
    def parse(cls, text: str) -> LockHolder | None:
        text = text.strip()
        if not text:
            return None
        if text.isdigit():  # older versions recorded the pid alone
            return cls(int(text), None, "?")
        try:
            data = json.loads(text)
            since = datetime.fromisoformat(data["since"]) if data.get("since") else None
            return cls(int(data["pid"]), since, str(data.get("command") or "?"),
                       data.get("start"))
        except (ValueError, KeyError, TypeError):
            return None


def _this_process() -> LockHolder:
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else ["python"]
    return LockHolder(os.getpid(), datetime.now(UTC), " ".join(argv)[:200],
                      _process_start(os.getpid()))


def _read(fd: int) -> LockHolder | None:
    return LockHolder.parse(os.pread(fd, 4096, 0).decode(errors="replace"))


class WriterLock:
    """A non-blocking exclusive lock on `<data_dir>/writer.lock`.

    `previous` is set when the lock was taken over from a writer that died holding it.
    """

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / LOCK_FILENAME
        self._fd: int | None = None
        self._owner: int | None = None
        self.previous: LockHolder | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)  # our own open file description: the holder's lock is untouched
            raise WriterBusy(self._busy_message(holder)) from None
        # A clean release empties the file: a record here is a writer that never released.
        self.previous = _read(fd)
        if self.previous is not None:
            log.warning(
                "%s: recovered the writer lock from %s, which took it %s ago and ended"
                " without releasing it (killed?)%s", self.path, self.previous.describe(),
                self.previous.age(),
                "" if not self.previous.is_running() else "; it is still running but no"
                " longer holds the lock")
        os.ftruncate(fd, 0)
        os.pwrite(fd, _this_process().to_json().encode(), 0)
        self._fd = fd
        self._owner = os.getpid()
        _HELD_FDS.add(fd)

    def _busy_message(self, holder: LockHolder | None) -> str:
        if holder is not None and holder.is_running():
            return (f"another crawl or index run holds {self.path}: {holder.describe()},"
                    f" for {holder.age()}; try again when it finishes")
        pids = _processes_with_open(self.path)
        who = (", ".join(f"pid {pid} (`{_command_line(pid)}`)" for pid in pids)
               if pids else "a process this user cannot see (try `fuser -v`)")
        if holder is None:  # it has just taken the lock and not yet written its name
            return (f"another crawl or index run holds {self.path}: {who};"
                    " try again when it finishes")
        # The lock is held, but not by the writer the file names: a process inherited its
        # descriptor (a writer process of a killed run, with an older version).
        return (f"{self.path} is held, but the writer it names, {holder.describe()}, which"
                f" took it {holder.age()} ago, is no longer running: it is held by {who},"
                " which inherited it from that writer; stop that process and try again")

    @staticmethod
    def holder(data_dir: Path | str) -> LockHolder | None:
        """Who holds (or last held without releasing) the lock, read without locking."""
        try:
            fd = os.open(Path(data_dir) / LOCK_FILENAME, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return _read(fd)
        finally:
            os.close(fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        _HELD_FDS.discard(fd)
        if self._owner != os.getpid():
            return  # a forked copy of this object: its descriptor was closed at the fork
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
