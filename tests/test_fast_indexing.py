"""The indexing fast paths give the index Whoosh's own pipeline would give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh.fields import TEXT

from benchmarks.corpus import generate
from evaluation import GOLDEN
from indexer.folding import fold
from indexer.schema import FastText, build_schema


def _texts() -> list[str]:
    texts = []
    for path in sorted(GOLDEN.glob("*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            texts += [record["title"], record["body"]]
    texts += [r.body for r in generate(30)]
    # Letters that fold to nothing or to two letters, ligatures, digits, underscores.
    texts += ["ъ Ъ ǅ ﬁ İstanbul Đorđe 12 3,5 a_b Ivica Dačića-Ђорђевић\n\nЛавровым", ""]
    return texts


@pytest.mark.parametrize("fieldname", ["title", "body", "title_exact", "body_exact",
                                       "official", "country"])
def test_fast_text_indexes_what_the_analyzer_would(fieldname: str) -> None:
    field = build_schema()[fieldname]
    assert isinstance(field, FastText)
    reference = TEXT(analyzer=field.analyzer, field_boost=field.format.field_boost)
    texts = _texts()
    assert len(texts) > 200
    for text in texts:
        # Terms, frequencies, weights (with the field boost) and encoded positions.
        assert list(field.index(text)) == list(reference.index(text)), text[:80]


def test_folding_by_runs_matches_folding_the_whole_text() -> None:
    from indexer.folding import _fold_letters

    texts = _texts() + ["ΟΔΟΣ Σ", "a\u0301b", "Ǆ ǅ", "ǈubljana", "ĳ", "ﬀ"]
    for text in texts:
        assert fold(text) == _fold_letters(text)


def _postings(reader, fieldname: str, term: bytes) -> list[tuple]:
    matcher = reader.postings(fieldname, term)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value(),
                      matcher.block_min_length(), matcher.block_max_length(),
                      matcher.block_max_weight()))
        matcher.next()
    return found


# The whole segment's values at once, and a few dozen postings at a time (a chunk ends
# within the terms of a field; a common word alone is longer than a chunk).
@pytest.mark.parametrize("value_chunk", [None, 50])
def test_bulk_segment_writer_writes_the_index_whooshs_writer_writes(
        tmp_path: Path, value_chunk: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh import index as whoosh_index
    from whoosh.writing import SegmentWriter

    from indexer import segments
    from indexer.entities import extractor_for
    from indexer.schema import document_for
    from indexer.segments import BulkSegmentWriter

    if value_chunk:
        monkeypatch.setattr(segments, "VALUE_CHUNK", value_chunk)
        # The remembered word numbers (of a field, of a field and its exact field added
        # together) cleared every few hundred words.
        monkeypatch.setattr(segments, "WORDS_KEPT", 300)

    extractor = extractor_for(None)
    documents = [document_for(r, extractor.extract(r)) for r in generate(400)]
    del documents[7]["date"]  # a document without a date, and one without officials
    documents[9]["official"] = ""
    # Exact fields given other texts than their folded ones (each then added apart),
    # and a field whose exact field is missing.
    documents[11]["body_exact"] = documents[11]["body"].upper()
    documents[12]["title_exact"] = "".join(reversed(documents[12]["title"]))
    del documents[13]["body_exact"]
    readers = []
    for name, writer_class in (("whoosh", SegmentWriter), ("bulk", BulkSegmentWriter)):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), build_schema())
        writer = writer_class(ix, compound=False)
        for document in documents:
            writer.add_document(**document)
        writer.commit(merge=False)
        readers.append(ix.reader())
    whoosh_reader, bulk_reader = readers
    terms = list(whoosh_reader.all_terms())
    assert terms == list(bulk_reader.all_terms())
    assert len(terms) > 10_000
    for fieldname, term in terms:
        expected, got = whoosh_reader.term_info(fieldname, term), bulk_reader.term_info(
            fieldname, term)
        assert (got.weight(), got.doc_frequency(), got.min_length(), got.max_length(),
                got.max_weight(), got.min_id(), got.max_id()) == \
            (expected.weight(), expected.doc_frequency(), expected.min_length(),
             expected.max_length(), expected.max_weight(), expected.min_id(),
             expected.max_id()), (fieldname, term)
        assert _postings(bulk_reader, fieldname, term) == \
            _postings(whoosh_reader, fieldname, term), (fieldname, term)
    for docnum in range(len(documents)):
        assert bulk_reader.stored_fields(docnum) == whoosh_reader.stored_fields(docnum)
        for fieldname in ("title", "body", "title_exact", "body_exact", "official", "country"):
            assert bulk_reader.doc_field_length(docnum, fieldname) == \
                whoosh_reader.doc_field_length(docnum, fieldname)
    for fieldname in ("title", "body", "official"):
        assert bulk_reader.field_length(fieldname) == whoosh_reader.field_length(fieldname)
    assert bulk_reader.has_column("date") and bulk_reader.has_column("id")


def test_position_lists_are_pickled_in_bulk_as_pickle_would() -> None:
    import random

    import numpy as np

    from indexer.position_values import PICKLE_BATCH, encode_positions, pickled_position_lists

    chooser = random.Random(7)
    lists = []
    # Gaps across every item size pickle has: one byte, two bytes, four bytes.
    for _ in range(500):
        size = chooser.choice([2, 3, 5, 40, PICKLE_BATCH])
        gaps = [chooser.choice([1, 2, 255, 256, 65535, 65536, 70_000, 10**9])
                for _ in range(size)]
        lists.append([int(p) for p in np.cumsum(gaps)])
    flat = np.array([p for positions in lists for p in positions], dtype=np.int64)
    counts = np.array([len(positions) for positions in lists])
    encoded, ends = pickled_position_lists(flat, np.cumsum(counts) - counts, counts)
    begin = 0
    for positions, end in zip(lists, ends.tolist(), strict=True):
        assert encoded[begin:end] == encode_positions(positions)
        begin = end


# The same segment written term by term (add_term) and in bulk (write_terms), whole and a
# few dozen postings a chunk: the postings and term files byte for byte. The 400
# communiqués give terms of one posting and of several blocks (a block is 128), with
# compressed and uncompressed blocks, weights all 1, all equal and differing.
@pytest.mark.parametrize("value_chunk", [None, 50])
def test_terms_written_in_bulk_are_the_bytes_written_term_by_term(
        tmp_path: Path, value_chunk: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh import index as whoosh_index

    from indexer import segments, whoosh_adapter
    from indexer.entities import extractor_for
    from indexer.schema import document_for

    if value_chunk:
        monkeypatch.setattr(segments, "VALUE_CHUNK", value_chunk)
    extractor = extractor_for(None)
    documents = [document_for(r, extractor.extract(r)) for r in generate(400)]
    del documents[7]["date"]
    documents[9]["official"] = ""
    files: dict[bool, dict[str, bytes]] = {}
    for bulk in (False, True):
        monkeypatch.setattr(whoosh_adapter, "WRITE_TERMS_IN_BULK", bulk)
        folder = tmp_path / str(bulk)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), build_schema())
        writer = segments.BulkSegmentWriter(ix, locked=False, compound=False)
        for document in documents:
            writer.add_document(**document)
        (segment,) = writer.finish_segment()
        files[bulk] = {p.name.split(".", 1)[1]: p.read_bytes()
                       for p in folder.iterdir() if p.name.startswith(f"MAIN_{segment.segid}")}
    assert {"pst", "trm"} <= set(files[True])
    assert files[True] == files[False]


# Weights that are not whole numbers (a boosted field's) are summed per term block by
# block, as Whoosh sums them; whole ones by numpy at once. Both give add_term's bytes:
# the postings, and the term index (its entries, ordered index and hash tables) past
# the 16-bit positions.
def test_terms_with_fractional_weights_written_in_bulk_are_the_bytes_of_add_term(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    from whoosh import index as whoosh_index
    from whoosh.fields import KEYWORD, Schema

    from indexer import segments, whoosh_adapter

    rng = np.random.default_rng(7)
    terms = sorted({f"t{n:05d}".encode() for n in rng.integers(0, 99_999, 3000)})
    sizes = rng.choice([1, 2, 5, 130, 300], size=len(terms), p=[0.6, 0.2, 0.1, 0.06, 0.04])
    starts = np.cumsum(sizes) - sizes
    docnums = np.concatenate([np.sort(rng.choice(400, size, replace=False)) for size in sizes])
    weights = rng.choice([0.1, 0.5, 1.0, 2.3, 3.0], size=len(docnums)).astype(np.float32)
    lengths = rng.integers(0, 200, 400).astype(np.uint32)
    schema = Schema(k=KEYWORD(scorable=True))
    files: dict[bool, dict[str, bytes]] = {}
    for bulk in (False, True):
        monkeypatch.setattr(whoosh_adapter, "WRITE_TERMS_IN_BULK", bulk)
        folder = tmp_path / str(bulk)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), schema)
        writer = segments.BulkSegmentWriter(ix, locked=False, compound=False)
        sink = whoosh_adapter.PostingSink(writer.fieldwriter)
        sink.start_field("k", schema["k"])
        sink.add_terms(terms, starts, docnums, weights, [], lengths, [0] * len(terms))
        sink.finish_field()
        writer.fieldwriter.close()
        files[bulk] = {p.name.split(".", 1)[1]: p.read_bytes() for p in folder.iterdir()
                       if p.name.endswith((".trm", ".pst"))}
    assert set(files[True]) == {"trm", "pst"}
    assert files[True] == files[False]
