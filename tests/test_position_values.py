"""PositionBlock: a text field's posting block values, packed (indexer/position_values.py).

Whoosh must read a packed block as it reads a tuple of its own values (every value the
bytes Positions.encode makes), the search fast path must read the same positions from
its arrays, and Whoosh's own merge must carry the positions over."""

from __future__ import annotations

import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.formats import Characters, Positions

from benchmarks.corpus import generate
from indexer import bulk
from indexer.position_values import (
    PACKED_MIN,
    PackedPositions,
    PositionBlock,
    block_values,
    decoded_block,
    encode_positions,
    packed_from,
)
from indexer.schema import build_schema, document_for
from indexer.segments import BulkSegmentWriter

position_lists = st.lists(
    st.lists(st.integers(min_value=0, max_value=70_000), min_size=1, max_size=300,
             unique=True).map(sorted),
    min_size=1, max_size=140)


@settings(max_examples=200, deadline=None)
@given(lists=position_lists)
def test_a_packed_block_gives_whooshs_values_and_arrays(lists: list[list[int]]) -> None:
    counts = np.array([len(p) for p in lists])
    flat = np.array([p for each in lists for p in each])
    block = PositionBlock.of(counts, flat)
    expected = [Positions().encode(p) for p in lists]
    assert list(block) == expected
    assert [block[i] for i in range(-len(lists), 0)] == expected
    assert block[1:4] == expected[1:4]
    got_counts, got_flat = block.arrays()
    assert got_counts.tolist() == counts.tolist() and got_flat.tolist() == flat.tolist()
    # The narrowest arrays that hold them.
    assert block.counts.itemsize == (1 if counts.max() < 256 else 2)
    assert block.positions.itemsize == (1 if flat.max() < 256 else 2 if flat.max() < 65536
                                        else 4)
    copy = pickle.loads(pickle.dumps(block, 4))
    assert type(copy) is PositionBlock and copy == block and list(copy) == expected
    # From Whoosh's values back to the same block (the writer's path for fields whose
    # values come encoded).
    assert decoded_block(expected, Positions()) == block


def test_out_of_range_and_empty() -> None:
    block = PositionBlock.of(np.array([2, 1]), np.array([3, 9, 4]))
    for index in (2, -3):
        try:
            block[index]
        except IndexError:
            continue
        raise AssertionError(index)
    assert block[-1] == encode_positions([4]) and block[0] == encode_positions([3, 9])
    empty = PositionBlock.of(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert len(empty) == 0 and list(empty) == []


def test_only_positions_and_long_enough_blocks_are_packed() -> None:
    lists = [[i, i + 300] for i in range(40)]
    encoded = [encode_positions(p) for p in lists]
    packed = PackedPositions(np.full(40, 2), np.arange(0, 80, 2),
                             np.array([p for each in lists for p in each]))
    assert packed_from(Positions()) == PACKED_MIN and packed_from(Characters()) > 10**9
    for values in (encoded, packed):
        long = block_values(values, 0, PACKED_MIN, Positions())
        assert type(long) is PositionBlock and list(long) == encoded[:PACKED_MIN]
        # Shorter: a tuple; from PackedPositions its values come from the iterator given.
        short = block_values(values, 0, PACKED_MIN - 1, Positions(),
                             iter(packed.encoded(np.arange(PACKED_MIN - 1))))
        assert short == tuple(encoded[:PACKED_MIN - 1])
    # Another format's values are left as they are.
    assert block_values(encoded, 0, 40, Characters()) == tuple(encoded)


def _every_posting(reader) -> dict:
    postings = {}
    for fieldname, term in reader.all_terms():
        matcher = reader.postings(fieldname, term)
        found = []
        while matcher.is_active():
            found.append((reader.stored_fields(matcher.id())["id"], matcher.weight(),
                          matcher.value()))
            matcher.next()
        postings[fieldname, term] = found
    return postings


def test_whooshs_merge_carries_packed_blocks_over(tmp_path) -> None:
    """Two segments of the bulk writer merged by Whoosh's own writer (as updates merge
    tiers): every posting's value is the same, and the phrase search reads them."""
    documents = [document_for(r) for r in generate(120)]
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    for share in (documents[:80], documents[80:]):
        writer = BulkSegmentWriter(ix, compound=False)
        for document in share:
            writer.add_document(**document)
        writer.commit(merge=False)
    with ix.reader() as reader:
        before = _every_posting(reader)
        leaf = reader.leaf_readers()[0][0]
        common = max(((f, t) for f, t in leaf.all_terms() if f == "body"),
                     key=lambda ft: leaf.doc_frequency(*ft))
        read = bulk.read_postings(leaf, *common, values=True)
        assert read.values is not None
        assert any(type(block) is PositionBlock for block in read.values)
    ix.writer().commit(optimize=True)
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) == 1
        assert _every_posting(reader) == before
        leaf = reader.leaf_readers()[0][0]
        read = bulk.read_postings(leaf, *common, values=True)
        assert read.values is not None
        assert not any(type(block) is PositionBlock for block in read.values)
