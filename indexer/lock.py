"""One writer at a time: overlapping cron runs exit cleanly instead of colliding."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from indexer.errors import WriterBusy


class WriterLock:
    """A non-blocking exclusive lock on `<data_dir>/writer.lock`.

    flock is released by the kernel when the process dies, so a crashed run
    never leaves a stale lock behind.
    """

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / "writer.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WriterBusy(
                f"another crawl or index run holds {self.path}; try again when it finishes"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
