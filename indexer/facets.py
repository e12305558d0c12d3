"""Facet values per document, built once per index generation and shared by every search.

Whoosh's own `groupedby` rebuilds its facet maps on every query (WHOOSH.md,
trap 4); here each field is read from the postings once, then a search only
counts over its document set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from whoosh.reading import IndexReader


@dataclass(frozen=True)
class FacetSpec:
    name: str  # the URL parameter and the facet's key
    label: str
    field: str | None  # index field, or None for the date-derived facets


FACETS: tuple[FacetSpec, ...] = (
    FacetSpec("source", "Ministry", "source"),
    FacetSpec("ministry_country", "Ministry's country", "ministry_country"),
    FacetSpec("language", "Language", "language"),
    FacetSpec("type", "Type", "type"),
    FacetSpec("year", "Year", None),
    FacetSpec("month", "Month", None),
    FacetSpec("official", "Officials", "official_facet"),
    FacetSpec("country", "Countries mentioned", "country_facet"),
)
FACETS_BY_NAME = {facet.name: facet for facet in FACETS}
# Facets whose index terms are lower-cased (the others keep names as written).
_LOWERCASE_FACETS = frozenset({"source", "ministry_country", "language", "type"})


class FacetTables:
    """Per generation: each live document's facet values, dates and ids (plain data,
    built in one pass while the reader is open, then shared by every thread)."""

    def __init__(self, reader: IndexReader) -> None:
        self.live: frozenset[int] = frozenset(reader.all_doc_ids())
        self.dates: dict[int, date] = {}
        self.ids: dict[int, str] = {}
        for docnum in self.live:
            fields = reader.stored_fields(docnum)
            self.ids[docnum] = fields["id"]
            if fields.get("date"):
                self.dates[docnum] = fields["date"].date()
        indexed = set(reader.indexed_field_names())
        self._postings: dict[str, dict[str, frozenset[int]]] = {}
        self._values: dict[str, dict[int, tuple[str, ...]]] = {}
        for spec in FACETS:
            postings: dict[str, set[int]] = {}
            if spec.field is None:
                for docnum, day in self.dates.items():
                    key = str(day.year) if spec.name == "year" else f"{day.year}-{day.month:02d}"
                    postings.setdefault(key, set()).add(docnum)
            elif spec.field in indexed:
                for term in reader.field_terms(spec.field):
                    ids = reader.postings(spec.field, term).all_ids()
                    postings[term] = {d for d in ids if d in self.live}
            values: dict[int, list[str]] = {}
            for term, docs in postings.items():
                for docnum in docs:
                    values.setdefault(docnum, []).append(term)
            self._postings[spec.name] = {t: frozenset(d) for t, d in postings.items() if d}
            self._values[spec.name] = {d: tuple(v) for d, v in values.items()}

    @staticmethod
    def normalise(facet: str, value: str) -> str:
        """A value as the index holds it (lower-cased where the index lower-cases)."""
        return value.lower() if facet in _LOWERCASE_FACETS else value

    def selection(self, facet: str, selected: Iterable[str]) -> set[int]:
        """Documents having any of the selected values (OR within a facet)."""
        table = self._postings[facet]
        docs: set[int] = set()
        for value in selected:
            value = self.normalise(facet, value)
            docs |= table.get(value, frozenset())
            if facet == "language" and "-" not in value:
                # "sr" selects every script of Serbian.
                for term, term_docs in table.items():
                    if term.startswith(value + "-"):
                        docs |= term_docs
        return docs

    def count(self, facet: str, docs: set[int] | frozenset[int]) -> Counter[str]:
        values = self._values[facet]
        counts: Counter[str] = Counter()
        for docnum in docs:
            counts.update(values.get(docnum, ()))
        return counts

    def in_date_range(self, start: date | None, end: date | None) -> set[int]:
        return {
            d for d, day in self.dates.items()
            if (start is None or day >= start) and (end is None or day <= end)
        }
