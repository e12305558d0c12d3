"""Per index generation: each document's facet values, date and id as numpy arrays.

Built once when a generation is first searched (Whoosh's own `groupedby` rebuilds
its maps on every query, WHOOSH.md trap 4), then shared by every search and thread:
a search turns its filters into boolean masks and counts facets with `bincount`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, overload

import numpy as np
from whoosh.reading import IndexReader

from indexer import whoosh_adapter
from indexer.bulk import read_postings

if TYPE_CHECKING:
    from indexer.gendata import GenerationData


@dataclass(frozen=True)
class FacetSpec:
    name: str  # the URL parameter and the facet's key
    label: str
    field: str | None  # index field, or None for the date-derived facets
    multi: bool = False  # several values per document


FACETS: tuple[FacetSpec, ...] = (
    FacetSpec("source", "Ministry", "source"),
    FacetSpec("ministry_country", "Ministry's country", "ministry_country"),
    FacetSpec("language", "Language", "language"),
    FacetSpec("type", "Type", "type"),
    FacetSpec("year", "Year", None),
    FacetSpec("month", "Month", None),
    FacetSpec("official", "Officials", "official_facet", multi=True),
    FacetSpec("country", "Countries mentioned", "country_facet", multi=True),
    # Issue 15: "withdrawn" marks communiqués gone from their ministry's site.
    FacetSpec("status", "Status", "status"),
)
FACETS_BY_NAME = {facet.name: facet for facet in FACETS}
# Facets whose index terms are lower-cased (the others keep names as written).
_LOWERCASE_FACETS = frozenset({"source", "ministry_country", "language", "type", "status"})
_TICKS_PER_DAY = 86_400 * 1_000_000  # Whoosh stores datetimes as microsecond ticks
_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_TICKS = 10_000 * 366 * _TICKS_PER_DAY
# The per-document columns (document numbers, facet value numbers, days, years, months,
# id ranks) are 32-bit: every web worker maps them and most searches read them whole, so
# their width is each worker's resident memory and the searches' memory traffic. Results
# do not depend on it (an index of 2**31 documents is beyond this design); arithmetic
# that could leave 32 bits (the paging keys) is done in 64.
COLUMN_INT = np.int32
# The most pairs in a run of one value (`_Facet.runs`): a run's masked count fits a byte.
RUN_PAIRS = 255


def _term_docs(leaf: IndexReader, field: str, btext: bytes) -> np.ndarray:
    """The documents of a term in a segment: its posting blocks read whole, or with the
    fast paths off Whoosh's own `all_ids` (which leaves deleted documents out)."""
    if whoosh_adapter.FAST_PATHS:
        return read_postings(leaf, field, btext).ids
    return np.fromiter(leaf.postings(field, btext).all_ids(), dtype=np.int64)


@dataclass
class _Facet:
    terms: list[str]
    index: dict[str, int]
    docs: np.ndarray  # multi: the document of each (document, value) pair; else unused
    values: np.ndarray  # single: value index per document (-1 none); multi: value per pair

    def runs(self) -> tuple[np.ndarray, np.ndarray]:
        """(where each run of one value starts among the pairs, its value): a multi
        facet's pairs come a posting list at a time, a run per value and segment, cut
        into runs of at most RUN_PAIRS pairs (a run's count then fits a byte). Mapped
        from the generation data, or made on first use (about 1 % of the pairs)."""
        made = self.__dict__.get("_runs")
        if made is None:
            starts = np.flatnonzero(np.diff(self.values) != 0) + 1
            starts = np.concatenate([[0], starts]) if len(self.values) else starts
            lengths = np.diff(np.append(starts, len(self.values)))
            pieces = (lengths + RUN_PAIRS - 1) // RUN_PAIRS
            # Each piece's start: its run's start plus RUN_PAIRS times its place in the run.
            place = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
            starts = np.repeat(starts, pieces) + RUN_PAIRS * place
            made = self._runs = (starts.astype(COLUMN_INT), self.values[starts])
        return made

    def docs_of(self, chosen: np.ndarray) -> np.ndarray:
        """A multi facet's documents having a chosen value (`chosen`: a flag per value
        number), from the runs: only the chosen values' pairs are read."""
        starts, run_values = self.runs()
        picked = np.flatnonzero(chosen[run_values])
        if not len(picked):
            return np.empty(0, COLUMN_INT)
        ends = np.append(starts[1:], len(self.docs))[picked].astype(np.int64)
        begins = starts[picked].astype(np.int64)
        lengths = ends - begins
        # Each picked run's pair positions, one after the other.
        first = np.repeat(begins - (np.cumsum(lengths) - lengths), lengths)
        return self.docs[first + np.arange(int(lengths.sum()))]


class MappedIds(Sequence[str]):
    """Document ids kept as the mapped UTF-8 bytes of the generation data, decoded one
    at a time as they are asked for (a list of a million str would be each worker's own)."""

    def __init__(self, encoded: np.ndarray) -> None:
        self._encoded = encoded

    def __len__(self) -> int:
        return len(self._encoded)

    @property
    def encoded(self) -> np.ndarray:
        """The ids as the mapped fixed-width UTF-8 array (no copy)."""
        return self._encoded

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [bytes(v).decode() for v in self._encoded[index]]
        return bytes(self._encoded[index]).decode()

    def __iter__(self) -> Iterator[str]:
        for value in self._encoded:
            yield bytes(value).decode()


def _plain(array: np.ndarray) -> np.ndarray:
    """A mapped array as a plain ndarray over the same memory (numpy's memmap subclass
    would make every result of an operation on it a memmap too)."""
    return array.view(np.ndarray)

# Bytes a document's stacked single-valued facets take: one 64-bit integer.
STACK_WIDTH = 8


def _ungrouped_counts(table: _Facet, multi: bool, mask: np.ndarray) -> np.ndarray:
    """Documents per value among the masked ones, with no document numbers: one
    compress of the values (single), or a sum per run of one value (multi)."""
    if not multi:
        values = table.values[mask]
        return np.bincount(values[values >= 0], minlength=len(table.terms))
    if not len(table.docs):
        return np.zeros(len(table.terms), dtype=np.int64)
    # The pairs' masked share of each run of one value, added up per value (a compress
    # of the values was three times as long at a million documents).
    starts, run_values = table.runs()
    # Summed in bytes (no run is longer than RUN_PAIRS): a wider sum first copies every
    # pair's flag into the wider type (17 MB and most of a count at a million documents).
    inside = np.add.reduceat(mask[table.docs].view(np.uint8), starts, dtype=np.uint8)
    return np.bincount(run_values, weights=inside,
                       minlength=len(table.terms)).astype(np.int64)


def _grouped_counts(table: _Facet, multi: bool, in_groups: np.ndarray,
                    groups: np.ndarray) -> np.ndarray:
    """Texts per value among the grouped documents of `in_groups`: a group counted once
    for each value one of its documents has (deduplicated by one integer key each: a
    unique over 2-D rows was most of a cold search)."""
    if multi:
        # The kept pairs' values from their runs, not the pairs' own values (which no
        # count then reads: a worker never has them resident).
        keep = np.flatnonzero(in_groups[table.docs])
        starts, run_values = table.runs()
        docs = table.docs[keep]
        values = run_values[np.searchsorted(starts, keep, side="right") - 1]
    else:
        docs = np.flatnonzero(in_groups)
        values = table.values[docs]
        docs, values = docs[values >= 0], values[values >= 0]
    if not len(values):
        return np.zeros(len(table.terms), dtype=np.int64)
    group = groups[docs]
    width = int(group.max()) + 1
    keys = np.unique(values.astype(np.int64) * width + group)
    return np.bincount(keys // width, minlength=len(table.terms))


def _named_counts(table: _Facet, counts: np.ndarray) -> dict[str, int]:
    found = np.nonzero(counts)[0]
    # Python ints from tolist(), not a numpy scalar per value (thousands of officials).
    terms = table.terms
    return dict(zip([terms[i] for i in found.tolist()], counts[found].tolist(), strict=True))


class FacetTables:
    """Facet values, dates and ids of every document of one generation."""

    size: int
    live: np.ndarray
    ids: list[str]
    id_rank: np.ndarray
    ordinal: np.ndarray
    year: np.ndarray
    month: np.ndarray
    dated: np.ndarray
    _facets: dict[str, _Facet]

    @classmethod
    def from_data(cls, data: GenerationData) -> FacetTables:
        """The tables of a generation from its mapped data (`indexer.gendata`), which the
        writer computed with this class's own constructor: nothing is read from the index."""
        tables = cls.__new__(cls)
        arrays = data.arrays
        tables.size = len(arrays["live"])
        tables.live = _plain(arrays["live"])
        # Read as a list is (index, len, iteration) by every user; typed list[str] until
        # events' version_tables (issue 11) takes a Sequence.
        tables.ids = MappedIds(_plain(arrays["ids"]))  # type: ignore[assignment]
        for name in ("id_rank", "ordinal", "year", "month", "dated"):
            setattr(tables, name, _plain(arrays[name]))
        tables._facets = {}
        for spec in FACETS:
            terms = data.facet_terms[spec.name]
            docs = (_plain(arrays[f"facet-{spec.name}-docs"]) if spec.multi
                    else np.empty(0, COLUMN_INT))
            table = tables._facets[spec.name] = _Facet(
                terms, {t: i for i, t in enumerate(terms)}, docs,
                _plain(arrays[f"facet-{spec.name}-values"]))
            if spec.multi:  # mapped too: a worker then never reads the pairs' values
                table._runs = (_plain(arrays[f"facet-{spec.name}-run-starts"]),
                               _plain(arrays[f"facet-{spec.name}-run-values"]))
        names, offsets = tables._stack_offsets()
        if names:  # mapped: a count never reads the single-valued facets' own columns
            tables._stacked = (names, offsets, _plain(arrays["stack"]))
        return tables

    def __init__(self, reader: IndexReader) -> None:
        size = reader.doc_count_all()
        self.size = size
        self.live = np.zeros(size, dtype=bool)
        self.live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        # An index of no documents (a first crawl found none) is an EmptyReader, which
        # has no columns to read.
        self.ids = [
            value.decode() if isinstance(value, bytes) else str(value)
            for value in reader.column_reader("id")
        ] if size and reader.has_column("id") else [
            reader.stored_fields(d)["id"] for d in range(size)]
        self.id_rank = np.empty(size, dtype=COLUMN_INT)
        # Fixed-width strings: numpy compares them in C (an object array calls Python).
        self.id_rank[np.argsort(np.array(self.ids, dtype=str), kind="stable")] = \
            np.arange(size)
        # An undated document holds the column's out-of-range default.
        ticks = np.fromiter((t if 0 < t < _MAX_TICKS else 0
                             for t in (reader.column_reader("date", translate=False)
                                       if size else ())),
                            dtype=np.int64, count=size)
        # Day ordinals (date.toordinal), 0 for undated documents.
        self.ordinal = np.where(ticks > 0, ticks // _TICKS_PER_DAY + 1, 0).astype(COLUMN_INT)
        days = (self.ordinal.astype(np.int64) - _UNIX_EPOCH_ORDINAL).astype("datetime64[D]")
        dated = self.ordinal > 0
        self.year = np.where(dated, days.astype("datetime64[Y]").astype(np.int64) + 1970,
                             0).astype(COLUMN_INT)
        self.month = np.where(dated, days.astype("datetime64[M]").astype(np.int64) + 1,
                              0).astype(COLUMN_INT)
        self.dated = dated
        indexed = set(reader.indexed_field_names())
        self._facets: dict[str, _Facet] = {}
        for spec in FACETS:
            if spec.field is None:
                self._facets[spec.name] = self._date_facet(spec.name)
            else:
                self._facets[spec.name] = self._term_facet(
                    reader, spec.field, spec.multi, spec.field in indexed)

    def _date_facet(self, name: str) -> _Facet:
        if name == "year":
            keys = self.year
            present = np.unique(keys[self.dated])
            terms = [str(y) for y in present]
        else:
            keys = self.month  # months since 1970-01, plus one
            present = np.unique(keys[self.dated])
            terms = [f"{1970 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}" for m in present]
        lookup = np.full(int(keys.max(initial=0)) + 1, -1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        values = np.where(self.dated, lookup[keys], -1).astype(COLUMN_INT)
        return _Facet(terms, {t: i for i, t in enumerate(terms)}, np.empty(0, COLUMN_INT),
                      values)

    def _term_facet(self, reader: IndexReader, field: str, multi: bool, present: bool) -> _Facet:
        terms: list[str] = []
        pair_docs: list[np.ndarray] = []
        pair_values: list[np.ndarray] = []
        if present:
            positions: dict[str, int] = {}
            # Segment by segment, a posting list a block at a time (bulk.read_postings);
            # deleted documents are read too, and left out by the live mask.
            for leaf, offset in reader.leaf_readers():
                for term in leaf.field_terms(field):
                    position = positions.get(term)
                    if position is None:
                        position = positions[term] = len(terms)
                        terms.append(term)
                    docs = _term_docs(leaf, field, leaf.schema[field].to_bytes(term))
                    pair_docs.append(docs + offset)
                    pair_values.append(np.full(len(docs), position, dtype=COLUMN_INT))
        docs = np.concatenate(pair_docs).astype(COLUMN_INT) if pair_docs \
            else np.empty(0, COLUMN_INT)
        values = np.concatenate(pair_values) if pair_values else np.empty(0, COLUMN_INT)
        if not multi:
            per_doc = np.full(self.size, -1, dtype=COLUMN_INT)
            per_doc[docs] = values
            return _Facet(terms, {t: i for i, t in enumerate(terms)},
                          np.empty(0, COLUMN_INT), per_doc)
        return _Facet(terms, {t: i for i, t in enumerate(terms)}, docs, values)

    @staticmethod
    def normalise(facet: str, value: str) -> str:
        """A value as the index holds it (lower-cased where the index lower-cases)."""
        return value.lower() if facet in _LOWERCASE_FACETS else value

    def selection(self, facet: str, selected: Iterable[str], *,
                  all_of: bool = False) -> np.ndarray:
        """Mask of documents having any of the selected values (OR within a facet), or
        with ``all_of`` every one of them (AND: "both officials")."""
        if all_of:
            mask = self.live.copy()
            for value in selected:
                mask &= self.selection(facet, (value,))
            return mask
        table = self._facets[facet]
        wanted: set[int] = set()
        for value in selected:
            value = self.normalise(facet, value)
            if value in table.index:
                wanted.add(table.index[value])
            if facet == "language" and "-" not in value:
                # "sr" selects every script of Serbian.
                wanted |= {i for t, i in table.index.items() if t.startswith(value + "-")}
        chosen = np.zeros(len(table.terms) + 1, dtype=bool)
        chosen[list(wanted)] = True
        mask = np.zeros(self.size, dtype=bool)
        if FACETS_BY_NAME[facet].multi:
            mask[table.docs_of(chosen)] = True
        else:
            mask = chosen[table.values]  # index -1 reads the final False slot
        return mask & self.live

    def count(self, facet: str, mask: np.ndarray,
              groups: np.ndarray | None = None) -> dict[str, int]:
        """Documents per value among the masked documents; with `groups` (each document's
        version group, -1 for none: events, issue 11), texts per value, a group counted
        once for each value one of its documents has (what ticking the value would list)."""
        return self.count_many((facet,), mask, groups)[facet]

    def count_many(self, facets: Sequence[str], mask: np.ndarray,
                   groups: np.ndarray | None = None) -> dict[str, dict[str, int]]:
        """`count` of several facets over one mask. The single-valued ones are counted
        together: one compress of their stacked values and one bincount, where each alone
        is a pass over every document (most of a cold search's facet work)."""
        in_groups = None
        if groups is not None:
            grouped = groups >= 0
            in_groups = mask & grouped
            if in_groups.any():
                mask = mask & ~grouped  # grouped documents are counted per text below
            else:
                in_groups = None
        counts: dict[str, np.ndarray] = {}
        # Over half the documents masked, every document's counts less the unmasked
        # ones' are counted: the fewer documents, the less work.
        dense = 2 * int(np.count_nonzero(mask)) > self.size
        stacked = [f for f in facets if f in self._stack_offsets()[0]]
        if len(stacked) > 1:
            names, offsets, stack = self._stack()
            together = self._stacked_counts(stack, mask, dense)
            for name in stacked:
                at = names.index(name)
                # Slot 0 of each facet's share is "no value" (-1 shifted by one).
                start = int(offsets[at]) + 1
                counts[name] = together[start:start + len(self._facets[name].terms)]
        for name in facets:
            table = self._facets[name]
            if name not in counts:
                multi = FACETS_BY_NAME[name].multi
                if dense:
                    counts[name] = self._everyones_counts(name) - \
                        _ungrouped_counts(table, multi, ~mask)
                else:
                    counts[name] = _ungrouped_counts(table, multi, mask)
            if in_groups is not None and table.terms:
                assert groups is not None
                counts[name] = counts[name] + _grouped_counts(
                    table, FACETS_BY_NAME[name].multi, in_groups, groups)
        return {name: _named_counts(self._facets[name], counts[name]) for name in facets}

    def _stack_offsets(self) -> tuple[tuple[str, ...], np.ndarray]:
        """The single-valued facets counted together and where each one's counts start
        (slot 0 of each: no value). Month, counted only under a chosen year, stays apart;
        so do all when they would not fit STACK_WIDTH bytes a document."""
        names = tuple(spec.name for spec in FACETS if not spec.multi and spec.name != "month")
        offsets = np.cumsum([0, *(len(self._facets[name].terms) + 1 for name in names)])
        if len(names) > STACK_WIDTH or offsets[-1] >= 1 << 8:  # 255: the padding's slot
            return (), np.zeros(1, dtype=np.int64)
        return names, offsets

    def stacked_values(self) -> np.ndarray:
        """`_stack`'s stacked values (what the generation data saves for readers to map)."""
        return self._stack()[2]

    def _stack(self) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
        """(names, offsets, the stacked values): each document's single-valued facets as
        one row of STACK_WIDTH bytes (its values shifted to their facet's slots, the rest
        the padding's slot 255), read as one 64-bit integer per document. Mapped from
        the generation data, or made on first use."""
        made = self.__dict__.get("_stacked")
        if made is None:
            names, offsets = self._stack_offsets()
            rows = np.full((self.size, STACK_WIDTH), 255, dtype=np.uint8)
            for column, name in enumerate(names):
                rows[:, column] = self._facets[name].values + 1 + offsets[column]
            made = self._stacked = (names, offsets, rows.view(np.uint64).ravel())
        return made

    def _stacked_counts(self, stack: np.ndarray, mask: np.ndarray, dense: bool
                        ) -> np.ndarray:
        """Slot counts of the stacked facets among the masked documents (`dense`: more
        than half of them, counted as every document's less the unmasked ones')."""
        def counted(documents: np.ndarray) -> np.ndarray:
            return np.bincount(stack[documents].view(np.uint8), minlength=1 << 8)

        if not dense:
            return counted(mask)
        everyone = self.__dict__.get("_all_slots")
        if everyone is None:
            everyone = self._all_slots = np.bincount(stack.view(np.uint8), minlength=1 << 8)
        return everyone - counted(~mask)

    def _everyones_counts(self, facet: str) -> np.ndarray:
        """A facet's count of each value over every document (live or not), made once."""
        made = self.__dict__.setdefault("_everyones", {})
        counts = made.get(facet)
        if counts is None:
            counts = made[facet] = _ungrouped_counts(
                self._facets[facet], FACETS_BY_NAME[facet].multi, np.ones(self.size, bool))
        return counts

    def values_of(self, facet: str) -> np.ndarray:
        """A single-valued facet's value number for each document (-1: none)."""
        return self._facets[facet].values

    def in_date_range(self, start: date | None, end: date | None) -> np.ndarray:
        mask = self.dated & self.live
        if start is not None:
            mask &= self.ordinal >= start.toordinal()
        if end is not None:
            mask &= self.ordinal <= end.toordinal()
        return mask

    def day(self, docnum: int) -> date | None:
        ordinal = int(self.ordinal[docnum])
        return date.fromordinal(ordinal) if ordinal else None
