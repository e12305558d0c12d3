"""The index's size (issue 18): which posting blocks a rebuild compresses, and that a
compressed index answers every search exactly as an uncompressed one does."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest

from benchmarks.corpus import PEOPLE, common_words, generate, rare_words
from indexer import segments, whoosh_adapter
from indexer.archive import Archive
from indexer.build import IndexHome, rebuild_index
from indexer.folding import folded_term
from indexer.search import SearchRequest, SearchService

DOCUMENTS = 600
COMMON = common_words()
RARE = rare_words()
QUERIES = [
    dict(q=COMMON[0]), dict(q=f"{COMMON[1]} {COMMON[5]}"), dict(q=RARE[0]),
    dict(q=f'"{PEOPLE[0]}"'), dict(q=PEOPLE[1].split()[-1]),
    dict(q=COMMON[0], exact=True), dict(q=f'"{PEOPLE[0]}"', exact=True),
    dict(q=RARE[1], exact=True), dict(q=COMMON[2], sort="newest"),
    dict(q=f"{COMMON[3]} -{COMMON[4]}"), dict(q=COMMON[0], page=2),
]


def _rebuilt(directory: Path, *, compressed: bool) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        if not compressed:  # the index as written before issue 18's size work
            patch.setattr(segments, "postings_compression", lambda *args: 0)
            patch.setattr(whoosh_adapter, "ARRAY_WEIGHTS_MIN", 1 << 30)
            patch.setattr(whoosh_adapter, "ARRAY_IDS_MIN", 1 << 30)
        with Archive(directory) as archive:
            archive.store_many(list(generate(DOCUMENTS)))
            rebuild_index(archive, directory)  # forked writers inherit the patches
    return directory


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(compressed, uncompressed) data directories holding the same archive."""
    if not whoosh_adapter.FAST_PATHS:
        pytest.skip("the bulk writer needs the fast paths")
    return (_rebuilt(tmp_path_factory.mktemp("compressed"), compressed=True),
            _rebuilt(tmp_path_factory.mktemp("plain"), compressed=False))


def _postings_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in (data / "whoosh").rglob("*.pst"))


def _blocks(reader, fieldname: str, term: bytes) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(postings, zlib level) of each block of a term's list (W3LeafMatcher's state)."""
    matcher = reader.postings(fieldname, term)
    found = []
    while not matcher._atend:
        found.append((matcher._blocklength, matcher._compression))
        matcher._next_block()
    return found


def _reader(data: Path):  # type: ignore[no-untyped-def]
    return IndexHome.open(next((data / "whoosh").glob("gen-*"))).reader()


def test_blocks_are_compressed_where_searches_read_few(indexes: tuple[Path, Path]) -> None:
    compressed, plain = indexes
    assert _postings_bytes(compressed) < 0.8 * _postings_bytes(plain)
    reader = _reader(compressed)
    leaves = [leaf for leaf, _ in reader.leaf_readers()]
    for leaf in leaves:
        documents = leaf.doc_count_all()
        for fieldname in ("body", "body_exact", "title"):
            for term in leaf.lexicon(fieldname):
                frequency = leaf.doc_frequency(fieldname, term)
                levels = {level for _, level in _blocks(leaf, fieldname, term)}
                if fieldname == "body_exact" or frequency < segments.RARE_TERM_SHARE * documents:
                    # Blocks under Whoosh's COMPRESSION_MIN_SIZE are never compressed.
                    assert levels <= {segments.COMPRESSED_LEVEL, 0}, (fieldname, term)
                else:  # a common term of a searched field: read by many searches
                    assert levels == {0}, (fieldname, term)
        # Every big exact-spelling block is compressed, and no common body block.
        assert {level for term in leaf.lexicon("body_exact")
                for n, level in _blocks(leaf, "body_exact", term) if n > 8} == {
            segments.COMPRESSED_LEVEL}
        # Officials (every query on them reads rare terms) and facets stay as they were.
        for fieldname in ("official", "source", "official_facet"):
            assert {level for term in leaf.lexicon(fieldname)
                    for _, level in _blocks(leaf, fieldname, term)} == {0}, fieldname


def test_whoosh_reads_the_same_postings_from_both(indexes: tuple[Path, Path]) -> None:
    """Whoosh's own matchers (the fallback's reader) see the same ids, weights (array or
    tuple in the block) and positions in the compressed index."""
    compressed, plain = indexes
    readers = _reader(compressed), _reader(plain)
    terms = list(readers[0].all_terms())
    assert terms == list(readers[1].all_terms())
    weighted = 0
    for fieldname, term in terms:
        found = []
        for reader in readers:
            matcher = reader.postings(fieldname, term)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            found.append(postings)
        assert found[0] == found[1], (fieldname, term)
        weighted += len({w for _, w, _ in found[0]}) > 1
    assert weighted > 100  # terms whose blocks hold differing weights were compared


def test_a_full_block_of_differing_weights_is_an_array(indexes: tuple[Path, Path]) -> None:
    reader = _reader(indexes[0])
    leaf = next(leaf for leaf, _ in reader.leaf_readers())
    term = folded_term(COMMON[0]).encode()
    matcher = leaf.postings("body", term)
    matcher._read_data()
    ids, weights = matcher._data[0], matcher._data[1]
    assert isinstance(weights, array) and weights.typecode == "f"
    assert len(weights) == matcher._blocklength >= whoosh_adapter.ARRAY_WEIGHTS_MIN
    # Its ids too: deltas in 2 bytes each (the segment holds fewer than 65,536).
    assert isinstance(ids, array) and ids.typecode == "H"
    assert len(ids) == matcher._blocklength >= whoosh_adapter.ARRAY_IDS_MIN
    assert matcher.id() == ids[0]  # Whoosh reads them as ever


def test_ids_past_65535_take_four_bytes() -> None:
    deltas = [70_000, 1, 2, 65_535]
    wide = whoosh_adapter.ids_array(deltas)
    assert wide.itemsize == 4 and list(wide) == deltas
    narrow = whoosh_adapter.ids_array(deltas[1:])
    assert narrow.typecode == "H" and list(narrow) == deltas[1:]


def _answers(data: Path) -> list:
    service = SearchService(data)
    answers = []
    for query in QUERIES:
        results = service.search(SearchRequest(**query))
        answers.append((results.total, results.hits, results.facets, results.histogram,
                        results.next_cursor))
    return answers


def test_searches_answer_the_same(indexes: tuple[Path, Path],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids, scores, order, totals, facets, histograms, cursors and snippets, on every kind
    of query (exact spelling included), with the fast paths and with Whoosh's own."""
    compressed, plain = indexes
    expected = _answers(plain)
    assert all(total for total, *_ in expected[:5])  # the queries find something
    assert _answers(compressed) == expected
    monkeypatch.setattr(whoosh_adapter, "FAST_PATHS", False)
    assert _answers(compressed) == expected


def test_the_breakdown_accounts_for_the_postings(indexes: tuple[Path, Path]) -> None:
    """benchmarks.index_size (the figures in docs/performance.md): the posting lists'
    bytes, per field, add up to the postings files exactly."""
    from benchmarks.index_size import breakdown

    for data in indexes:
        found = breakdown(IndexHome(data).current_dir())
        assert found["files"]["postings (.pst)"] == _postings_bytes(data)
        assert sum(f["bytes"] for f in found["fields"].values()) == _postings_bytes(data)
        assert sum(found["files"].values()) == found["total"]
    compressed, plain = (breakdown(IndexHome(d).current_dir())["fields"] for d in indexes)
    assert compressed["body_exact"]["bytes"] < 0.75 * plain["body_exact"]["bytes"]


def test_an_updates_segment_is_written_uncompressed(tmp_path: Path) -> None:
    """An update's segment (small, nearly every term rare in it, merged by tiers soon)
    has no compressed block; the rebuild's segment keeps its compressed ones."""
    from indexer.build import update_index

    if not whoosh_adapter.FAST_PATHS:
        pytest.skip("the bulk writer needs the fast paths")
    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(200)))
        rebuild_index(archive, tmp_path)
        before = {leaf.segment().segment_id() for leaf, _ in _reader(tmp_path).leaf_readers()}
        archive.store_many(list(generate(60, start=200)))
        assert update_index(archive, tmp_path).indexed == 60
    levels: dict[bool, set[int]] = {True: set(), False: set()}
    for leaf, _ in _reader(tmp_path).leaf_readers():
        new = leaf.segment().segment_id() not in before
        for fieldname in ("body", "body_exact", "title"):
            for term in leaf.lexicon(fieldname):
                levels[new] |= {level for _, level in _blocks(leaf, fieldname, term)}
    assert levels[True] == {0}
    assert segments.COMPRESSED_LEVEL in levels[False]
