"""An update's archive writes are one transaction (issue 18): Archive.transaction joins
every write method's own transaction, so all of them are committed at its end or none;
with checkpoint=False its commit leaves the pages in the write-ahead log, and the
connection's automatic checkpoints are as they were after it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from benchmarks.corpus import generate
from indexer.archive import Archive


def _entities(data: Path) -> list[tuple]:
    db = sqlite3.connect(data / Archive.FILENAME)
    try:
        return db.execute("SELECT * FROM entities ORDER BY seq").fetchall()
    finally:
        db.close()


def test_writes_in_a_transaction_are_committed_together_or_not_at_all(tmp_path) -> None:
    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(3)))
        archive.set_entities([(1, ("a",), ("RS",))])
        with pytest.raises(RuntimeError), archive.transaction():
            archive.set_entities([(2, ("b",), ("RU",))])
            archive.set_event_documents([], [])
            # Reads within see the writes; other connections do not.
            assert len(archive._db.execute("SELECT * FROM entities").fetchall()) == 2
            assert len(_entities(tmp_path)) == 1
            raise RuntimeError("a writer process failed")
        assert _entities(tmp_path) == [(1, '["a"]', '["RS"]')]
        with archive.transaction(checkpoint=False):
            archive.set_entities([(2, ("b",), ("RU",))])
            archive.set_entities([(3, ("c",), ())])
            assert len(_entities(tmp_path)) == 1
        assert [row[0] for row in _entities(tmp_path)] == [1, 2, 3]
        # The connection checkpoints automatically again, as SQLite's default has it.
        assert archive._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        assert not archive._db.in_transaction


def test_a_commit_without_checkpoint_leaves_the_database_file_until_checkpoint(
        tmp_path) -> None:
    # Rows enough to pass SQLite's automatic checkpoint (1,000 pages of the log).
    rows = [(n, (f"official-{n:06d}-" + "x" * 200,), ("RS",)) for n in range(1, 30_000)]
    database = tmp_path / Archive.FILENAME
    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(3)))
        archive.checkpoint()
        size = database.stat().st_size
        with archive.transaction(checkpoint=False):
            archive.set_entities(rows)
        assert database.stat().st_size == size  # in the log only
        archive.checkpoint()
        grown = database.stat().st_size
        assert grown > size + 4_000_000
        with archive.transaction():  # as every other commit: copied at once
            archive.set_entities([(n + 30_000, official, countries)
                                  for n, official, countries in rows])
        assert database.stat().st_size > grown + 4_000_000
    assert len(_entities(tmp_path)) == 2 * len(rows)
