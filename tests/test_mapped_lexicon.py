"""The "did you mean" lexicon written by the index writer and mapped by workers
(indexer.suggestions.MappedLexicon): the same answers as the lexicon a worker builds, and
never used when it does not describe the index the worker has open."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from indexer import gendata
from indexer.entities.registry import OfficialsRegistry
from indexer.search import SearchRequest, SearchService
from indexer.suggestions import (
    LEXICON_DIR,
    Lexicon,
    LexiconCache,
    LexiconUnavailable,
    MappedLexicon,
    build_apart,
    suggestions,
    write_lexicon,
)


@pytest.fixture(scope="module")
def generation(crawled):
    """(generation directory, TOC generation, index) of the crawled fixture sites."""
    service = SearchService(Path(crawled[0].config["DATA_DIR"]))
    current = service.generations.current()
    assert current is not None
    key = current[0].key
    return Path(key[0]), key[1], current[0].index


def both(generation) -> tuple[MappedLexicon, Lexicon]:
    directory, toc, index = generation
    with index.reader() as reader:
        mapped = gendata.load_lexicon(directory, reader, toc)
        built = Lexicon.from_reader(reader)
    assert isinstance(mapped, MappedLexicon)
    return mapped, built


def misspelt(word: str) -> list[str]:
    """A few misspellings of a word: a letter dropped, doubled, changed, two swapped."""
    middle = len(word) // 2
    return [word[:middle] + word[middle + 1:], word[:middle] + word[middle] + word[middle:],
            word[:-1] + ("a" if word[-1] != "a" else "e"),
            word[:1] + word[2:3] + word[1:2] + word[3:]]


def test_the_writer_s_lexicon_is_mapped_and_equal_to_the_built_one(generation) -> None:
    mapped, built = both(generation)
    for name in ("folded-blob", "exact-documents", "keys-entries"):
        assert isinstance(mapped.arrays[name], np.memmap)
    assert dict(mapped.folded) == dict(built.folded)
    assert dict(mapped.exact) == dict(built.exact)
    assert any(not t.isascii() for t in built.exact)  # Cyrillic spellings are there
    for term in built.spellings:
        for cyrillic in (False, True):
            assert mapped.spellings_in(term, cyrillic) == built.spellings_in(term, cyrillic)
            assert mapped.spelling(term, cyrillic) == built.spelling(term, cyrillic)
    assert mapped.spellings_in("nosuchterm", False) == []
    assert mapped.folded.get("nosuchterm", 0) == 0 and "nosuchterm" not in mapped.exact
    for term in sorted(built.folded)[::7]:
        for distance in (1, 2):
            assert mapped.near(term, distance) == built.near(term, distance)


def test_the_mapped_lexicon_suggests_what_the_built_one_does(generation) -> None:
    mapped, built = both(generation)
    officials = list(OfficialsRegistry.load().by_id.values())
    words = sorted(t for t in built.exact if len(t) >= 6)
    cyrillic = [w for w in words if not w.isascii()][:40]
    latin = [w for w in words if w.isascii()][::max(1, len(words) // 60)]
    queries = ["Lavrof", "Дачич", "Dačič", "terorism", "Vucic", "Вучич", "sanctons",
               "Лавроф", "ministar spoljnih poslova", 'exact:"Dacic" meeting']
    for word in cyrillic + latin:
        queries += misspelt(word) + [misspelt(word.capitalize())[0]]
    offered = 0
    for q in queries:
        for exact in (False, True):
            expected = suggestions(q, built, officials, exact, time_limit=None)
            assert suggestions(q, mapped, officials, exact, time_limit=None) == expected, q
            offered += bool(expected)
    assert offered > len(queries) // 2  # the queries do ask for corrections


def test_a_lexicon_built_apart_answers_as_one_built_here(generation) -> None:
    """A worker's own lexicon is read by a forked child and mapped from its files: the
    same terms, counts, spellings, near terms and suggestions, and no file left."""
    directory, toc, index = generation
    leftovers = set(Path(tempfile.gettempdir()).glob("communiques-lexicon-*"))
    with index.reader() as reader:
        built = Lexicon.from_reader(reader)
        apart = build_apart(reader, time.monotonic() + 120, 3_000_000, lambda: False)
    assert isinstance(apart, MappedLexicon)
    assert set(Path(tempfile.gettempdir()).glob("communiques-lexicon-*")) == leftovers
    assert dict(apart.folded) == dict(built.folded)
    assert dict(apart.exact) == dict(built.exact)
    for term in built.spellings:
        for cyrillic in (False, True):
            assert apart.spellings_in(term, cyrillic) == built.spellings_in(term, cyrillic)
    officials = list(OfficialsRegistry.load().by_id.values())
    for word in sorted(t for t in built.exact if len(t) >= 6)[::9]:
        assert apart.near(word, 2) == built.near(word, 2)
        for q in misspelt(word):
            assert suggestions(q, apart, officials, time_limit=None) == \
                suggestions(q, built, officials, time_limit=None), q


def test_a_lexicon_built_apart_gives_up_as_one_built_here_would(generation) -> None:
    directory, toc, index = generation
    with index.reader() as reader:
        with pytest.raises(LexiconUnavailable, match="over 10 terms"):
            build_apart(reader, time.monotonic() + 120, 10, lambda: False)
        with pytest.raises(LexiconUnavailable, match="not read in time"):
            build_apart(reader, time.monotonic() - 1, 3_000_000, lambda: False)
        with pytest.raises(LexiconUnavailable, match="no longer wanted"):
            build_apart(reader, time.monotonic() + 120, 3_000_000, lambda: True)


class _Info:
    def doc_frequency(self) -> int:
        return 2


class _Leaf:
    def iter_field(self, name: str):
        yield ("a\x00b" if name.endswith("exact") else "ab"), _Info()


class _Reader:
    def leaf_readers(self):
        return [(_Leaf(), 0)]


def test_a_lexicon_the_files_cannot_hold_is_built_here() -> None:
    # A term with a NUL character: the child cannot write it, so it is built in-process.
    lexicon = build_apart(_Reader(), time.monotonic() + 60, 100, lambda: False)
    assert type(lexicon) is Lexicon and dict(lexicon.exact) == {"a\x00b": 2}


class _SocketWatcher(_Reader):
    """A reader whose one term says whether a socket is open where it reads."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor

    def leaf_readers(self):
        watcher = self

        class Leaf:
            def iter_field(self, name: str):
                try:
                    os.fstat(watcher.descriptor)
                    yield "socketopen", _Info()
                except OSError:
                    yield "socketclosed", _Info()

        return [(Leaf(), 0)]


def test_a_lexicon_child_holds_none_of_the_server_s_sockets() -> None:
    # A child holding a web server's listening socket would keep a restarted server
    # from binding its port while it reads.
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        here = Lexicon.from_reader(_SocketWatcher(listening.fileno()))
        apart = build_apart(_SocketWatcher(listening.fileno()), time.monotonic() + 60, 100,
                            lambda: False)
    assert "socketopen" in here.folded
    assert isinstance(apart, MappedLexicon) and "socketclosed" in apart.folded


class _Slow(_Reader):
    """A reader that takes `seconds` over its one term."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def leaf_readers(self):
        seconds = self.seconds

        class Leaf:
            def iter_field(self, name: str):
                time.sleep(seconds)
                yield "slow", _Info()

        return [(Leaf(), 0)]


def test_a_stopping_worker_ends_its_lexicon_child_and_removes_its_files(
        tmp_path, monkeypatch) -> None:
    from indexer import suggestions as module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    failures: list[Exception] = []

    def build() -> None:
        try:
            build_apart(_Slow(60), time.monotonic() + 120, 100, lambda: False)
        except LexiconUnavailable as exc:
            failures.append(exc)

    builder = threading.Thread(target=build)
    builder.start()
    end = time.monotonic() + 30
    while not module._CHILDREN and time.monotonic() < end:
        time.sleep(0.01)
    assert module._CHILDREN and list(tmp_path.glob("communiques-lexicon-*"))
    module._end_children()  # what the worker's exit runs (atexit)
    builder.join(timeout=30)
    assert not builder.is_alive()
    assert len(failures) == 1 and "signal" in str(failures[0])
    assert not list(tmp_path.glob("communiques-lexicon-*")) and not module._CHILDREN


def test_an_orphaned_lexicon_child_removes_its_files(tmp_path, monkeypatch) -> None:
    """A worker killed outright (SIGKILL: no exit handlers) leaves its child reading;
    the child, finding itself orphaned, removes what it wrote."""
    from indexer import suggestions as module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    worker = os.fork()
    if worker == 0:  # a worker that starts a build, then dies without any cleanup
        threading.Thread(target=build_apart, daemon=True, args=(
            _Slow(1.5), time.monotonic() + 120, 100, lambda: False)).start()
        end = time.monotonic() + 30
        while not module._CHILDREN and time.monotonic() < end:  # the child is forked
            time.sleep(0.01)
        os._exit(0)
    os.waitpid(worker, 0)
    assert list(tmp_path.glob("communiques-lexicon-*"))  # the child is still reading
    end = time.monotonic() + 60
    while list(tmp_path.glob("communiques-lexicon-*")) and time.monotonic() < end:
        time.sleep(0.05)
    assert not list(tmp_path.glob("communiques-lexicon-*"))


def test_stale_damaged_or_missing_lexicon_is_not_used(generation, tmp_path) -> None:
    directory, toc, index = generation
    copy = tmp_path / "generation"
    shutil.copytree(directory, copy, ignore=shutil.ignore_patterns("segments"))
    target = copy / gendata.DATA_DIR / f"toc-{toc}" / LEXICON_DIR
    manifest = json.loads((target / "manifest.json").read_text())
    with index.reader() as reader:
        assert gendata.load_lexicon(copy, reader, toc) is not None
        # Written for another TOC (stale).
        (target / "manifest.json").write_text(json.dumps({**manifest, "toc": toc - 1}))
        assert gendata.load_lexicon(copy, reader, toc) is None
        # Written for other segments.
        (target / "manifest.json").write_text(json.dumps(
            {**manifest, "documents": manifest["documents"] + 1}))
        assert gendata.load_lexicon(copy, reader, toc) is None
        (target / "manifest.json").write_text(json.dumps(manifest))
        assert gendata.load_lexicon(copy, reader, toc) is not None
        # A damaged array, then an array of another write.
        saved = (target / "folded-documents.npy").read_bytes()
        (target / "folded-documents.npy").write_bytes(b"not numpy")
        assert gendata.load_lexicon(copy, reader, toc) is None
        np.save(target / "folded-documents.npy", np.zeros(3, np.int64))
        assert gendata.load_lexicon(copy, reader, toc) is None
        (target / "folded-documents.npy").write_bytes(saved)
        assert gendata.load_lexicon(copy, reader, toc) is not None
        shutil.rmtree(target)
        assert gendata.load_lexicon(copy, reader, toc) is None


def test_a_worker_maps_the_lexicon_and_builds_one_when_it_cannot(generation,
                                                                 tmp_path) -> None:
    directory, toc, index = generation
    cache = LexiconCache()
    assert cache.get(("elsewhere", toc), index.reader) is None  # asked: built off-path
    assert cache.wait_idle(120)
    assert cache.builds == 1 and cache.mapped == 0  # no data there: built
    # ...by a forked child, whose files it maps (build_apart).
    assert isinstance(cache.get(("elsewhere", toc), index.reader), MappedLexicon)
    cache.get((str(directory), toc), index.reader)
    assert cache.wait_idle(120)
    assert cache.builds == 2 and cache.mapped == 1
    assert isinstance(cache.get((str(directory), toc), index.reader), MappedLexicon)


def test_the_service_suggests_from_the_mapped_lexicon(crawled) -> None:
    service = SearchService(Path(crawled[0].config["DATA_DIR"]))
    service.did_you_mean(SearchRequest(q="Lavrof"))
    assert service.lexicons.wait_idle(120)
    assert service.lexicons.mapped == 1
    assert service.did_you_mean(SearchRequest(q="Lavrof"))[:2] == ["Lavrov", "Sergey Lavrov"]


def test_a_term_the_arrays_cannot_hold_leaves_the_lexicon_unwritten(tmp_path) -> None:
    lexicon = Lexicon.from_terms([("a\x00b", 2)], [("a\x00b", 2)])
    with pytest.raises(ValueError):
        write_lexicon(tmp_path, lexicon, {})
    assert not (tmp_path / LEXICON_DIR).exists()


def test_a_rebuild_writes_the_lexicon_and_an_update_leaves_it_to_the_workers(tmp_path) -> None:
    # An update's new documents are searchable as soon as it returns; the lexicon (about
    # 3 s at 100,000 documents) would hold that up, so after an update each worker builds
    # its own, as before the writer wrote them.
    from benchmarks.corpus import generate
    from indexer.archive import Archive
    from indexer.build import IndexHome, rebuild_index, update_index

    def current() -> tuple[tuple, object]:
        service = SearchService(tmp_path)
        generation = service.generations.current()
        assert generation is not None
        return generation[0].key, generation[0].index

    def written(key: tuple, index) -> bool:
        with index.reader() as reader:
            return gendata.load_lexicon(key[0], reader, key[1]) is not None

    records = list(generate(80))
    with Archive(tmp_path) as archive:
        archive.store_many(records[:60])
        rebuild_index(archive, tmp_path)
        assert written(*current())
        archive.store_many(records[60:])
        assert update_index(archive, tmp_path).indexed == 20
    key, index = current()
    assert Path(key[0]) == IndexHome(tmp_path).current_dir()
    assert not written(key, index)
    # A worker then builds its own, without waiting for one.
    cache = LexiconCache()
    cache.get((str(key[0]), key[1]), index.reader)
    assert cache.wait_idle(120)
    assert cache.builds == 1 and cache.mapped == 0  # built (apart), not the writer's files
    assert isinstance(cache.get((str(key[0]), key[1]), index.reader), MappedLexicon)
