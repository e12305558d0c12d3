"""Incremental updates written by two writer processes (issue 18: 1,000 new communiqués
searchable sooner): each process writes a contiguous run of the update's communiqués to a
segment of its own. The index, its generation data and everything stored in the archive
equal what one process writes; a writer process that fails or is killed leaves the
previous index and archive state as they were, and the next update is complete."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import common_words, generate
from indexer import build, gendata, whoosh_adapter
from indexer.archive import Archive
from indexer.build import IndexHome, rebuild_index, update_index
from indexer.errors import IndexingError
from indexer.search import SearchRequest, SearchService
from tests.test_gendata import _answers, loaded
from tests.test_incremental import _changed, _segments

pytestmark = pytest.mark.skipif(not whoosh_adapter.FAST_PATHS,
                                reason="writer processes need the bulk writer")

# Tables an update writes besides the index: what every surface reads.
DERIVED_TABLES = ("entities", "found_officials", "found_mentions", "event_documents",
                  "encounters", "events", "event_readouts", "event_participants",
                  "version_groups", "event_aliases")


def _derived(data_dir: Path) -> dict[str, list[str]]:
    """Every row of the derived tables, sorted (row ids aside, an update's own order)."""
    db = sqlite3.connect(data_dir / Archive.FILENAME)
    try:
        return {table: sorted(repr(row) for row in db.execute(f"SELECT * FROM {table}"))
                for table in DERIVED_TABLES}
    finally:
        db.close()


# The processes that built facet tables from a reader (CountedTables in gendata's place).
TABLES_BUILT: list[int] = []


class CountedTables(gendata.FacetTables):
    def __init__(self, *args, **kwargs) -> None:
        TABLES_BUILT.append(os.getpid())
        super().__init__(*args, **kwargs)


def _by_date(service: SearchService, q: str) -> tuple[int, list[str]]:
    results = service.search(SearchRequest(q=q, sort="newest", page_size=50))
    return results.total, [hit.id for hit in results.hits]


def _queries() -> list[str]:
    return ["", *(common_words()[i] for i in (0, 1, 5)), "zanzibarquux"]


@pytest.fixture
def base(tmp_path: Path):
    """A built index of 200 communiqués, and the update to come: 60 new communiqués and 3
    changed ones whose previous versions are in the built segments."""
    records = list(generate(260))
    data = tmp_path / "base"
    with Archive(data) as archive:
        archive.store_many(records[:200])
        rebuild_index(archive, data)
    edited = [_changed(records[i], f"Zanzibarquux accord {i}", f"zanzibarquux {word} talks")
              for i, word in ((3, common_words()[0]), (50, "x"), (120, "y"))]
    return data, records[200:] + edited


def _copy(base: Path, to: Path) -> Path:
    shutil.copytree(base, to, symlinks=True)
    return to


def _before_the_update(data: Path, update: list, tmp_path: Path, monkeypatch):
    """(a copy of `data` updated by one process, the current generation, its state, the
    answers) before an update of `data` that is to fail or be killed."""
    one = _copy(data, tmp_path / "one")
    _update(one, update, monkeypatch, processes=False)
    generation = IndexHome(data).current_dir()
    assert generation is not None
    return one, generation, IndexHome.read_state(generation), _answers(SearchService(data))


def _update(data: Path, records: list, monkeypatch, processes: bool):
    monkeypatch.setattr(build, "PARALLEL_UPDATE_MIN_DOCUMENTS", 10 if processes else 10_000)
    with Archive(data) as archive:
        archive.store_many(records)
        return update_index(archive, data)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one writer on one core")
def test_two_writer_processes_write_what_one_writes(base, tmp_path, monkeypatch) -> None:
    data, update = base
    one, two = _copy(data, tmp_path / "one"), _copy(data, tmp_path / "two")
    built = _segments(data)
    assert _update(one, update, monkeypatch, processes=False).procs == 1
    tables = gendata.FacetTables
    monkeypatch.setattr(gendata, "FacetTables", CountedTables)
    done = _update(two, update, monkeypatch, processes=True)
    assert done.procs == 2 and done.indexed == 63 and done.total_documents == 260
    # The writer processes computed their segments' share of the generation data (the
    # data itself is checked below against what a reader builds): none read here.
    assert os.getpid() not in TABLES_BUILT
    monkeypatch.setattr(gendata, "FacetTables", tables)
    # The update's communiqués in seq order, split in two runs; the changed ones' previous
    # versions deleted in the built segments.
    assert [n for n, _ in _segments(one)] == [n for n, _ in built] + [63]
    assert [n for n, _ in _segments(two)] == [n for n, _ in built] + [31, 32]
    assert [d for _, d in _segments(two)] == [d for _, d in _segments(one)][:-1] + [0, 0]
    assert sum(d for _, d in _segments(two)) == 3
    generation = IndexHome(two).current_dir()
    assert generation is not None
    loaded(generation, IndexHome.open(generation))  # the extended data is a reader's
    # Same pages (ids, scores, dates), next pages, facets and histograms as one writer.
    answers = _answers(SearchService(two))
    assert answers == _answers(SearchService(one)) and answers[0][0] > 0
    assert [_by_date(SearchService(two), q) for q in _queries()] == \
        [_by_date(SearchService(one), q) for q in _queries()]
    assert _by_date(SearchService(two), "zanzibarquux")[0] == 3
    # The archive holds the same entities, found officials and events.
    derived = _derived(two)
    assert derived == _derived(one)
    assert derived["entities"] and derived["found_mentions"] and derived["event_documents"]
    with Archive(two) as archive:
        assert IndexHome.read_state(generation)["last_seq"] == archive.max_seq()
        rebuild_index(archive, two)
    # And a rebuild of the same archive finds the same communiqués in the same order.
    assert [_by_date(SearchService(two), q) for q in _queries()] == \
        [_by_date(SearchService(one), q) for q in _queries()]


def test_large_updates_are_cut_into_segments_within_the_memory_setting(
        base, tmp_path, monkeypatch) -> None:
    data, update = base
    one, cut = _copy(data, tmp_path / "one"), _copy(data, tmp_path / "cut")
    monkeypatch.setattr(build, "MERGE_FACTOR", 1000)  # the cut segments stay as written
    _update(one, update, monkeypatch, processes=False)
    # A segment is cut once it holds this many postings: a few communiqués each.
    monkeypatch.setattr(build, "SEGMENT_POSTINGS_LIMIT", 2000)
    _update(cut, update, monkeypatch, processes=False)
    segments = _segments(cut)
    assert len(segments) > len(_segments(one)) + 3
    assert sum(n for n, _ in segments) == 263 and sum(d for _, d in segments) == 3
    generation = IndexHome(cut).current_dir()
    assert generation is not None
    loaded(generation, IndexHome.open(generation))
    assert _answers(SearchService(cut)) == _answers(SearchService(one))
    assert _derived(cut) == _derived(one)


def _fail_in_writer(monkeypatch, communique_id: str, how: str) -> None:
    """Make the writer process that writes `communique_id` fail or die there (forked
    processes inherit the patched module); with how="one", the updating process itself;
    with how="segment", the writer processes once their rows went to the updating
    process (which stores them and regroups events meanwhile), writing their segments."""
    real = build.document_for
    parent = os.getpid()
    if how == "segment":
        from indexer import segments

        written = segments.BulkSegmentWriter.finish_segment

        def finish_segment(self):
            if os.getpid() != parent:
                raise OSError("disk full")
            return written(self)

        monkeypatch.setattr(segments.BulkSegmentWriter, "finish_segment", finish_segment)
        return

    def document_for(record, entities):
        if record.id == communique_id and (os.getpid() != parent or how == "one"):
            if how == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            raise OSError("disk full")
        return real(record, entities)

    monkeypatch.setattr(build, "document_for", document_for)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one writer on one core")
@pytest.mark.parametrize("how", ["failed", "killed", "one", "segment"])
def test_a_writer_process_that_fails_or_dies_leaves_the_previous_index(
        base, tmp_path, monkeypatch, how: str) -> None:
    data, update = base
    one, generation, state, before = _before_the_update(data, update, tmp_path, monkeypatch)
    derived = _derived(data)
    # The second writer's part: the first has written its segment by then, or is writing.
    _fail_in_writer(monkeypatch, update[-5].id, how)
    messages = {"killed": "writer process died", "failed": "writer process failed: OSError",
                "one": "disk full", "segment": "writer process failed: OSError"}
    with pytest.raises((IndexingError, OSError), match=messages[how]):
        _update(data, update, monkeypatch, processes=how != "one")
    # Nothing committed: the same index, generation data, state and derived rows.
    assert IndexHome(data).current_dir() == generation
    assert IndexHome.read_state(generation) == state
    assert _answers(SearchService(data)) == before
    assert _derived(data) == derived
    loaded(generation, IndexHome.open(generation))
    # The next update (the writer lock and the index lock free) is complete, and leaves
    # no file of the failed writers' segments behind.
    monkeypatch.undo()
    monkeypatch.setattr(build, "PARALLEL_UPDATE_MIN_DOCUMENTS", 10)
    with Archive(data) as archive:
        done = update_index(archive, data)
    assert done.procs == 2 and done.indexed == 63 and done.total_documents == 260
    assert _answers(SearchService(data)) == _answers(SearchService(one))
    assert _derived(data) == _derived(one)
    ix = IndexHome.open(generation)
    names = {segment.segment_id() for segment in ix._segments()}
    stray = [p.name for p in (generation / "segments").iterdir()
             if p.name.startswith("MAIN_") and "." in p.name
             and p.name.split(".")[0] not in names]
    assert stray == []


UPDATE_IN_WRITERS = """
import sys, time
from indexer import build
from indexer.archive import Archive
from indexer.lock import WriterLock

build.PARALLEL_UPDATE_MIN_DOCUMENTS = 10
real = build.document_for

def slow(record, entities):
    time.sleep(60)  # every writer is mid-way through its part when the update is killed
    return real(record, entities)

build.document_for = slow
with WriterLock(sys.argv[1]), Archive(sys.argv[1]) as archive:
    build.update_index(archive, sys.argv[1])
"""


# The same, the updating process having stored the writers' rows and regrouped events
# in its open archive transaction (marked by a file) while they write their segments.
UPDATE_AFTER_ROWS = """
import sys, time
from pathlib import Path
from indexer import build, segments
from indexer.archive import Archive
from indexer.lock import WriterLock

build.PARALLEL_UPDATE_MIN_DOCUMENTS = 10
regroup = build.events_store.update

def update(*args):
    regroup(*args)
    Path(sys.argv[2]).touch()

def finish_segment(self):
    time.sleep(60)

build.events_store.update = update
segments.BulkSegmentWriter.finish_segment = finish_segment
with WriterLock(sys.argv[1]), Archive(sys.argv[1]) as archive:
    build.update_index(archive, sys.argv[1])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                    reason="reads processes from /proc; one writer on one core")
@pytest.mark.parametrize("when", ["writing", "rows stored"])
def test_a_killed_update_leaves_no_writer_and_the_previous_index(base, tmp_path,
                                                                 monkeypatch, when) -> None:
    from tests.test_kill import alive, children_of, lock_is_free, wait_for

    data, update = base
    one, generation, state, before = _before_the_update(data, update, tmp_path, monkeypatch)
    with Archive(data) as archive:
        archive.store_many(update)
    derived = _derived(data)
    stored = tmp_path / "rows-stored"
    script = UPDATE_IN_WRITERS if when == "writing" else UPDATE_AFTER_ROWS
    run = subprocess.Popen([sys.executable, "-c", script, str(data), str(stored)],
                           cwd=Path(__file__).resolve().parent.parent,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        writers = wait_for(lambda: len(children_of(run.pid)) >= 2 and children_of(run.pid),
                           timeout=120)
        assert writers and len(writers) == 2, "no writer processes"
        if when == "rows stored":
            assert wait_for(stored.exists, timeout=120), "the rows were never stored"
        os.kill(run.pid, signal.SIGKILL)  # as the OOM killer or an operator would
    finally:
        run.kill()
        run.wait()
        assert run.stderr is not None
        run.stderr.close()
    # The writer processes die with it, and the writer lock is free at once.
    wait_for(lambda: not any(alive(pid) for pid in writers), timeout=10)
    assert not [pid for pid in writers if alive(pid)]
    assert lock_is_free(data)
    # The previous index answers as before; the committed records are all in the archive.
    assert IndexHome(data).current_dir() == generation
    assert IndexHome.read_state(generation) == state
    assert _answers(SearchService(data)) == before
    assert _derived(data) == derived  # the stored rows were never committed
    with Archive(data) as archive:
        assert archive.count() == 260
        done = update_index(archive, data)  # the next run is complete
    assert done.indexed == 63 and done.total_documents == 260
    assert _answers(SearchService(data)) == _answers(SearchService(one))
    assert _derived(data) == _derived(one)
