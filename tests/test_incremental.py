"""Incremental updates (issue 18 item 2): new and changed communiqués written by the bulk
writer as one new segment, the changed ones' previous documents deleted where they are;
the generation data of the new commit extended from the previous commit's, not rebuilt.
Searches answer as a rebuild of the same archive does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from benchmarks.corpus import common_words, generate
from indexer import gendata, whoosh_adapter
from indexer.archive import Archive
from indexer.build import IndexHome, rebuild_index, update_index
from indexer.facets import FacetTables
from indexer.search import SearchRequest, SearchService
from tests.test_gendata import _answers, assert_same_tables, loaded

pytestmark = pytest.mark.skipif(not whoosh_adapter.FAST_PATHS,
                                reason="the bulk writer needs the fast paths")


def _segments(data_dir: Path) -> list[tuple[int, int]]:
    """(documents, deleted) of each segment of the current generation, in order."""
    generation = IndexHome(data_dir).current_dir()
    assert generation is not None
    with IndexHome.open(generation).reader() as reader:
        return [(leaf.doc_count_all(), leaf.doc_count_all() - leaf.doc_count())
                for leaf, _ in reader.leaf_readers()]


def _changed(record, title: str, body: str):
    edited = replace(record, title=title, body=body)
    return replace(edited, content_hash=edited.compute_hash())


def _by_date(service: SearchService, q: str) -> tuple[int, list[str]]:
    results = service.search(SearchRequest(q=q, sort="newest", page_size=50))
    return results.total, [hit.id for hit in results.hits]


def test_added_documents_answer_as_a_rebuild_and_extend_the_data(tmp_path, monkeypatch):
    records = list(generate(260))
    extended = []
    real = gendata._extended
    monkeypatch.setattr(gendata, "_extended",
                        lambda *a: extended.append(1) or real(*a))  # type: ignore[func-returns-value]
    with Archive(tmp_path) as archive:
        archive.store_many(records[:200])
        rebuild_index(archive, tmp_path)
        before = _segments(tmp_path)
        for start in (200, 230):  # two updates: two new segments after the built ones
            archive.store_many(records[start:start + 30])
            update = update_index(archive, tmp_path)
            assert update.mode == "incremental" and update.indexed == 30
    segments = _segments(tmp_path)
    assert segments == [*before, (30, 0), (30, 0)]
    # Each commit's data came from the previous commit's and the new segment alone, and
    # equals what a reader builds from the whole index.
    assert len(extended) == 2
    generation = IndexHome(tmp_path).current_dir()
    assert generation is not None
    loaded(generation, IndexHome.open(generation))
    incremental = _answers(SearchService(tmp_path))
    with Archive(tmp_path) as archive:
        rebuild_index(archive, tmp_path)
    assert len(_segments(tmp_path)) < len(segments)
    # Same totals, pages (ids, scores, dates), next pages, facets and histograms.
    assert _answers(SearchService(tmp_path)) == incremental
    assert incremental[0][0] > 0


def test_changed_documents_replace_their_previous_versions(tmp_path):
    records = list(generate(200))
    word = common_words()[0]
    with Archive(tmp_path) as archive:
        archive.store_many(records[:180])
        rebuild_index(archive, tmp_path)
        # New communiqués, and changed ones whose previous version is in the built
        # segments: their old words must no longer find them, their new words must.
        edited = [_changed(records[i], f"Zanzibarquux accord {i}",
                           f"zanzibarquux {word} talks") for i in (3, 50, 120)]
        archive.store_many(records[180:] + edited)
        update = update_index(archive, tmp_path)
        assert update.indexed == 23 and update.total_documents == 200
    segments = _segments(tmp_path)
    assert segments[-1] == (23, 0) and sum(deleted for _, deleted in segments) == 3
    service = SearchService(tmp_path)
    total, ids = _by_date(service, "zanzibarquux")
    assert total == 3 and sorted(ids) == sorted(r.id for r in edited)
    # Every communiqué is found once (the old versions are deleted, not shadowed).
    everything = service.search(SearchRequest(q="", page_size=50))
    assert everything.total == 200
    generation = IndexHome(tmp_path).current_dir()
    assert generation is not None
    ix = IndexHome.open(generation)
    data, built = loaded(generation, ix)
    tables = FacetTables.from_data(data)
    live_ids = [tables.ids[d] for d in np.flatnonzero(tables.live)]
    assert len(live_ids) == len(set(live_ids)) == 200
    # A rebuild of the same archive finds the same documents in the same date order,
    # with the same counts and facets (scores may differ: the deleted documents still
    # count in Whoosh's collection statistics until their segment is merged).
    queries = ["zanzibarquux", word, common_words()[5], ""]
    incremental = [_by_date(service, q) for q in queries]
    facets = [(f.name, [(v.value, v.count) for v in f.values])
              for f in service.search(SearchRequest(q=word)).facets]
    with Archive(tmp_path) as archive:
        rebuild_index(archive, tmp_path)
    rebuilt = SearchService(tmp_path)
    assert [_by_date(rebuilt, q) for q in queries] == incremental
    assert [(f.name, [(v.value, v.count) for v in f.values])
            for f in rebuilt.search(SearchRequest(q=word)).facets] == facets


def test_the_data_of_an_update_with_deletions_equals_a_reader_s(tmp_path):
    """Deletions in the built segments and in an earlier update's segment: the extended
    arrays (live mask, id ranks with a changed id twice, facets with new values) are
    those FacetTables builds from the whole index."""
    records = list(generate(150))
    with Archive(tmp_path) as archive:
        archive.store_many(records[:100])
        rebuild_index(archive, tmp_path)
        archive.store_many(records[100:125] + [_changed(records[1], "A", "b c")])
        update_index(archive, tmp_path)
        archive.store_many(records[125:] + [_changed(records[110], "D", "e f"),
                                            _changed(records[1], "G", "h i")])
        update_index(archive, tmp_path)
    generation = IndexHome(tmp_path).current_dir()
    assert generation is not None
    ix = IndexHome.open(generation)
    with ix.reader() as reader:
        assert_same_tables(FacetTables.from_data(
            gendata.load(generation, reader, ix.latest_generation())),  # type: ignore[arg-type]
            FacetTables(reader))
    assert sum(deleted for _, deleted in _segments(tmp_path)) == 3
