"""Long posting lists kept as flat arrays beside their segment (indexer.flat_postings):
the same postings as Whoosh's matcher, the same search results, never believed when they
are not the segment's, and deleted with the segment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from indexer import flat_postings, whoosh_adapter
from indexer.bulk import BulkEvaluator, read_postings
from indexer.flat_postings import FLAT_EXTENSION, FlatCollector, FlatPostings
from indexer.querylang import QueryReader
from indexer.schema import build_schema
from indexer.segments import BulkSegmentWriter, flat_postings_wanted

LONG = 8  # postings: the lists kept flat in these small segments


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    from benchmarks.corpus import generate
    from indexer.schema import document_for

    return [document_for(record) for record in generate(240)]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, documents: list[dict]) -> Path:
    """Two segments from the bulk writer, with lists of LONG postings kept flat."""
    directory = tmp_path_factory.mktemp("flat")
    ix = whoosh_index.create_in(str(directory), build_schema())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flat_postings, "FLAT_POSTINGS_MIN", LONG)
        for share in (documents[:120], documents[120:]):
            writer = BulkSegmentWriter(ix, compound=False)
            for document in share:
                writer.add_document(**document)
            writer.commit(merge=False)
    return directory


def _stepped(matcher) -> tuple[list[int], list[float]]:
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def test_every_long_list_is_whooshs(index_dir: Path) -> None:
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.reader() as reader:
        leaves = reader.leaf_readers()
        assert len(leaves) == 2
        checked = 0
        for leaf, _ in leaves:
            flat = FlatPostings.open(index_dir / f"{leaf.segment().segment_id()}{FLAT_EXTENSION}")
            assert flat is not None
            for fieldname, term in leaf.all_terms():
                entry = whoosh_adapter.term_entry(leaf, fieldname, term)
                assert entry is not None
                found = flat.postings(entry.offset, entry.doc_frequency)
                wanted = flat_postings_wanted(leaf.schema[fieldname]) and \
                    entry.doc_frequency >= LONG
                assert (found is not None) == wanted, (fieldname, term)
                if found is None:
                    continue
                ids, weights = _stepped(leaf.postings(fieldname, term))
                assert found[0].tolist() == ids and found[1].tolist() == weights
                assert found[0].dtype == np.int64 and found[1].dtype == np.float64
                # Only a list of the term's length is believed.
                assert flat.postings(entry.offset, entry.doc_frequency + 1) is None
                assert flat.postings(entry.offset + 1, entry.doc_frequency) is None
                checked += 1
        assert checked > 100
        fields = {f for leaf, _ in leaves for f, _ in leaf.all_terms()}
        assert {"body", "title", "body_exact"} <= fields  # exact ones checked: none kept


def _rankings(reader_dir: Path | None, searcher, query) -> tuple[list[int], list[float]]:
    live = np.ones(searcher.reader().doc_count_all(), dtype=bool)
    docnums, scores = BulkEvaluator(live, reader_dir).ranking(query, searcher)
    return docnums.tolist(), scores.tolist()


@pytest.mark.parametrize("q", ["minister", "minister cooperation", '"foreign minister" visit',
                               '"foreign minister"', '"minister of foreign affairs"',
                               "visit OR talks", "minister -visit", "minister OR cooperation"])
def test_searches_give_the_same_results_with_flat_lists(index_dir: Path, q: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same documents, scores and order as without the flat lists and as Whoosh's
    collector, and the flat lists are what was read."""
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        query = QueryReader().parse(q, searcher.schema)[0]
        taken = []
        real = FlatPostings.postings

        def counted(self, offset: int, count: int):
            found = real(self, offset, count)
            taken.append(found is not None)
            return found

        monkeypatch.setattr(FlatPostings, "postings", counted)
        with_flat = _rankings(index_dir, searcher, query)
        assert any(taken) and with_flat[0], q
        without = _rankings(None, searcher, query)
        assert with_flat == without
        if "-" in q:
            return  # Whoosh's AndNot lets some excluded documents through (see test_bulk)
        collector = searcher.collector(limit=None)
        searcher.search_with_collector(query, collector)
        top = collector.results().top_n
        assert with_flat[0] == [d for _, d in top]
        np.testing.assert_allclose(with_flat[1], [s for s, _ in top], rtol=1e-6)


def test_a_file_that_is_not_flat_lists_is_not_read(tmp_path: Path) -> None:
    assert FlatPostings.open(tmp_path / "missing.flat") is None
    (tmp_path / "empty.flat").write_bytes(b"")
    assert FlatPostings.open(tmp_path / "empty.flat") is None
    (tmp_path / "other.flat").write_bytes(b"W3Bl" + bytes(200))
    assert FlatPostings.open(tmp_path / "other.flat") is None
    # A header promising more than the file holds.
    collector = FlatCollector()
    collector.add(np.array([100, 900]), np.array([0, 600]), np.array([600, 700]),
                  np.arange(1300) % 1000, np.ones(1300, dtype=np.float32))
    collector.write(FileStorage(str(tmp_path)), "cut.flat")
    whole = (tmp_path / "cut.flat").read_bytes()
    opened = FlatPostings.open(tmp_path / "cut.flat")
    assert opened is not None and opened.postings(900, 700) is not None
    (tmp_path / "cut.flat").write_bytes(whole[:-100])
    assert FlatPostings.open(tmp_path / "cut.flat") is None
    # Cut short after it was opened: the list is not read, and no error escapes.
    assert opened.postings(900, 700) is None


def test_ids_and_weights_keep_their_values_whatever_their_width(tmp_path: Path) -> None:
    """uint16 ids below 65,536, uint32 otherwise; uint8 whole weights up to 255, float32
    otherwise."""
    storage = FileStorage(str(tmp_path))
    size = 1000
    for name, step, weights in (("narrow", 65, np.full(size, 3.0, np.float32)),
                                ("wide", 66, np.full(size, 1.5, np.float32)),
                                ("big", 1, np.full(size, 300.0, np.float32))):
        ids = np.arange(size, dtype=np.int64) * step + 535
        collector = FlatCollector()
        collector.add(np.array([40]), np.array([0]), np.array([size]), ids, weights)
        collector.write(storage, f"{name}.flat")
        flat = FlatPostings.open(tmp_path / f"{name}.flat")
        assert flat is not None
        found = flat.postings(40, size)
        assert found is not None
        assert found[0].tolist() == ids.tolist() and found[1].tolist() == weights.tolist()
    assert (tmp_path / "narrow.flat").stat().st_size < (tmp_path / "wide.flat").stat().st_size
    # Parts added narrow and wide are written at the widest.
    collector = FlatCollector()
    narrow_ids, wide_ids = np.arange(size) * 3, np.arange(size) * 70 + 1
    collector.add(np.array([40]), np.array([0]), np.array([size]), narrow_ids,
                  np.full(size, 2.0, np.float32))
    collector.add(np.array([90]), np.array([0]), np.array([size]), wide_ids,
                  np.full(size, 0.25, np.float32))
    collector.write(storage, "mixed.flat")
    flat = FlatPostings.open(tmp_path / "mixed.flat")
    assert flat is not None
    first, second = flat.postings(40, size), flat.postings(90, size)
    assert first is not None and second is not None
    assert first[0].tolist() == narrow_ids.tolist() and set(first[1].tolist()) == {2.0}
    assert second[0].tolist() == wide_ids.tolist() and set(second[1].tolist()) == {0.25}
    # Lists must come in postings-file order (a search finds them by bisection).
    collector = FlatCollector()
    collector.add(np.array([900, 100]), np.array([0, size]), np.array([size, size]),
                  np.arange(2 * size), np.ones(2 * size, np.float32))
    with pytest.raises(ValueError):
        collector.write(storage, "unordered.flat")


def test_whoosh_deletes_the_flat_lists_with_their_segment(tmp_path: Path,
                                                          documents: list[dict],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flat_postings, "FLAT_POSTINGS_MIN", LONG)
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    for share in (documents[:60], documents[60:120]):
        writer = BulkSegmentWriter(ix, compound=False)
        for document in share:
            writer.add_document(**document)
        writer.commit(merge=False)
    assert len(list(tmp_path.glob(f"*{FLAT_EXTENSION}"))) == 2
    ix.optimize()  # Whoosh's own merge: one new segment, written by Whoosh, no flat lists
    assert list(tmp_path.glob(f"*{FLAT_EXTENSION}")) == []
    with ix.searcher() as searcher:
        query = QueryReader().parse("minister", searcher.schema)[0]
        assert _rankings(tmp_path, searcher, query)[0]  # read as blocks, as before
        leaf = searcher.reader().leaf_readers()[0][0]
        entry = whoosh_adapter.term_entry(leaf, "body", leaf.schema["body"].to_bytes("minist"))
        if entry is not None:
            assert read_postings(leaf, "body", b"minist", entry=entry).ids.size


def test_the_benchmark_tools_write_what_the_writer_writes(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    """benchmarks.add_flat_postings (for an index built before the flat lists) writes
    each segment's file as the writer did, byte for byte; benchmarks.inprocess runs the
    cold mix on the data directory."""
    import json

    from benchmarks import add_flat_postings, inprocess
    from benchmarks.corpus import generate
    from indexer.archive import Archive
    from indexer.build import update_index

    monkeypatch.setattr(flat_postings, "FLAT_POSTINGS_MIN", LONG)
    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(150)))
        update_index(archive, tmp_path)
    written = {path: path.read_bytes() for path in tmp_path.rglob(f"*{FLAT_EXTENSION}")}
    assert written
    for path in written:
        path.unlink()
    assert add_flat_postings.main([str(tmp_path)]) == 0
    assert {path: path.read_bytes() for path in tmp_path.rglob(f"*{FLAT_EXTENSION}")} \
        == written
    capsys.readouterr()
    # (set here so that they are restored after: inprocess sets them for its app)
    for name, value in (("COMMUNIQUES_DATA_DIR", str(tmp_path)), ("COMMUNIQUES_RATE_LIMIT", ""),
                        ("COMMUNIQUES_CONCURRENT_PER_CLIENT", "0")):
        monkeypatch.setenv(name, value)
    assert inprocess.main([str(tmp_path), "--searches", "4"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["searches"] == 4 and figures["max_ms"] >= figures["p50_ms"] > 0
