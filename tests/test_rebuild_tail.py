"""A rebuild's last steps (issue 18): the generation data is written by a forked process
while the rebuild stores the found officials and groups the events. A rebuild whose data
process dies is still complete and current (readers build the arrays, as with an index
older than the data); one that fails meanwhile leaves no process and no generation."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from benchmarks.corpus import generate
from indexer import build, gendata
from indexer.archive import Archive
from indexer.build import IndexHome, rebuild_index
from indexer.search import SearchRequest, SearchService


def _stored(data_dir: Path) -> tuple[int, int]:
    """Event documents and found officials the archive holds."""
    with Archive(data_dir, readonly=True) as archive:
        return len(archive._db.execute("SELECT * FROM event_documents").fetchall()), \
            len(archive.found_entries())


def test_a_rebuild_writes_its_data_beside_storing_the_derived_rows(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(120)))
        update = rebuild_index(archive, tmp_path)
    ix = IndexHome.open(update.generation_dir)
    with ix.reader() as reader:
        assert gendata.load(update.generation_dir, reader, ix.latest_generation()) is not None
        assert gendata.load_lexicon(update.generation_dir, reader,
                                    ix.latest_generation()) is not None
    documents, found = _stored(tmp_path)
    assert documents == 120 and found > 0


def test_a_rebuild_whose_data_process_dies_is_current_without_data(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(build, "_write_generation_data", lambda *args, **kwargs: os._exit(3))
    with Archive(tmp_path) as archive, caplog.at_level(logging.WARNING, "communiques"):
        archive.store_many(list(generate(120)))
        update = rebuild_index(archive, tmp_path)
    assert "generation data not written" in caplog.text
    assert IndexHome(tmp_path).current_dir() == update.generation_dir
    ix = IndexHome.open(update.generation_dir)
    assert ix.doc_count() == 120
    with ix.reader() as reader:
        assert gendata.load(update.generation_dir, reader, ix.latest_generation()) is None
    assert _stored(tmp_path)[0] == 120
    results = SearchService(tmp_path).search(SearchRequest(q="minister"))
    assert results.total > 0  # the reader built what the data would have held


def test_a_rebuild_failing_meanwhile_stops_the_data_process_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "_write_generation_data",
                        lambda *args, **kwargs: time.sleep(300))

    def broken(archive: Archive) -> None:
        raise RuntimeError("events failed")

    monkeypatch.setattr(build.events_store, "rebuild", broken)
    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(60)))
        with pytest.raises(RuntimeError, match="events failed"):
            rebuild_index(archive, tmp_path)
    assert multiprocessing.active_children() == []
    assert IndexHome(tmp_path).current_dir() is None
    assert list((tmp_path / "whoosh").glob("gen-*")) == []
