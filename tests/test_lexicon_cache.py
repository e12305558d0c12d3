""""Did you mean" lexicon: built once per index generation, by one background thread,
bounded, and never waited for by a request."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer.entities.registry import OfficialsRegistry
from indexer.search import SearchRequest, SearchService
from indexer.suggestions import Lexicon, LexiconCache, LexiconUnavailable, suggestions


class FakeTermInfo:
    def __init__(self, df: int) -> None:
        self.df = df

    def doc_frequency(self) -> int:
        return self.df


class FakeReader:
    """A one-segment reader of a few terms in each searched field (what from_reader reads)."""

    def __init__(self, words: dict[str, int]) -> None:
        self.words = words

    def leaf_readers(self) -> list[tuple[FakeReader, int]]:
        return [(self, 0)]

    def iter_field(self, name: str) -> Iterator[tuple[bytes, FakeTermInfo]]:
        for word, df in sorted(self.words.items()):
            yield word.encode("utf-8"), FakeTermInfo(df)


class GatedOpener:
    """Opens a FakeReader only when the test lets it, counting the opens."""

    def __init__(self, words: dict[str, int]) -> None:
        self.words = words
        self.gate = threading.Event()
        self.opened = 0

    @contextmanager
    def __call__(self) -> Iterator[FakeReader]:
        self.opened += 1
        assert self.gate.wait(30)
        yield FakeReader(self.words)


def test_from_reader_reads_terms_with_their_frequencies() -> None:
    lexicon = Lexicon.from_reader(FakeReader({"lavrov": 20, "2018": 5}))
    assert lexicon.folded == {"lavrov": 20} and lexicon.exact == {"lavrov": 20}


class FakeMultiReader:
    def __init__(self, *segments: FakeReader) -> None:
        self.segments = segments

    def leaf_readers(self) -> list[tuple[FakeReader, int]]:
        return [(segment, 0) for segment in self.segments]


def test_from_reader_sums_a_term_over_segments() -> None:
    lexicon = Lexicon.from_reader(FakeMultiReader(FakeReader({"lavrov": 20, "moscow": 2}),
                                                  FakeReader({"lavrov": 5})))
    assert lexicon.folded == {"lavrov": 25, "moscow": 2}


def test_from_reader_gives_up_past_its_bounds() -> None:
    reader = FakeReader({f"word{i:05d}x": 1 for i in range(100)})
    with pytest.raises(LexiconUnavailable, match="over 50 terms"):
        Lexicon.from_reader(reader, max_terms=50)
    with pytest.raises(LexiconUnavailable, match="in time"):
        Lexicon.from_reader(reader, deadline=0.0)  # a monotonic time long past
    with pytest.raises(LexiconUnavailable, match="no longer wanted"):
        Lexicon.from_reader(reader, stop=lambda: True)


def test_requests_never_wait_and_one_thread_builds_once() -> None:
    cache = LexiconCache()
    opener = GatedOpener({"lavrov": 20})
    answers: list[Lexicon | None] = []

    def ask() -> None:
        answers.append(cache.get("gen1", opener))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # The build is held at its gate, yet every request has its answer: none yet.
    assert answers == [None] * 8
    assert cache.builds == 1 and opener.opened == 1
    opener.gate.set()
    assert cache.wait_idle(30)
    built = cache.get("gen1", opener)
    assert built is not None and built.folded == {"lavrov": 20}
    assert cache.builds == 1 and opener.opened == 1  # not read again for this generation


def test_a_new_generation_is_served_the_earlier_lexicon_while_its_own_builds() -> None:
    cache = LexiconCache()
    first = GatedOpener({"lavrov": 20})
    first.gate.set()
    cache.get("gen1", first)
    assert cache.wait_idle(30)
    second = GatedOpener({"lavrov": 20, "dacic": 7})
    earlier = cache.get("gen2", second)
    assert earlier is not None and "dacic" not in earlier.folded
    second.gate.set()
    assert cache.wait_idle(30)
    current = cache.get("gen2", second)
    assert current is not None and current.folded["dacic"] == 7


def test_a_superseded_build_stops_and_the_newest_generation_is_built() -> None:
    cache = LexiconCache()
    old = GatedOpener({f"word{i:05d}x": 1 for i in range(10_000)})
    cache.get("gen1", old)
    while not old.opened:  # gen1's build has begun (and waits at its gate)
        time.sleep(0.01)
    new = GatedOpener({"lavrov": 20})
    new.gate.set()
    assert cache.get("gen2", new) is None
    old.gate.set()  # gen1's build starts reading, sees it is no longer wanted, stops
    assert cache.wait_idle(30)
    built = cache.get("gen2", new)
    assert built is not None and built.folded == {"lavrov": 20}
    assert cache.builds == 2 and cache.failures == []  # superseded is not failed


def test_a_failed_build_is_not_retried_and_suggestions_go_on_without_it() -> None:
    cache = LexiconCache(max_terms=2)
    opener = GatedOpener({"alpha": 1, "bravo": 1, "charlie": 1, "delta": 1})
    opener.gate.set()
    cache.get("gen1", opener)
    assert cache.wait_idle(30)
    assert cache.get("gen1", opener) is None
    assert cache.wait_idle(30)
    assert opener.opened == 1 and len(cache.failures) == 1 and "over 2 terms" in cache.failures[0]


def test_without_a_lexicon_only_names_written_as_the_registry_writes_them() -> None:
    officials = list(OfficialsRegistry.load().by_id.values())
    # No time limit here (the next test holds it): on a loaded machine the first look
    # through the registry's names can take longer than a request may wait.
    # An alias in another spelling is still offered the registry's name ...
    assert suggestions("Дачич", None, officials, time_limit=None) == ["Ивица Дачић"]
    # ... but a misspelt word is not taken for a name: nothing tells it from a real word.
    assert suggestions("Lavrof", None, officials, time_limit=None) == []
    assert suggestions("Kosovo", None, officials, time_limit=None) == []


def test_suggestions_stop_at_their_time_limit() -> None:
    officials = list(OfficialsRegistry.load().by_id.values())
    words = Lexicon.from_terms([("lavrov", 20)], [("lavrov", 20)])
    assert suggestions("Lavrof", words, officials)[0] == "Lavrov"
    assert suggestions("Lavrof", words, officials, time_limit=0.0) == []


def test_the_service_answers_at_once_then_with_the_lexicon(crawled) -> None:
    # A service of its own, on the crawled data: its lexicon is not read yet.
    service = SearchService(Path(crawled[0].config["DATA_DIR"]))
    first = service.did_you_mean(SearchRequest(q="Lavrof"))
    assert "Lavrov" not in first  # the index's word needs the lexicon, not built yet
    assert service.lexicons.wait_idle(120)
    assert service.did_you_mean(SearchRequest(q="Lavrof"))[:2] == ["Lavrov", "Sergey Lavrov"]
    assert service.lexicons.builds == 1


def test_a_forked_worker_builds_its_own() -> None:
    """A worker forked while its parent's build was under way (the builder thread is not
    copied by fork) starts a builder of its own instead of waiting for it forever."""
    cache = LexiconCache()
    stuck = GatedOpener({"lavrov": 20})  # the parent's build waits at its gate
    cache.get("gen1", stuck)
    while not stuck.opened:
        time.sleep(0.01)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if it got the lexicon by itself
        code = 1
        try:
            ready = GatedOpener({"lavrov": 20})
            ready.gate.set()
            cache.get("gen1", ready)
            if cache.wait_idle(30):
                built = cache.get("gen1", ready)
                code = 0 if built is not None and built.folded == {"lavrov": 20} else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    stuck.gate.set()
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.wait_idle(30)
