"""The archive: every fetched version of every communiqué, in SQLite.

It is the source of truth; the Whoosh index is derived from it. Each record is
committed in its own transaction, so a crash loses at most the record being
written, never one already committed.

Its schema carries a version (`PRAGMA user_version`): `MIGRATIONS` moves an archive
from version N to N+1, one step per transaction, and opening an archive for writing runs
the steps it lacks. A change to the schema is a new step at the end, never an edit of
an old one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.errors import IndexingError
from indexer.lock import LockHolder, WriterLock, process_alive, process_start
from scrapers.outcomes import IssueKind, RunStatus, StoreOutcome
from scrapers.record import Communique

if TYPE_CHECKING:  # the entities package imports nothing from here at run time
    from indexer.entities.directory import FoundEntry
    from scrapers.crawl import KnownArticle
    from scrapers.fetch import FetchedPage

# The tables as the first archives had them (crawl_runs without drift or stats, ...)
# and the tables added before schema versions were kept: step 1 makes any archive of
# that time whole. Columns added since are the steps after it.
SCHEMA = """
CREATE TABLE IF NOT EXISTS communiques (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    first_seen      TEXT NOT NULL,
    last_checked    TEXT NOT NULL,
    etag            TEXT,
    last_modified   TEXT
);
CREATE TABLE IF NOT EXISTS versions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL REFERENCES communiques(id),
    version      INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    fetched_at   TEXT NOT NULL,
    record       TEXT NOT NULL,
    UNIQUE (id, version)
);
CREATE INDEX IF NOT EXISTS versions_by_id ON versions (id, version);
CREATE TABLE IF NOT EXISTS crawl_runs (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id   TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    pages       INTEGER NOT NULL DEFAULT 0,
    new         INTEGER NOT NULL DEFAULT 0,
    changed     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    errors      INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'running'
);
-- Officials indexing found in the texts (a title introduces them, no registry file names
-- them): one row per person (key: their merge key, words joined by spaces), and the
-- communiqués naming each (the current versions as last indexed). Derived: a rebuild
-- replaces both.
CREATE TABLE IF NOT EXISTS found_officials (
    key         TEXT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    forms       TEXT NOT NULL,
    role        TEXT NOT NULL,
    country     TEXT NOT NULL,
    keys        TEXT NOT NULL,
    documents   INTEGER NOT NULL,
    first_seen  TEXT,
    last_seen   TEXT
);
CREATE TABLE IF NOT EXISTS found_mentions (
    communique_id  TEXT NOT NULL,
    key            TEXT NOT NULL,
    published      TEXT,
    PRIMARY KEY (communique_id, key)
);
CREATE INDEX IF NOT EXISTS found_mentions_by_key ON found_mentions (key);
-- Derived data of one version (the seq of its row in versions): the officials and
-- countries it mentions, as extraction found them when it was last indexed. Every
-- surface reads these; a rebuild (or a changed registry) recomputes them.
CREATE TABLE IF NOT EXISTS entities (
    seq        INTEGER PRIMARY KEY REFERENCES versions(seq),
    officials  TEXT NOT NULL,
    countries  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS crawl_errors (
    run_id    INTEGER NOT NULL REFERENCES crawl_runs(run_id),
    source_id TEXT NOT NULL,
    url       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    message   TEXT NOT NULL,
    at        TEXT NOT NULL
);
-- Definition drift of a run: articles stored all the same, but read by the generic
-- extractor because the source's selectors no longer found their title or body.
CREATE TABLE IF NOT EXISTS crawl_drift (
    run_id    INTEGER NOT NULL REFERENCES crawl_runs(run_id),
    source_id TEXT NOT NULL,
    url       TEXT NOT NULL,
    message   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crawl_drift_by_run ON crawl_drift (run_id);
-- Scheduled re-crawls (issue 15): the last answer of each listing, feed and API page,
-- so a conditional request's 304 can reuse it.
CREATE TABLE IF NOT EXISTS page_cache (
    url           TEXT PRIMARY KEY,
    final_url     TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    headers       TEXT NOT NULL,
    content       BLOB NOT NULL,
    encoding      TEXT,
    fetched_at    TEXT NOT NULL
);
"""

# Scheduled re-crawls (issue 15), withdrawals. `listed`: the articles each listing, feed
# or API query named when it was last read, in its order, so an article dropped from it
# can be re-checked (and withdrawn only if a fetch confirms it is gone). `withdrawals`:
# every time a communiqué was marked withdrawn, and when it came back (NULL: still gone).
LISTINGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS listed (
    section  TEXT NOT NULL,
    position INTEGER NOT NULL,
    id       TEXT NOT NULL,
    url      TEXT NOT NULL,
    PRIMARY KEY (section, id)
);
CREATE TABLE IF NOT EXISTS withdrawals (
    id            TEXT NOT NULL,
    withdrawn_at  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    reinstated_at TEXT
);
CREATE INDEX IF NOT EXISTS withdrawals_by_id ON withdrawals (id);
INSERT INTO withdrawals (id, withdrawn_at, reason)
    SELECT id, withdrawn_at, COALESCE(withdrawn_reason, '') FROM communiques
    WHERE withdrawn_at IS NOT NULL;
"""

log = logging.getLogger(__name__)

# Columns added since the first archives: (table, column, definition).
ADDED_COLUMNS = (
    ("crawl_runs", "drift", "INTEGER NOT NULL DEFAULT 0"),
    # Scheduled re-crawls (issue 15): a page gone from the ministry's site (when, and
    # why we think so), when a communiqué's status last changed (the index re-reads it),
    # and each run's figures as JSON (crawl.CrawlReport.stats, plus health findings).
    ("communiques", "withdrawn_at", "TEXT"),
    ("communiques", "withdrawn_reason", "TEXT"),
    ("communiques", "status_changed_at", "TEXT"),
    ("crawl_runs", "stats", "TEXT"),
)
# Crawl runs kept per source (older ones, their errors and drift are deleted).
RUNS_KEPT = 100

__all__ = ["Archive", "ArchiveVersionError", "CrawlErrorRow", "CrawlRun", "IssueKind",
           "RunStatus", "StoreOutcome", "VersionInfo"]


class ArchiveVersionError(IndexingError):
    """The archive was written by a newer version of this program (its schema is ahead)."""


def _statements(script: str) -> list[str]:
    """The SQL statements of a script, one by one (executescript would commit first)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return [s for s in statements if s.strip(" \n;")]


def _run_script(script: str) -> Callable[[sqlite3.Connection], None]:
    def step(db: sqlite3.Connection) -> None:
        for statement in _statements(script):
            db.execute(statement)
    return step


def _add_column(table: str, column: str, definition: str
                ) -> Callable[[sqlite3.Connection], None]:
    def step(db: sqlite3.Connection) -> None:
        # Archives made before versions were kept may have the column already.
        if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
    return step


def _add_columns(table: str, *columns: tuple[str, str]) -> Callable[[sqlite3.Connection], None]:
    def step(db: sqlite3.Connection) -> None:
        for column, definition in columns:
            _add_column(table, column, definition)(db)
    return step


FOUND_MENTIONS_BY_KEY = """
CREATE INDEX IF NOT EXISTS found_mentions_by_key_date ON found_mentions (key, published);
DROP INDEX IF EXISTS found_mentions_by_key;
"""


# A rebuild's found mentions while its writers find them (stage_found_mentions): made
# and dropped by each rebuild, never part of the schema.
_STAGED = "found_mentions_staged"


# MIGRATIONS[n] moves an archive from schema version n to n + 1. Version 0 is any
# archive made before versions were kept (user_version 0), so the first steps take
# whatever such an archive already has into account.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _run_script(SCHEMA),
    *(_add_column(table, column, definition) for table, column, definition in ADDED_COLUMNS),
    # Events (issue 11): derived tables that were created on first use before this step.
    lambda db: _run_script(Archive.EVENTS_SCHEMA)(db),
    # Withdrawals (issue 15): what each listing last listed, and every withdrawal with
    # its end (history kept when a page comes back); those marked so far start it.
    lambda db: _run_script(LISTINGS_SCHEMA)(db),
    # Killed crawls (issue 16): the process running each crawl (pid and its start time),
    # so a run whose process is gone reads as interrupted and any writer marks it.
    _add_columns("crawl_runs", ("pid", "INTEGER"), ("pid_start", "TEXT")),
    # Stable event ids (issue 11): the ids of events absorbed by another on regrouping,
    # each with the event it now is, so links to them keep working.
    lambda db: _run_script(Archive.EVENT_ALIASES_SCHEMA)(db),
    # An update recounts its found officials' documents and dates (update_found) from an
    # index that holds the dates too, without reading the table: 0.25 -> 0.04 s for
    # 1,972 people at 100k (issue 18).
    _run_script(FOUND_MENTIONS_BY_KEY),
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class VersionInfo:
    """One archived version of a communiqué."""

    version: int
    content_hash: str
    fetched_at: datetime


@dataclass(frozen=True)
class CrawlRun:
    """One crawl of one source (see RunStatus).

    An interrupted run's process died before it finished: its finished_at is when the
    next writer noticed, and its counts were never recorded (they read 0). Until a writer
    notices, a run still marked running whose process is gone reads as interrupted with
    `process_gone` set and no finished_at (a read-only view writes nothing).
    """

    run_id: int
    source_id: str
    started_at: datetime
    finished_at: datetime | None
    pages: int
    new: int
    changed: int
    unchanged: int
    errors: int
    status: RunStatus
    drift: int = 0  # articles read by the generic extractor: the definition drifted
    process_gone: bool = False  # marked running, but its process is gone (not yet marked)


@dataclass(frozen=True)
class CrawlErrorRow:
    source_id: str
    url: str
    kind: IssueKind
    message: str
    at: datetime


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _crawl_run(row: tuple) -> CrawlRun:
    """A CrawlRun from (run_id, source_id, started_at, finished_at, pages, new, changed,
    unchanged, errors, status, drift)."""
    return CrawlRun(run_id=row[0], source_id=row[1], started_at=datetime.fromisoformat(row[2]),
                    finished_at=datetime.fromisoformat(row[3]) if row[3] else None,
                    pages=row[4], new=row[5], changed=row[6], unchanged=row[7], errors=row[8],
                    status=RunStatus(row[9]), drift=row[10])


def _run_alive(started_at: datetime, pid: int | None, pid_start: str | None,
               holder: LockHolder | None) -> bool:
    """Whether the process of a run marked running still runs: its recorded pid; for a
    run recorded before pids were, the writer lock's holder, if it took the lock before
    the run started (every crawl holds the lock) and still runs."""
    if pid is not None:
        return process_alive(pid, pid_start)
    return (holder is not None and holder.since is not None
            and holder.since <= started_at and holder.is_running())


def _issue_kind(value: str) -> IssueKind:
    try:
        return IssueKind(value)
    except ValueError:  # a kind no version of this program wrote: shown as an error
        return IssueKind.ERROR


class Archive:
    """SQLite archive under the data directory (WAL mode, one writer)."""

    FILENAME = "archive.sqlite3"

    def __init__(self, data_dir: Path | str, *, readonly: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / self.FILENAME
        self.readonly = readonly
        if readonly:
            if not self.path.exists():
                # A read-only user of a fresh data dir sees an empty archive.
                self.data_dir.mkdir(parents=True, exist_ok=True)
                Archive(self.data_dir).close()
            uri = f"file:{self.path}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout=10000")
        self._withdrawals_known = False  # the withdrawn_at column seen (never dropped)
        # Autocommit mode: every write below opens its own explicit transaction.
        self._db.isolation_level = None
        if not readonly:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()
            # Every writer command opens the archive for writing: a crawl killed before
            # is recorded as interrupted now, whatever the command (not only a crawl).
            self.mark_dead_runs()

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Run the migrations this archive lacks, each in its own transaction with the
        version it reaches, so a crash leaves the archive at the last whole step."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise ArchiveVersionError(
                f"{self.path} has schema version {version}, newer than this program's"
                f" {SCHEMA_VERSION}: upgrade communique-search to write to it")
        while version < SCHEMA_VERSION:
            with self._transaction() as db:
                # Another process may have migrated while this one waited for the lock.
                version = self.schema_version()
                if version < SCHEMA_VERSION:
                    MIGRATIONS[version](db)
                    version += 1
                    db.execute(f"PRAGMA user_version = {version}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self._db.in_transaction:  # within transaction(): its writes join that one
            yield self._db
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def transaction(self, *, checkpoint: bool = True) -> Iterator[None]:
        """Every write of the block in one transaction: all of them are committed at its
        end (one sync to disk), or none if it raises or the process dies. Reads within
        it see its writes; other connections see none of them until the end.

        checkpoint=False: its commit leaves its pages in the write-ahead log (durable
        there) instead of copying them into the database file at once when the log has
        grown past SQLite's threshold (about 0.3 s after an update of 1,000 communiqués
        at 100,000); the next commit or `checkpoint()` copies them."""
        if checkpoint:
            with self._transaction():
                yield
            return
        (automatic,) = self._db.execute("PRAGMA wal_autocheckpoint").fetchone()
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        try:
            with self._transaction():
                yield
        finally:
            self._db.execute(f"PRAGMA wal_autocheckpoint={int(automatic)}")

    def checkpoint(self) -> None:
        """Copy the write-ahead log's committed pages into the database file (a passive
        checkpoint: it waits for no reader, and copies what no reader still needs)."""
        self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    # -- writing ------------------------------------------------------------

    def store(
        self, record: Communique, *, etag: str | None = None, last_modified: str | None = None
    ) -> StoreOutcome:
        """Upsert one record; a changed content hash becomes a new version."""
        with self._transaction() as db:
            return self._store_in(db, record, etag, last_modified)

    def _store_in(
        self, db: sqlite3.Connection, record: Communique, etag: str | None,
        last_modified: str | None,
    ) -> StoreOutcome:
        blob = json.dumps(record.to_dict(), ensure_ascii=False)
        checked = _now()
        row = db.execute(
            "SELECT c.current_version, v.content_hash FROM communiques c "
            "JOIN versions v ON v.id = c.id AND v.version = c.current_version "
            "WHERE c.id = ?",
            (record.id,),
        ).fetchone()
        if row is None:
            db.execute(
                "INSERT INTO communiques (id, url, source_id, current_version, first_seen,"
                " last_checked, etag, last_modified) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
                (record.id, record.url, record.source_id, checked, checked, etag,
                 last_modified),
            )
            self._insert_version(db, record, 1, blob)
            return StoreOutcome.NEW
        version, old_hash = row
        self._reinstate(db, record.id, checked)
        if old_hash == record.content_hash:
            db.execute(
                "UPDATE communiques SET last_checked = ?, etag = ?, last_modified = ?"
                " WHERE id = ?",
                (checked, etag, last_modified, record.id),
            )
            return StoreOutcome.UNCHANGED
        db.execute(
            "UPDATE communiques SET current_version = ?, last_checked = ?, etag = ?,"
            " last_modified = ? WHERE id = ?",
            (version + 1, checked, etag, last_modified, record.id),
        )
        self._insert_version(db, record, version + 1, blob)
        return StoreOutcome.CHANGED

    def outcome_of(self, record: Communique) -> StoreOutcome:
        """What storing this record would do (nothing is written)."""
        row = self._db.execute(
            "SELECT v.content_hash FROM communiques c JOIN versions v ON v.id = c.id"
            " AND v.version = c.current_version WHERE c.id = ?", (record.id,)).fetchone()
        if row is None:
            return StoreOutcome.NEW
        return StoreOutcome.UNCHANGED if row[0] == record.content_hash else StoreOutcome.CHANGED

    def store_many(self, records: list[Communique]) -> list[StoreOutcome]:
        """Store several records in one transaction (bulk loads: benchmarks, imports).

        All or none are committed; the crawler stores one record per transaction.
        """
        outcomes = []
        with self._transaction() as db:
            for record in records:
                outcomes.append(self._store_in(db, record, None, None))
        return outcomes

    @staticmethod
    def _insert_version(
        db: sqlite3.Connection, record: Communique, version: int, blob: str
    ) -> None:
        db.execute(
            "INSERT INTO versions (id, version, content_hash, fetched_at, record)"
            " VALUES (?, ?, ?, ?, ?)",
            (record.id, version, record.content_hash, record.fetched_at.isoformat(), blob),
        )

    def mark_checked(self, communique_id: str) -> None:
        """Record that a conditional fetch found the page unchanged."""
        with self._transaction() as db:
            db.execute(
                "UPDATE communiques SET last_checked = ? WHERE id = ?", (_now(), communique_id)
            )

    # -- scheduled re-crawls: withdrawals, cached listings, run health (issue 15) --------

    def _reinstate(self, db: sqlite3.Connection, communique_id: str, now: str) -> bool:
        """A withdrawn page answered again: it is current once more, and its withdrawal
        is kept in its history with the day it ended. True if it was withdrawn."""
        if "withdrawn_at" not in self._columns("communiques"):
            return False
        cur = db.execute("UPDATE communiques SET withdrawn_at = NULL, withdrawn_reason = NULL,"
                         " status_changed_at = ? WHERE id = ? AND withdrawn_at IS NOT NULL",
                         (now, communique_id))
        if cur.rowcount and self._has_table("withdrawals"):
            db.execute("UPDATE withdrawals SET reinstated_at = ? WHERE id = ?"
                       " AND reinstated_at IS NULL", (now, communique_id))
        return cur.rowcount > 0

    def reinstate(self, communique_id: str) -> bool:
        """A withdrawn page answered 304 Not Modified: it is back as it was archived."""
        with self._transaction() as db:
            back = self._reinstate(db, communique_id, _now())
            db.execute("UPDATE communiques SET last_checked = ? WHERE id = ?",
                       (_now(), communique_id))
            return back

    def mark_withdrawn(self, communique_id: str, reason: str,
                       when: datetime | None = None) -> bool:
        """Mark a communiqué withdrawn from its ministry's site (it stays archived and
        searchable); False if it already was, or is not archived."""
        at = (when or datetime.now(UTC)).isoformat()
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE communiques SET withdrawn_at = ?, withdrawn_reason = ?,"
                " status_changed_at = ?, last_checked = ? WHERE id = ? AND withdrawn_at IS NULL",
                (at, reason, at, at, communique_id))
            if cur.rowcount and self._has_table("withdrawals"):
                db.execute("INSERT INTO withdrawals (id, withdrawn_at, reason) VALUES (?, ?, ?)",
                           (communique_id, at, reason))
            return cur.rowcount > 0

    def withdrawal_history(self, communique_id: str
                           ) -> list[tuple[datetime, datetime | None, str]]:
        """Every withdrawal of a communiqué, oldest first: (withdrawn, back or None, why)."""
        if not self._has_table("withdrawals"):
            gone = self.withdrawn(communique_id)
            return [(gone[0], None, gone[1])] if gone else []
        return [(datetime.fromisoformat(at), datetime.fromisoformat(back) if back else None,
                 reason) for at, back, reason in self._db.execute(
            "SELECT withdrawn_at, reinstated_at, reason FROM withdrawals WHERE id = ?"
            " ORDER BY withdrawn_at, rowid", (communique_id,))]

    def listed(self, section: str) -> list[tuple[str, str]]:
        """What a listing (feed, API query) named when last read: (id, url), in order."""
        if not self._has_table("listed"):
            return []
        return list(self._db.execute(
            "SELECT id, url FROM listed WHERE section = ? ORDER BY position", (section,)))

    def set_listed(self, section: str, items: list[tuple[str, str]]) -> None:
        """Remember what a listing names now (see `listed`)."""
        with self._transaction() as db:
            db.execute("DELETE FROM listed WHERE section = ?", (section,))
            db.executemany("INSERT OR IGNORE INTO listed (section, position, id, url)"
                           " VALUES (?, ?, ?, ?)",
                           [(section, n, i, url) for n, (i, url) in enumerate(items)])

    def _has_withdrawals(self) -> bool:
        # Asked once per connection when the column is there: a search page asks per hit.
        if not self._withdrawals_known:
            self._withdrawals_known = "withdrawn_at" in self._columns("communiques")
        return self._withdrawals_known

    def withdrawn(self, communique_id: str) -> tuple[datetime, str] | None:
        """When and why a communiqué was marked withdrawn, or None."""
        if not self._has_withdrawals():
            return None
        row = self._db.execute("SELECT withdrawn_at, withdrawn_reason FROM communiques"
                               " WHERE id = ?", (communique_id,)).fetchone()
        if row is None or row[0] is None:
            return None
        return datetime.fromisoformat(row[0]), row[1] or ""

    def withdrawn_of(self, ids: list[str]) -> dict[str, datetime]:
        """Those of `ids` marked withdrawn, with when: one query for a page of hits."""
        if not ids or not self._has_withdrawals():
            return {}
        found: dict[str, datetime] = {}
        for offset in range(0, len(ids), 500):  # within SQLite's bound on parameters
            batch = ids[offset:offset + 500]
            found.update((i, datetime.fromisoformat(at)) for i, at in self._db.execute(
                "SELECT id, withdrawn_at FROM communiques WHERE withdrawn_at IS NOT NULL"
                f" AND id IN ({','.join('?' * len(batch))})", batch))
        return found

    def withdrawn_ids(self) -> dict[str, datetime]:
        """Every withdrawn communiqué and when it was marked so."""
        if "withdrawn_at" not in self._columns("communiques"):
            return {}
        return {i: datetime.fromisoformat(at) for i, at in self._db.execute(
            "SELECT id, withdrawn_at FROM communiques WHERE withdrawn_at IS NOT NULL")}

    def status_changed_since(self, since: str) -> list[Communique]:
        """Current versions of the communiqués withdrawn or reinstated after `since` (an
        ISO timestamp; "" for all): the index re-reads them."""
        if "status_changed_at" not in self._columns("communiques"):
            return []
        rows = self._db.execute(
            "SELECT v.record FROM communiques c JOIN versions v ON v.id = c.id"
            " AND v.version = c.current_version WHERE c.status_changed_at > ?"
            " ORDER BY c.status_changed_at", (since,)).fetchall()
        return [Communique.from_dict(json.loads(r[0])) for r in rows]

    def last_status_change(self) -> str:
        if "status_changed_at" not in self._columns("communiques"):
            return ""
        row = self._db.execute("SELECT MAX(status_changed_at) FROM communiques").fetchone()
        return row[0] or ""

    def known(self, ids: list[str]) -> dict[str, KnownArticle]:
        """What the archive holds of these communiqués (absent ids are not archived)."""
        from scrapers.crawl import KnownArticle

        found: dict[str, KnownArticle] = {}
        withdrawn = "withdrawn_at" if "withdrawn_at" in self._columns("communiques") else "NULL"
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for i, checked, gone in self._db.execute(
                    f"SELECT id, last_checked, {withdrawn} FROM communiques"
                    f" WHERE id IN ({marks})", chunk):
                found[i] = KnownArticle(datetime.fromisoformat(checked), gone is not None)
        return found

    def cached_page(self, url: str) -> FetchedPage | None:
        """The last answer of a listing page fetched with validators, or None."""
        from requests.structures import CaseInsensitiveDict

        from scrapers.fetch import FetchedPage

        row = self._db.execute(
            "SELECT final_url, etag, last_modified, headers, content, encoding FROM page_cache"
            " WHERE url = ?", (url,)).fetchone() if self._has_table("page_cache") else None
        if row is None:
            return None
        final_url, etag, last_modified, headers, content, encoding = row
        text = content.decode(encoding or "utf-8", errors="replace")
        return FetchedPage(final_url, 200, content, text, encoding,
                           CaseInsensitiveDict(json.loads(headers)), etag, last_modified)

    def cache_page(self, url: str, page: FetchedPage) -> None:
        """Keep a listing page's answer for the next conditional request of it."""
        # The decoded text is stored re-encoded, so any charset reads back the same.
        content = page.text.encode("utf-8")
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO page_cache VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (url, page.url, page.etag, page.last_modified,
                 json.dumps(dict(page.headers)), content, "utf-8", _now()))

    def set_run_stats(self, run_id: int, stats: dict) -> None:
        """Record a run's figures and health findings, and forget runs beyond RUNS_KEPT."""
        with self._transaction() as db:
            db.execute("UPDATE crawl_runs SET stats = ? WHERE run_id = ?",
                       (json.dumps(stats, ensure_ascii=False), run_id))
            source_id = db.execute("SELECT source_id FROM crawl_runs WHERE run_id = ?",
                                   (run_id,)).fetchone()[0]
            old = [r for (r,) in db.execute(
                "SELECT run_id FROM crawl_runs WHERE source_id = ? ORDER BY run_id DESC"
                " LIMIT -1 OFFSET ?", (source_id, RUNS_KEPT))]
            for table in ("crawl_errors", "crawl_drift", "crawl_runs"):
                db.executemany(f"DELETE FROM {table} WHERE run_id = ?", [(r,) for r in old])

    def runs(self, source_id: str, limit: int = RUNS_KEPT) -> list[tuple[CrawlRun, dict]]:
        """A source's latest runs, newest first, each with its stats ({} if none)."""
        columns = self._columns("crawl_runs")
        drift = "drift" if "drift" in columns else "0"
        stats = "stats" if "stats" in columns else "NULL"
        rows = self._db.execute(
            "SELECT run_id, source_id, started_at, finished_at, pages, new, changed, unchanged,"
            f" errors, status, {drift}, {self._pid_columns()}, {stats} FROM crawl_runs"
            " WHERE source_id = ? ORDER BY run_id DESC LIMIT ?", (source_id, limit)).fetchall()
        runs = self._as_read([r[:13] for r in rows])
        return [(run, json.loads(r[13]) if r[13] else {}) for run, r in zip(runs, rows,
                                                                          strict=True)]

    def _pid_columns(self) -> str:
        return "pid, pid_start" if "pid" in self._columns("crawl_runs") else "NULL, NULL"

    def _as_read(self, rows: list[tuple]) -> list[CrawlRun]:
        """CrawlRuns from rows of _crawl_run's columns then pid, pid_start: a run marked
        running whose process is gone reads as interrupted (see CrawlRun)."""
        holder: LockHolder | None = None
        runs = []
        for row in rows:
            run = _crawl_run(row[:11])
            if run.status is RunStatus.RUNNING:
                holder = holder or WriterLock.holder(self.data_dir)
                if not _run_alive(run.started_at, row[11], row[12], holder):
                    run = replace(run, status=RunStatus.INTERRUPTED, process_gone=True)
            runs.append(run)
        return runs

    def mark_dead_runs(self, *, this_process: bool = False) -> list[int]:
        """Mark interrupted the runs marked running whose process is gone (and, with
        `this_process`, those of this process: it runs one crawl at a time, and is
        starting another). Returns their ids."""
        if self.readonly or "pid" not in self._columns("crawl_runs"):
            return []
        rows = self._db.execute(
            "SELECT run_id, source_id, started_at, pid, pid_start FROM crawl_runs"
            " WHERE status = ?", (RunStatus.RUNNING,)).fetchall()
        if not rows:
            return []
        holder = WriterLock.holder(self.data_dir)
        dead = [(run_id, source_id) for run_id, source_id, started, pid, start in rows
                if (this_process and pid == os.getpid())
                or not _run_alive(datetime.fromisoformat(started), pid, start, holder)]
        if dead:
            now = _now()
            with self._transaction() as db:
                db.executemany(
                    "UPDATE crawl_runs SET status = ?, finished_at = ?"
                    " WHERE run_id = ? AND status = ?",
                    [(RunStatus.INTERRUPTED, now, run_id, RunStatus.RUNNING)
                     for run_id, _ in dead])
            for run_id, source_id in dead:
                log.warning("crawl run %d of %s was interrupted (its process is gone):"
                            " marked so", run_id, source_id)
        return [run_id for run_id, _ in dead]

    def source_ids_crawled(self) -> list[str]:
        return [r for (r,) in self._db.execute(
            "SELECT DISTINCT source_id FROM crawl_runs ORDER BY source_id")]

    def newest_published(self) -> dict[str, tuple[str | None, str | None]]:
        """Per source: the newest publication date and the newest first_seen."""
        rows = self._db.execute(
            "SELECT c.source_id, MAX(json_extract(v.record, '$.published')), MAX(c.first_seen)"
            " FROM communiques c JOIN versions v ON v.id = c.id AND"
            " v.version = c.current_version GROUP BY c.source_id").fetchall()
        return {s: (p, f) for s, p, f in rows}

    def withdrawn_by_source(self) -> dict[str, int]:
        if "withdrawn_at" not in self._columns("communiques"):
            return {}
        return {s: n for s, n in self._db.execute(
            "SELECT source_id, COUNT(*) FROM communiques WHERE withdrawn_at IS NOT NULL"
            " GROUP BY source_id")}

    def start_run(self, source_id: str) -> int:
        """Record a crawl run of `source_id` as running.

        A run still marked running whose process died (killed, or the machine went
        down), or of this process (which runs one at a time), is marked interrupted
        first, its finished_at being when this run noticed. The run records this
        process (pid and start time), so readers can tell when it is gone.
        """
        self.mark_dead_runs(this_process=True)
        pid = os.getpid()
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO crawl_runs (source_id, started_at, status, pid, pid_start)"
                " VALUES (?, ?, ?, ?, ?)",
                (source_id, _now(), RunStatus.RUNNING, pid, process_start(pid))
            )
            assert cur.lastrowid is not None  # an INSERT sets it
            return cur.lastrowid

    def log_error(self, run_id: int, source_id: str, url: str, kind: IssueKind,
                  message: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO crawl_errors (run_id, source_id, url, kind, message, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, source_id, url, kind, message, _now()),
            )

    def log_drift(self, run_id: int, source_id: str, url: str, message: str) -> None:
        """Record that an article of this run was read by the generic extractor."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO crawl_drift (run_id, source_id, url, message, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (run_id, source_id, url, message, _now()),
            )

    def finish_run(
        self, run_id: int, *, pages: int, new: int, changed: int, unchanged: int, errors: int,
        status: RunStatus, drift: int = 0,
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE crawl_runs SET finished_at = ?, pages = ?, new = ?, changed = ?,"
                " unchanged = ?, errors = ?, status = ?, drift = ? WHERE run_id = ?",
                (_now(), pages, new, changed, unchanged, errors, status, drift, run_id),
            )

    # -- reading ------------------------------------------------------------

    def validators(self, communique_id: str) -> tuple[str | None, str | None] | None:
        """(ETag, Last-Modified) of the archived page, or None if never seen."""
        row = self._db.execute(
            "SELECT etag, last_modified FROM communiques WHERE id = ?", (communique_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def get(self, communique_id: str, version: int | None = None) -> Communique | None:
        """The current (or a given) version of a communiqué."""
        if version is None:
            row = self._db.execute(
                "SELECT v.record FROM communiques c JOIN versions v"
                " ON v.id = c.id AND v.version = c.current_version WHERE c.id = ?",
                (communique_id,),
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT record FROM versions WHERE id = ? AND version = ?",
                (communique_id, version),
            ).fetchone()
        return None if row is None else Communique.from_dict(json.loads(row[0]))

    def get_many(self, ids: list[str]) -> dict[str, Communique]:
        """Current versions of several communiqués, by id."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(
            "SELECT c.id, v.record FROM communiques c JOIN versions v"
            f" ON v.id = c.id AND v.version = c.current_version WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
        return {row[0]: Communique.from_dict(json.loads(row[1])) for row in rows}

    def versions(self, communique_id: str) -> list[VersionInfo]:
        rows = self._db.execute(
            "SELECT version, content_hash, fetched_at FROM versions WHERE id = ? ORDER BY version",
            (communique_id,),
        ).fetchall()
        return [VersionInfo(v, h, datetime.fromisoformat(f)) for v, h, f in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM communiques").fetchone()[0])

    def count_versions(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM versions").fetchone()[0])

    def max_seq(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM versions").fetchone()[0])

    def changes_since(
        self, seq: int, batch_size: int = 500, shard: tuple[int, int] = (0, 1)
    ) -> Iterator[tuple[int, Communique]]:
        """Current versions of communiqués with a version newer than `seq`, in seq order.

        Yields (seq of that version, record). Only the current version of each
        changed communiqué is yielded. `shard=(k, n)` keeps the versions whose seq
        is k modulo n, so n processes can share the work.
        """
        part, parts = shard
        last = seq
        while True:
            rows = self._db.execute(
                "SELECT v.seq, v.record FROM versions v JOIN communiques c"
                " ON c.id = v.id AND c.current_version = v.version"
                " WHERE v.seq > ? AND v.seq % ? = ? ORDER BY v.seq LIMIT ?",
                (last, parts, part, batch_size),
            ).fetchall()
            if not rows:
                return
            for row_seq, blob in rows:
                yield row_seq, Communique.from_dict(json.loads(blob))
            last = rows[-1][0]

    def all_current(
        self, batch_size: int = 500, shard: tuple[int, int] = (0, 1)
    ) -> Iterator[Communique]:
        """Every communiqué's current version (or one shard of them: see changes_since)."""
        for _, record in self.changes_since(0, batch_size, shard):
            yield record

    def last_runs(self) -> list[CrawlRun]:
        """The latest crawl run of each source."""
        # A read-only archive from before drift was recorded has no such column: 0.
        drift = "drift" if "drift" in self._columns("crawl_runs") else "0"
        rows = self._db.execute(
            "SELECT run_id, source_id, started_at, finished_at, pages, new, changed, unchanged,"
            f" errors, status, {drift}, {self._pid_columns()} FROM crawl_runs WHERE run_id IN"
            " (SELECT MAX(run_id) FROM crawl_runs GROUP BY source_id) ORDER BY source_id"
        ).fetchall()
        return self._as_read(rows)

    def run_errors(self, run_id: int) -> list[CrawlErrorRow]:
        rows = self._db.execute(
            "SELECT source_id, url, kind, message, at FROM crawl_errors WHERE run_id = ?"
            " ORDER BY rowid",
            (run_id,),
        ).fetchall()
        return [CrawlErrorRow(s, u, _issue_kind(k), m, datetime.fromisoformat(a))
                for s, u, k, m, a in rows]

    def run_drift(self, run_id: int) -> list[CrawlErrorRow]:
        """The articles of a run read by the generic extractor (kind "drift"), in order."""
        if not self._columns("crawl_drift"):
            return []  # a read-only archive from before drift was recorded
        rows = self._db.execute(
            "SELECT source_id, url, message, at FROM crawl_drift WHERE run_id = ?"
            " ORDER BY rowid",
            (run_id,),
        ).fetchall()
        return [CrawlErrorRow(s, u, IssueKind.DRIFT, m, datetime.fromisoformat(a))
                for s, u, m, a in rows]

    def set_entities(self, rows: list[tuple[int, tuple[str, ...], tuple[str, ...]]]) -> None:
        """Store the derived officials and countries of versions: (seq, officials,
        countries), replacing what an earlier extraction stored for them."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO entities VALUES (?, ?, ?)",
                [(seq, json.dumps(list(officials), ensure_ascii=False),
                  json.dumps(list(countries), ensure_ascii=False))
                 for seq, officials, countries in rows],
            )

    def entities_of(
        self, ids: list[str], version: int | None = None
    ) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """The stored (officials, countries) of the current versions of some communiqués
        (or of one given version of the one id); ids never indexed are absent."""
        if not ids or not self._has_table("entities"):
            return {}  # an archive not yet opened for writing by this version has none
        if version is not None:
            rows = self._db.execute(
                "SELECT v.id, e.officials, e.countries FROM versions v"
                " JOIN entities e ON e.seq = v.seq WHERE v.id = ? AND v.version = ?",
                (ids[0], version),
            ).fetchall()
        else:
            marks = ",".join("?" * len(ids))
            rows = self._db.execute(
                "SELECT c.id, e.officials, e.countries FROM communiques c JOIN versions v"
                " ON v.id = c.id AND v.version = c.current_version"
                f" JOIN entities e ON e.seq = v.seq WHERE c.id IN ({marks})",
                ids,
            ).fetchall()
        return {row[0]: (tuple(json.loads(row[1])), tuple(json.loads(row[2]))) for row in rows}

    def _has_table(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (name,)).fetchone() is not None

    # -- found officials -------------------------------------------------------------

    def replace_found(self, entries: list[FoundEntry],
                      mentions: list[tuple[str, tuple[str, ...], date | None]] | None = None
                      ) -> None:
        """Store a rebuild's found officials and the communiqués naming them
        ((communiqué id, key, publication date)), replacing all of them. With no
        `mentions`, those staged since `stage_found_mentions()` are the new ones."""
        with self._transaction() as db:
            db.execute("DELETE FROM found_officials")
            db.execute("DELETE FROM found_mentions")
            self._insert_found(db, entries, mentions or [])
            if mentions is None:
                db.execute(f"INSERT OR IGNORE INTO found_mentions SELECT * FROM {_STAGED}")
                db.execute(f"DROP TABLE IF EXISTS {_STAGED}")

    def stage_found_mentions(self) -> None:
        """Start a rebuild's staging of found mentions (add_staged_mentions), which its
        writer processes fill a batch at a time instead of keeping them all in memory
        and sending them to the rebuilding process; replace_found then takes them."""
        with self._transaction() as db:
            db.execute(f"DROP TABLE IF EXISTS {_STAGED}")
            db.execute(f"CREATE TABLE {_STAGED} (communique_id TEXT NOT NULL,"
                       " key TEXT NOT NULL, published TEXT,"
                       " PRIMARY KEY (communique_id, key))")

    def add_staged_mentions(self, mentions: list[tuple[str, tuple[str, ...], date | None]]
                            ) -> None:
        """Add found mentions to the rebuild's staging (see stage_found_mentions)."""
        with self._transaction() as db:
            db.executemany(
                f"INSERT OR IGNORE INTO {_STAGED} VALUES (?, ?, ?)",
                [(communique_id, " ".join(key), published.isoformat() if published else None)
                 for communique_id, key, published in mentions])

    def update_found(self, entries: list[FoundEntry], ids: list[str],
                     mentions: list[tuple[str, tuple[str, ...], date | None]]) -> None:
        """An incremental update: the communiqués `ids` now name the found officials of
        `mentions`; `entries` are new (or newly named) people. Each person's count and
        dates are recounted from the mentions."""
        with self._transaction() as db:
            touched: set[str] = set()
            for communique_id in ids:
                touched.update(k for (k,) in db.execute(
                    "SELECT key FROM found_mentions WHERE communique_id = ?", (communique_id,)))
            db.executemany("DELETE FROM found_mentions WHERE communique_id = ?",
                           [(i,) for i in ids])
            db.executemany("DELETE FROM found_officials WHERE key = ?",
                           [(" ".join(e.key),) for e in entries])
            self._insert_found(db, entries, mentions)
            touched.update(" ".join(key) for _, key, _ in mentions)
            db.executemany(
                "UPDATE found_officials SET (documents, first_seen, last_seen) ="
                " (SELECT COUNT(*), MIN(published), MAX(published) FROM found_mentions m"
                "  WHERE m.key = found_officials.key) WHERE key = ?",
                [(key,) for key in touched])

    @staticmethod
    def _insert_found(db: sqlite3.Connection, entries: list[FoundEntry],
                      mentions: list[tuple[str, tuple[str, ...], date | None]]) -> None:
        db.executemany(
            "INSERT INTO found_officials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(" ".join(e.key), e.id, e.name, json.dumps(list(e.forms), ensure_ascii=False),
              e.role, e.country, json.dumps([" ".join(k) for k in e.keys], ensure_ascii=False),
              e.documents, e.first_seen.isoformat() if e.first_seen else None,
              e.last_seen.isoformat() if e.last_seen else None) for e in entries])
        db.executemany(
            "INSERT OR IGNORE INTO found_mentions VALUES (?, ?, ?)",
            [(communique_id, " ".join(key), published.isoformat() if published else None)
             for communique_id, key, published in mentions])

    def found_entries(self) -> list[FoundEntry]:
        """Every found official, most mentioned first."""
        from indexer.entities.directory import FoundEntry

        try:
            rows = self._db.execute(
                "SELECT key, id, name, forms, role, country, keys, documents, first_seen,"
                " last_seen FROM found_officials ORDER BY documents DESC, name").fetchall()
        except sqlite3.OperationalError:  # an archive older than the table, opened read-only
            return []
        return [FoundEntry(tuple(key.split(" ")), official_id, name, tuple(json.loads(forms)),
                           role, country, tuple(tuple(k.split(" ")) for k in json.loads(keys)),
                           documents, date.fromisoformat(first) if first else None,
                           date.fromisoformat(last) if last else None)
                for key, official_id, name, forms, role, country, keys, documents, first, last
                in rows]

    def found_examples(self, key: tuple[str, ...], limit: int = 3) -> list[str]:
        """Ids of communiqués naming a found official, newest first."""
        return [row[0] for row in self._db.execute(
            "SELECT communique_id FROM found_mentions WHERE key = ?"
            " ORDER BY published DESC, communique_id LIMIT ?", (" ".join(key), limit))]

    def documents_by_source(self) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT source_id, COUNT(*) FROM communiques GROUP BY source_id"
        ).fetchall()
        return {s: n for s, n in rows}

    # -- events (issue 11): encounters, events and versions of one text --------------------
    # Derived at indexing time like the entities (indexer/events/store.py computes them):
    # what each communiqué's current version, as last indexed, reports and what linking
    # versions reads of it; the events its encounters group into; the versions of one text.
    # A migration step creates them (MIGRATIONS): an archive made before them gains them
    # when it is next opened for writing.

    EVENTS_SCHEMA = """
    CREATE TABLE IF NOT EXISTS event_documents (
        communique_id TEXT PRIMARY KEY,
        source_id     TEXT NOT NULL,
        host          TEXT NOT NULL,
        language      TEXT NOT NULL,
        day           TEXT,
        officials     TEXT NOT NULL,
        countries     TEXT NOT NULL,
        numbers       TEXT NOT NULL,
        paragraphs    INTEGER NOT NULL,
        url           TEXT NOT NULL,
        title         TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS event_documents_by_day ON event_documents (source_id, day);
    CREATE TABLE IF NOT EXISTS encounters (
        communique_id  TEXT NOT NULL,
        n              INTEGER NOT NULL,
        day            TEXT,
        kind           TEXT NOT NULL,
        place          TEXT NOT NULL,
        conference     TEXT NOT NULL,
        first_id       TEXT NOT NULL,
        first_name     TEXT NOT NULL,
        first_country  TEXT NOT NULL,
        second_id      TEXT NOT NULL,
        second_name    TEXT NOT NULL,
        second_country TEXT NOT NULL,
        countries      TEXT NOT NULL,
        evidence       TEXT NOT NULL,
        PRIMARY KEY (communique_id, n)
    );
    CREATE INDEX IF NOT EXISTS encounters_by_countries ON encounters (countries, day);
    CREATE TABLE IF NOT EXISTS events (
        id           TEXT PRIMARY KEY,
        day          TEXT NOT NULL,
        last_day     TEXT NOT NULL,
        kind         TEXT NOT NULL,
        place        TEXT NOT NULL,
        conference   TEXT NOT NULL,
        participants TEXT NOT NULL,
        countries    TEXT NOT NULL,
        documents    INTEGER NOT NULL,
        readouts     INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_by_day ON events (day);
    CREATE INDEX IF NOT EXISTS events_by_countries ON events (countries, day);
    CREATE TABLE IF NOT EXISTS event_readouts (
        event_id      TEXT NOT NULL,
        communique_id TEXT NOT NULL,
        n             INTEGER NOT NULL,
        PRIMARY KEY (event_id, communique_id)
    );
    CREATE INDEX IF NOT EXISTS event_readouts_by_communique ON event_readouts (communique_id);
    CREATE TABLE IF NOT EXISTS event_participants (
        event_id    TEXT NOT NULL,
        participant TEXT NOT NULL,
        country     TEXT NOT NULL,
        PRIMARY KEY (event_id, participant)
    );
    CREATE INDEX IF NOT EXISTS event_participants_by_participant
        ON event_participants (participant);
    CREATE TABLE IF NOT EXISTS version_groups (
        communique_id TEXT PRIMARY KEY,
        group_id      TEXT NOT NULL,
        position      INTEGER NOT NULL,
        relation      TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS version_groups_by_group ON version_groups (group_id);
    """
    EVENT_TABLES = ("event_documents", "encounters", "events", "event_readouts",
                    "event_participants", "version_groups")
    # An event id, once given, is never given to another event: when regrouping merges an
    # event into another (a new readout joins, a rebuild reads more), its id is kept here
    # with the id of the event that absorbed it.
    EVENT_ALIASES_SCHEMA = """
    CREATE TABLE IF NOT EXISTS event_aliases (
        id       TEXT PRIMARY KEY,
        event_id TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS event_aliases_by_event ON event_aliases (event_id);
    """

    def event_alias(self, event_id: str) -> str | None:
        """The event an absorbed event's id now stands for, if it is one."""
        if not self._has_table("event_aliases"):
            return None
        row = self._db.execute("SELECT event_id FROM event_aliases WHERE id = ?",
                               (event_id,)).fetchone()
        return row[0] if row else None

    def event_ids_in(self, partitions: list[str] | None) -> list[str]:
        """The ids of the events of some country partitions (None: of every one)."""
        if not self._event_tables():
            return []
        if partitions is None:
            return [row[0] for row in self._db.execute("SELECT id FROM events")]
        return [row[0] for row in self._chunked(
            "SELECT id FROM events WHERE countries IN ({})", partitions)]

    def event_ids_given(self) -> set[str]:
        """Every event id given so far: the events' and the absorbed ones'."""
        if not self._event_tables():
            return set()
        ids = {row[0] for row in self._db.execute("SELECT id FROM events")}
        if self._has_table("event_aliases"):
            ids |= {row[0] for row in self._db.execute("SELECT id FROM event_aliases")}
        return ids

    def _event_tables(self) -> bool:
        """Whether the events tables exist: a migration step makes them, so only an
        archive of an earlier version opened read-only lacks them."""
        return self._has_table("version_groups")

    def set_event_documents(self, documents: list[tuple], encounters: list[tuple]) -> None:
        """Store what some communiqués report: their event_documents rows and their
        encounters rows (communique_id first), replacing what was stored for them."""
        self._event_tables()
        ids = [(row[0],) for row in documents]
        with self._transaction() as db:
            db.executemany("DELETE FROM encounters WHERE communique_id = ?", ids)
            db.executemany("INSERT OR REPLACE INTO event_documents VALUES"
                           " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", documents)
            db.executemany("INSERT OR REPLACE INTO encounters VALUES"
                           " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", encounters)

    def event_documents(self, ids: list[str] | None = None,
                        buckets: list[tuple[str, str]] | None = None) -> list[tuple]:
        """event_documents rows: all, of some communiqués, or of (source, day) buckets."""
        if not self._event_tables():
            return []
        query = "SELECT * FROM event_documents"
        if ids is not None:
            return self._chunked(query + " WHERE communique_id IN ({})", ids)
        if buckets is not None:
            rows: list[tuple] = []
            for source_id, day in buckets:
                rows += self._db.execute(query + " WHERE source_id = ? AND day IS ?",
                                         (source_id, day)).fetchall()
            return rows
        return self._db.execute(query).fetchall()

    def encounter_rows(self, ids: list[str] | None = None,
                       partitions: list[str] | None = None) -> list[tuple]:
        """encounters rows: all, of some communiqués, or of some country partitions."""
        if not self._event_tables():
            return []
        query = "SELECT * FROM encounters"
        if ids is not None:
            return self._chunked(query + " WHERE communique_id IN ({})", ids)
        if partitions is not None:
            return self._chunked(query + " WHERE countries IN ({})", partitions)
        return self._db.execute(query + " ORDER BY communique_id, n").fetchall()

    def replace_events(self, events: list[tuple], readouts: list[tuple],
                       participants: list[tuple], partitions: list[str] | None = None,
                       aliases: Sequence[tuple[str, str]] = ()) -> None:
        """Store events (events rows, event_readouts rows, event_participants rows),
        replacing every event of the given country partitions (None: every event), and
        the (absorbed id, event id) aliases of the events merged away (an alias pointing
        at an absorbed id follows it)."""
        self._event_tables()
        with self._transaction() as db:
            for old, new in aliases:
                db.execute("UPDATE event_aliases SET event_id = ? WHERE event_id = ?",
                           (new, old))
                db.execute("INSERT OR REPLACE INTO event_aliases VALUES (?, ?)", (old, new))
            if partitions is None:
                for table in ("events", "event_readouts", "event_participants"):
                    db.execute(f"DELETE FROM {table}")
            else:
                # Only the rows that changed are written: most events of the partitions
                # regrouped come out as they were, and a row deleted and inserted again
                # costs its indexes' upkeep twice (an update's regrouping spent most of
                # its time there). The tables end as deleting every row of the
                # partitions' events and inserting the new ones leaves them.
                stored = self._chunked("SELECT * FROM events WHERE countries IN ({})",
                                       partitions)
                ids = [row[0] for row in stored]
                stored_readouts = self._chunked(
                    "SELECT * FROM event_readouts WHERE event_id IN ({})", ids)
                stored_participants = self._chunked(
                    "SELECT * FROM event_participants WHERE event_id IN ({})", ids)
                kept = {event[0] for event in events}
                db.executemany("DELETE FROM events WHERE id = ?",
                               [(row[0],) for row in stored if row[0] not in kept])
                events = _changed(stored, events)
                for table, columns, old_rows, new_rows in (
                        ("event_readouts", "communique_id", stored_readouts, readouts),
                        ("event_participants", "participant", stored_participants,
                         participants)):
                    new_keys = {tuple(row[:2]) for row in new_rows}
                    db.executemany(
                        f"DELETE FROM {table} WHERE event_id = ? AND {columns} = ?",
                        [tuple(row[:2]) for row in old_rows if tuple(row[:2]) not in new_keys])
                readouts = _changed(stored_readouts, readouts)
                participants = _changed(stored_participants, participants)
            db.executemany("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           events)
            db.executemany("INSERT OR REPLACE INTO event_readouts VALUES (?, ?, ?)", readouts)
            db.executemany("INSERT OR REPLACE INTO event_participants VALUES (?, ?, ?)",
                           participants)

    def replace_versions(self, rows: list[tuple], ids: list[str] | None = None) -> None:
        """Store version groups ((communique_id, group_id, position, relation) rows),
        replacing those of the given communiqués (None: all of them)."""
        self._event_tables()
        with self._transaction() as db:
            if ids is None:
                db.execute("DELETE FROM version_groups")
            else:
                db.executemany("DELETE FROM version_groups WHERE communique_id = ?",
                               [(i,) for i in ids])
            db.executemany("INSERT OR REPLACE INTO version_groups VALUES (?, ?, ?, ?)", rows)

    def version_rows(self, ids: list[str] | None = None) -> list[tuple]:
        """version_groups rows of the groups some communiqués are in (None: all), with
        each member's language and URL."""
        if not self._event_tables():
            return []
        query = ("SELECT g.communique_id, g.group_id, g.position, g.relation, d.language,"
                 " d.url, d.host, d.title, d.source_id FROM version_groups g"
                 " LEFT JOIN event_documents d ON d.communique_id = g.communique_id")
        if ids is None:
            return self._db.execute(query + " ORDER BY g.group_id, g.position").fetchall()
        groups = [r[0] for r in self._chunked(
            "SELECT DISTINCT group_id FROM version_groups WHERE communique_id IN ({})", ids)]
        return self._chunked(query + " WHERE g.group_id IN ({})", groups)

    def event_rows(self, ids: list[str] | None = None, *, participant: str | None = None,
                   countries: str | None = None, with_participant: str | None = None,
                   country: str | None = None, start: str | None = None,
                   end: str | None = None, limit: int | None = None,
                   offset: int = 0) -> list[tuple]:
        """events rows: some by id, or those matching the filters (a participant, another,
        a participant's country, the partition of two countries, days), newest first."""
        if not self._event_tables():
            return []
        if ids is not None:
            return self._chunked("SELECT * FROM events WHERE id IN ({})", ids)
        where: list[str] = []
        args: list[str | int] = []
        for who in (participant, with_participant):
            if who:
                where.append("id IN (SELECT event_id FROM event_participants"
                             " WHERE participant = ?)")
                args.append(who)
        if country:
            where.append("id IN (SELECT event_id FROM event_participants WHERE country = ?"
                         + (" AND participant != ?)" if participant else ")"))
            args += [country, participant] if participant else [country]
        if countries:
            where.append("countries = ?")
            args.append(countries)
        if start:
            where.append("last_day >= ?")
            args.append(start)
        if end:
            where.append("day <= ?")
            args.append(end)
        sql = "SELECT * FROM events" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY day DESC, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return self._db.execute(sql, args).fetchall()

    def count_events(self, **filters: Any) -> int:
        return len(self.event_rows(**filters))

    def readout_rows(self, event_ids: list[str] | None = None,
                     communique_ids: list[str] | None = None) -> list[tuple]:
        """(event_id, communique_id, n) of some events, or of the events some communiqués
        report."""
        if not self._event_tables():
            return []
        if communique_ids is not None:
            return self._chunked("SELECT * FROM event_readouts WHERE communique_id IN ({})",
                                 communique_ids)
        return self._chunked("SELECT * FROM event_readouts WHERE event_id IN ({})",
                             event_ids or [])

    def participant_rows(self, event_ids: list[str]) -> list[tuple]:
        if not self._event_tables():
            return []
        return self._chunked("SELECT * FROM event_participants WHERE event_id IN ({})",
                             event_ids)

    def met_with_rows(self, participant: str) -> list[tuple]:
        """(other participant, its country, events, last day) of everyone a participant
        met, most events first."""
        if not self._event_tables():
            return []
        return self._db.execute(
            "SELECT o.participant, o.country, COUNT(*), MAX(e.day) FROM event_participants p"
            " JOIN event_participants o ON o.event_id = p.event_id AND o.participant !="
            " p.participant JOIN events e ON e.id = p.event_id WHERE p.participant = ?"
            " GROUP BY o.participant ORDER BY COUNT(*) DESC, MAX(e.day) DESC",
            (participant,)).fetchall()

    def _chunked(self, query: str, values: list[str]) -> list[tuple]:
        rows: list[tuple] = []
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            rows += self._db.execute(query.format(",".join("?" * len(chunk))),
                                     chunk).fetchall()
        return rows

    # -- end of events (issue 11) ---------------------------------------------------------


def _changed(stored: list[tuple], rows: list[tuple]) -> list[tuple]:
    """The rows that are not stored as they are."""
    unchanged = set(stored)
    return [row for row in rows if tuple(row) not in unchanged]


class ReadonlyArchives:
    """One read-only archive connection per thread (SQLite connections are not shared
    between threads), opened on first use."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self._local = threading.local()

    def get(self) -> Archive:
        """This thread's read-only connection."""
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = Archive(self.data_dir, readonly=True)
            self._local.archive = archive
        return archive
