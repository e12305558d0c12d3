"""The bulk evaluator finds the documents Whoosh finds, with Whoosh's scores and order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from benchmarks.corpus import (
    COLLOCATIONS,
    COUNTRIES,
    PEOPLE,
    SOURCES,
    common_words,
    generate,
    query_safe,
    rare_words,
    to_cyrillic,
)
from indexer import bulk, whoosh_adapter
from indexer.archive import Archive
from indexer.build import update_index
from indexer.bulk import BulkEvaluator, Unsupported
from indexer.errors import SearchTimeout
from indexer.facets import FacetTables
from indexer.folding import folded_analyzer
from indexer.schema import build_schema, document_for
from indexer.search import SearchRequest, SearchService

COMMON = common_words()
RARE = rare_words()
PHRASES = [c for c in COLLOCATIONS if query_safe(c)]
NAME = PEOPLE[0]  # two words with diacritics: "Uroš Marinević"
FIRST_SEGMENT = 300
SECOND_SEGMENT = 200
UPDATED = range(0, 20, 2)  # records of the first segment indexed again in the second
DELETED_FIRST = range(1, 40, 4)
DELETED_SECOND = range(FIRST_SEGMENT, FIRST_SEGMENT + 30, 3)


def term(word: str) -> str:
    """The folded index term of a word (for queries built by hand)."""
    return next(iter(folded_analyzer()(word))).text


WORD = term(COMMON[0])
OTHER = term(COMMON[1])
PHRASE_TERMS = [term(w) for w in PHRASES[0].split()]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    """Two segments, each with deleted documents, some updated into the second one."""
    directory = tmp_path_factory.mktemp("bulk")
    ix = whoosh_index.create_in(str(directory), build_schema())
    records = list(generate(FIRST_SEGMENT + SECOND_SEGMENT))
    writer = ix.writer()
    for record in records[:FIRST_SEGMENT]:
        writer.add_document(**document_for(record))
    writer.commit(merge=False)
    writer = ix.writer()
    for record in records[FIRST_SEGMENT:]:
        writer.add_document(**document_for(record))
    for n in UPDATED:
        revised = replace(records[n], title=records[n].title + " revised",
                          body=records[n].body + " revised cooperation")
        writer.update_document(**document_for(revised))
    for n in DELETED_FIRST:
        writer.delete_by_term("id", records[n].id)
    writer.commit(merge=False)
    writer = ix.writer()
    for n in DELETED_SECOND:
        writer.delete_by_term("id", records[n].id)
    writer.commit(merge=False)
    return ix


@pytest.fixture(scope="module")
def searcher(index):
    with index.searcher() as searcher:
        segments = searcher.reader().leaf_readers()
        assert len(segments) == 2 and all(r.has_deletions() for r, _ in segments)
        yield searcher


@pytest.fixture(scope="module")
def tables(searcher) -> FacetTables:
    return FacetTables(searcher.reader())


@pytest.fixture
def evaluator(tables: FacetTables) -> BulkEvaluator:
    return BulkEvaluator(tables.live)


@pytest.fixture(scope="module")
def parse(tmp_path_factory: pytest.TempPathFactory, searcher):
    service = SearchService(tmp_path_factory.mktemp("parser"))  # only its query parser

    def parse(q: str, exact: bool = False) -> wq.Query:
        return service.parse(q, searcher.schema, exact)[0]

    return parse


def whoosh_ranking(searcher, query: wq.Query, within: set[int] | None = None):
    collector = searcher.collector(limit=None, filter=within)
    searcher.search_with_collector(query, collector)
    top = collector.results().top_n
    return [d for _, d in top], [s for s, _ in top]


def and_not_as_and(query: wq.Query) -> wq.Query:
    """AndNot(a, b) as And([a, Not(b)]): the same documents, without Whoosh's AndNot bug.

    AndNotMatcher only excludes a's first posting of a segment if b is already on it, so
    "a -b" finds that document even when it holds b whenever b's postings start earlier
    (whoosh-community/whoosh#419, still in whoosh3 3.54.0). The bulk evaluator excludes it.
    """
    if type(query) is wq.AndNot:
        return wq.And([and_not_as_and(query.a), wq.Not(and_not_as_and(query.b))])
    return query.apply(and_not_as_and)


def assert_same_as_whoosh(searcher, evaluator: BulkEvaluator, query: wq.Query) -> list[int]:
    assert evaluator.supports(query, searcher), query
    expected = set(searcher.docs_for_query(and_not_as_and(query)))
    docnums, scores = evaluator.matches(query, searcher, scored=False)
    assert scores is None
    assert set(docnums.tolist()) == expected and len(docnums) == len(expected)
    whoosh_docs, whoosh_scores = whoosh_ranking(searcher, query)
    if set(whoosh_docs) != expected:  # only ever the AndNot bug's extra documents
        assert set(whoosh_docs) > expected and "ANDNOT" in str(query)
        whoosh_scores = [s for d, s in zip(whoosh_docs, whoosh_scores, strict=True)
                         if d in expected]
        whoosh_docs = [d for d in whoosh_docs if d in expected]
    ranked, ranked_scores = evaluator.ranking(query, searcher)
    # Score descending, then docnum ascending: the collector's order exactly.
    assert ranked.tolist() == whoosh_docs
    np.testing.assert_allclose(ranked_scores, whoosh_scores, rtol=1e-5)
    return whoosh_docs


def test_and_not_excludes_what_whoosh_misses() -> None:
    from whoosh.fields import TEXT, Schema
    from whoosh.filedb.filestore import RamStorage

    ix = RamStorage().create_index(Schema(t=TEXT))
    with ix.writer() as writer:
        for text in ("bee", "ant bee", "ant"):
            writer.add_document(t=text)
    with ix.searcher() as searcher:
        query = wq.AndNot(wq.Term("t", "ant"), wq.Term("t", "bee"))
        evaluator = BulkEvaluator(np.ones(searcher.doc_count_all(), dtype=bool))
        docnums, scores = evaluator.ranking(query, searcher)
        assert docnums.tolist() == [2]  # Whoosh also finds 1, "ant bee" (whoosh#419)
        assert scores.tolist() == [s for s, d in whoosh_ranking_items(searcher, query)
                                   if d == 2]


def whoosh_ranking_items(searcher, query: wq.Query) -> list[tuple[float, int]]:
    collector = searcher.collector(limit=None)
    searcher.search_with_collector(query, collector)
    return list(collector.results().top_n)


QUERIES = [
    COMMON[0],
    f"{COMMON[3]} {COMMON[8]}",
    f"{COMMON[0]} {COMMON[1]} {COMMON[2]}",
    f"{COMMON[1]} OR {COMMON[2]}",
    f"{COMMON[0]} OR {COMMON[4]} OR {RARE[0]}",
    f"{COMMON[0]} NOT {COMMON[1]}",
    f"{COMMON[0]} -{COMMON[1]}",
    f"NOT {COMMON[1]}",
    f"{COMMON[5]} OR NOT {COMMON[1]}",
    f"+{COMMON[0]} {COMMON[4]}",
    f"({COMMON[2]} OR {COMMON[6]}) {COMMON[3]} -{COMMON[7]}",
    f'"{PHRASES[0]}"',
    f'"{PHRASES[1]}" OR "{PHRASES[2]}"',
    f'"{PHRASES[0]} {COMMON[0]}"',
    f'"{COMMON[0]} {COMMON[1]}"~5',
    f"title:{COMMON[0]}",
    f"title:({COMMON[0]} OR {COMMON[2]})",
    f'official:"{NAME}"',
    f"official:{NAME.split()[1]}",
    f'country:"{COUNTRIES[2][1]}"',
    f"country:{COUNTRIES[0][1]} {COMMON[0]}",
    f"source:{SOURCES[0]}",
    f"source:{SOURCES[1]} {COMMON[3]}",
    "type:news",
    "lang:sr",
    "ministry:rs",
    f'"{NAME}"',
    to_cyrillic(NAME),
    f"exact:{NAME.split()[1]}",
    RARE[1],
    "revised",
]
MAY_BE_EMPTY = {RARE[1], f'"{PHRASES[0]} {COMMON[0]}"'}


@pytest.mark.parametrize("exact", [False, True], ids=["folded", "exact"])
@pytest.mark.parametrize("q", QUERIES)
def test_same_documents_scores_and_order_as_whoosh(searcher, evaluator, parse, q: str,
                                                    exact: bool) -> None:
    found = assert_same_as_whoosh(searcher, evaluator, parse(q, exact))
    if q not in MAY_BE_EMPTY and not (exact and q == to_cyrillic(NAME)):
        assert found, q


def test_words_apart_are_not_a_phrase(searcher, evaluator, parse) -> None:
    for exact in (False, True):
        phrase = set(assert_same_as_whoosh(searcher, evaluator, parse(f'"{PHRASES[0]}"', exact)))
        words = set(assert_same_as_whoosh(searcher, evaluator, parse(PHRASES[0], exact)))
        # Documents with both words, some of them apart: the phrase is a strict subset.
        assert phrase and phrase < words
        first, second = PHRASES[0].split()
        backwards = set(assert_same_as_whoosh(searcher, evaluator,
                                              parse(f'"{second} {first}"', exact)))
        assert backwards < words
        near = set(assert_same_as_whoosh(searcher, evaluator,
                                         parse(f'"{PHRASES[0]}"~4', exact)))
        assert phrase <= near <= words


def test_deleted_documents_never_match_and_updates_do(searcher, evaluator, parse) -> None:
    reader = searcher.reader()
    docnums, _ = evaluator.matches(parse(f"{COMMON[0]} OR NOT {COMMON[0]}"), searcher)
    assert not any(reader.is_deleted(d) for d in docnums.tolist())
    assert len(docnums) == reader.doc_count()
    revised, _ = evaluator.matches(parse("revised"), searcher)
    offset = reader.leaf_readers()[1][1]
    assert len(revised) == len(UPDATED) and (revised >= offset).all()


def test_a_term_missing_from_one_segment(searcher, evaluator) -> None:
    (first, _), (second, _) = searcher.reader().leaf_readers()
    only_second = next(t for t in second.lexicon("body") if ("body", t) not in first)
    only_first = next(t for t in first.lexicon("title") if ("title", t) not in second)
    for q in (wq.Term("body", only_second.decode()),
              wq.Or([wq.Term("title", only_first.decode()), wq.Term("body", only_second.decode())]),
              wq.Phrase("body", [only_second.decode(), WORD])):
        assert_same_as_whoosh(searcher, evaluator, q)


@pytest.mark.parametrize("query", [
    wq.NullQuery,
    wq.And([]),
    wq.Or([]),
    wq.Term("no_such_field", "x"),
    wq.Phrase("no_such_field", ["a", "b"]),
    wq.Term("body", "zzqxvw"),
    wq.And([wq.Term("body", WORD), wq.Term("body", "zzqxvw")]),
    wq.Or([wq.Term("body", WORD), wq.Term("title", "zzqxvw")], boost=2.0),
    wq.Or([wq.Term("body", WORD), wq.Term("title", WORD), wq.Term("body", OTHER)], boost=2.0),
    wq.And([wq.Term("body", WORD)], boost=5.0),  # one child: Whoosh drops the boost
    wq.And([wq.Term("body", WORD), wq.Term("title", OTHER, boost=1.5)], boost=0.5),
    wq.Require(wq.Term("body", WORD), wq.Term("title", OTHER)),
    wq.AndNot(wq.Term("body", WORD), wq.Not(wq.Term("body", OTHER))),
    wq.AndMaybe(wq.Term("title", WORD), wq.Not(wq.Term("body", OTHER))),
    wq.Phrase("body", [WORD]),
    wq.Phrase("body", PHRASE_TERMS, boost=2.5),
    wq.Phrase("body", [PHRASE_TERMS[0], PHRASE_TERMS[0]], slop=3),
    wq.Phrase("body", PHRASE_TERMS, slop=0),
])
def test_edge_queries(searcher, evaluator, query: wq.Query) -> None:
    assert_same_as_whoosh(searcher, evaluator, query)


def test_a_restriction_acts_as_whoosh_filter(searcher, evaluator, tables, parse) -> None:
    dates = tables.in_date_range(date(2005, 1, 1), date(2015, 12, 31))
    within = set(np.flatnonzero(dates).tolist())
    for q in (COMMON[0], f'"{PHRASES[0]}"', f"NOT {COMMON[1]}"):
        query = parse(q)
        expected, expected_scores = whoosh_ranking(searcher, query, within)
        ranked, scores = evaluator.ranking(query, searcher, restrict=dates)
        assert expected and ranked.tolist() == expected
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-5)


def test_union_tree_for_big_segments(searcher, evaluator, parse, monkeypatch) -> None:
    # Over 5,000 documents Whoosh ORs three or more clauses with a tree of UnionMatchers
    # instead of an array; pretend these segments are that big.
    monkeypatch.setattr(bulk, "_OR_PRELOAD_MAX_DOCS", 0)
    query = parse(f"{COMMON[0]} OR {COMMON[4]} OR {RARE[0]}")
    expected, expected_scores = whoosh_ranking(searcher, query)
    docnums, scores = evaluator.matches(query, searcher)
    assert set(docnums.tolist()) == set(expected)
    by_doc = dict(zip(expected, expected_scores, strict=True))
    np.testing.assert_allclose(scores, [by_doc[d] for d in docnums.tolist()], rtol=1e-5)


def test_other_matchers_are_stepped_through(searcher, evaluator, parse, monkeypatch) -> None:
    # Posting lists that are not W3 block lists (e.g. inlined in the term info) are read
    # one posting at a time; pretend none is a block list.
    monkeypatch.setattr(whoosh_adapter, "W3LeafMatcher", type("NotAMatcher", (), {}))
    monkeypatch.setattr(whoosh_adapter, "W3TermsReader", type("NotATermsReader", (), {}))
    for q in (COMMON[0], f'"{PHRASES[0]}"', f"{COMMON[0]} -{COMMON[1]}"):
        assert_same_as_whoosh(searcher, evaluator, parse(q))


def test_each_term_is_looked_up_once_per_segment(searcher, evaluator, parse,
                                                 monkeypatch) -> None:
    """A search asks about each term in each segment several times (is it there, how many
    documents hold it, where its postings lie); the segment's hash table is read once, and
    not again by the next search. Dropping the entries (TERM_ENTRIES_KEPT) changes no
    result."""
    lookups: list[tuple[int, str, bytes]] = []
    real = whoosh_adapter.term_entry

    def counted(reader, fieldname: str, btext: bytes):
        lookups.append((id(reader), fieldname, btext))
        return real(reader, fieldname, btext)

    monkeypatch.setattr(whoosh_adapter, "term_entry", counted)
    query = parse(f'{COMMON[0]} {COMMON[1]} "{PHRASES[0]}"')
    assert_same_as_whoosh(searcher, evaluator, query)
    assert lookups and len(lookups) == len(set(lookups))
    done = len(lookups)
    evaluator.matches(query, searcher)
    assert len(lookups) == done
    monkeypatch.setattr(bulk, "TERM_ENTRIES_KEPT", 2)
    assert_same_as_whoosh(searcher, BulkEvaluator(evaluator.live), query)


def test_field_lengths_are_whoosh_s_and_read_once(searcher, evaluator, parse, monkeypatch) -> None:
    for reader, offset in searcher.reader().leaf_readers():
        for field in ("title", "body", "official"):
            lengths = evaluator.field_lengths(reader, offset, field)
            for d in range(0, reader.doc_count_all(), 7):
                assert lengths[d] == (reader.doc_field_length(d, field, 1) or 0)
    reads = []
    for name in ("_read_lengths", "read_length_codes"):
        real = getattr(bulk, name)
        monkeypatch.setattr(bulk, name, lambda *a, real=real: reads.append(a) or real(*a))
    fresh = BulkEvaluator(evaluator.live)
    fresh.ranking(parse(COMMON[0]), searcher)
    fresh.ranking(parse(COMMON[1]), searcher)
    assert len(reads) == 4  # title and body, in each of the two segments
    # Kept as the stored length bytes, a byte a document (a float each was 8).
    if whoosh_adapter.FAST_PATHS:
        assert all(kept.dtype == np.uint8 for kept in fresh._lengths.values())


def test_positions_of_every_shape_decode_as_whoosh_does(searcher) -> None:
    from whoosh.formats import Positions

    fmt = searcher.schema["body"].format
    positions = ([0], [5], [5, 300, 70_000, 2**31 - 1], list(range(1500)), [1, 2], [7, 7 + 256])
    values = [Positions().encode(p) for p in positions]
    values.append(values[1][:-1])  # a value without the pickle's STOP
    values.append(b"\x00\x00\x00\x02" + b"\x80\x02]q\x00(K\x01K\x02e.")
    at = np.array([7, 0, 1, 2, 3, 4, 5, 6, 2])
    counts, flat = bulk._decode_positions(values, at, fmt)
    expected = [fmt.decode_positions(values[i]) for i in at.tolist()]
    assert counts.tolist() == [len(e) for e in expected]
    assert flat.tolist() == [p for e in expected for p in e]


@pytest.mark.parametrize("q", [
    f"{COMMON[0][:5]}*",
    f"{COMMON[0][:3]}?{COMMON[0][4:]}",
    f"{COMMON[0][:-1]}x~",
    f"({COMMON[0][:5]}* OR {COMMON[1]}) {COMMON[2]}",
])
def test_unsupported_nodes_are_refused(searcher, evaluator, parse, q: str) -> None:
    query = parse(q)
    assert not evaluator.supports(query, searcher)
    refused = evaluator.unsupported(query, searcher)
    assert isinstance(refused, wq.Prefix | wq.Wildcard | wq.FuzzyTerm)
    with pytest.raises(Unsupported):
        evaluator.matches(query, searcher)


def test_other_node_types_are_refused(searcher, evaluator) -> None:
    for query in (wq.Every(), wq.DateRange("date", datetime(2010, 1, 1), datetime(2011, 1, 1)),
                  wq.Or([wq.Term("body", "a"), wq.Term("body", "b")], scale=0.5),
                  wq.Term("body", "a", minquality=1.0), wq.Phrase("body", [])):
        assert not evaluator.supports(query, searcher), query


# -- through the search service ----------------------------------------------------------------

@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    data_dir = tmp_path_factory.mktemp("bulk-service")
    with Archive(data_dir) as archive:
        archive.store_many(list(generate(120)))
        update_index(archive, data_dir)
    return SearchService(data_dir)


def _results(service: SearchService, request: SearchRequest):
    service.generations.current()[0].cache.clear()
    results = service.search(request)
    return (results.total, [(h.id, h.score) for h in results.hits], results.facets,
            results.histogram, results.next_cursor)


@pytest.mark.parametrize("kwargs", [
    {"q": COMMON[0]},
    {"q": f'"{PHRASES[0]}"', "page": 2},
    {"q": f"{COMMON[3]} {COMMON[8]} -{COMMON[1]}", "filters": {"language": ("en",)}},
    {"q": COMMON[0], "date_from": date(2010, 1, 1), "date_to": date(2016, 6, 30)},
    {"q": COMMON[0], "sort": "newest"},
    {"q": f"NOT {COMMON[0]}", "sort": "oldest"},
    {"q": NAME, "exact": True},
    {"q": f"{COMMON[0][:5]}*"},  # the fallback both ways
])
def test_service_results_are_the_fallback_s(service: SearchService, monkeypatch,
                                            kwargs: dict) -> None:
    request = SearchRequest(page_size=20, **kwargs)
    with_bulk = _results(service, request)
    monkeypatch.setattr(BulkEvaluator, "supports", lambda self, query, searcher: False)
    assert _results(service, request) == with_bulk
    assert with_bulk[0] > 0


def test_service_time_limit_applies_to_bulk_searches(service: SearchService) -> None:
    impatient = SearchService(service.data_dir, time_limit=1e-9)
    with pytest.raises(SearchTimeout):
        impatient.search(SearchRequest(q=COMMON[0]))


def test_service_uses_one_evaluator_per_generation(service: SearchService) -> None:
    generation = service.generations.current()[0]
    assert service.generations.current()[0].bulk is generation.bulk
    # Opening the generation read the title and body lengths of every segment.
    offsets = [offset for _, offset in generation.index.reader().leaf_readers()]
    assert {(offset, name) for offset in offsets for name in ("title", "body")} <= \
        set(generation.bulk._lengths)
