"""Phrase and proximity queries in bulk: the documents, scores and order of Whoosh's own
collector, on posting lists of many blocks (so the rarest word's documents pick which
blocks of the others are read), over two segments with deletions, a word only one
segment holds, repeated words, slops, phrases inside And, Or and Not."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from indexer import bulk
from indexer.bulk import BulkEvaluator

COMMON = ["alpha", "beta", "gamma", "delta"]
RARE = ["rho", "sigma"]  # in about one document of a hundred
ONLY_SECOND = "omega"  # in the second segment only
WORDS = [*COMMON, *RARE, ONLY_SECOND, "nowhere"]
FIRST, SECOND = 1500, 1000
DELETED = [*range(3, FIRST, 17), *range(FIRST + 5, FIRST + SECOND, 23)]


def _text(rng: random.Random, second: bool) -> str:
    # A few long documents: gaps past 255 positions are pickled as BININT2, not BININT1.
    size = rng.choice([700] if rng.random() < 0.03 else [3, 8, 20, 40])
    words = rng.choices(COMMON, k=size)
    for rare in RARE:
        if rng.random() < 0.012:
            words[rng.randrange(size)] = rare
    if second and rng.random() < 0.05:
        words[rng.randrange(size)] = ONLY_SECOND
    return " ".join(words)


# Segments written by Whoosh's writer (each block's values a tuple of Whoosh's), and by
# the bulk writer (blocks of 16 postings or more a PositionBlock, the others tuples).
@pytest.fixture(scope="module", params=["whoosh", "bulk"])
def written_by(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def searcher(written_by: str):
    from indexer.segments import BulkSegmentWriter

    analyzer = RegexTokenizer() | LowercaseFilter()
    schema = Schema(id=ID(stored=True, unique=True), body=TEXT(analyzer=analyzer),
                    title=TEXT(analyzer=analyzer, field_boost=3.0))
    ix = RamStorage().create_index(schema)
    rng = random.Random(18)
    for start, count, second in ((0, FIRST, False), (FIRST, SECOND, True)):
        writer = ix.writer() if written_by == "whoosh" else BulkSegmentWriter(ix)
        for n in range(start, start + count):
            writer.add_document(id=str(n), body=_text(rng, second),
                                title=" ".join(rng.choices(COMMON + RARE, k=4)))
        writer.commit(merge=False)
        if second:
            writer = ix.writer()
            for n in DELETED:
                writer.delete_by_term("id", str(n))
            writer.commit(merge=False)
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        yield searcher


@pytest.fixture(scope="module")
def evaluator(searcher) -> BulkEvaluator:
    reader = searcher.reader()
    live = np.array([not reader.is_deleted(d) for d in range(reader.doc_count_all())])
    return BulkEvaluator(live)


def assert_as_whoosh(searcher, evaluator: BulkEvaluator, query: wq.Query) -> list[int]:
    assert evaluator.supports(query, searcher), query
    expected = sorted(searcher.docs_for_query(query))
    docnums, _ = evaluator.matches(query, searcher, scored=False)
    assert docnums.tolist() == expected, query
    collector = searcher.collector(limit=None)
    searcher.search_with_collector(query, collector)
    top = collector.results().top_n
    ranked, scores = evaluator.ranking(query, searcher)
    assert ranked.tolist() == [d for _, d in top], query
    np.testing.assert_allclose(scores, [s for s, _ in top], rtol=1e-6)
    return expected


PHRASE = st.builds(
    lambda words, slop, field: wq.Phrase(field, words, slop=slop),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=4),
    st.sampled_from([1, 1, 2, 3, 6]),
    st.sampled_from(["body", "body", "title"]),
)
TERM = st.builds(lambda w, f: wq.Term(f, w), st.sampled_from(WORDS),
                 st.sampled_from(["body", "title"]))
QUERY = st.one_of(
    PHRASE,
    st.builds(lambda p, t: wq.And([p, t]), PHRASE, TERM),
    st.builds(lambda t, p, q: wq.And([t, p, q]), TERM, PHRASE, PHRASE),
    st.builds(lambda p, q: wq.Or([p, q]), PHRASE, PHRASE),
    st.builds(lambda p, t: wq.And([t, wq.Not(p)]), PHRASE, TERM),
    # (No AndNot: Whoosh's AndNotMatcher has a bug the evaluator does not copy,
    # whoosh-community/whoosh#419; tests/test_bulk.py compares it apart.)
    st.builds(lambda p, t: wq.Or([wq.And([p, t]), wq.Term("title", RARE[0])]), PHRASE, TERM),
)


# 100 queries for each writer's segments (150 before the bulk writer's were added).
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERY, narrowed=st.booleans())
def test_phrases_match_and_score_as_whoosh(searcher, evaluator, monkeypatch,
                                           query: wq.Query, narrowed: bool) -> None:
    # Narrowed: every word after the rarest is read only in the blocks holding a rarer
    # word's documents whenever they are fewer than its postings (not only fewer than its
    # blocks), so block skipping is exercised on this small index too.
    monkeypatch.setattr(bulk, "_BLOCK_POSTINGS", 1 if narrowed else 128)
    assert_as_whoosh(searcher, evaluator, query)


def test_narrowed_reads_happen(searcher, evaluator, monkeypatch) -> None:
    calls: list[int] = []
    real = bulk.read_postings

    def counted(*args, within=None, **kwargs):
        if within is not None:
            calls.append(len(within))
        return real(*args, within=within, **kwargs)

    monkeypatch.setattr(bulk, "read_postings", counted)
    # About 18 rho documents against 1,300 alpha postings: fewer than alpha's blocks if
    # they were of 16 postings (this index is too small for blocks of 128 to be skipped).
    monkeypatch.setattr(bulk, "_BLOCK_POSTINGS", 16)
    assert_as_whoosh(searcher, evaluator, wq.Phrase("body", ["rho", "alpha"]))
    assert calls and all(0 < n < 30 for n in calls)  # rho's documents picked alpha's blocks


@pytest.mark.parametrize("words,slop", [
    (["alpha", "alpha"], 1),  # "the the": one word's positions, one after another
    (["alpha", "alpha", "alpha"], 2),
    (["beta", "alpha", "beta"], 1),
    (["rho", "alpha"], 1),  # a rare word drives: few blocks of alpha read
    (["alpha", "rho"], 3),
    (["sigma", "beta", "gamma"], 6),
    ([ONLY_SECOND, "gamma"], 1),  # no posting in the first segment
    (["gamma", ONLY_SECOND, "gamma"], 2),
    (["alpha", "nowhere"], 1),  # in no segment
])
def test_phrase_cases(searcher, evaluator, words: list[str], slop: int) -> None:
    found = assert_as_whoosh(searcher, evaluator, wq.Phrase("body", words, slop=slop))
    reader = searcher.reader()
    assert not any(reader.is_deleted(d) for d in found)
    if "nowhere" not in words:
        assert found, words
    if ONLY_SECOND in words:
        assert min(found) >= FIRST


def test_a_repeated_word_is_no_single_word(searcher, evaluator) -> None:
    twice = set(assert_as_whoosh(searcher, evaluator, wq.Phrase("body", ["rho", "rho"])))
    once = set(assert_as_whoosh(searcher, evaluator, wq.Term("body", "rho")))
    assert twice < once


def test_only_the_blocks_holding_the_documents_asked_for_are_read(searcher) -> None:
    reader, _ = searcher.reader().leaf_readers()[0]
    full = bulk.read_postings(reader, "body", b"alpha", values=True)
    rare = bulk.read_postings(reader, "body", b"rho", values=True).ids
    assert len(full.ids) > 8 * 128 and 0 < len(rare) < 30
    asked = rare[:2]
    part = bulk.read_postings(reader, "body", b"alpha", values=True, within=asked)
    assert part.values is not None and full.values is not None
    # Every posting of the documents asked for, with its weight and value, from at most
    # the two blocks that hold them.
    assert set(np.intersect1d(asked, full.ids).tolist()) <= set(part.ids.tolist())
    assert 0 < len(part.ids) <= 2 * 128
    at = np.searchsorted(full.ids, part.ids)
    assert (full.ids[at] == part.ids).all()
    assert (full.weights[at] == part.weights).all()
    fmt = searcher.schema["body"].format
    whole = _positions(full, fmt)
    assert [whole[i] for i in at.tolist()] == _positions(part, fmt)
    empty = bulk.read_postings(reader, "body", b"alpha", values=True,
                               within=np.array([], dtype=np.int64))
    assert len(empty.ids) == 0 and len(empty.weights) == 0


def _positions(postings: bulk._Postings, fmt) -> list[list[int]]:
    """Each posting's positions, as the phrase search reads them."""
    assert postings.values is not None
    every = np.arange(len(postings.ids))
    lists = bulk._position_lists(postings.values, fmt)
    counts, flat = lists.chosen(every) if isinstance(lists, bulk._PositionLists) \
        else bulk._decode_positions(lists, every, fmt)
    return [part.tolist() for part in np.split(flat, np.cumsum(counts)[:-1])]


def test_blocks_give_the_positions_whooshs_matcher_gives(searcher, written_by: str) -> None:
    """Every posting's positions read from the blocks are what Whoosh's matcher gives
    (it reads a PositionBlock as a tuple of values); the bulk writer packs exactly the
    blocks of PACKED_MIN postings or more, Whoosh's writer none."""
    from indexer.position_values import PACKED_MIN, PositionBlock

    fmt = searcher.schema["body"].format
    packed_blocks = 0
    for reader, _ in searcher.reader().leaf_readers():
        for word in ("alpha", "rho", "omega"):
            if ("body", word.encode()) not in reader:
                continue
            postings = bulk.read_postings(reader, "body", word.encode(), values=True)
            assert postings.values is not None
            matcher = reader.postings("body", word.encode())
            expected = []
            while matcher.is_active():
                expected.append((matcher.id(), fmt.decode_positions(matcher.value())))
                matcher.next()
            # (Whoosh's matcher leaves deleted documents out; read_postings does not.)
            got = dict(zip(postings.ids.tolist(), _positions(postings, fmt), strict=True))
            assert len(expected) > 0
            assert [(d, got[d]) for d, _ in expected] == expected
            for part in postings.values:
                packed = type(part) is PositionBlock
                assert packed == (written_by == "bulk" and len(part) >= PACKED_MIN)
                packed_blocks += packed
    assert (packed_blocks > 10) == (written_by == "bulk")


def test_positions_decode_as_whoosh_does_in_every_path(searcher) -> None:
    from whoosh.formats import Positions

    fmt = searcher.schema["body"].format
    rng = random.Random(7)
    lists = [sorted(rng.sample(range(5000), rng.choice([1, 2, 5, 9, 30, 200])))
             for _ in range(300)]
    lists += [list(range(0, 60, 3)), [300, 301, 302], list(range(20)), [70_000]]
    # The strided shapes (all one-byte gaps; a two-byte first then one-byte gaps) and
    # their near misses: a two-byte gap later, a four-byte first, gaps whose byte is an
    # opcode's ("K" 75, "M" 77, "J" 74), one position of each width.
    lists += [[5], [255], [256], [65_535], [65_536], [4, 79, 154], [256, 331, 406],
              [300, 301, 600], [40, 300, 301], [70_000, 70_001], [1000, 1074, 1151, 1225],
              [75, 152, 229], [300, 375, 452, 526]]
    values = [Positions().encode(p) for p in lists]
    at = np.array(sorted(rng.sample(range(len(values)), 200)))
    expected = [fmt.decode_positions(values[i]) for i in at.tolist()]
    # Only the chosen values joined, and every value joined once (as a phrase does).
    for joined in (None, bulk._joined(values)):
        counts, flat = bulk._decode_positions(values, at, fmt, joined)
        assert counts.tolist() == [len(e) for e in expected]
        assert flat.tolist() == [p for e in expected for p in e]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from([0, 0, 1, 1, 2, None]), max_size=12),
                      min_size=1, max_size=12),
       phrase=st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=3),
       slop=st.sampled_from([1, 1, 2, 3]))
def test_in_order_finds_the_documents_a_scan_of_their_positions_finds(
        texts: list[list[int | None]], phrase: list[int], slop: int) -> None:
    """phrases.in_order against a scan of every document's positions: documents in a row
    (the last position of one, the first of the next), a slop of 1 (its own test of the
    next position only), and a first word with no position in some documents (a
    document's positions of word i: where its text holds i; None is another word)."""
    from indexer import phrases

    docs = np.arange(len(texts), dtype=np.int64) * 3  # not every docnum
    where = {(d, w): [p for p, word in enumerate(text) if word == w]
             for d, text in zip(docs.tolist(), texts, strict=True) for w in range(3)}

    def positions(i: int, asked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = [where[(d, phrase[i])] for d in asked.tolist()]
        return (np.array([len(f) for f in found], dtype=np.int64),
                np.array([p for f in found for p in f], dtype=np.int64))

    def holds(d: int) -> bool:
        reached = set(where[(d, phrase[0])])
        for word in phrase[1:]:
            reached = {p for p in where[(d, word)] if any(1 <= p - q <= slop for q in reached)}
        return bool(reached)

    expected = [d for d in docs.tolist() if holds(d)]
    assert phrases.in_order(docs, len(phrase), positions, slop).tolist() == expected
