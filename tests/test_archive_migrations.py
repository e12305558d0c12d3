"""The archive's schema version and its migrations (issue 17, item 5): an archive made by
an old version of the program (commit 9732622) is moved forward on open, step by step,
each step in its own transaction; outcome kinds are enums stored as the same words."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import indexer.archive as archive_module
from indexer.archive import (
    SCHEMA_VERSION,
    Archive,
    ArchiveVersionError,
    IssueKind,
    RunStatus,
    StoreOutcome,
)
from scrapers.record import Communique, communique_id

# The archive's schema at commit 9732622 (`git show 9732622:indexer/archive.py`): archives
# made then carry no version (user_version 0). Copied as it was; never edit it.
SCHEMA_9732622 = """
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
CREATE TABLE IF NOT EXISTS official_candidates (
    name           TEXT NOT NULL,
    communique_id  TEXT NOT NULL,
    language       TEXT NOT NULL,
    PRIMARY KEY (name, communique_id)
);
CREATE INDEX IF NOT EXISTS official_candidates_by_document
    ON official_candidates (communique_id);
CREATE TABLE IF NOT EXISTS crawl_errors (
    run_id    INTEGER NOT NULL REFERENCES crawl_runs(run_id),
    source_id TEXT NOT NULL,
    url       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    message   TEXT NOT NULL,
    at        TEXT NOT NULL
);
"""

URL = "https://www.mfa.gov.rs/en/press-service/statements/old-1"


def _record(body: str = "Minister Dačić met Sergey Lavrov in Moscow.") -> Communique:
    return Communique(
        id=communique_id(URL), url=URL, source_id="serbia-mfa", ministry_country="RS",
        language="en", title="Talks in Moscow", published=date(2015, 6, 3), body=body,
        doc_type="statement", fetched_at=datetime(2016, 1, 1, tzinfo=UTC),
    )


def _old_archive(data_dir: Path) -> Path:
    """An archive as the program at 9732622 left it: one record, one finished run with an
    error, written with that version's schema and statements."""
    data_dir.mkdir(parents=True)
    path = data_dir / Archive.FILENAME
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_9732622)
    record = _record()
    at = "2016-01-01T00:00:00+00:00"
    with db:
        db.execute("INSERT INTO communiques VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
                   (record.id, record.url, record.source_id, at, at, '"e1"', None))
        db.execute("INSERT INTO versions (id, version, content_hash, fetched_at, record)"
                   " VALUES (?, 1, ?, ?, ?)",
                   (record.id, record.content_hash, record.fetched_at.isoformat(),
                    json.dumps(record.to_dict(), ensure_ascii=False)))
        db.execute("INSERT INTO crawl_runs (source_id, started_at, finished_at, pages, new,"
                   " errors, status) VALUES ('serbia-mfa', ?, ?, 3, 1, 1, 'partial')", (at, at))
        db.execute("INSERT INTO crawl_errors VALUES (1, 'serbia-mfa', 'https://x/1', 'fetch',"
                   " 'HTTP 503', ?)", (at,))
    db.close()
    return path


def _shape(path: Path) -> dict[str, list[tuple]]:
    """Every table's columns (name, type, not null, default) of an archive file."""
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    shape = {t: sorted(r[1:5] for r in db.execute(f"PRAGMA table_info({t})")) for t in tables}
    db.close()
    return shape


def _user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    return int(version)


def test_an_archive_of_9732622_is_migrated_and_reads_and_writes(tmp_path: Path) -> None:
    path = _old_archive(tmp_path / "old")
    assert _user_version(path) == 0
    record = _record()
    with Archive(tmp_path / "old") as archive:
        assert archive.schema_version() == SCHEMA_VERSION
        # What the old program wrote reads back.
        assert archive.count() == 1
        assert archive.get(record.id) == record
        assert archive.validators(record.id) == ('"e1"', None)
        [run] = archive.last_runs()
        assert run.status is RunStatus.PARTIAL and run.drift == 0 and run.pages == 3
        [error] = archive.run_errors(run.run_id)
        assert error.kind is IssueKind.FETCH and error.message == "HTTP 503"
        assert archive.withdrawn(record.id) is None
        # And what today's program writes goes in beside it.
        changed = _record("Minister Dačić met Sergey Lavrov in Moscow on Wednesday.")
        assert archive.store(changed) is StoreOutcome.CHANGED
        assert [v.version for v in archive.versions(record.id)] == [1, 2]
        assert archive.get(record.id, 1) == record
        assert archive.mark_withdrawn(record.id, "gone (404)")
        assert archive.withdrawn_ids().keys() == {record.id}
        run_id = archive.start_run("serbia-mfa")
        archive.log_drift(run_id, "serbia-mfa", URL, "no title")
        archive.finish_run(run_id, pages=1, new=0, changed=1, unchanged=0, errors=0,
                           status=RunStatus.OK, drift=1)
        archive.set_run_stats(run_id, {"seen": 1})
        archive.set_entities([(archive.max_seq(), ("ivica-dacic",), ("RS", "RU"))])
        assert archive.entities_of([record.id]) == {record.id: (("ivica-dacic",),
                                                                 ("RS", "RU"))}
        archive.set_event_documents([(record.id, "serbia-mfa", "www.mfa.gov.rs", "en",
                                      "2015-06-03", "[]", "[]", "[]", 1, URL, "Talks")], [])
        assert len(archive.event_documents([record.id])) == 1
        [(latest, stats), _] = archive.runs("serbia-mfa")
        assert latest.status is RunStatus.OK and latest.drift == 1 and stats == {"seen": 1}
    # Opening again runs nothing more, and loses nothing.
    with Archive(tmp_path / "old") as archive:
        assert archive.schema_version() == SCHEMA_VERSION
        assert archive.count_versions() == 2
    # A migrated archive has every table and column a new one has.
    Archive(tmp_path / "new").close()
    new = _shape(tmp_path / "new" / Archive.FILENAME)
    migrated = _shape(path)
    assert {t: migrated[t] for t in new} == new
    assert set(migrated) - set(new) == {"official_candidates"}  # the old table is kept


def test_a_read_only_open_of_an_old_archive_changes_nothing(tmp_path: Path) -> None:
    path = _old_archive(tmp_path / "old")
    with Archive(tmp_path / "old", readonly=True) as archive:
        assert archive.schema_version() == 0
        assert archive.get(_record().id) == _record()
        assert archive.last_runs()[0].status is RunStatus.PARTIAL
        assert archive.event_rows() == [] and archive.found_entries() == []
    assert _user_version(path) == 0


def test_each_step_is_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A step that fails leaves the archive at the last whole step, with nothing of the
    failed one; the next open carries on from there."""
    _old_archive(tmp_path / "old")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("the machine went down")

    monkeypatch.setattr(archive_module, "MIGRATIONS", (*archive_module.MIGRATIONS, broken))
    monkeypatch.setattr(archive_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError, match="went down"):
        Archive(tmp_path / "old")
    path = tmp_path / "old" / Archive.FILENAME
    assert _user_version(path) == SCHEMA_VERSION
    assert "half_done" not in _shape(path)
    monkeypatch.undo()
    with Archive(tmp_path / "old") as archive:
        assert archive.schema_version() == SCHEMA_VERSION and archive.count() == 1


def test_an_archive_from_a_newer_program_is_not_written(tmp_path: Path) -> None:
    Archive(tmp_path).close()
    db = sqlite3.connect(tmp_path / Archive.FILENAME)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ArchiveVersionError, match=f"schema version {SCHEMA_VERSION + 1}"):
        Archive(tmp_path)


def test_outcomes_are_enums_stored_as_the_same_words(tmp_path: Path) -> None:
    assert [s.value for s in RunStatus] == ["running", "ok", "partial", "failed",
                                            "interrupted"]
    assert [o.value for o in StoreOutcome] == ["new", "changed", "unchanged"]
    with Archive(tmp_path) as archive:
        assert archive.store(_record()) is StoreOutcome.NEW
        assert archive.store(_record()) is StoreOutcome.UNCHANGED
        dead = archive.start_run("serbia-mfa")
        live = archive.start_run("serbia-mfa")  # the first one's process died
        archive.log_error(live, "serbia-mfa", URL, IssueKind.BLOCKED, "block page")
        archive.finish_run(live, pages=1, new=0, changed=0, unchanged=1, errors=1,
                           status=RunStatus.FAILED)
        rows = dict(archive._db.execute("SELECT run_id, status FROM crawl_runs"))
        assert rows == {dead: "interrupted", live: "failed"}
        assert [r for (r,) in archive._db.execute("SELECT kind FROM crawl_errors")] == \
            ["blocked"]
        assert archive.run_errors(live)[0].kind is IssueKind.BLOCKED


def test_found_officials_are_recounted_from_an_index_alone(tmp_path: Path) -> None:
    """A new archive and a migrated one both count a found official's mentions and dates
    from the (key, published) index without reading the table (an update recounts the
    people it touches), and neither keeps the narrower index it replaces."""
    _old_archive(tmp_path / "old")
    for directory in ("old", "new"):
        with Archive(tmp_path / directory) as archive:
            archive.update_found([], ["c1"], [("c1", ("ana", "testic"), date(2020, 1, 2))])
            indexes = {row[0] for row in archive._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'found_mentions' AND name NOT LIKE 'sqlite_%'")}
            plan = archive._db.execute(
                "EXPLAIN QUERY PLAN SELECT COUNT(*), MIN(published), MAX(published)"
                " FROM found_mentions WHERE key = ?", ("ana testic",)).fetchall()
        assert indexes == {"found_mentions_by_key_date"}, directory
        assert "COVERING INDEX found_mentions_by_key_date" in str(plan), (directory, plan)
