"""Generation data (indexer.gendata): the arrays a reader needs, written once by the writer
after each commit and mapped by readers, equal to what a reader would build itself, and
never used when they do not describe the index the reader has open."""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from benchmarks.corpus import common_words, generate
from indexer import gendata, whoosh_adapter
from indexer.archive import Archive
from indexer.build import IndexHome, rebuild_index, update_index
from indexer.bulk import BulkEvaluator, read_lengths
from indexer.facets import FACETS, FacetTables, MappedIds
from indexer.folding import folded_analyzer
from indexer.schema import build_schema, document_for
from indexer.search import SearchRequest, SearchService
from scrapers.record import Communique

WORD = next(iter(folded_analyzer()(common_words()[0]))).text


def assert_same_tables(mapped: FacetTables, built: FacetTables) -> None:
    """Every array and facet of the mapped tables is the one the reader would build."""
    assert mapped.size == built.size
    assert list(mapped.ids) == list(built.ids)
    assert [mapped.ids[d] for d in range(0, built.size, 7)] == built.ids[::7]
    for name in ("live", "id_rank", "ordinal", "year", "month", "dated"):
        ours, theirs = getattr(mapped, name), getattr(built, name)
        assert ours.dtype == theirs.dtype, name
        assert np.array_equal(ours, theirs), name
    for spec in FACETS:
        assert mapped._facets[spec.name].terms == built._facets[spec.name].terms
        assert np.array_equal(mapped.values_of(spec.name), built.values_of(spec.name))
        assert mapped.count(spec.name, mapped.live) == built.count(spec.name, built.live)
        some = built._facets[spec.name].terms[:2]
        assert np.array_equal(mapped.selection(spec.name, some),
                              built.selection(spec.name, some))
        if spec.multi:
            assert all(np.array_equal(a, b) for a, b in zip(
                mapped._facets[spec.name].runs(), built._facets[spec.name].runs(),
                strict=True))
    assert np.array_equal(mapped.stacked_values(), built.stacked_values())


def loaded(generation: Path, ix: whoosh_index.Index) -> tuple[gendata.GenerationData,
                                                                  FacetTables]:
    with ix.reader() as reader:
        data = gendata.load(generation, reader, ix.latest_generation())
        assert data is not None
        assert_same_tables(FacetTables.from_data(data), FacetTables(reader))
        fields = gendata.length_fields(reader.schema)
        if whoosh_adapter.FAST_PATHS:
            # Every scored field's bytes, which decode to what each segment gives.
            assert {"title", "body", "official", "country"} <= set(fields)
        assert sorted(data.lengths) == sorted(fields)
        for field in fields:
            assert data.lengths[field].dtype == np.uint8
            expected = np.concatenate([read_lengths(leaf, field)
                                       for leaf, _ in reader.leaf_readers()])
            assert np.array_equal(whoosh_adapter.decoded_lengths(data.lengths[field]),
                                  expected)
        return data, FacetTables(reader)


@pytest.fixture
def built(tmp_path: Path):
    records = list(generate(240))
    with Archive(tmp_path) as archive:
        archive.store_many(records[:200])
        update = rebuild_index(archive, tmp_path)
    return tmp_path, update.generation_dir, records


def test_a_rebuild_writes_the_data_a_reader_would_build(built) -> None:
    data_dir, generation, _ = built
    ix = IndexHome.open(generation)
    data, _ = loaded(generation, ix)
    assert data.directory.parent == generation / gendata.DATA_DIR
    # Mapped, not read into each process's own memory.
    assert isinstance(data.arrays["ordinal"], np.memmap)
    assert isinstance(data.lengths["body"], np.memmap)


def test_an_incremental_update_writes_the_new_commit_s_data(built) -> None:
    data_dir, generation, records = built
    ix = IndexHome.open(generation)
    before = ix.latest_generation()
    with Archive(data_dir) as archive:
        # New communiqués, and a changed one (its old document deleted in its segment).
        changed = replace(records[3], title="Revised title")
        archive.store_many(records[200:] + [replace(changed,
                                                    content_hash=changed.compute_hash())])
        update_index(archive, data_dir)
    ix = IndexHome.open(generation)
    assert ix.latest_generation() > before
    with ix.reader() as reader:
        # The previous commit's data does not describe this index.
        assert gendata.load(generation, reader, before) is None
    data, tables = loaded(generation, ix)
    assert tables.live.sum() == 240
    mapped = FacetTables.from_data(data)
    live_ids = [mapped.ids[d] for d in np.flatnonzero(mapped.live)]
    assert len(live_ids) == len(set(live_ids)) == 240 and records[3].id in live_ids
    # The previous commit's data is kept for a reader still on it; older ones go.
    kept = sorted(p.name for p in (generation / gendata.DATA_DIR).iterdir())
    assert kept == [f"toc-{before}", f"toc-{ix.latest_generation()}"]


def test_missing_stale_or_damaged_data_is_never_used(built, monkeypatch) -> None:
    _, generation, _ = built
    ix = IndexHome.open(generation)
    toc = ix.latest_generation()
    directory = generation / gendata.DATA_DIR / f"toc-{toc}"
    with ix.reader() as reader:
        assert gendata.load(generation, reader, toc) is not None
        # Written with the other setting of the fast paths.
        monkeypatch.setattr(whoosh_adapter, "FAST_PATHS", not whoosh_adapter.FAST_PATHS)
        assert gendata.load(generation, reader, toc) is None
        monkeypatch.undo()
        # Another index's segments.
        manifest = json.loads((directory / gendata.MANIFEST).read_text())
        changed = {**manifest, "segments": [{**manifest["segments"][0], "deleted": 1}]}
        (directory / gendata.MANIFEST).write_text(json.dumps(changed))
        assert gendata.load(generation, reader, toc) is None
        (directory / gendata.MANIFEST).write_text(json.dumps(manifest))
        # A damaged array.
        (directory / "ordinal.npy").write_bytes(b"not numpy")
        assert gendata.load(generation, reader, toc) is None
        # Written again, it is used again; removed (an index older than this), None.
        gendata.write(generation, ix)
        assert gendata.load(generation, reader, toc) is not None
        shutil.rmtree(directory)
        assert gendata.load(generation, reader, toc) is None


def test_a_half_written_directory_is_not_used_and_is_cleared(built) -> None:
    _, generation, _ = built
    ix = IndexHome.open(generation)
    toc = ix.latest_generation()
    directory = generation / gendata.DATA_DIR / f"toc-{toc}"
    (directory / gendata.MANIFEST).unlink()  # the manifest is written last
    leftover = generation / gendata.DATA_DIR / ".toc-9-deadbeef"
    leftover.mkdir()
    with ix.reader() as reader:
        assert gendata.load(generation, reader, toc) is None
    gendata.write(generation, ix)
    assert not leftover.exists()
    loaded(generation, ix)


def test_segments_with_deletions_and_mapped_lengths_score_as_read_ones(tmp_path: Path) -> None:
    """Two segments with deleted and updated documents, written by Whoosh's own writer:
    searches over the mapped data give the documents and scores of the built arrays."""
    (tmp_path / "segments").mkdir()
    ix = whoosh_index.create_in(str(tmp_path / "segments"), build_schema())
    records = list(generate(160))
    writer = ix.writer()
    for record in records[:100]:
        writer.add_document(**document_for(record))
    writer.commit(merge=False)
    writer = ix.writer()
    for record in records[100:]:
        writer.add_document(**document_for(record))
    writer.update_document(**document_for(replace(records[5], body=records[5].body + " x")))
    writer.delete_by_term("id", records[7].id)
    writer.commit(merge=False)
    assert gendata.write(tmp_path, ix) is not None
    data, built_tables = loaded(tmp_path, ix)
    mapped_tables = FacetTables.from_data(data)
    query = wq.Or([wq.Term("body", WORD), wq.Term("title", WORD)])
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        read = BulkEvaluator(built_tables.live)
        mapped = BulkEvaluator(mapped_tables.live)
        mapped.use_lengths(searcher.reader(), data.lengths)
        if not read.supports(query, searcher):
            pytest.skip("the fast paths are off")
        ours, theirs = mapped.ranking(query, searcher), read.ranking(query, searcher)
    assert len(ours[0]) > 10
    assert np.array_equal(ours[0], theirs[0])
    assert np.array_equal(ours[1], theirs[1])


# -- the read side: the search service maps the data ------------------------------------------

def _searches() -> list[SearchRequest]:
    words = common_words()
    return [
        SearchRequest(q=words[0]),
        SearchRequest(q=f"{words[1]} {words[2]}", filters={"language": ("en", "ru")}),
        SearchRequest(q=words[3], sort="newest", page_size=5),
        SearchRequest(q=words[0], date_from=date(2005, 1, 1), date_to=date(2015, 12, 31)),
        SearchRequest(q="", filters={"type": ("statement",)}, sort="oldest"),
        SearchRequest(q=f'"{words[0]}"', filters={"year": ("2010", "2011")}),
    ]


def _answers(service: SearchService) -> list[tuple]:
    answers = []
    for request in _searches():
        results = service.search(request)
        page = [(hit.id, hit.score, hit.published) for hit in results.hits]
        following = None
        if results.next_cursor:  # the cursor's date key reads the ids and ordinals
            following = [hit.id for hit in service.search(
                replace(request, cursor=results.next_cursor)).hits]
        answers.append((results.total, page, following,
                        [(f.name, [(v.value, v.count) for v in f.values])
                         for f in results.facets],
                        [(b.key, b.count) for b in results.histogram]))
    return answers


def test_the_search_service_maps_the_data_and_answers_as_without_it(built) -> None:
    data_dir, generation, records = built
    mapped = SearchService(data_dir)
    current = mapped.generations.current()
    assert current is not None
    assert isinstance(current[0].tables.ids, MappedIds)
    with_data = _answers(mapped)
    assert with_data[0][0] > 0 and with_data[0][3]
    # The same searches with no data (an index older than it): built by the reader.
    shutil.rmtree(generation / gendata.DATA_DIR)
    built_service = SearchService(data_dir)
    current = built_service.generations.current()
    assert current is not None
    assert not isinstance(current[0].tables.ids, MappedIds)
    assert _answers(built_service) == with_data


def test_a_reader_waits_for_announced_data_and_not_for_a_commit_without_it(built) -> None:
    data_dir, generation, records = built
    service = SearchService(data_dir)
    assert service.generations.current() is not None
    ix = IndexHome.open(generation)

    def commit(record: Communique) -> int:
        writer = ix.writer()
        writer.add_document(**document_for(record))
        writer.commit()
        return ix.latest_generation()

    # Announced: the commit is seen first, the data comes later; the reader waits for it.
    gendata.announce(generation, ix.latest_generation() + 1)
    toc = commit(records[200])
    assert gendata.pending(generation, toc)
    writer = threading.Thread(target=lambda: (time.sleep(0.3), gendata.write(generation, ix)))
    writer.start()
    current = service.generations.current()
    writer.join()
    assert current is not None and current[0].key[1] == toc
    assert isinstance(current[0].tables.ids, MappedIds)
    assert not gendata.pending(generation, toc)
    # Not announced (a writer that writes no data): the reader builds its arrays at once.
    toc = commit(records[201])
    current = service.generations.current()
    assert current is not None and current[0].key[1] == toc
    assert not isinstance(current[0].tables.ids, MappedIds)
    assert current[0].tables.live.sum() == 202


@pytest.mark.parametrize("run_pairs", [255, 3])
def test_facet_counts_per_text_count_each_value_of_a_text_once(built, run_pairs,
                                                               monkeypatch) -> None:
    """Versions of one text (events, issue 11) count once per value: checked against
    counting the distinct (value, text) pairs by hand, for single and multi facets
    (with the multi-valued facets' runs cut short, too)."""
    from indexer import facets

    monkeypatch.setattr(facets, "RUN_PAIRS", run_pairs)
    _, generation, _ = built
    with IndexHome.open(generation).reader() as reader:
        tables = FacetTables(reader)
    rng = np.random.default_rng(18)
    groups = np.where(rng.random(tables.size) < 0.4, rng.integers(0, 25, tables.size), -1)
    mask = tables.live & (rng.random(tables.size) < 0.8)
    for spec in FACETS:
        table = tables._facets[spec.name]
        if spec.multi:
            pairs = [(int(v), int(d)) for d, v in zip(table.docs, table.values, strict=True)
                     if mask[d]]
        else:
            pairs = [(int(table.values[d]), d) for d in np.flatnonzero(mask)
                     if table.values[d] >= 0]
        texts = {(value, f"g{groups[d]}" if groups[d] >= 0 else f"d{d}") for value, d in pairs}
        expected: dict[str, int] = {}
        for value, _ in texts:
            expected[table.terms[value]] = expected.get(table.terms[value], 0) + 1
        assert tables.count(spec.name, mask, groups) == expected, spec.name
        assert sum(tables.count(spec.name, mask).values()) == len(pairs)
