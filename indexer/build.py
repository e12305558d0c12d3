"""Building the Whoosh index from the archive: incremental updates and blue/green rebuilds.

Layout under the data directory::

    whoosh/CURRENT -> gen-20261128T140102-1a2b   (symlink, switched atomically)
    whoosh/gen-.../segments/                      (the Whoosh index)
    whoosh/gen-.../state.json                     (archive sequence number indexed up to)
"""

from __future__ import annotations

import ctypes
import json
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import takewhile
from multiprocessing.connection import wait as wait_for_messages
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import FileIndex, Index

from indexer import gendata, whoosh_adapter
from indexer.archive import Archive
from indexer.entities import extractor_for
from indexer.entities.directory import (
    FoundDirectory,
    Sighting,
    Tallies,
    build_directory,
    merged,
    tally,
)
from indexer.entities.extract import (
    Entities,
    EntityExtractor,
    extraction_fingerprint,
    sightings,
)
from indexer.entities.kept import CACHE_DIR as KEPT_TABLES_DIR
from indexer.errors import IndexingError, WriterOrphaned
from indexer.events import store as events_store  # events (issue 11): derived like entities
from indexer.schema import build_schema, document_for
from indexer.segments import BulkSegmentWriter, share_writer
from scrapers.record import Communique

# An incremental update's pool spills to disk past this; non-compound segments let
# readers map files instead of copying postings into RAM (WHOOSH.md, trap 3).
WRITER_MEMORY_MB = 256
MAX_WRITER_PROCESSES = 2
PARALLEL_REBUILD_MIN_DOCUMENTS = 5000
# The memory (MB) each of a rebuild's writer processes may use: a setting, read from the
# environment when a rebuild starts. A writer cuts its share into segments small enough
# for it (see segment_postings_limit); more memory, fewer and larger segments.
WRITER_MEMORY_ENV = "COMMUNIQUES_WRITER_MEMORY_MB"
DEFAULT_WRITER_MEMORY_MB = 1024
MIN_WRITER_MEMORY_MB = 512
# Measured (a writer process at 20k-100k documents): about this much before its first
# segment (the registry, the gazetteer, its share's extracted entities), then about
# WRITER_BYTES_PER_WORD for each word of the segment it is writing, at the peak (the
# sort that inverts it). A communiqué is about 900 words (title and body, folded and exact).
# 28 bytes a word let a 1M rebuild's writers peak at 1,035 MB against the default 1,024;
# 30 leaves room for that and for the flat lists a segment keeps (indexer.flat_postings).
WRITER_BASE_MB = 350
WRITER_BYTES_PER_WORD = 30
# Tests set a fixed number of words a segment instead (None: from the memory setting).
SEGMENT_POSTINGS_LIMIT: int | None = None
PROGRESS_EVERY = 1000
# An update of this many communiqués or more is written by MAX_WRITER_PROCESSES writer
# processes, a part each (see update_processes).
PARALLEL_UPDATE_MIN_DOCUMENTS = 200
# Derived entities a writer process stores per transaction: few transactions, bounded memory.
ENTITY_BATCH = 5000
# Segments that updates add are merged by size tiers: a segment's tier is the number of
# times MERGE_FACTOR divides its live documents; when MERGE_FACTOR segments share a tier
# they become one segment of the next tier (deleted documents dropped), so an index
# holds fewer than MERGE_FACTOR segments per tier, and tiers grow logarithmically.
MERGE_FACTOR = 8
# Segments larger than this (a rebuild's, or merged ones grown past it) are never merged
# again by updates: Whoosh's merge copies postings one at a time, and a rebuild is the
# faster way to rewrite large ones.
MAX_MERGED_DOCUMENTS = 20_000
# Generations kept besides the current one, so a reader still using the previous
# index (a web worker mid-request) does not lose its files.
KEEP_OLD_GENERATIONS = 1
# prctl(2) option: the signal a process gets when the thread that forked it exits.
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class IndexUpdate:
    """What an index run did."""

    mode: str  # "incremental" | "rebuild"
    indexed: int
    total_documents: int
    generation_dir: Path
    procs: int = 1


class IndexHome:
    """The directory holding index generations and the CURRENT pointer."""

    def __init__(self, data_dir: Path | str) -> None:
        self.root = Path(data_dir) / "whoosh"
        self.current_link = self.root / "CURRENT"

    def current_dir(self) -> Path | None:
        """The generation directory CURRENT points to, or None before the first build."""
        try:
            target = os.readlink(self.current_link)
        except FileNotFoundError:
            return None
        path = self.root / target
        return path if (path / "segments").is_dir() else None

    @staticmethod
    def open(generation_dir: Path) -> FileIndex:
        return whoosh_index.open_dir(str(generation_dir / "segments"))

    def new_generation(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.root / f"gen-{stamp}-{uuid.uuid4().hex[:6]}"
        (path / "segments").mkdir(parents=True)
        return path

    def switch_to(self, generation_dir: Path) -> None:
        """Point CURRENT at a generation in one atomic rename."""
        temporary = self.root / f".CURRENT-{uuid.uuid4().hex}"
        os.symlink(generation_dir.name, temporary)
        os.replace(temporary, self.current_link)
        _fsync_dir(self.root)

    def discard_incomplete(self) -> list[Path]:
        """Delete generations a killed rebuild left half-written (no state.json, not
        CURRENT). Callers hold the writer lock, so no rebuild is writing one."""
        current = self.current_dir()
        incomplete = [p for p in self.root.glob("gen-*")
                      if p.is_dir() and p != current and not (p / "state.json").exists()]
        for path in incomplete:
            shutil.rmtree(path, ignore_errors=True)
        return incomplete

    def prune(self) -> None:
        current = self.current_dir()
        generations = sorted(
            (p for p in self.root.glob("gen-*") if p.is_dir() and p != current),
            key=lambda p: p.stat().st_mtime,
        )
        for old in generations[: max(0, len(generations) - KEEP_OLD_GENERATIONS)]:
            shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def read_state(generation_dir: Path) -> dict:
        try:
            return json.loads((generation_dir / "state.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {"last_seq": 0}

    @staticmethod
    def write_state(generation_dir: Path, state: dict) -> None:
        temporary = generation_dir / "state.json.tmp"
        with open(temporary, "w") as handle:
            json.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, generation_dir / "state.json")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_generation_data(generation_dir: Path, ix: Index, lexicon: bool = False,
                           added: list[gendata.SegmentData] | None = None) -> None:
    """The arrays every reader needs, computed once now (indexer.gendata), and with
    `lexicon` the "did you mean" lexicon. A failure only costs speed: readers then build
    the arrays (and the lexicon) themselves, as they did before.

    Only rebuilds write the lexicon: it costs about 3 s at 100,000 documents, a small part
    of a rebuild but most of what an update of 1,000 documents may take before they are
    searchable; after an update, each worker builds its own in the background."""
    try:
        gendata.write(generation_dir, ix, lexicon=lexicon, added=added or [])
    except Exception as error:  # noqa: BLE001 (the index itself is committed and sound)
        gendata.withdraw(generation_dir, ix.latest_generation())
        logging.getLogger("communiques").warning(
            "generation data not written (%s: %s); readers will build it",
            type(error).__name__, error)


def _keep_tables(data_dir: Path | str) -> None:
    """Let the officials registry and the gazetteer be kept parsed in the data directory
    (indexer.entities.kept): index runs load them first, before any writer starts."""
    try:
        (Path(data_dir) / KEPT_TABLES_DIR).mkdir(exist_ok=True)
    except OSError:
        pass  # only the time of parsing it again


def _verify(ix: Index, expected: int, what: str) -> int:
    # Whoosh can commit without a document that failed; never trust a commit blindly.
    count = ix.doc_count()
    if count != expected:
        raise IndexingError(
            f"{what}: index holds {count} documents, archive has {expected};"
            " run `communiques index --rebuild`"
        )
    return count


def writer_memory_mb() -> int:
    """The writer memory setting (COMMUNIQUES_WRITER_MEMORY_MB), or IndexingError saying
    what is wrong with it."""
    raw = os.environ.get(WRITER_MEMORY_ENV, "").strip()
    if not raw:
        return DEFAULT_WRITER_MEMORY_MB
    if not raw.isdigit() or int(raw) < MIN_WRITER_MEMORY_MB:
        raise IndexingError(f"{WRITER_MEMORY_ENV} must be a whole number of megabytes, at "
                            f"least {MIN_WRITER_MEMORY_MB} (got {raw!r})")
    return int(raw)


def segment_postings_limit(memory_mb: int, base_mb: float = WRITER_BASE_MB) -> int:
    """Words (and other postings) a writer process puts in one segment within `memory_mb`,
    beside `base_mb` the process holds already (at least WRITER_BASE_MB)."""
    if SEGMENT_POSTINGS_LIMIT is not None:
        return SEGMENT_POSTINGS_LIMIT
    base = max(base_mb, WRITER_BASE_MB)
    return max(1_000_000, int((memory_mb - base) * 2**20) // WRITER_BYTES_PER_WORD)


def resident_mb() -> float:
    """This process's resident memory now (MB; 0 where /proc is not there)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def writer_processes(documents: int) -> int:
    """Writer processes for a rebuild: both cores for a large one, one for a small one
    (a process costs its start-up, and each leaves a segment behind)."""
    if documents < PARALLEL_REBUILD_MIN_DOCUMENTS:
        return 1
    return max(1, min(MAX_WRITER_PROCESSES, os.cpu_count() or 1))


@dataclass
class _Share:
    """What one writer process made of its share of the archive."""

    segments: list
    indexed: int


def _index_share(
    segments_dir: str, data_dir: str, part: int, parts: int,
    progress: Callable[[int], None] | None, done: Any = None, parent_pid: int | None = None,
    directory_for: Callable[[Tallies], FoundDirectory] | None = None,
) -> _Share:
    """Index the communiqués whose archive seq is `part` modulo `parts` into new segments.

    Runs in a writer process (or in the caller for a one-process rebuild): it reads the
    archive itself, extracts entities and inverts documents, so the processes share
    nothing but the disk. Segments are cut to keep the process within the writer memory
    setting (`segment_postings_limit`).
    A writer process passes its parent's pid, and stops if it finds itself orphaned.

    Two passes over the share: the first extracts every communiqué's entities and tallies
    its found officials; `directory_for` turns the tallies (this share's, and in writer
    processes every share's, through the parent) into the corpus's directory of found
    officials; the second names them as the directory does and writes the documents.
    """
    ix = whoosh_index.open_dir(segments_dir)
    extractor = extractor_for(data_dir, found=False)
    segments = []
    indexed = 0
    writer = None  # made for the second pass: nothing is written before the directory
    found: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []
    # (communiqué id, key, publication date) of every found official named: staged in
    # the archive a batch at a time (replace_found takes them), not kept for the share.
    mentions: list[tuple[str, tuple[str, ...], date | None]] = []
    try:
        with Archive(data_dir, readonly=True) as archive, Archive(data_dir) as derived, \
                ExitStack() as stack:
            # First pass: entities, each text naming its found officials by itself.
            extracted = EntitySpill(data_dir)
            stack.callback(extracted.close)
            tallies: Tallies = {}
            for seq, record in archive.changes_since(0, shard=(part, parts)):
                _check_parent(parent_pid)
                entities = extractor.extract(record)
                extracted.add(seq, entities)
                if entities.found:
                    tally(sightings(record, entities), tallies)
            extracted.rewind()
            directory = (directory_for or _own_directory(data_dir))(tallies)
            named = extractor.with_directory(directory)
            readouts = events_store.DocumentReader(named)  # events (issue 11)
            # Segments sized beside what the process holds now (its registry, the
            # corpus's directory, the first pass's tallies), which grows with the archive
            # (at 1M past WRITER_BASE_MB), so the setting bounds the peak.
            limit = segment_postings_limit(writer_memory_mb(), resident_mb())
            # Second pass: the corpus's names, the documents.
            writer = share_writer(ix)
            for seq, record in archive.changes_since(0, shard=(part, parts)):
                _check_parent(parent_pid)
                cached = extracted.pop(seq)
                entities = named.renamed(cached) if cached else named.extract(record)
                writer.add_document(**document_for(record, entities))
                mentions += [(record.id, f.key, record.published) for f in entities.found]
                # Stored beside the version, so every surface shows what the index holds;
                # each writer process stores its own share, a batch at a time.
                found.append((seq, entities.officials, entities.countries))
                readouts.add(record, entities)  # events (issue 11): encounters, versions key
                if len(found) >= ENTITY_BATCH:
                    _check_parent(parent_pid)  # an orphan commits nothing
                    derived.set_entities(found)
                    derived.add_staged_mentions(mentions)
                    readouts.flush(derived)
                    found, mentions = [], []
                indexed += 1
                if writer.postings_count >= limit:
                    segments += writer.finish_segment()
                    writer = share_writer(ix)
                if indexed % PROGRESS_EVERY == 0 and progress:
                    progress(_count_done(done, indexed))
            _check_parent(parent_pid)
            derived.set_entities(found)
            derived.add_staged_mentions(mentions)
            readouts.flush(derived)
        segments += writer.finish_segment()
    except BaseException:
        if writer is not None:
            try:
                writer.cancel()
            except OSError:
                # Another writer process failing at once may have cleared the shared
                # temporary files first: the error to report is the one that stopped us.
                pass
        raise
    return _Share(segments, indexed)


class EntitySpill:
    """A writer's first-pass entities, kept in a temporary file of the data directory in
    seq order and read back in that order by the second pass, instead of in memory: at
    1M a share's were half a million Entities, most of a writer's peak past its memory
    setting (issue 18, item 4: spill to disk instead of growing)."""

    def __init__(self, data_dir: str) -> None:
        self._file = tempfile.TemporaryFile(dir=data_dir, prefix=".entities-")
        self._next: tuple[int, Entities] | None = None

    def add(self, seq: int, entities: Entities) -> None:
        """Keep a communiqué's entities (seqs ascending)."""
        # One pickle each: a Pickler kept open would remember every object it wrote.
        self._file.write(pickle.dumps((seq, entities), pickle.HIGHEST_PROTOCOL))

    def rewind(self) -> None:
        """Start reading back from the first."""
        self._file.seek(0)
        self._next = self._read()

    def pop(self, seq: int) -> Entities | None:
        """The entities kept for `seq` (asked in ascending order), or None when there
        are none (a communiqué new since the first pass). Those of seqs passed over (a
        communiqué changed since) are dropped."""
        while self._next is not None and self._next[0] < seq:
            self._next = self._read()
        if self._next is None or self._next[0] != seq:
            return None
        entities = self._next[1]
        self._next = self._read()
        return entities

    def _read(self) -> tuple[int, Entities] | None:
        try:
            return pickle.load(self._file)  # noqa: S301 (this process wrote it just now)
        except EOFError:
            return None

    def close(self) -> None:
        self._file.close()


def _own_directory(data_dir: str) -> Callable[[Tallies], FoundDirectory]:
    """A one-process rebuild's directory: built from its own (the whole archive's) tallies."""
    taken = set(extractor_for(data_dir, found=False).registry.by_id)
    return lambda tallies: build_directory(tallies, taken)


def _check_parent(parent_pid: int | None) -> None:
    # The portable check (and the only one off Linux): an orphan is adopted by another
    # process, so its parent pid changes.
    if parent_pid is not None and os.getppid() != parent_pid:
        raise WriterOrphaned(f"the rebuild (pid {parent_pid}) that started this writer died")


def _count_done(done: Any, indexed: int) -> int:
    """Documents indexed so far by all writer processes (a shared counter), or by this one."""
    if done is None:
        return indexed
    with done.get_lock():
        done.value += PROGRESS_EVERY
        return int(done.value)


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this writer process when the rebuild that forked it dies.

    The writer has nothing to save: its segments are only committed by the parent, and
    the next run deletes a generation left half-written. SIGKILL cannot be caught or
    blocked, so a writer stuck anywhere (even writing to its result pipe) still goes.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the parent-pid checks between documents remain
    # The parent may have died between the fork and prctl: then nothing would signal us.
    _check_parent(parent_pid)


def _share_in_child(sender: Any, directory_end: Any, parent_ends: list, parent_pid: int,
                    *args: Any) -> None:
    """A writer process: index one share and send it to the parent, or die with it. Half
    way, it sends its found officials' tallies and waits for the corpus's directory."""

    def directory_for(tallies: Tallies) -> FoundDirectory:
        return _exchanged(sender, directory_end, parent_pid, ("tallies", tallies), "rebuild")

    try:
        _die_with_parent(parent_pid)
        # The ends this process inherited belong to the parent: closed here, a pipe whose
        # reader died breaks (EPIPE) instead of blocking a writer forever, and one whose
        # writer died reads its end (EOF).
        for end in parent_ends:
            end.close()
        extra: dict[str, Any] = {"parent_pid": parent_pid, "directory_for": directory_for}
        result: tuple[str, Any] = ("ok", _index_share(*args, **extra))
    except WriterOrphaned:
        sender.close()
        return  # nobody is listening, and nothing was committed
    except BaseException as error:  # the parent reports it; a traceback here helps nobody
        result = ("error", f"{type(error).__name__}: {error}")
    try:
        _check_parent(parent_pid)
        sender.send(result)
    except (WriterOrphaned, OSError):
        pass  # the parent died meanwhile: nothing to deliver
    finally:
        sender.close()
        directory_end.close()


def _receive(process: Any, receiver: Any, expected: str) -> Any:
    """A writer process's next message, which must be `expected`."""
    try:
        status, payload = receiver.recv()
    except EOFError:
        process.join()
        raise IndexingError(f"a writer process died (exit code {process.exitcode})") from None
    if status != expected:
        raise IndexingError(f"a writer process failed: {payload}")
    return payload


def _receive_all(workers: list, expected: str) -> list:
    """Every writer process's next message, in part order. Read as they come, so that a
    writer that dies or fails stops the rebuild at once, not after the others finish."""
    results: dict[int, Any] = {}
    pending = {worker[1]: n for n, worker in enumerate(workers)}
    while pending:
        for receiver in wait_for_messages(list(pending)):
            n = pending.pop(receiver)
            results[n] = _receive(workers[n][0], receiver, expected)
    return [results[n] for n in range(len(workers))]


def _index_in_processes(
    segments_dir: str, data_dir: str, procs: int, progress: Callable[[int], None] | None
) -> tuple[list[_Share], FoundDirectory]:
    """Run `procs` writer processes over the archive's shards; stop them all if one fails.

    Half way, each sends the found officials of its share; the directory made of all of
    them goes back to each, so every process names a found official the same way.

    The writer processes die with this one (PR_SET_PDEATHSIG on Linux, a parent-pid check
    between documents elsewhere) and never hold the writer lock (indexer.lock closes it
    in a forked child), so a killed rebuild leaves nothing running and nothing locked.
    """
    context = multiprocessing.get_context("fork")  # children inherit the loaded registry
    done = context.Value("q", 0)
    workers: list[Any] = []
    shares = []
    try:
        _fork_writers(context, workers, procs, _share_in_child, lambda part: (
            segments_dir, data_dir, part, procs, progress, done))
        parts = _receive_all(workers, "tallies")
        taken = set(extractor_for(data_dir, found=False).registry.by_id)
        directory = build_directory(merged(parts), taken)
        for _, _, directory_sender in workers:
            directory_sender.send(("directory", directory))
        shares = _receive_all(workers, "ok")
    finally:
        _stop_writers(workers, finished=len(shares) == procs)
    return shares, directory


def _exchanged(sender: Any, directory_end: Any, parent_pid: int, message: tuple,
               run: str) -> Any:
    """In a writer process: send the parent `message` (its found officials half way) and
    return what it sends back ("directory", ...); WriterOrphaned when the parent (the
    `run`: rebuild or update) died or stopped."""
    _check_parent(parent_pid)
    sender.send(message)
    try:
        status, answer = directory_end.recv()
    except (EOFError, OSError):  # the parent died: its end of the pipe closed
        raise WriterOrphaned(f"the {run} (pid {parent_pid}) died") from None
    if status != "directory":
        raise WriterOrphaned(f"the {run} stopped")
    return answer


def _fork_writers(context: Any, workers: list[Any], procs: int, target: Callable[..., None],
                  arguments: Callable[[int], tuple]) -> None:
    """Start `procs` writer processes, each running target(sender, directory_end,
    parent_ends, parent_pid, *arguments(k)), and add (process, receiver,
    directory_sender) to `workers` as each starts, so that a failure part way stops the
    ones started. A child closes the parent's ends of every pipe (`parent_ends`)."""
    for k in range(procs):
        receiver, sender = context.Pipe(duplex=False)
        directory_end, directory_sender = context.Pipe(duplex=False)
        parent_ends = [end for worker in workers for end in worker[1:]] + [
            receiver, directory_sender]
        process = context.Process(target=target, daemon=True, args=(
            sender, directory_end, parent_ends, os.getpid(), *arguments(k)))
        process.start()
        sender.close()
        directory_end.close()
        workers.append((process, receiver, directory_sender))


def _stop_writers(workers: list[Any], finished: bool) -> None:
    """Wait for the writer processes (stopping them first unless every one finished) and
    close the parent's pipe ends."""
    for process, receiver, directory_sender in workers:
        if not finished:
            process.terminate()
        process.join()
        receiver.close()
        directory_sender.close()


def _run_alongside(work: Callable[[], None], parent_pid: int) -> None:
    """The forked process of `_alongside`: `work`, then exit 0; dies with the rebuild."""
    _die_with_parent(parent_pid)
    work()


@contextmanager
def _alongside(work: Callable[[], None], failed: Callable[[], None]) -> Iterator[None]:
    """Run `work` in a forked process while the block runs; after the block, wait for it.
    `work` reports its own errors (it must not raise); if the process dies otherwise
    (killed, out of memory), `failed` runs here. If the block raises, the process is
    stopped first. Where fork is not available, `work` runs here before the block."""
    if "fork" not in multiprocessing.get_all_start_methods():
        work()
        yield
        return
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_run_alongside, args=(work, os.getpid()), daemon=True)
    process.start()
    try:
        yield
    except BaseException:
        process.terminate()
        process.join()
        raise
    process.join()
    if process.exitcode != 0:
        logging.getLogger("communiques").warning(
            "generation data not written (its process ended with %s); readers will build it",
            process.exitcode)
        failed()


def _commit_segments(ix: Index, segments: list) -> None:
    """Make the segments the writer processes wrote the index's contents (one TOC write)."""
    whoosh_adapter.commit_segments(ix, segments)


def rebuild_index(
    archive: Archive, data_dir: Path | str, progress: Callable[[int], None] | None = None,
    procs: int | None = None,
) -> IndexUpdate:
    """Build a complete new index generation, verify it, then switch to it."""
    writer_memory_mb()  # a bad setting is an error before anything is written
    home = IndexHome(data_dir)
    home.discard_incomplete()
    generation = home.new_generation()
    try:
        last_seq = archive.max_seq()
        segments_dir = str(generation / "segments")
        ix = whoosh_index.create_in(segments_dir, build_schema())
        procs = procs or writer_processes(archive.count())
        if not whoosh_adapter.FAST_PATHS:
            procs = 1  # Whoosh's own writer holds the index lock: one writer at a time
        fingerprint = extraction_fingerprint(str(data_dir))
        # Loaded once here: forked writer processes inherit the registry and gazetteer.
        _keep_tables(data_dir)
        extractor_for(str(data_dir))
        archive.stage_found_mentions()  # the writers add to it
        if procs == 1:
            built: list[FoundDirectory] = []

            def directory_for(tallies: Tallies) -> FoundDirectory:
                built.append(_own_directory(str(data_dir))(tallies))
                return built[0]

            shares = [_index_share(segments_dir, str(data_dir), 0, 1, progress,
                                   directory_for=directory_for)]
            directory = built[0]
        else:
            shares, directory = _index_in_processes(segments_dir, str(data_dir), procs,
                                                    progress)
        _commit_segments(ix, [segment for share in shares for segment in share.segments])
        total = _verify(ix, archive.count(), "rebuild")
        # Before CURRENT switches: no reader ever opens this generation without its data.
        # Written by a forked process meanwhile (the lexicon is seconds at 100,000
        # documents), so the two cores share the work after the writers: this process
        # stores the found officials and groups the events.
        with _alongside(lambda: _write_generation_data(generation, ix, lexicon=True),
                        lambda: gendata.withdraw(generation, ix.latest_generation())):
            # The found officials the new index names, before the state that makes it
            # current (a changed state is how readers notice to reload them).
            archive.replace_found(list(directory.entries.values()))  # mentions staged
            # Events (issue 11): versions and events need every communiqué's rows, which
            # the writers stored; grouped here, before the state that makes it current.
            events_store.rebuild(archive)
        home.write_state(generation, {"last_seq": last_seq, "entities": fingerprint,
                                      "events": events_store.EVENTS_VERSION})
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    home.switch_to(generation)
    home.prune()
    return IndexUpdate("rebuild", sum(share.indexed for share in shares), total, generation,
                       procs)


@dataclass
class _UpdatePart:
    """What one writer (the updating process, or one of its writer processes) made of its
    part of an update: its segment and the derived rows the parent stores."""

    segments: list
    # (seq, officials, countries) of each communiqué, for Archive.set_entities.
    found: list[tuple[int, tuple[str, ...], tuple[str, ...]]]
    # (communiqué id, key, publication date) of every found official it names.
    mentions: list[tuple[str, tuple[str, ...], date | None]]
    # Events (issue 11): event_documents and encounters rows (events_store.DocumentReader).
    documents: list[tuple]
    encounters: list[tuple]
    # Its segments' share of the generation data, when a writer process computed it.
    data: list[gendata.SegmentData] = field(default_factory=list)


class _WhooshUpdates:
    """Whoosh's own writer in the bulk writer's place when the fast paths are off: each
    document replaces its previous version (update_document), committed by the caller."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def add_document(self, **fields: Any) -> None:
        self._writer.update_document(**fields)

    def finish_segment(self) -> list:
        return []

    def cancel(self) -> None:
        pass  # the caller cancels its writer


def _update_part(
    read: Callable[[], Iterable[tuple[int, Communique]]], new_sink: Callable[[], Any],
    extractor: EntityExtractor, directory_for: Callable[[list[Sighting]], FoundDirectory],
    progress: Callable[[int], None] | None = None, done: Any = None,
    parent_pid: int | None = None, rows_ready: Callable[[_UpdatePart], None] | None = None,
) -> _UpdatePart:
    """Write the communiqués `read()` gives (seq, record), in that order, to segments of
    `new_sink()` (bulk segment writers, or Whoosh's writer without the fast paths), with
    their entities and events; a segment is cut at the writer memory setting's postings
    (as a rebuild's), so a large update stays within it.

    Two passes, as a rebuild's share: the first extracts every record's entities and
    gives its sightings of found officials to `directory_for`, which returns the
    directory after the whole update (people none named before join it, each under one
    name); the second names them as it does and writes the documents. Nothing is stored
    in the archive here: the caller stores the rows it returns, and cancels the last
    writer `new_sink` made if this fails. `rows_ready` gets the part with its rows (no
    segments yet) before the last segment is written, so that a writer process's parent
    stores them and regroups events meanwhile."""
    part = _UpdatePart([], [], [], [], [])
    extracted = []
    seen: list[Sighting] = []
    for _seq, record in read():
        _check_parent(parent_pid)
        entities = extractor.extract(record)
        extracted.append(entities)
        seen += sightings(record, entities)
    directory = directory_for(seen)
    # No one new (the usual update): the extractor names them as a new one would, and
    # making one costs each writer about 0.1 s at 100,000 documents.
    named = extractor if directory.entries == extractor.directory.entries \
        else extractor.with_directory(directory)
    readouts = events_store.DocumentReader(named)  # events (issue 11)
    limit = segment_postings_limit(writer_memory_mb())
    sink = new_sink()
    for n, ((seq, record), cached) in enumerate(zip(read(), extracted, strict=True), 1):
        _check_parent(parent_pid)
        entities = named.renamed(cached)
        sink.add_document(**document_for(record, entities))
        part.mentions += [(record.id, f.key, record.published) for f in entities.found]
        part.found.append((seq, entities.officials, entities.countries))
        readouts.add(record, entities)
        if getattr(sink, "postings_count", 0) >= limit:
            part.segments += sink.finish_segment()
            sink = new_sink()
        if progress and n % PROGRESS_EVERY == 0:
            progress(_count_done(done, n))
    _check_parent(parent_pid)
    part.documents, part.encounters = readouts.documents, readouts.encounters
    if rows_ready is not None:
        rows_ready(part)
    part.segments += sink.finish_segment()
    return part


def _update_part_in_child(sender: Any, directory_end: Any, parent_ends: list,
                          parent_pid: int, ix: Index, data_dir: str, after: int, last: int,
                          extractor: EntityExtractor, progress: Callable[[int], None] | None,
                          done: Any) -> None:
    """A writer process of an update: the communiqués whose current version's seq is in
    (after, last], read from the archive and written to new segments. It sends the
    parent its sightings of found officials half way (and waits for the directory's new
    entries), its derived rows once every document is added, then its segments once
    written; or an error."""

    def directory_for(seen: list[Sighting]) -> FoundDirectory:
        added = _exchanged(sender, directory_end, parent_pid, ("sightings", seen), "update")
        return FoundDirectory({**extractor.directory.entries, **added})

    def rows_ready(part: _UpdatePart) -> None:
        # The derived rows now, the segments when written: the parent stores the rows
        # and regroups events while this process writes its segment.
        _check_parent(parent_pid)
        sender.send(("rows", _UpdatePart([], part.found, part.mentions, part.documents,
                                         part.encounters)))
        part.found, part.mentions, part.documents, part.encounters = [], [], [], []

    try:
        _die_with_parent(parent_pid)
        for end in parent_ends:  # see _share_in_child
            end.close()
        # A failure here cancels no segment writer: cancelling one deletes the temporary
        # files of every writer of the index, the parent's too (Whoosh shares one
        # temporary directory). The parent's writer deletes them when it is done, and
        # its next commit the segment files this process leaves.
        with Archive(data_dir, readonly=True) as archive:
            def read() -> Iterator[tuple[int, Communique]]:
                return takewhile(lambda change: change[0] <= last,
                                 archive.changes_since(after))

            segments = _update_part(
                read, lambda: BulkSegmentWriter(ix, locked=False, compound=False,
                                                compress=False),
                extractor, directory_for, progress, done, parent_pid, rows_ready).segments
            result: tuple[str, Any] = ("ok", (segments, _segments_data(ix, segments)))
    except WriterOrphaned:
        sender.close()
        return
    except BaseException as error:  # the parent reports it
        result = ("error", f"{type(error).__name__}: {error}")
    try:
        _check_parent(parent_pid)
        sender.send(result)
    except (WriterOrphaned, OSError):
        pass
    finally:
        sender.close()
        directory_end.close()


def _segments_data(ix: Index, segments: list) -> list[gendata.SegmentData]:
    """In a writer process: its segments' share of the generation data, which the
    updating process would otherwise read after the commit (about half of writing it).
    A failure only leaves the reading to it."""
    try:
        return [gendata.segment_data(ix, segment) for segment in segments]
    except Exception:  # noqa: BLE001 (the commit's data reads the segments itself)
        return []


def _update_in_processes(
    ix: Index, data_dir: str, seqs: list[int], after: int, extractor: EntityExtractor,
    procs: int, directory_for: Callable[[list[Sighting]], FoundDirectory],
    progress: Callable[[int], None] | None, while_waiting: Callable[[], None],
    with_rows: Callable[[list[_UpdatePart]], None],
) -> list[_UpdatePart]:
    """Write the update (the communiqués of `seqs`, their current versions' seqs in
    order, all past `after`) in `procs` forked writer processes, each a contiguous run of
    them, so the segments hold the documents in the order one writer would write them.
    `while_waiting` runs in this process meanwhile, and `with_rows` with every process's
    derived rows while they write their segments.

    The processes inherit the loaded extractor; they die with this one and never hold a
    lock (see _index_in_processes). One failing stops the update."""
    context = multiprocessing.get_context("fork")
    done = context.Value("q", 0)
    cuts = [after] + [seqs[len(seqs) * k // procs - 1] for k in range(1, procs)] + [seqs[-1]]
    workers: list[Any] = []
    parts: list[_UpdatePart] = []
    finished = False
    try:
        _fork_writers(context, workers, procs, _update_part_in_child, lambda k: (
            ix, data_dir, cuts[k], cuts[k + 1], extractor, progress, done))
        while_waiting()
        seen = [s for part in _receive_all(workers, "sightings") for s in part]
        directory = directory_for(seen)
        old = extractor.directory.entries
        added = {k: e for k, e in directory.entries.items() if k not in old}
        for _, _, directory_sender in workers:
            directory_sender.send(("directory", added))
        parts = _receive_all(workers, "rows")
        with_rows(parts)
        for part, (segments, data) in zip(parts, _receive_all(workers, "ok"), strict=True):
            part.segments, part.data = segments, data
        finished = True
    finally:
        _stop_writers(workers, finished=finished)
    return parts


def update_processes(documents: int) -> int:
    """Writer processes for an update: both cores past PARALLEL_UPDATE_MIN_DOCUMENTS (the
    update's documents are searchable sooner), one below (a process costs its fork and
    leaves a segment)."""
    if documents < PARALLEL_UPDATE_MIN_DOCUMENTS or not whoosh_adapter.FAST_PATHS:
        return 1
    return max(1, min(MAX_WRITER_PROCESSES, os.cpu_count() or 1))


def update_index(
    archive: Archive, data_dir: Path | str, progress: Callable[[int], None] | None = None
) -> IndexUpdate:
    """Index what the archive gained since the last run (a first run builds from scratch)."""
    home = IndexHome(data_dir)
    home.discard_incomplete()
    generation = home.current_dir()
    if generation is None:
        return rebuild_index(archive, data_dir, progress)
    state = home.read_state(generation)
    fingerprint = extraction_fingerprint(str(data_dir))
    if state.get("entities") != fingerprint or \
            state.get("events") != events_store.EVENTS_VERSION:
        # The registry, the gazetteer or the extraction changed since the index was built
        # (or the events reading, issue 11): every communiqué's officials and countries
        # (and encounters) are recomputed, so a rebuild.
        return rebuild_index(archive, data_dir, progress)
    last_seq = state["last_seq"]
    _keep_tables(data_dir)
    ix = home.open(generation)
    # Only the ids and seqs are kept here: each writer reads its communiqués itself.
    seqs, changed = [], []
    for seq, record in archive.changes_since(last_seq):
        seqs.append(seq)
        changed.append(record.id)
    newest = max([last_seq, *seqs])
    extractor = extractor_for(str(data_dir))
    old = extractor.directory
    taken = set(extractor.registry.by_id)

    extended: list[FoundDirectory] = []

    def directory_for(seen: list[Sighting]) -> FoundDirectory:
        # People none named before join the directory, each under one name, before any
        # document is written (the names already given stay).
        extended.append(old.extended(seen, taken))
        return extended[0]

    procs = update_processes(len(seqs))
    # Forked before this process takes the index lock: the writer processes never hold it.
    writer = None
    sinks: list[Any] = []  # the segment writer of this process, until it is written
    parts: list[_UpdatePart] = []
    before: Any = None
    # The archive's writes of the update (derived rows, events, found officials) are one
    # transaction, begun after the writer processes are forked (a forked child must not
    # inherit a connection in a transaction) and committed before the index is: a
    # failure anywhere leaves every derived row as it was, and no search of the new
    # commit reads events or versions older than it. Its pages stay in SQLite's log
    # until the next update's start (or any other commit) copies them to the database.
    stored = ExitStack()

    def deletions() -> None:
        nonlocal writer, before
        # What the log holds (the previous update's rows, whose commit left them there)
        # is copied to the database file now, while the writer processes work.
        archive.checkpoint()
        stored.enter_context(archive.transaction(checkpoint=False))
        # Whoosh's writer holds the index lock and marks the changed communiqués' old
        # documents deleted in the segments they are in; with the fast paths on, the new
        # and changed documents go to new segments the bulk writer inverts in memory
        # (Whoosh's own per-document pool, sort and merge took about two thirds of an
        # update), one per writer process.
        writer = ix.writer(limitmb=WRITER_MEMORY_MB, compound=False)
        if whoosh_adapter.FAST_PATHS:
            for communique_id in _previously_indexed(generation, ix, changed):
                writer.delete_by_term("id", communique_id)  # its previous version
        # Events (issue 11): what the updated communiqués touched before the update.
        before = events_store.touched(archive, changed)

    def store_rows(parts: list[_UpdatePart]) -> None:
        # Events (issue 11): the updated communiqués' rows, then what they touched
        # (before and after) regrouped; their entities and found officials.
        documents = [row for part in parts for row in part.documents]
        if documents:
            archive.set_event_documents(
                documents, [row for part in parts for row in part.encounters])
        events_store.update(archive, changed, before)
        archive.set_entities([row for part in parts for row in part.found])
        directory = extended[0] if extended else old
        archive.update_found([e for k, e in directory.entries.items()
                              if k not in old.entries],
                             changed, [m for part in parts for m in part.mentions])

    try:
        with stored:
            if procs > 1:
                parts = _update_in_processes(ix, str(data_dir), seqs, last_seq, extractor,
                                             procs, directory_for, progress, deletions,
                                             store_rows)
            else:
                deletions()

                def new_sink() -> Any:
                    sinks[:] = [BulkSegmentWriter(ix, locked=False, compound=False,
                                                  compress=False)
                                if whoosh_adapter.FAST_PATHS else _WhooshUpdates(writer)]
                    return sinks[0]

                parts = [_update_part(lambda: archive.changes_since(last_seq), new_sink,
                                      extractor, directory_for, progress,
                                      rows_ready=lambda part: store_rows([part]))]
                sinks.clear()  # its segments are written
    except BaseException:
        if writer is not None:
            writer.cancel()  # first: it releases the index lock
        for sink in sinks:
            try:
                sink.cancel()
            except OSError:
                pass  # the writers share a temporary directory, which the first cleared
        raise
    assert writer is not None
    indexed = len(seqs)
    added = [segment for part in parts for segment in part.segments]
    if indexed:
        # Readers that open the new commit before its data is written wait for it.
        announced = ix.latest_generation() + 1  # Whoosh numbers each commit's TOC so
        gendata.announce(generation, announced)
        try:
            # The existing segments (with their deletions) and the new ones, unmerged:
            # one table-of-contents write.
            if whoosh_adapter.FAST_PATHS:
                writer.commit(mergetype=lambda _writer, existing: [*existing, *added])
            else:
                writer.commit()
        except BaseException:
            gendata.withdraw(generation, announced)
            raise
        if ix.latest_generation() != announced:
            gendata.withdraw(generation, announced)
    else:
        writer.cancel()
    try:
        total = _verify(ix, archive.count(), "incremental update")
    finally:
        if indexed:
            _write_generation_data(generation, ix,
                                   added=[data for part in parts for data in part.data])
    home.write_state(generation, {"last_seq": newest, "entities": fingerprint,
                                  "events": events_store.EVENTS_VERSION})
    if indexed and whoosh_adapter.FAST_PATHS:
        # After the update is searchable: a reader opens the merged commit when it is
        # committed, with its data, and meanwhile searches the update's commit.
        _merge_tiers(generation, ix, total)
    return IndexUpdate("incremental", indexed, total, generation, procs)


def _previously_indexed(generation: Path, ix: Index, ids: list[str]) -> list[str]:
    """The ids that documents of the index's commit may have (all of them, without its
    generation data): only those need deleting. A deletion by term looks the id up in
    every segment, 38,000 lookups (1.4 s) for 1,000 new communiqués at 1M."""
    with ix.reader() as reader:
        data = gendata.load(generation, reader, ix.latest_generation())
    return ids if data is None else gendata.indexed(data, ids)


def _tier(documents: int) -> int:
    size, tier = max(documents, 1), 0
    while size >= MERGE_FACTOR:
        size //= MERGE_FACTOR
        tier += 1
    return tier


def segments_to_merge(segments: list) -> list:
    """The segments to merge into one so that no tier holds MERGE_FACTOR segments: those
    of every full tier, and again while the merged segment fills the tier it lands in
    (segments past MAX_MERGED_DOCUMENTS are left as they are)."""
    chosen: list = []
    rest = [segment for segment in segments if segment.doc_count() <= MAX_MERGED_DOCUMENTS]
    while True:
        merged = _tier(sum(s.doc_count() for s in chosen)) if chosen else None
        tiers: dict[int, list] = {}
        for segment in rest:
            tiers.setdefault(_tier(segment.doc_count()), []).append(segment)
        full = [t for t, members in tiers.items()
                if len(members) + (t == merged) >= MERGE_FACTOR]
        if not full:
            return chosen
        taken = [segment for t in sorted(full) for segment in tiers[t]]
        chosen += taken
        rest = [segment for segment in rest if segment not in taken]


def _merge_tiers(generation: Path, ix: Index, expected: int) -> None:
    """Merge full tiers into one segment each (Whoosh's own merge, which leaves deleted
    documents out), in a commit of its own with its generation data. A failure leaves
    the update's commit as it is."""
    from whoosh.reading import SegmentReader

    if not segments_to_merge(ix._segments()):  # type: ignore[attr-defined]
        return
    writer = ix.writer(limitmb=WRITER_MEMORY_MB, compound=False)

    def policy(merging: Any, existing: list) -> list:
        chosen = segments_to_merge(existing)
        for segment in chosen:
            merging.add_reader(SegmentReader(merging.storage, merging.schema, segment))
        return [segment for segment in existing if segment not in chosen]

    announced = ix.latest_generation() + 1
    gendata.announce(generation, announced)
    try:
        writer.commit(mergetype=policy)
    except Exception as error:  # noqa: BLE001 (the update is committed and sound)
        gendata.withdraw(generation, announced)
        try:
            writer.cancel()  # the lock, if the commit failed before releasing it
        except Exception:  # noqa: BLE001, S110 (closed already)
            pass
        logging.getLogger("communiques").warning(
            "segments not merged (%s: %s)", type(error).__name__, error)
        return
    if ix.latest_generation() != announced:
        gendata.withdraw(generation, announced)
    try:
        _verify(ix, expected, "merge")
    finally:
        _write_generation_data(generation, ix)
