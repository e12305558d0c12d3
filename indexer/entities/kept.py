"""Tables built from files, kept parsed in a data directory's `cache/` for the next process.

The officials registry and the gazetteer are built from TOML files and CLDR data each
time a process starts; an index run then pays for it before its writers start (the
gazetteer about 0.2 s, the registry 0.1 s). A data directory with a `cache/` directory
(index runs make it; read-only commands create nothing) keeps each one pickled under a
name that is the digest of everything it was built from: its files, the code that
builds it and the Python version. A changed file or code is another name, so a stale
table is never read; a missing, unreadable or damaged one is built again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

# Where a data directory keeps its parsed tables.
CACHE_DIR = "cache"

Kept = TypeVar("Kept")


def kept_path(data_dir: Path, prefix: str, code: Sequence[Path],
              contents: Sequence[bytes]) -> Path:
    """Where the table built by `code` from `contents` is kept in `data_dir`."""
    digest = hashlib.sha256(f"{sys.version_info[:2]} {pickle.HIGHEST_PROTOCOL}".encode())
    for content in [*(path.read_bytes() for path in code), *contents]:
        digest.update(len(content).to_bytes(8, "big") + content)
    return data_dir / CACHE_DIR / f"{prefix}{digest.hexdigest()[:24]}.pickle"


def read_kept(path: Path, kind: type[Kept]) -> Kept | None:
    """The `kind` kept at `path`, or None (none there, unreadable, or not one)."""
    try:
        with open(path, "rb") as handle:
            value = pickle.load(handle)  # noqa: S301 (written by this module, in our data)
    except Exception:  # noqa: BLE001 (missing or damaged: built again)
        return None
    return value if isinstance(value, kind) else None


def write_kept(path: Path, prefix: str, value: object) -> None:
    """Keep `value` at `path` (written whole, then renamed into place) if its directory
    exists, and drop what was kept under `prefix` for other files or code. A data
    directory that cannot take it only costs the next process the building."""
    if not path.parent.is_dir():
        return
    try:
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_bytes(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)
        for old in path.parent.glob(f"{prefix}*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass


def load_kept(data_dir: Path | None, prefix: str, code: Sequence[Path],
              contents: Sequence[bytes], kind: type[Kept], build: Callable[[], Kept]) -> Kept:
    """The table kept in `data_dir` for these files and code, else `build()` (then kept
    there when the directory has a cache/)."""
    if data_dir is None:
        return build()
    path = kept_path(data_dir, prefix, code, contents)
    value = read_kept(path, kind)
    if value is None:
        value = build()
        write_kept(path, prefix, value)
    return value
