"""The generation cache: what the read side keeps of the index generation it searches.

A generation is one commit of one index directory (`IndexHome` switches directories on a
rebuild; each commit of a directory is a new generation number). What is read of it once
(the facet tables, the bulk evaluator's field lengths, the versions of one text) and the
results of the searches made on it live in a `Generation`, and are dropped with it when
the index changes. Each thread keeps its own Whoosh searcher on the current generation
(searchers are not shared between threads), reopened when the generation changes.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from indexer import gendata
from indexer.backend import SearchResults
from indexer.build import IndexHome
from indexer.bulk import BulkEvaluator
from indexer.facets import FacetTables

if TYPE_CHECKING:
    from whoosh.index import FileIndex
    from whoosh.searching import Searcher

    from indexer.events.collapse import VersionTables

# Searches remembered per index generation. As many as the rendered /api/search responses
# in front of it (webapp.api.RENDERED_SEARCHES): at 1,024 a worker's cache grew to about
# 120,000 objects (facet values, histogram bars, hits) that every full garbage collection
# scans, and about 20 MB (100k documents, 800 cold searches in one process: RSS 176 ->
# 156 MB, full collections two -> one).
RESULT_CACHE_SIZE = 256
# After an incremental commit, the writer writes the new generation's data (indexer.gendata)
# a moment after the commit itself, and announces it before. A reader that sees the commit
# first waits for it up to this long (idle, where building the arrays would cost it as
# long in CPU and memory), then builds them itself.
GENERATION_DATA_WAIT = 15.0
GENERATION_DATA_POLL = 0.05
# A directory's mtime is trusted to change with its contents once it is this old: file
# times come from a coarse kernel clock (a tick of a few ms), so two changes within a tick
# can leave the same mtime.
MTIME_TRUSTED_AFTER_NS = 1_000_000_000


def freeze_long_lived() -> None:
    """Collect, then move every object alive into the collector's permanent generation
    (`gc.freeze`), which no later collection scans: a serving worker's long-lived objects
    (the officials registry, the gazetteer, modules; about 144,000 objects at 10k documents)
    made each full collection take about 90 ms, inside whichever request triggered it.
    Objects frozen before are thawed first, so a cycle among them that is garbage now is
    collected rather than kept for the process's life."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@dataclass
class Generation:
    """What the read side keeps of one index generation."""

    key: tuple[str, int]  # (index directory, generation number)
    index: FileIndex
    tables: FacetTables
    bulk: BulkEvaluator  # keeps the generation's field lengths
    cache: OrderedDict = field(default_factory=OrderedDict)  # request key -> SearchResults
    versions: VersionTables | None = None  # events (issue 11): read on first use
    # "Did you mean" answers: (query, exact) -> (the lexicon they were found with, them).
    suggested: dict[tuple[str, bool], tuple[object, list[str]]] = field(default_factory=dict)

    def cached(self, key: Hashable) -> SearchResults | None:
        """The results remembered for a search on this generation, if any."""
        results = self.cache.get(key)
        if results is not None:
            self.cache.move_to_end(key)  # least recently used goes first
        return results

    def remember(self, key: Hashable, results: SearchResults) -> None:
        """Keep a search's results, forgetting the least recently used past the bound."""
        self.cache[key] = results
        if len(self.cache) > RESULT_CACHE_SIZE:
            self.cache.popitem(last=False)

    @property
    def tag(self) -> str:
        """Names this generation (directory and number): for ETags and caches."""
        directory, number = self.key
        return f"{Path(directory).name}.{number}"

    @property
    def document_count(self) -> int:
        """Documents searchable in this generation (deleted ones left out)."""
        return int(self.tables.live.sum())


class Generations:
    """The current generation of a data directory's index, opened read-only and followed
    across commits and rebuilds, with this thread's searcher on it."""

    def __init__(self, data_dir: Path | str) -> None:
        self.home = IndexHome(Path(data_dir))
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        # (generation key, CURRENT's target, the segments directory's inode, mtime, size)
        # when the generation was last found to be the current one (see `_unchanged`).
        self._seen: tuple[tuple[str, int], str, tuple[int, int, int]] | None = None
        self._local = threading.local()
        # Set by a serving worker that froze its long-lived objects after its warm-up
        # (webapp.start_warm_up): each new generation thaws them, collects and freezes
        # again, so that the generation replaced, if a reference cycle holds it (an
        # exception's traceback and its frames), is freed now rather than kept frozen
        # (the generation itself, its searchers and tables hold no cycle: they go with
        # their last reference, frozen or not). Off in tests and the command line's
        # writers, which must not freeze their whole process.
        self.refreeze = False

    def _unchanged(self, generation: Generation | None) -> bool:
        """Whether the open generation is still the current one, told by CURRENT's target
        and the segments directory's stat alone (every request asks, twice; listing the
        directory for its newest TOC cost more than a cached search)."""
        seen = self._seen
        if generation is None or seen is None or seen[0] != generation.key:
            return False
        try:
            target = os.readlink(self.home.current_link)
            stat = os.stat(os.path.join(generation.key[0], "segments"))
        except OSError:
            return False
        return target == seen[1] and (stat.st_ino, stat.st_mtime_ns, stat.st_size) == seen[2]

    def _remember(self, generation: Generation, started: int) -> None:
        """Note what `_unchanged` compares, if it can be trusted: a directory modified
        within a second of `started` (when its TOCs were listed) could be modified again
        within the file system's clock tick and keep its mtime, so it is listed again."""
        self._seen = None
        try:
            target = os.readlink(self.home.current_link)
            stat = os.stat(os.path.join(generation.key[0], "segments"))
        except OSError:
            return
        if started - stat.st_mtime_ns > MTIME_TRUSTED_AFTER_NS \
                and str(self.home.root / target) == generation.key[0]:
            self._seen = (generation.key, target, (stat.st_ino, stat.st_mtime_ns, stat.st_size))

    def current(self) -> tuple[Generation, Searcher] | None:
        """The current generation and this thread's searcher on it (None before any index)."""
        generation = self._generation
        opened = False
        if not self._unchanged(generation):
            started = time.time_ns()
            directory = self.home.current_dir()
            if directory is None:
                return None
            with self._lock:
                generation = self._generation
                if generation is None or generation.key[0] != str(directory):
                    index = IndexHome.open(directory)
                else:
                    index = generation.index
                key = (str(directory), index.latest_generation())
                if generation is None or generation.key != key:
                    generation = self._open(index, directory, key)
                    self._generation = generation
                    opened = True
                self._remember(generation, started)
        assert generation is not None
        searcher = getattr(self._local, "searcher", None)
        if getattr(self._local, "key", None) != generation.key or searcher is None:
            if searcher is not None:
                searcher.close()  # its files may belong to a generation being pruned
            searcher = generation.index.searcher()
            self._local.searcher = searcher
            self._local.key = generation.key
        if opened and self.refreeze:
            # After this thread's searcher on the replaced generation is closed and let
            # go: one full collection per new generation, in the request that opened it
            # (which also pays for opening it; a collection stops every thread anyway).
            freeze_long_lived()
        return generation, searcher

    @staticmethod
    def _open(index: FileIndex, directory: Path, key: tuple[str, int]) -> Generation:
        """A generation's tables and lengths: mapped from the data the writer wrote for
        this commit (waited for while the writer announces it is writing it), or, without
        usable data (an older index, a stale or damaged file, another fast-paths setting),
        built from the index as before."""
        deadline = time.monotonic() + GENERATION_DATA_WAIT
        while gendata.pending(directory, key[1]) and time.monotonic() < deadline:
            time.sleep(GENERATION_DATA_POLL)
        # Where the segments' files are (their flat lists: indexer.flat_postings).
        folder = getattr(index.storage, "folder", None)
        segments = Path(folder) if folder else None
        with index.reader() as reader:
            data = gendata.load(directory, reader, key[1])
            if data is not None:
                tables = FacetTables.from_data(data)
                bulk = BulkEvaluator(tables.live, segments)
                bulk.use_lengths(reader, data.lengths)
            else:
                tables = FacetTables(reader)
                bulk = BulkEvaluator(tables.live, segments)
                # Read now rather than by the first search after each update.
                bulk.preload_lengths(reader, ("title", "body"))
        return Generation(key, index, tables, bulk)
