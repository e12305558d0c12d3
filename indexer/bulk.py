"""Bulk evaluation of parsed Whoosh queries: every match and its BM25F score, with numpy.

Whoosh matches and scores one posting at a time through a chain of Python matcher
objects; at 100k documents a common word spends ~400 ms there. The search needs every
matching document anyway (facets, the total), so this module reads each term's postings
whole (a long list as the flat arrays beside its segment, indexer.flat_postings; others
a block at a time), scores them as arrays and combines the query tree with boolean and
float arrays over each segment's documents. Each term is looked up once per segment and
the answers kept per generation (`BulkEvaluator.term_entry`).

The scores are Whoosh's own, operation for operation: `bm25()` with the top-level
searcher's idf (WeightingModel.idf's expression) and average field length, the posting
weight (which includes the field boost) as tf, the segment's byte-quantised field
lengths, query boosts applied where Whoosh's matchers apply them, and child scores added
in the order Whoosh's matcher trees add them. One deliberate difference: "a -b" never
finds a document holding b, which Whoosh's AndNotMatcher sometimes does (see
`_evaluate`). Queries with a node this module
does not know (Prefix, Wildcard, FuzzyTerm, ranges, ...) are refused by `supports()`; the
caller then runs Whoosh itself.

Whoosh internals (posting blocks, length columns, BM25F's per-field B) are read
through indexer/whoosh_adapter.py. When it finds another Whoosh (`FAST_PATHS` False),
`unsupported()` refuses every query, so every search runs through Whoosh itself:
slower, the same results.
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
from whoosh import formats, scoring
from whoosh import query as wq
from whoosh.searching import TimeLimit

from indexer import phrases, whoosh_adapter
from indexer.flat_postings import FLAT_EXTENSION, FlatPostings
from indexer.position_values import PositionBlock

_INT_SIZE = 4  # Positions values start with pack_uint(len(deltas))
_LIST_HEAD = b"\x80\x02]q\x00"  # pickle protocol 2: PROTO 2, EMPTY_LIST, BINPUT 0
_BININT1, _BININT2, _BININT = ord("K"), ord("M"), ord("J")
_PICKLE_BATCH = 1000  # longer lists are pickled in several MARK ... APPENDS batches
_FEW_STEPS = 8  # values of up to this many positions are parsed a step per position
_BLOCK_POSTINGS = 128  # postings per block as the writers write them (W3Codec blocklimit)
# Or's heuristics (whoosh.query.compound.Or._matcher) when matcher_type is AUTO.
_OR_TOO_MANY_CLAUSES = wq.Or.TOO_MANY_CLAUSES
_OR_PRELOAD_MAX_DOCS = 5000
# Term entries a generation keeps (BulkEvaluator.term_entry): about 200 bytes each.
TERM_ENTRIES_KEPT = 16_384


class Unsupported(Exception):
    """The query has a node the bulk evaluator does not evaluate."""


@dataclass
class _Postings:
    """One term's postings in one segment."""

    ids: np.ndarray  # int64, ascending, deleted documents included
    weights: np.ndarray  # float64: the posting weight (frequency x field boost)
    # Each block's values, when asked for: a tuple of Whoosh's encoded positions, or a
    # PositionBlock of them (indexer.position_values); _position_lists reads them.
    values: list[Sequence[bytes]] | None


@dataclass
class _Dense:
    """A node's result over one segment: which documents match, and their scores."""

    mask: np.ndarray  # bool per segment document
    scores: np.ndarray | None  # float64, exactly 0.0 where mask is False; None if unscored


class _Segment:
    """What evaluating a query needs about one segment, for one query."""

    def __init__(self, evaluator: BulkEvaluator, searcher, reader, offset: int,
                 allowed: np.ndarray, scored: bool, deadline: float | None) -> None:
        self.evaluator = evaluator
        self.searcher = searcher  # top level: idf and average lengths are global
        self.reader = reader
        self.offset = offset
        self.size = reader.doc_count_all()
        self.allowed = allowed  # live (and within the caller's restriction)
        self.scored = scored
        self.deadline = deadline
        self.schema = searcher.schema
        self._postings: dict[tuple[str, bytes], _Postings] = {}

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeLimit()

    def empty(self) -> _Dense:
        return _Dense(np.zeros(self.size, dtype=bool),
                      np.zeros(self.size) if self.scored else None)

    def term(self, fieldname: str, btext: bytes) -> whoosh_adapter.TermEntry | None:
        """The term's entry in this segment, None when the segment does not hold it."""
        return self.evaluator.term_entry(self.reader, self.offset, fieldname, btext)

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        """reader.doc_frequency, from the term's entry."""
        entry = self.term(fieldname, btext)
        return 0 if entry is None else entry.doc_frequency

    def postings(self, fieldname: str, btext: bytes, values: bool = False) -> _Postings:
        key = (fieldname, btext)
        cached = self._postings.get(key)
        if cached is None or (values and cached.values is None):
            self.check_time()
            entry = self.term(fieldname, btext)
            flat = None if values or entry is None else \
                self.evaluator.flat_postings(self.reader, self.offset)
            cached = read_postings(self.reader, fieldname, btext, values, entry=entry,
                                   flat=flat)
            self._postings[key] = cached
        return cached

    def flat_postings(self, fieldname: str, btext: bytes) -> _Postings | None:
        """The term's postings, without values, when its list is flat in this segment
        (indexer.flat_postings); None otherwise."""
        cached = self._postings.get((fieldname, btext))
        if cached is not None:
            return cached
        entry = self.term(fieldname, btext)
        flat = None if entry is None else self.evaluator.flat_postings(self.reader, self.offset)
        if entry is None or flat is None or entry.offset < 0:
            return None
        found = flat.postings(entry.offset, entry.doc_frequency)
        if found is None:
            return None
        postings = self._postings[(fieldname, btext)] = _Postings(found[0], found[1], None)
        return postings

    def phrase_postings(self, fieldname: str, btext: bytes,
                        within: np.ndarray | None) -> _Postings:
        """A term's postings with their values, of at least the documents `within`
        (ascending; None: all): only the posting blocks holding one of them are read,
        unless the whole list was read already. A partial read is not kept."""
        cached = self._postings.get((fieldname, btext))
        if within is None or (cached is not None and cached.values is not None):
            return self.postings(fieldname, btext, values=True)
        self.check_time()
        return read_postings(self.reader, fieldname, btext, values=True, within=within,
                             entry=self.term(fieldname, btext))

    def term_scores(self, fieldname: str, btext: bytes, weights: np.ndarray,
                    ids: np.ndarray) -> np.ndarray:
        """BM25F of these postings, as whoosh.scoring.BM25FScorer computes it."""
        if not self.schema[fieldname].scorable:
            return weights.astype(np.float64, copy=True)  # Whoosh's WeightScorer
        weighting = self.searcher.weighting
        B = whoosh_adapter.bm25f_b(weighting, fieldname)
        K1 = weighting.K1
        idf = self.evaluator.idf(self.searcher, fieldname, btext)
        avgfl = self.evaluator.avg_field_length(self.searcher, fieldname) or 1
        fl = self.evaluator.lengths_of(self.reader, self.offset, fieldname, ids)
        tf = weights
        # Same expression and evaluation order as whoosh.scoring.bm25: identical floats.
        return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))


class BulkEvaluator:
    """Evaluates queries on one index generation; keeps its field lengths.

    `live` is the generation's mask of undeleted documents (FacetTables.live). Field
    lengths are read once per segment and field, on first use, then shared by every
    search and thread of the generation.
    """

    def __init__(self, live: np.ndarray, directory: Path | None = None) -> None:
        self.live = live
        self.directory = directory  # the index's, where segments' flat lists lie
        self._lengths: dict[tuple[int, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self._flat: dict[int, FlatPostings | None] = {}
        # (segment offset, field, term) -> the term's entry in that segment, or None.
        self._terms: dict[tuple[int, str, bytes], whoosh_adapter.TermEntry | None] = {}
        self._idf: dict[tuple[str, bytes], float] = {}
        self._average_lengths: dict[str, float] = {}

    def idf(self, searcher, fieldname: str, btext: bytes) -> float:
        """searcher.idf: BM25F's (WeightingModel.idf) over the whole index, from the
        term's entries in each segment (which its search reads anyway) rather than a
        lookup in every segment's hash table; kept like the entries."""
        key = (fieldname, btext)
        idf = self._idf.get(key)
        if idf is None:
            frequency = 0
            for reader, offset in searcher.reader().leaf_readers():
                entry = self.term_entry(reader, offset, fieldname, btext)
                frequency += 0 if entry is None else entry.doc_frequency
            idf = math.log(searcher.doc_count_all() / (frequency + 1)) + 1
            if len(self._idf) >= TERM_ENTRIES_KEPT:
                self._idf.clear()
            self._idf[key] = idf
        return idf

    def avg_field_length(self, searcher, fieldname: str) -> float:
        """searcher.avg_field_length, computed once a generation (Whoosh sums every
        segment's field length at each call: a call per term and segment)."""
        average = self._average_lengths.get(fieldname)
        if average is None:
            average = self._average_lengths[fieldname] = searcher.avg_field_length(fieldname)
        return average

    def flat_postings(self, reader, offset: int) -> FlatPostings | None:
        """The flat lists of the segment at `offset` (`reader`), opened on first use; None
        when it has none (indexer.flat_postings)."""
        if offset in self._flat:
            return self._flat[offset]
        flat = None
        segment = reader.segment() if self.directory is not None else None
        if self.directory is not None and segment is not None:
            flat = FlatPostings.open(self.directory / f"{segment.segment_id()}{FLAT_EXTENSION}")
        with self._lock:
            return self._flat.setdefault(offset, flat)

    def term_entry(self, reader, offset: int, fieldname: str, btext: bytes
                   ) -> whoosh_adapter.TermEntry | None:
        """The term's entry in the segment at `offset` (`reader`), looked up in its hash
        table once: a search asks about each of its terms in every segment several times
        (whether it is there, how many documents hold it, where its postings lie), and
        the next searches ask about the same common words. At most TERM_ENTRIES_KEPT
        are kept (all dropped when full: each costs one lookup to find again)."""
        key = (offset, fieldname, btext)
        try:
            return self._terms[key]
        except KeyError:
            pass
        entry = whoosh_adapter.term_entry(reader, fieldname, btext)
        if len(self._terms) >= TERM_ENTRIES_KEPT:
            self._terms.clear()
        self._terms[key] = entry
        return entry

    # -- what is supported -----------------------------------------------------------------

    def unsupported(self, query: wq.Query, searcher) -> wq.Query | None:
        """The first node this evaluator cannot evaluate exactly as Whoosh would, or None
        (the query itself for every query when the fast paths are off)."""
        if not whoosh_adapter.FAST_PATHS:
            return query
        weighting = searcher.weighting
        if type(weighting) is not scoring.BM25F or weighting.use_final:
            return query
        return _unsupported_node(query, searcher.schema)

    def supports(self, query: wq.Query, searcher) -> bool:
        return self.unsupported(query, searcher) is None

    # -- evaluation ------------------------------------------------------------------------

    def matches(self, query: wq.Query, searcher, *, scored: bool = True,
                restrict: np.ndarray | None = None,
                deadline: float | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(docnums ascending, their scores or None): the query's undeleted matches.

        `restrict` (a mask over all documents) limits the matches, as a Whoosh filter
        would; `deadline` (time.monotonic()) raises whoosh.searching.TimeLimit past it.
        """
        if not self.supports(query, searcher):
            raise Unsupported(repr(self.unsupported(query, searcher)))
        allowed = self.live if restrict is None else self.live & restrict
        docnums: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for reader, offset in searcher.reader().leaf_readers():
            size = reader.doc_count_all()
            segment = _Segment(self, searcher, reader, offset, allowed[offset:offset + size],
                               scored, deadline)
            if not size or not segment.allowed.any():
                continue
            segment.check_time()
            result = _evaluate(query, segment)
            local = np.flatnonzero(result.mask)
            docnums.append(local + offset)
            if scored:
                assert result.scores is not None
                scores.append(result.scores[local])
        all_docnums = np.concatenate(docnums) if docnums else np.empty(0, np.int64)
        if not scored:
            return all_docnums.astype(np.int64, copy=False), None
        all_scores = np.concatenate(scores) if scores else np.empty(0, np.float64)
        return all_docnums.astype(np.int64, copy=False), all_scores

    def ranking(self, query: wq.Query, searcher, *, restrict: np.ndarray | None = None,
                deadline: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, scores) best first, ties by docnum: the order of Whoosh's collector."""
        docnums, scores = self.matches(query, searcher, scored=True, restrict=restrict,
                                       deadline=deadline)
        assert scores is not None
        # UnlimitedCollector sorts by (-score, docnum).
        order = np.lexsort((docnums, -scores))
        return docnums[order], scores[order]

    def preload_lengths(self, reader, fieldnames: Sequence[str]) -> None:
        """Read the field lengths of every segment now (`reader`: the whole index);
        nothing when the fast paths are off, as nothing is evaluated here then."""
        if not whoosh_adapter.FAST_PATHS:
            return
        for leaf, offset in reader.leaf_readers():
            for fieldname in fieldnames:
                if fieldname in leaf.schema:
                    self._stored_lengths(leaf, offset, fieldname)

    def use_lengths(self, reader, lengths: Mapping[str, np.ndarray]) -> None:
        """Take every segment's field lengths from whole-index arrays (`reader`: the whole
        index), such as the mapped generation data (`indexer.gendata`) holds: each
        segment's share is a view, nothing is copied or read from the index."""
        for leaf, offset in reader.leaf_readers():
            size = leaf.doc_count_all()
            for fieldname, values in lengths.items():
                with self._lock:
                    self._lengths[(offset, fieldname)] = \
                        values[offset:offset + size].view(np.ndarray)

    def field_lengths(self, reader, offset: int, fieldname: str) -> np.ndarray:
        """The segment's stored length of `fieldname` per document (as doc_field_length)."""
        return self.lengths_of(reader, offset, fieldname, slice(None))

    def lengths_of(self, reader, offset: int, fieldname: str,
                   ids: np.ndarray | slice) -> np.ndarray:
        """The stored length of `fieldname` of these documents of the segment (float64,
        as doc_field_length gives it), decoded from the length bytes kept per segment."""
        stored = self._stored_lengths(reader, offset, fieldname)[ids]
        return whoosh_adapter.decoded_lengths(stored) if stored.dtype == np.uint8 \
            else stored

    def _stored_lengths(self, reader, offset: int, fieldname: str) -> np.ndarray:
        """The segment's length bytes of a field (uint8, a byte a document: an eighth of
        the floats), or its float lengths where the bytes cannot be read; kept."""
        key = (offset, fieldname)
        lengths = self._lengths.get(key)
        if lengths is None:
            lengths = read_length_codes(reader, fieldname)
            if lengths is None:
                lengths = _read_lengths(reader, fieldname)
            with self._lock:
                lengths = self._lengths.setdefault(key, lengths)
        return lengths


# -- the query tree ------------------------------------------------------------------------

def _unsupported_node(q: wq.Query, schema) -> wq.Query | None:
    # Exact types: FuzzyTerm and Variations subclass Term but match other words.
    if whoosh_adapter.is_null_query(q):
        return None
    if type(q) is wq.Term:
        # A minimum quality lets Whoosh skip blocks: fewer matches than the postings.
        return q if q.minquality else None
    if type(q) is wq.Phrase:
        if not q.words or any(w is None for w in q.words):
            return q
        if q.fieldname in schema and type(schema[q.fieldname].format) is not formats.Positions:
            return q  # Whoosh raises or degrades to an And; let it
        return None
    if type(q) is wq.And or type(q) is wq.Or:
        if type(q) is wq.Or and (q.scale or q.matcher_type != wq.Or.AUTO_MATCHER):
            return q
        children = q.subqueries
    elif type(q) is wq.Not:
        children = [q.query]
    elif type(q) is wq.AndNot or type(q) is wq.AndMaybe or type(q) is wq.Require:
        children = [q.a, q.b]
    else:
        return q
    for child in children:
        found = _unsupported_node(child, schema)
        if found is not None:
            return found
    return None


def _evaluate(q: wq.Query, seg: _Segment) -> _Dense:
    if whoosh_adapter.is_null_query(q):
        return seg.empty()
    if type(q) is wq.Term:
        return _term(q, seg)
    if type(q) is wq.Phrase:
        return _phrase(q, seg)
    if type(q) is wq.And or type(q) is wq.Or:
        subs = list(q.subqueries)
        if not subs:
            return seg.empty()
        if len(subs) == 1:
            return _evaluate(subs[0], seg)  # CompoundQuery.matcher: the lone child, unboosted
        if type(q) is wq.And:
            return _and(q, subs, seg)
        assert type(q) is wq.Or
        return _or(q, subs, seg)
    if type(q) is wq.Not:
        # InverseMatcher: every undeleted document the child misses, scoring 1.0.
        child = _evaluate(q.query, _unscored(seg))
        mask = seg.allowed & ~child.mask
        return _Dense(mask, mask.astype(np.float64) if seg.scored else None)
    if type(q) is wq.AndNot or type(q) is wq.Require:
        a = _evaluate(q.a, seg)
        b = _evaluate(q.b, _unscored(seg))
        # Deliberately not Whoosh's result in one case: AndNotMatcher lets a's first match
        # in a segment through when b's postings start before it, even if b holds that
        # document (whoosh-community/whoosh#419, still in whoosh3 3.54.0).
        mask = a.mask & ~b.mask if type(q) is wq.AndNot else a.mask & b.mask
        return _Dense(mask, _masked(a.scores, mask))  # the scores are a's
    if type(q) is wq.AndMaybe:
        a = _evaluate(q.a, seg)
        b = _evaluate(q.b, seg)
        scores = None
        if a.scores is not None and b.scores is not None:
            # AndMaybeMatcher: a + b where b matches too, else a (b is 0.0 there: exact).
            scores = _masked(a.scores + b.scores, a.mask)
        return _Dense(a.mask, scores)
    raise Unsupported(repr(q))


def _unscored(seg: _Segment) -> _Segment:
    """The segment context for a branch whose scores Whoosh ignores (NOT, AndNot's b)."""
    if not seg.scored:
        return seg
    other = _Segment.__new__(_Segment)
    other.__dict__.update(seg.__dict__)
    other.scored = False
    return other


def _masked(scores: np.ndarray | None, mask: np.ndarray) -> np.ndarray | None:
    return None if scores is None else np.where(mask, scores, 0.0)


def _boosted(result: _Dense, boost: float) -> _Dense:
    # WrappingMatcher(m, boost): score * boost (only built when boost != 1).
    if boost != 1.0 and result.scores is not None:
        return _Dense(result.mask, result.scores * boost)
    return result


def _intersect(a: _Dense, b: _Dense) -> _Dense:
    mask = a.mask & b.mask
    if a.scores is None or b.scores is None:
        return _Dense(mask, None)
    return _Dense(mask, np.where(mask, a.scores + b.scores, 0.0))  # IntersectionMatcher


def _union(a: _Dense, b: _Dense) -> _Dense:
    mask = a.mask | b.mask
    if a.scores is None or b.scores is None:
        return _Dense(mask, None)
    # UnionMatcher adds both scores, or takes the one present: x + 0.0 == x exactly.
    return _Dense(mask, a.scores + b.scores)


def _weighted_tree(weighted: list[tuple[int, _Dense]],
                   combine: Callable[[_Dense, _Dense], _Dense]) -> _Dense:
    """Combine like whoosh.util.make_weighted_tree: the two lightest first, repeatedly.

    Whoosh adds scores in this tree's order; following it keeps sums of three or more
    children bit-identical. (Equal weights: Whoosh compares matcher objects, whose
    order is arbitrary; here the query order breaks the tie.)
    """
    items = sorted(weighted, key=lambda item: item[0])
    while len(items) > 1:
        (wa, a), (wb, b) = items[0], items[1]
        del items[:2]
        weight = wa + wb
        position = bisect_right([w for w, _ in items], weight)
        items.insert(position, (weight, combine(a, b)))
    return items[0][1]


def _binary_tree(results: Sequence[_Dense], combine: Callable[[_Dense, _Dense], _Dense]) -> _Dense:
    """Combine like whoosh.util.make_binary_tree (halves, recursively)."""
    if len(results) == 1:
        return results[0]
    half = len(results) // 2
    return combine(_binary_tree(results[:half], combine), _binary_tree(results[half:], combine))


def _and(q: wq.And, subs: list[wq.Query], seg: _Segment) -> _Dense:
    # And._matcher: a weighted tree of IntersectionMatchers, the largest estimates first.
    results = _phrases_last(subs, seg)
    weighted = [(0 - _estimate(sub, seg), result)
                for sub, result in zip(subs, results, strict=True)]
    return _boosted(_weighted_tree(weighted, _intersect), q.boost)


def _phrases_last(subs: list[wq.Query], seg: _Segment) -> list[_Dense]:
    """Each clause of an And evaluated, those holding a phrase last and only within the
    documents every other clause matches ('"visa regime" adopted': positions are decoded
    only where "adopted" is). A clause's result within a subset of the documents is its
    result there (every node is evaluated document by document), and the intersection
    leaves out every other document: the And's result is the same."""
    results: list[_Dense | None] = [None] * len(subs)
    later = [_has_phrase(sub) for sub in subs]
    within: np.ndarray | None = None
    for i in sorted(range(len(subs)), key=lambda i: later[i]):
        if not later[i] or within is None:
            result = _evaluate(subs[i], seg)
        elif not within.any():
            result = seg.empty()  # the And matches nothing here: scores 0.0, as the tree's
        else:
            result = _evaluate(subs[i], _restricted(seg, within))
        within = result.mask if within is None else within & result.mask
        results[i] = result
    return [result for result in results if result is not None]


def _has_phrase(q: wq.Query) -> bool:
    return type(q) is wq.Phrase or any(_has_phrase(child) for child in q.children())


def _restricted(seg: _Segment, mask: np.ndarray) -> _Segment:
    """The segment context with only the documents of `mask` allowed."""
    other = _Segment.__new__(_Segment)
    other.__dict__.update(seg.__dict__)
    other.allowed = seg.allowed & mask
    return other


def _or(q: wq.Or, subs: list[wq.Query], seg: _Segment) -> _Dense:
    # Or._matcher (AUTO, searched without needs_current as the collector does): a tree of
    # UnionMatchers for two clauses or big segments, otherwise ArrayUnionMatcher, which
    # accumulates each child's score times the boost in query order. Unscored, both match
    # the same documents.
    if len(subs) < _OR_TOO_MANY_CLAUSES and (
            len(subs) == 2 or seg.reader.doc_count_all() > _OR_PRELOAD_MAX_DOCS):
        weighted = [(_estimate(sub, seg), _evaluate(sub, seg)) for sub in subs]
        return _boosted(_weighted_tree(weighted, _union), q.boost)
    mask = np.zeros(seg.size, dtype=bool)
    total = np.zeros(seg.size) if seg.scored else None
    for sub in subs:
        child = _evaluate(sub, seg)
        mask |= child.mask
        if total is not None and child.scores is not None:
            total += child.scores * q.boost
    if total is not None:
        # ArrayUnionMatcher keeps only documents whose accumulated score is above 0.
        mask &= total > 0
        total = _masked(total, mask)
    return _Dense(mask, total)


def _estimate(q: wq.Query, seg: _Segment) -> int:
    """q.estimate_size(seg.reader), Whoosh's estimate that orders an And's or Or's tree,
    from the segment's term entries for terms and the phrases, Ands and Ors of them."""
    if type(q) is wq.Term:  # Term.estimate_size: the document frequency, 0 when not a term
        btext = _term_bytes(seg.schema, q.fieldname, q.text)
        return 0 if btext is None else seg.doc_frequency(q.fieldname, btext)
    if type(q) is wq.Phrase and q.words:  # Phrase._and_query: an And of its words' terms
        return min(_estimate(wq.Term(q.fieldname, word), seg) for word in q.words)
    if type(q) is wq.And and q.subqueries:
        return min(_estimate(sub, seg) for sub in q.subqueries)
    if type(q) is wq.Or:  # CompoundQuery.estimate_size
        total = sum(_estimate(sub, seg) for sub in q.subqueries)
        return min(total, seg.reader.doc_count())
    return q.estimate_size(seg.reader)


def _term_bytes(schema, fieldname: str, text) -> bytes | None:
    """The term as the index holds it, or None where Term.matcher gives a NullMatcher."""
    if fieldname not in schema:
        return None
    try:
        return schema[fieldname].to_bytes(text)
    except ValueError:
        return None


def _term(q: wq.Term, seg: _Segment) -> _Dense:
    btext = _term_bytes(seg.schema, q.fieldname, q.text)
    if btext is None or seg.term(q.fieldname, btext) is None:
        return seg.empty()
    postings = seg.postings(q.fieldname, btext)
    keep = seg.allowed[postings.ids]
    ids = postings.ids[keep]
    mask = np.zeros(seg.size, dtype=bool)
    mask[ids] = True
    if not seg.scored:
        return _Dense(mask, None)
    scores = np.zeros(seg.size)
    scores[ids] = seg.term_scores(q.fieldname, btext, postings.weights[keep], ids)
    return _boosted(_Dense(mask, scores), q.boost)


def _phrase(q: wq.Phrase, seg: _Segment) -> _Dense:
    """Documents where the words occur in order, each within `slop` of the previous.

    This is SpanNear2(ordered=True, mindist=1), which Phrase.matcher builds: positions
    p0 < p1 < ... with 1 <= p[i] - p[i-1] <= slop (indexer.phrases). The words are read
    rarest first (fewest documents in the segment), each only in its posting blocks that
    hold a document every rarer word is in (and the And around the phrase allows), when
    those are few: a common word beside a rare one costs the few blocks around the rare
    one's documents. Positions
    are decoded only for the documents that hold every word and are still in the
    running, word by word. The score is that of the wrapped IntersectionMatcher tree of
    the words' terms (times the phrase's boost).
    """
    fieldname = q.fieldname
    terms = [_term_bytes(seg.schema, fieldname, word) for word in q.words]
    btexts = [b for b in terms if b is not None and seg.term(fieldname, b) is not None]
    if len(btexts) < len(terms):
        return seg.empty()  # Phrase.matcher: a missing word is a NullMatcher
    distinct = list(dict.fromkeys(btexts))  # a repeated word is read once
    distinct.sort(key=lambda b: seg.doc_frequency(fieldname, b))
    read: dict[bytes, _Postings] = {}
    # The documents still possible: those allowed (a phrase inside an And is only asked
    # about the documents the And's other clauses match), then those with every word
    # read so far.
    docs = np.flatnonzero(seg.allowed)
    for n, btext in enumerate(distinct):
        # A word whose list is flat (indexer.flat_postings) narrows them by its ids alone;
        # its positions are read below, in the blocks of the documents left at the end.
        flat = seg.flat_postings(fieldname, btext)
        # They pick the blocks to read when they are fewer than the word's blocks (of 128
        # postings): more would reach nearly every block anyway.
        few = len(docs) * _BLOCK_POSTINGS < seg.doc_frequency(fieldname, btext)
        postings = flat or seg.phrase_postings(fieldname, btext, docs if few else None)
        if flat is None:
            read[btext] = postings
        # The first word's whole list against the mask costs less than a search.
        docs = postings.ids[seg.allowed[postings.ids]] if not n and not few \
            else phrases.narrow(docs, postings.ids, seg.size)
        if not len(docs):
            return seg.empty()
    for btext in distinct:
        if btext not in read:
            few = len(docs) * _BLOCK_POSTINGS < seg.doc_frequency(fieldname, btext)
            read[btext] = seg.phrase_postings(fieldname, btext, docs if few else None)
    fmt = seg.schema[fieldname].format
    lists: dict[bytes, _PositionLists | list[bytes]] = {}
    joined: dict[bytes, _Joined] = {}
    decoded: dict[bytes, tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]] = {}

    def positions(i: int, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        btext = btexts[i]
        earlier = decoded.get(btext)  # a repeated word, for the same documents
        if earlier is not None and np.array_equal(earlier[0], docs):
            return earlier[1]
        seg.check_time()
        postings = read[btext]
        assert postings.values is not None
        at = np.searchsorted(postings.ids, docs)
        word = lists.get(btext)
        if word is None:
            word = lists[btext] = _position_lists(postings.values, fmt)
        if isinstance(word, _PositionLists):  # packed blocks: the arrays as they are
            found = word.chosen(at)
        else:
            # Whoosh's values only. Joining all of a word's pays when nearly all are
            # decoded, or a repeated word's twice: else only the chosen ones are joined.
            if btext not in joined and (4 * len(docs) >= 3 * len(word)
                                        or btexts.count(btext) > 1):
                joined[btext] = _joined(word)
            found = _decode_positions(word, at, fmt, joined.get(btext))
        decoded[btext] = (docs, found)
        return found

    docs = phrases.in_order(docs, len(btexts), positions, q.slop)
    mask = np.zeros(seg.size, dtype=bool)
    mask[docs] = True
    if not seg.scored:
        return _Dense(mask, None)
    parts = []
    for btext in btexts:
        postings = read[btext]
        at = np.searchsorted(postings.ids, docs)
        scores = np.zeros(seg.size)
        scores[docs] = seg.term_scores(fieldname, btext, postings.weights[at], docs)
        parts.append(_Dense(mask, scores))
    # SpanNear2Matcher wraps make_binary_tree(IntersectionMatcher, term matchers).
    return _boosted(_binary_tree(parts, _intersect), q.boost)


# -- reading the index ---------------------------------------------------------------------

def read_postings(reader, fieldname: str, btext: bytes, values: bool = False,
                  within: np.ndarray | None = None,
                  entry: whoosh_adapter.TermEntry | None = None,
                  flat: FlatPostings | None = None) -> _Postings:
    """All postings of a term in a segment, deleted documents included (with the fast
    paths off, Whoosh's matcher leaves deleted documents out).

    With `within` (docnums, ascending), the postings of at least those documents: only
    the posting blocks that hold one of them are read (others may come with them).
    `entry`: the term's entry in the segment (whoosh_adapter.term_entry), when known;
    `flat`: the segment's flat lists, where a long list is read without values."""
    if flat is not None and entry is not None and not values and entry.offset >= 0:
        found = flat.postings(entry.offset, entry.doc_frequency)
        if found is not None:
            return _Postings(found[0], found[1], None)
    if entry is not None:
        read = whoosh_adapter.listed_postings(reader, entry, values, within)
        if read is not None:
            return _Postings(*read)
    # A segment with deletions wraps its matcher in a filter; deletions are the caller's
    # live mask here, so the wrapped matcher is read from its start.
    matcher = whoosh_adapter.unwrap_deletions(reader.postings(fieldname, btext))
    read = whoosh_adapter.block_postings(matcher, values, within)
    if read is not None:
        return _Postings(*read)
    # Other matchers (e.g. a ListMatcher over postings inlined in the term info): step.
    matcher.reset()
    ids: list[int] = []
    weights: list[float] = []
    encoded: list[bytes] | None = [] if values else None
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if encoded is not None:
            encoded.append(matcher.value())
        matcher.next()
    return _Postings(np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64),
                     None if encoded is None else [encoded])


@dataclass
class _PositionLists:
    """A term's positions in the postings read: posting k's are
    flat[starts[k]:starts[k] + counts[k]], ascending."""

    counts: np.ndarray  # int64
    starts: np.ndarray  # int64
    flat: np.ndarray  # int64

    def chosen(self, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions per posting, all their positions) of the postings `at`."""
        counts = self.counts[at]
        offsets = np.cumsum(counts) - counts
        index = np.arange(int(offsets[-1] + counts[-1]) if len(counts) else 0,
                          dtype=np.int64) + np.repeat(self.starts[at] - offsets, counts)
        return counts, self.flat[index]


def _position_lists(parts: list[Sequence[bytes]], fmt: formats.Positions
                    ) -> _PositionLists | list[bytes]:
    """A term's blocks' values (read_postings) as position lists when some block is
    a PositionBlock (the tuples among them decoded whole: a packed term's tuples are
    its short blocks); else the values, one after another, to be decoded as chosen."""
    packed = [part for part in parts if type(part) is PositionBlock]
    if not packed:
        return list(chain.from_iterable(parts))
    if len(packed) == len(parts) and len({p.counts.typecode for p in packed}) == 1 \
            and len({p.positions.typecode for p in packed}) == 1:
        # Every block packed alike (the usual case): two joins, whatever their number.
        counts = np.frombuffer(b"".join(p.counts for p in packed),
                               dtype=packed[0].counts.typecode).astype(np.int64)
        flat = np.frombuffer(b"".join(p.positions for p in packed),
                             dtype=packed[0].positions.typecode).astype(np.int64)
    else:
        count_parts: list[np.ndarray] = []
        flat_parts: list[np.ndarray] = []
        for part in parts:
            if type(part) is PositionBlock:
                part_counts, part_flat = part.arrays()
            else:
                part_counts, part_flat = _decode_positions(part, np.arange(len(part)), fmt)
            count_parts.append(part_counts.astype(np.int64))
            flat_parts.append(part_flat.astype(np.int64))
        counts, flat = np.concatenate(count_parts), np.concatenate(flat_parts)
    return _PositionLists(counts, np.cumsum(counts) - counts, flat)


@dataclass
class _Joined:
    """A term's encoded values joined into one buffer, for decoding any of them."""

    values: Sequence[bytes]
    buffer: np.ndarray  # uint8: every value, one after another
    ends: np.ndarray  # int64: where each value ends in the buffer


def _joined(values: Sequence[bytes]) -> _Joined:
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    return _Joined(values, np.frombuffer(b"".join(values), dtype=np.uint8), np.cumsum(lengths))


def _decode_positions(values: Sequence[bytes], at: np.ndarray, fmt: formats.Positions,
                      joined: _Joined | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(positions per value, all positions) of values[at], as Positions.decode_positions.

    A value is pack_uint(n) + pickle.dumps(deltas, 2): PROTO 2, EMPTY_LIST, BINPUT 0,
    then n integers (BININT1 "K" + 1 byte, BININT2 "M" + 2, BININT "J" + 4, little
    endian) between MARK and APPENDS ("a" after a single one), then STOP. A pickle.loads
    per value is what made phrases slow; here every value is parsed at once, one integer
    per step, with numpy. Values of another shape are decoded one by one by Whoosh.
    `joined` (`_joined(values)`), when given, saves joining the chosen values again: a
    phrase decodes a word's values for most of its documents, or twice ("the the").
    """
    if joined is None:
        chosen = values if len(at) == len(values) else [values[i] for i in at.tolist()]
        joined, picked = _joined(chosen), np.arange(len(chosen))
    else:
        picked = at
    count = len(picked)
    if not count:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    buffer = joined.buffer
    ends = joined.ends[picked]
    starts = np.where(picked > 0, joined.ends[picked - 1], 0)
    lengths = ends - starts

    def chosen_value(i: int) -> bytes:
        return joined.values[int(picked[i])]

    head = _INT_SIZE + len(_LIST_HEAD)
    fast = lengths >= head + 4  # the shortest: head, K, one byte, APPENDS, STOP
    at_start = np.where(fast, starts, 0)
    counts = np.zeros(count, dtype=np.int64)
    for k in range(_INT_SIZE):  # pack_uint: big endian
        counts = (counts << 8) | buffer[np.minimum(at_start + k, len(buffer) - 1)]
    for k, byte in enumerate(_LIST_HEAD):
        fast &= buffer[np.minimum(at_start + _INT_SIZE + k, len(buffer) - 1)] == byte
    single = counts == 1
    fast &= (counts >= 1) & (counts <= _PICKLE_BATCH)
    fast &= buffer[ends - 1] == ord(".")
    fast &= buffer[ends - 2] == np.where(single, ord("a"), ord("e"))
    fast &= single | (buffer[np.minimum(at_start + head, len(buffer) - 1)] == ord("("))
    slow = np.flatnonzero(~fast)
    slow_positions = [np.asarray(fmt.decode_positions(chosen_value(i)), dtype=np.int64)
                      for i in slow.tolist()]
    counts[slow] = [len(p) for p in slow_positions]
    firsts = np.cumsum(counts) - counts
    deltas = np.empty(int(counts.sum()), dtype=np.int64)
    for i, positions in zip(slow.tolist(), slow_positions, strict=True):
        deltas[firsts[i]:firsts[i] + len(positions)] = np.diff(positions, prepend=0)
    cursor = at_start + head + np.where(single, 0, 1)  # past MARK, unless single
    # Values whose items are all BININT1 ("K" + one byte: every gap under 256, most
    # values) take two bytes an item; their gaps sit at a fixed stride, read in one go.
    # (Only worth it when stepping would take many steps: a few are cheaper.)
    short = fast & (ends - 2 - cursor == 2 * counts) & (counts > _FEW_STEPS)
    if short.any():
        short_counts = counts[short]
        within = np.arange(int(short_counts.sum())) - \
            np.repeat(np.cumsum(short_counts) - short_counts, short_counts)
        source = np.repeat(cursor[short] + 1, short_counts) + 2 * within
        if (buffer[source - 1] == _BININT1).all():
            deltas[np.repeat(firsts[short], short_counts) + within] = buffer[source]
            cursor[short] = ends[short] - 2
        else:
            short[:] = False  # not what it looked like: step through them below
    active = np.flatnonzero(fast & ~short)
    step = 0
    while len(active):
        where = cursor[active]
        op = buffer[where]
        value = buffer[where + 1].astype(np.int64)
        two = op == _BININT2
        if two.any():
            value[two] |= buffer[where[two] + 2].astype(np.int64) << 8
        four = op == _BININT
        if four.any():
            at4 = where[four]
            word = value[four] | (buffer[at4 + 2].astype(np.int64) << 8) | \
                (buffer[at4 + 3].astype(np.int64) << 16) | (buffer[at4 + 4].astype(np.int64) << 24)
            value[four] = np.where(word >= 1 << 31, word - (1 << 32), word)  # signed
        if ((op != _BININT1) & ~two & ~four).any():
            return _decode_one_by_one([chosen_value(i) for i in range(count)], fmt)
        deltas[firsts[active] + step] = value
        cursor[active] = where + 2 + two + 3 * four
        step += 1
        active = active[counts[active] > step]
    if (cursor[fast] != ends[fast] - 2).any():  # each must stop at its APPENDS
        return _decode_one_by_one([chosen_value(i) for i in range(count)], fmt)
    # Cumulative sums restarted at each value: the positions.
    running = np.concatenate(([0], np.cumsum(deltas)))
    return counts, running[1:] - np.repeat(running[firsts], counts)


def _decode_one_by_one(chosen: list[bytes], fmt: formats.Positions
                       ) -> tuple[np.ndarray, np.ndarray]:
    decoded = [fmt.decode_positions(value) for value in chosen]
    counts = np.fromiter(map(len, decoded), dtype=np.int64, count=len(decoded))
    return counts, np.fromiter(chain.from_iterable(decoded), dtype=np.int64,
                               count=int(counts.sum()))


def read_lengths(reader, fieldname: str) -> np.ndarray:
    """A segment's stored length of `fieldname` per document, as the evaluator reads it."""
    return _read_lengths(reader, fieldname)


def read_length_codes(reader, fieldname: str) -> np.ndarray | None:
    """A segment's stored length bytes of `fieldname` (uint8, decoded by
    whoosh_adapter.decoded_lengths), or None where only the floats can be read (for the
    generation data the writer computes, indexer.gendata)."""
    return whoosh_adapter.field_length_codes(reader, fieldname)


def _read_lengths(reader, fieldname: str) -> np.ndarray:
    """reader.doc_field_length(d, fieldname, 1) for every document d, as float64."""
    lengths = whoosh_adapter.field_lengths(reader, fieldname)
    if lengths is not None:
        return lengths
    return np.array([reader.doc_field_length(d, fieldname, 1) or 0
                     for d in range(reader.doc_count_all())], dtype=np.float64)
