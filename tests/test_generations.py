"""The generation cache (indexer/generations.py): one generation opened per commit, kept
until the index changes, a searcher per thread, and a bounded result cache on it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from test_archive import make_record

from indexer import generations as generations_module
from indexer.archive import Archive
from indexer.build import rebuild_index, update_index
from indexer.generations import Generations
from indexer.search import SearchRequest, SearchResults, SearchService


def _store(data_dir: Path, numbers: range) -> None:
    with Archive(data_dir) as archive:
        for n in numbers:
            archive.store(make_record(n, body=f"Statement number {n} on Kosovo."))
        update_index(archive, data_dir)


def test_no_index_is_no_generation(tmp_path: Path) -> None:
    assert Generations(tmp_path).current() is None
    service = SearchService(tmp_path)
    assert service.generation_tag() == "empty" and service.document_count() == 0
    assert service.search(SearchRequest(q="kosovo")).total == 0


def test_one_generation_per_commit_kept_until_the_index_changes(tmp_path: Path) -> None:
    _store(tmp_path, range(3))
    generations = Generations(tmp_path)
    first = generations.current()
    assert first is not None
    generation, searcher = first
    again = generations.current()
    assert again is not None and again[0] is generation and again[1] is searcher
    assert generation.document_count == 3
    assert generation.tag == f"{Path(generation.key[0]).name}.{generation.key[1]}"

    _store(tmp_path, range(3, 5))  # an incremental commit: same directory, next number
    later = generations.current()
    assert later is not None and later[0] is not generation
    assert later[0].key[0] == generation.key[0] and later[0].key[1] > generation.key[1]
    assert later[0].document_count == 5 and later[0].cache == {}
    assert later[1] is not searcher  # the thread's searcher follows the generation

    with Archive(tmp_path) as archive:  # a rebuild: another directory
        rebuild_index(archive, tmp_path)
    rebuilt = generations.current()
    assert rebuilt is not None and rebuilt[0].key[0] != generation.key[0]
    assert rebuilt[0].document_count == 5


def test_each_thread_has_its_own_searcher_on_the_same_generation(tmp_path: Path) -> None:
    _store(tmp_path, range(2))
    generations = Generations(tmp_path)
    mine = generations.current()
    theirs: list = []
    thread = threading.Thread(target=lambda: theirs.append(generations.current()))
    thread.start()
    thread.join()
    assert mine is not None and theirs[0] is not None
    assert theirs[0][0] is mine[0] and theirs[0][1] is not mine[1]


def test_the_result_cache_forgets_the_least_recently_used(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _store(tmp_path, range(2))
    monkeypatch.setattr(generations_module, "RESULT_CACHE_SIZE", 2)
    current = Generations(tmp_path).current()
    assert current is not None
    generation = current[0]
    results = {key: SearchResults(SearchRequest(q=key), 0, []) for key in "abc"}
    generation.remember("a", results["a"])
    generation.remember("b", results["b"])
    assert generation.cached("a") is results["a"]  # now the most recently used
    generation.remember("c", results["c"])
    assert generation.cached("b") is None
    assert generation.cached("a") is results["a"] and generation.cached("c") is results["c"]


def test_the_service_answers_a_repeated_search_from_the_generation(tmp_path: Path) -> None:
    _store(tmp_path, range(3))
    service = SearchService(tmp_path)
    first = service.search(SearchRequest(q="kosovo"))
    current = service.generations.current()
    assert current is not None and len(current[0].cache) == 1
    again = service.search(SearchRequest(q="kosovo"))
    assert again.hits is first.hits  # the cached results, not a second search
    tag = service.generation_tag()
    _store(tmp_path, range(3, 4))
    assert service.generation_tag() != tag
    assert service.search(SearchRequest(q="kosovo")).total == 4


def test_a_web_worker_reads_its_generation_before_the_first_search(tmp_path: Path) -> None:
    """create_app warms the service off the request path: the first visitor's search
    finds the generation open and its version tables read."""
    from webapp import create_app

    _store(tmp_path, range(3))
    app = create_app({"DATA_DIR": str(tmp_path), "TESTING": True})
    service = app.extensions["search"]
    warm_up = app.extensions["search_warm_up"]
    warm_up.join(timeout=60)
    assert not warm_up.is_alive()
    generation = service.generations._generation
    assert generation is not None and generation.versions is not None
    assert service.search(SearchRequest(q="kosovo")).total == 3


def test_no_index_yet_is_no_failed_warm_up(tmp_path: Path) -> None:
    from webapp import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "TESTING": True})
    app.extensions["search_warm_up"].join(timeout=60)
    assert app.extensions["search"].generations._generation is None
    assert app.test_client().get("/api/search?q=kosovo").status_code == 200


def test_the_command_lines_writers_start_no_warm_up(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer command (index, update, crawl) reads nothing of the search side and forks
    its writer processes with no warm-up thread running; a serving app starts one, once."""
    from click.testing import CliRunner

    import webapp
    from webapp import create_app, start_warm_up
    from webapp.cli import cli

    warmed: list[object] = []
    monkeypatch.setattr(webapp, "_warm", lambda service: warmed.append(service))
    _store(tmp_path, range(3))
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "index"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert warmed == []
    app = create_app({"DATA_DIR": str(tmp_path), "TESTING": True}, serving=False)
    assert "search_warm_up" not in app.extensions
    start_warm_up(app)
    start_warm_up(app)
    app.extensions["search_warm_up"].join(timeout=60)
    assert warmed == [app.extensions["search"]]
