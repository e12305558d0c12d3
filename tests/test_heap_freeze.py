"""A serving worker's long-lived objects frozen out of Python's full garbage collections
(GC_FREEZE): after the warm-up, and again at each new generation, which must free the one
it replaces; never in tests' apps or the command line's writers."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_generations import _store

from indexer.generations import Generations
from indexer.search import SearchRequest, SearchService


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    """Each test starts and ends with nothing frozen (the test process is not a worker)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def _in_a_cycle(generations: Generations) -> tuple[weakref.ref, dict[str, object]]:
    """A weak reference to the current generation, and a reference cycle holding it (as a
    traceback's frames would): once the caller lets the cycle go, only a collection
    that scans it frees the generation."""
    current = generations.current()
    assert current is not None
    cycle: dict[str, object] = {"generation": current[0]}
    cycle["itself"] = cycle
    return weakref.ref(current[0]), cycle


def test_a_new_generation_collects_the_one_it_replaces_and_freezes_again(
        tmp_path: Path) -> None:
    _store(tmp_path, range(3))
    generations = Generations(tmp_path)
    generations.refreeze = True
    old, cycle = _in_a_cycle(generations)
    gc.collect()
    gc.freeze()  # as the warm-up does: the cycle is frozen with everything else
    del cycle  # garbage now, but frozen
    assert old() is not None and gc.get_freeze_count() > 0

    _store(tmp_path, range(3, 5))
    current = generations.current()
    assert current is not None and current[0].document_count == 5
    assert old() is None  # freed by the switch itself, no collection asked for here
    assert gc.get_freeze_count() > 0  # and what lives on is frozen again


def test_without_refreeze_a_frozen_cycle_keeps_the_old_generation(tmp_path: Path) -> None:
    """What the switch's collection is for: frozen, the cycle is never scanned."""
    _store(tmp_path, range(3))
    generations = Generations(tmp_path)
    old, cycle = _in_a_cycle(generations)
    gc.collect()
    gc.freeze()
    del cycle
    _store(tmp_path, range(3, 5))
    assert generations.current() is not None
    gc.collect()
    assert old() is not None
    gc.unfreeze()
    gc.collect()
    assert old() is None


def test_a_serving_app_freezes_after_its_warm_up_and_again_at_each_generation(
        tmp_path: Path) -> None:
    from webapp import create_app

    _store(tmp_path, range(3))
    app = create_app({"DATA_DIR": str(tmp_path), "GC_FREEZE": True})
    app.extensions["search_warm_up"].join(timeout=60)
    service: SearchService = app.extensions["search"]
    assert service.generations.refreeze
    old, cycle = _in_a_cycle(service.generations)
    gc.freeze()  # the cycle made after the warm-up's freeze: frozen with it here
    del cycle
    frozen = gc.get_freeze_count()
    assert frozen > 0

    _store(tmp_path, range(3, 5))
    body = app.test_client().get("/api/search?q=kosovo").get_json()
    assert body["total"] == 5
    assert old() is None
    # Everything alive was frozen again: about as many objects as after the warm-up.
    assert gc.get_freeze_count() > frozen // 2
    assert service.search(SearchRequest(q="kosovo")).total == 5


def test_no_freeze_under_testing_without_the_setting_or_in_the_writers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp import create_app, freezes_heap, start_warm_up
    from webapp.cli import cli

    _store(tmp_path, range(3))
    monkeypatch.setenv("COMMUNIQUES_GC_FREEZE", "true")
    testing = create_app({"DATA_DIR": str(tmp_path), "TESTING": True})
    off = create_app({"DATA_DIR": str(tmp_path), "GC_FREEZE": False})
    for app in (testing, off):
        app.extensions["search_warm_up"].join(timeout=60)
        assert not freezes_heap(app) and not app.extensions["search"].generations.refreeze
    assert gc.get_freeze_count() == 0

    # The command line's writers start no warm-up, so freeze nothing either.
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "index"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == 0
    writer = create_app({"DATA_DIR": str(tmp_path)}, serving=False)
    assert "search_warm_up" not in writer.extensions and gc.get_freeze_count() == 0
    # Until it comes to serve (`communiques serve` starts the warm-up).
    start_warm_up(writer)
    writer.extensions["search_warm_up"].join(timeout=60)
    assert gc.get_freeze_count() > 0
