"""The one search service: the CLI and every web view call this and nothing else.

A search is: the text query (Whoosh), a date range, and facet selections (OR
within a facet, AND across facets), all turned into document sets. Results are
ordered, paged by page number or by an opaque cursor, highlighted, and counted
per facet as if that facet's own selection were not applied.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import html
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.collectors import TimeLimitCollector
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    MultifieldParser,
    PlusMinusPlugin,
)
from whoosh.qparser.plugins import BoostPlugin, SingleQuotePlugin
from whoosh.searching import TimeLimit

from indexer.archive import Archive, VersionInfo
from indexer.build import IndexHome
from indexer.bulk import BulkEvaluator
from indexer.entities import extractor_for
from indexer.entities.countries import gazetteer
from indexer.entities.names import key_tokens
from indexer.errors import NotFound, QueryError, SearchTimeout
from indexer.facets import FACETS, FacetTables
from indexer.folding import exact_term, folded_term
from indexer.querylimits import MIN_PREFIX_CHARS, bound_query, check_nesting
from indexer.schema import TITLE_BOOST, doc_type_label
from indexer.snippets import find_matches, snippet_html
from scrapers.record import Communique

# Named limits (Datasette style): each has a default and a reason.
MAX_QUERY_LENGTH = 500  # longer queries are pasted documents, not searches
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
MAX_PAGE = 1000  # page numbers are for people; programs walk deeper with the cursor
SNIPPET_CHARS = 280
DEFAULT_FACET_SIZE = 10
MAX_FACET_SIZE = 500
MAX_FILTER_VALUES = 50  # values selected in one facet
MONTHLY_HISTOGRAM_MAX_MONTHS = 36  # shorter spans are drawn per month, longer per year
MAX_HISTOGRAM_BARS = 60  # wider spans are drawn in buckets of several years
HISTOGRAM_YEAR_BUCKETS = (("year", 1), ("decade", 10), ("century", 100), ("millennium", 1000))
# Cursor positions past these cannot come from a real result set.
MAX_CURSOR_OFFSET = MAX_PAGE * MAX_PAGE_SIZE * 10_000
MAX_CURSOR_ID_CHARS = 200
RESULT_CACHE_SIZE = 1024  # searches remembered per index generation
# A search still scoring after this many seconds is stopped: it would hold a worker that
# other readers need. (At 100k documents the slowest query of the benchmark takes ~1.2 s.)
SEARCH_TIME_LIMIT = 10.0

SORTS = ("relevance", "newest", "oldest")
# Fields a user may name in a query ("title:kosovo") -> index field.
QUERY_FIELDS = {
    "title": "title",
    "body": "body",
    "text": "body",
    "source": "source",
    "lang": "lang",
    "language": "lang",
    "type": "type",
    "official": "official",
    "country": "country",
    "ministry": "ministry_country",
    # The original spelling only: exact:Дачић finds Дачић, not Dačić or Dacic.
    "exact": "body_exact",
}
FILTER_FIELDS = tuple(facet.name for facet in FACETS)
# Facets whose values may be combined with AND ("both officials") as well as OR.
ALL_OF_FACETS = tuple(facet.name for facet in FACETS if facet.multi)
FACET_OPERATORS = ("or", "and")


@dataclass(frozen=True)
class SearchRequest:
    """Everything that defines one search; every field comes from the URL."""

    q: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    cursor: str | None = None
    facet_size: int = DEFAULT_FACET_SIZE
    with_facets: bool = True
    # Match words as written (script, diacritics, grammatical case) instead of folded.
    exact: bool = False
    # Facets whose selected values must all be present (AND), not any of them (OR).
    all_of: frozenset[str] = frozenset()

    def validated(self) -> SearchRequest:
        """This request, or a QueryError saying what is wrong with it."""
        if len(self.q) > MAX_QUERY_LENGTH:
            raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}")
        if not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}; use the cursor to go deeper")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise QueryError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        if not 1 <= self.facet_size <= MAX_FACET_SIZE:
            raise QueryError(f"facet size must be between 1 and {MAX_FACET_SIZE}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("the 'from' date is after the 'to' date")
        for name, values in self.filters.items():
            if name not in FILTER_FIELDS:
                raise QueryError(f"unknown filter '{name}'; filters are {', '.join(FILTER_FIELDS)}")
            if len(values) > MAX_FILTER_VALUES:
                raise QueryError(f"at most {MAX_FILTER_VALUES} values of '{name}' at once")
        for name in self.all_of:
            if name not in ALL_OF_FACETS:
                raise QueryError(f"only {' and '.join(ALL_OF_FACETS)} values can be combined"
                                 f" with AND, not '{name}'")
        return self

    def fingerprint(self) -> str:
        """What a cursor is bound to: the search, not the position in it."""
        data = [self.q, self.sort, self.exact, str(self.date_from), str(self.date_to),
                sorted((k, sorted(v)) for k, v in self.filters.items() if v)]
        if self.all_of:  # absent when empty, so cursors given out before stay valid
            data.append(sorted(self.all_of))
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class SearchHit:
    id: str
    url: str
    title: str
    published: date | None
    source_id: str
    ministry_country: str
    language: str
    doc_type: str
    officials: tuple[str, ...]
    countries: tuple[str, ...]
    snippet_html: str  # escaped text with <mark> around matched words
    more_matches: int  # matches in the body beyond those the snippet shows
    score: float | None
    updated: datetime | None = None  # when the archive took this version (feeds' updated)


@dataclass(frozen=True)
class FacetValue:
    value: str  # what goes in the URL
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]  # selected values first, then by count
    more: bool  # values beyond facet_size exist


@dataclass(frozen=True)
class HistogramBar:
    key: str  # "2018" or "2018-07"
    start: date
    end: date
    count: int


@dataclass(frozen=True)
class SearchResults:
    request: SearchRequest
    total: int
    hits: list[SearchHit]
    facets: list[Facet] = field(default_factory=list)
    histogram: list[HistogramBar] = field(default_factory=list)
    histogram_interval: str = "year"
    next_cursor: str | None = None

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.request.page_size))

    @property
    def has_next(self) -> bool:
        return self.request.page < min(self.page_count, MAX_PAGE)


@dataclass(frozen=True)
class Document:
    """A communiqué with its archive history, for the document page."""

    record: Communique
    versions: list[VersionInfo]


# -- the query language --------------------------------------------------------------------

# "name:" directly followed by a value; "Kosovo: statement" (with a space) is text.
_FIELD_PREFIX = re.compile(r"(?<![\w])([^\W\d_][\w-]*):(?=\S)")
_DATE_VALUE = r"[0-9]{4}(?:-[0-9]{1,2}(?:-[0-9]{1,2})?)?"
_DATE_CLAUSE = re.compile(
    rf"(?<![\w-])date:(?:\[\s*(?P<start>{_DATE_VALUE}|\*)\s+TO\s+(?P<end>{_DATE_VALUE}|\*)\s*\]"
    rf"|(?P<single>{_DATE_VALUE}))(?=$|[\s)])",
    re.IGNORECASE,
)


def phrase_clause(fieldname: str, value: str) -> str:
    """A `field:"value"` clause for a query built by code, whatever the value holds.

    A quote would end the phrase early and a control character is no word, so both
    become spaces: the analyzer drops them anyway, so the phrase matches the same words.
    """
    words = re.sub(r'["\x00-\x1f\x7f]', " ", value).split()
    return f'{fieldname}:"{" ".join(words)}"'


def _without_phrases(q: str) -> str:
    """The query with quoted text blanked out (same length, so positions hold)."""
    return re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), q)


def check_syntax(q: str) -> None:
    """Reject unbalanced quotes and parentheses and unknown fields, saying where.

    Whoosh silently repairs these, which turns a typo into a different
    search; a journalist should know the query was not read as written.
    """
    depth = 0
    quote_at: int | None = None
    for position, char in enumerate(q):
        if char == '"':
            quote_at = None if quote_at is not None else position
        elif quote_at is None and char == "(":
            depth += 1
        elif quote_at is None and char == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(f"unmatched ')' at position {position + 1}", position=position)
    if quote_at is not None:
        raise QueryError(f"unclosed quote opened at position {quote_at + 1}", position=quote_at)
    if depth > 0:
        position = q.rfind("(")
        raise QueryError(f"unclosed '(' at position {position + 1}", position=position)
    check_nesting(q)
    masked = _without_phrases(q)
    for match in _FIELD_PREFIX.finditer(masked):
        name = match.group(1).lower()
        if name == "date" and _DATE_CLAUSE.match(masked, match.start(1)):
            continue  # a well-formed date clause, taken out as a filter
        if name not in QUERY_FIELDS:
            position = match.start(1)
            if name == "date":
                raise QueryError(
                    f"could not read the date at position {position + 1}: write date:2018,"
                    " date:2018-07 or date:[2018-07-01 TO 2018-07-31]", position=position)
            raise QueryError(
                f"unknown field '{match.group(1)}' at position {position + 1};"
                f" fields are {', '.join(sorted(QUERY_FIELDS))}, date",
                position=position,
            )


def parse_query_date(text: str, *, end: bool) -> date | None:
    """2018, 2018-07 or 2018-07-31 as the first (or last) day it covers."""
    if text == "*":
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}(?:-[0-9]{1,2}){0,2}", text):
            raise ValueError
        parts = [int(p) for p in text.split("-")]
        if len(parts) == 1:
            return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
        if len(parts) == 2:
            if not end:
                return date(parts[0], parts[1], 1)
            return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
        return date(*parts)
    except ValueError:
        raise QueryError(f"'{text}' is not a date") from None


def extract_date_clauses(q: str) -> tuple[str, date | None, date | None]:
    """Take `date:` clauses out of the query text; they become a date filter.

    Whoosh miscounts results when a date range is part of the query (WHOOSH.md,
    trap 1), so dates are always applied as a filter, ANDed with the rest.
    """
    start: date | None = None
    end: date | None = None
    masked = _without_phrases(q)
    pieces = []
    last = 0
    for match in _DATE_CLAUSE.finditer(masked):
        if match.group("single"):
            first = parse_query_date(match.group("single"), end=False)
            final = parse_query_date(match.group("single"), end=True)
        else:
            first = parse_query_date(match.group("start"), end=False)
            final = parse_query_date(match.group("end"), end=True)
        start = max(filter(None, [start, first]), default=None)
        end = min(filter(None, [end, final]), default=None)
        pieces.append(q[last:match.start()])
        last = match.end()
    pieces.append(q[last:])
    return " ".join("".join(pieces).split()), start, end


def encode_cursor(request: SearchRequest, position: dict) -> str:
    """An opaque token: where the next page starts, bound to this search."""
    blob = json.dumps({"f": request.fingerprint(), **position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(blob.encode()).decode().rstrip("=")


def _whole(value: object, low: int, high: int) -> bool:
    # JSON's true is an int in Python; a cursor's numbers are never booleans or floats.
    return type(value) is int and low <= value <= high


def decode_cursor(request: SearchRequest) -> dict | None:
    """The position a cursor holds, every field's type and range checked.

    A cursor comes back from the client, so it is input like any other: only the two
    shapes encode_cursor writes are accepted ({"f", "o"} for relevance, {"f", "k", "i"}
    for date order), so nothing crafted reaches the paging code.
    """
    if not request.cursor:
        return None
    invalid = QueryError("the cursor is not one this service gave out; start again without it")
    try:
        padded = request.cursor + "=" * (-len(request.cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError):
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("f"), str):
        raise invalid
    if set(data) == {"f", "o"}:
        if not _whole(data["o"], 0, MAX_CURSOR_OFFSET):
            raise invalid
    elif set(data) == {"f", "k", "i"}:
        if not _whole(data["k"], 0, date.max.toordinal()) or not isinstance(data["i"], str) \
                or len(data["i"]) > MAX_CURSOR_ID_CHARS:
            raise invalid
    else:
        raise invalid
    if data.pop("f") != request.fingerprint():
        raise QueryError("the cursor belongs to a different search; start again without it")
    return data


def _documents_within(parsed: wq.Query, searcher, deadline: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Every document the query matches (unscored), looking at the clock as it goes:
    Whoosh's docs_for_query has no time limit."""
    found: list[int] = []
    for subsearcher, offset in searcher.leaf_searchers():
        for count, docnum in enumerate(parsed.docs(subsearcher)):
            if count % 4096 == 0 and time.monotonic() > deadline:
                raise TimeLimit()
            found.append(docnum + offset)
    return np.array(found, dtype=np.int64)


def _split(stored: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in stored.split(",") if v.strip()) if stored else ()


def _positive_leaves(q: wq.Query) -> Iterator[wq.Query]:
    """Leaves that must match: words after NOT or '-' are never highlighted."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from _positive_leaves(q.a)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _positive_leaves(child)


@dataclass
class _Generation:
    """What the service keeps of one index generation."""

    key: tuple[str, int]
    index: object
    tables: FacetTables
    bulk: BulkEvaluator  # keeps the generation's field lengths
    cache: OrderedDict = field(default_factory=OrderedDict)  # request -> SearchResults


class SearchService:
    """Read side of the index. Opens it read-only and follows new commits and rebuilds."""

    def __init__(self, data_dir: Path | str, time_limit: float = SEARCH_TIME_LIMIT) -> None:
        self.data_dir = Path(data_dir)
        self.time_limit = time_limit
        self.home = IndexHome(self.data_dir)
        self._lock = threading.Lock()
        self._generation: _Generation | None = None
        self._local = threading.local()
        self._parsers: dict[tuple[int, bool], MultifieldParser] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def archive(self) -> Archive:
        """A read-only archive connection for this thread."""
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = Archive(self.data_dir, readonly=True)
            self._local.archive = archive
        return archive

    def _current(self) -> tuple[_Generation, object] | None:
        """The current generation and this thread's searcher on it (None before any index)."""
        directory = self.home.current_dir()
        if directory is None:
            return None
        with self._lock:
            generation = self._generation
            if generation is None or generation.key[0] != str(directory):
                index = IndexHome.open(directory)
            else:
                index = generation.index
            key = (str(directory), index.latest_generation())
            if generation is None or generation.key != key:
                with index.reader() as reader:
                    tables = FacetTables(reader)
                    bulk = BulkEvaluator(tables.live)
                    # Read now rather than by the first search after each update.
                    bulk.preload_lengths(reader, ("title", "body"))
                generation = _Generation(key, index, tables, bulk)
                self._generation = generation
        searcher = getattr(self._local, "searcher", None)
        if getattr(self._local, "key", None) != generation.key or searcher is None:
            if searcher is not None:
                searcher.close()  # its files may belong to a generation being pruned
            searcher = generation.index.searcher()
            self._local.searcher = searcher
            self._local.key = generation.key
        return generation, searcher

    def _parser(self, schema, exact: bool = False) -> MultifieldParser:  # type: ignore[no-untyped-def]
        parser = self._parsers.get((id(schema), exact))
        if parser is None:
            fields = ["title_exact", "body_exact"] if exact else ["title", "body"]
            parser = MultifieldParser(fields, schema, group=AndGroup,
                                      fieldboosts={"title_exact": TITLE_BOOST})
            # Boosts ("word^3") and single-quoted phrases surprise more than they help;
            # apostrophes occur in names.
            parser.remove_plugin_class(BoostPlugin)
            parser.remove_plugin_class(SingleQuotePlugin)
            # "-word" excludes, but the hyphen inside "sr-Cyrl" or "Botsan-Kharchenko" does not.
            parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+",
                                              minusexpr=r"(?<![^\s(])-"))
            parser.add_plugin(FuzzyTermPlugin())
            aliases: dict[str, list[str]] = {}
            for alias, name in QUERY_FIELDS.items():
                if alias != name:
                    aliases.setdefault(name, []).append(alias)
            parser.add_plugin(FieldAliasPlugin(aliases))
            self._parsers = {**{k: v for k, v in self._parsers.items() if k[0] == id(schema)},
                             (id(schema), exact): parser}
        return parser

    def parse(self, q: str, schema, exact: bool = False):  # type: ignore[no-untyped-def]
        """The text query (None when only dates were given) and the query's date range."""
        check_syntax(q)
        text, start, end = extract_date_clauses(q)
        if not text:
            return None, start, end
        parsed = self._parser(schema, exact).parse(text)
        self._check_parsed(parsed)
        return parsed, start, end

    @staticmethod
    def _check_parsed(parsed: wq.Query) -> None:
        allowed = set(QUERY_FIELDS.values()) | {"title_exact"}
        for node in parsed.leaves():
            error = getattr(node, "error", None)
            if error:
                raise QueryError(f"could not read the query: {error}")
            if isinstance(node, wq.Every):
                raise QueryError("'*' alone matches everything; leave the query empty instead")
            fieldname = getattr(node, "fieldname", None)
            if fieldname and fieldname not in allowed:
                raise QueryError(f"unknown field '{fieldname}'")
            if isinstance(node, wq.Prefix | wq.Wildcard):
                stem = re.split(r"[*?]", node.text)[0]
                if len(stem) < MIN_PREFIX_CHARS:
                    raise QueryError(
                        f"'{node.text}*': a wildcard needs at least {MIN_PREFIX_CHARS} letters"
                        " before it"
                    )

    # -- document sets ----------------------------------------------------------------------

    def _document_sets(self, request: SearchRequest, searcher, generation: _Generation):  # type: ignore[no-untyped-def]
        """(text query, ranking, base mask, per-facet selection masks).

        base = text query AND dates. For a relevance sort the query runs once, scored
        (its documents give the mask); otherwise only its documents are read. The ranking
        is None when results are ordered by date.
        """
        tables = generation.tables
        deadline = time.monotonic() + self.time_limit
        parsed, q_start, q_end = self.parse(request.q.strip(), searcher.schema, request.exact)
        start = max(filter(None, [request.date_from, q_start]), default=None)
        end = min(filter(None, [request.date_to, q_end]), default=None)
        ranking = None
        dates = tables.in_date_range(start, end) if start or end else None
        if parsed is None:
            base = tables.live.copy()
        else:
            base = np.zeros(tables.size, dtype=bool)
            relevance = self._effective_sort(request, parsed) == "relevance"
            bulk = generation.bulk
            # Whoosh scores one posting at a time in Python; the bulk evaluator reads and
            # scores whole blocks with numpy, with the same scores. Queries it does not
            # know (prefixes, wildcards, fuzzy terms) run through Whoosh.
            try:
                # Fuzzy, prefix and wildcard words are expanded here, within the limits
                # and the clock, so Whoosh never expands one itself.
                parsed = bound_query(parsed, searcher.reader(), deadline)
                use_bulk = bulk.supports(parsed, searcher)
                if relevance and use_bulk:
                    # A date range restricts the matches as Whoosh's filter did.
                    ranking = bulk.ranking(parsed, searcher, restrict=dates, deadline=deadline)
                    base[ranking[0]] = True
                elif relevance:
                    ranking = self._collected(parsed, searcher, dates, deadline)
                    base[ranking[0]] = True
                elif use_bulk:
                    docnums, _ = bulk.matches(parsed, searcher, scored=False, restrict=dates,
                                              deadline=deadline)
                    base[docnums] = True
                else:
                    base[_documents_within(parsed, searcher, deadline)] = True
            except TimeLimit:
                raise SearchTimeout(
                    f"the search took longer than {self.time_limit:g} s and was stopped;"
                    " add words, a date range or a filter to narrow it") from None
            base &= tables.live
        if dates is not None:
            base &= dates
        selections = {
            name: tables.selection(name, self._canonical(name, values),
                                   all_of=name in request.all_of)
            for name, values in request.filters.items() if values
        }
        return parsed, ranking, base, selections

    def _collected(self, parsed, searcher, dates: np.ndarray | None, deadline: float):  # type: ignore[no-untyped-def]
        """(docnums, scores) best first from Whoosh's own collector, every match scored.

        Raises TimeLimit past the deadline (time.monotonic()).
        """
        # A date range is part of every count, so Whoosh need not score documents
        # outside it (a filter, never a query: WHOOSH.md, trap 1).
        within = set(np.nonzero(dates)[0].tolist()) if dates is not None else None
        # use_alarm=False: SIGALRM works in the main thread only.
        collector = TimeLimitCollector(
            searcher.collector(limit=None, filter=within),
            max(0.001, deadline - time.monotonic()), use_alarm=False)
        searcher.search_with_collector(parsed, collector)
        top = collector.results().top_n  # (score, docnum), best first: no Hit objects
        docnums = np.fromiter((docnum for _, docnum in top), dtype=np.int64, count=len(top))
        scores = np.fromiter((score for score, _ in top), dtype=np.float64, count=len(top))
        return docnums, scores

    def _canonical(self, facet: str, values: tuple[str, ...]) -> tuple[str, ...]:
        """Officials and countries named in any spelling or script, as the index holds them."""
        if facet == "official":
            registry = extractor_for(str(self.data_dir)).registry
            return tuple((registry.lookup(v).name if registry.lookup(v) else v) for v in values)
        if facet == "country":
            places = gazetteer()
            canonical = []
            for value in values:
                code = places.by_key.get(key_tokens(value)) or places.abbreviations.get(value)
                canonical.append(places.names.get(code, value) if code else value)
            return tuple(canonical)
        return values

    # -- the service ------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a search; raises QueryError for anything the user must fix.

        Results are cached per index generation: a repeated search costs a dict lookup.
        """
        request = request.validated()
        current = self._current()
        if current is None:
            return SearchResults(request, 0, [])
        generation, searcher = current
        cache_key = (request.fingerprint(), request.page, request.page_size, request.cursor,
                     request.facet_size, request.with_facets)
        cached = generation.cache.get(cache_key)
        if cached is not None:
            generation.cache.move_to_end(cache_key)
            return replace(cached, request=request)
        results = self._search(request, generation, searcher)
        generation.cache[cache_key] = results
        if len(generation.cache) > RESULT_CACHE_SIZE:
            generation.cache.popitem(last=False)
        return results

    def _search(self, request: SearchRequest, generation: _Generation, searcher) -> SearchResults:  # type: ignore[no-untyped-def]
        tables = generation.tables
        parsed, ranking, base, selections = self._document_sets(request, searcher, generation)
        matching = base.copy()
        for mask in selections.values():
            matching &= mask
        total = int(matching.sum())
        position = decode_cursor(request)
        page, next_position = self._page(request, parsed, ranking, tables, matching, total,
                                         position)
        next_cursor = encode_cursor(request, next_position) if next_position else None
        hits = self._hits(request, parsed, searcher, page)
        facets: list[Facet] = []
        histogram: list[HistogramBar] = []
        interval = "year"
        if request.with_facets:
            facets = self._facets(request, tables, base, selections, matching)
            histogram, interval = self._histogram(tables, matching, request)
        return SearchResults(request, total, hits, facets, histogram, interval, next_cursor)

    @staticmethod
    def _effective_sort(request: SearchRequest, parsed) -> str:  # type: ignore[no-untyped-def]
        # With no words there is no relevance: browse newest first.
        return "newest" if request.sort == "relevance" and parsed is None else request.sort

    def _page(self, request, parsed, ranking, tables, matching, total, position):  # type: ignore[no-untyped-def]
        """The page's (docnum, score) pairs and where the next page starts."""
        size = request.page_size
        if position is not None and ("o" in position) != (ranking is not None):
            # A relevance cursor on a date-ordered search, or the reverse: not ours.
            raise QueryError("the cursor is not one this service gave out; start again without it")
        if ranking is not None:
            # The position is an offset into the ranking (stable while the index
            # generation is).
            offset = position["o"] if position else (request.page - 1) * size
            docnums, scores = self._ranked(ranking, matching)
            page = list(zip(docnums[offset:offset + size].tolist(),
                            scores[offset:offset + size].tolist(), strict=True))
            following = {"o": offset + size} if offset + size < total else None
            return page, following
        # One more than the page: whether a next page exists comes with the same sort.
        docnums = self._date_order(request, tables, matching, position,
                                   None if position else (request.page - 1) * size, size + 1)
        page = [(int(d), None) for d in docnums[:size]]
        following = self._date_key(request, tables, page[-1][0]) \
            if len(docnums) > size else None
        return page, following

    @staticmethod
    def _ranked(ranking, matching) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
        """The ranking (best first) restricted to the matching documents."""
        docnums, scores = ranking
        keep = matching[docnums]
        return docnums[keep], scores[keep]

    @staticmethod
    def _date_key(request: SearchRequest, tables: FacetTables, docnum: int) -> dict:
        return {"k": int(tables.ordinal[docnum]), "i": tables.ids[docnum]}

    @staticmethod
    def _date_order(request, tables, matching, after, offset, size) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Matching documents by date (then id), after a cursor key or from an offset."""
        newest = request.sort != "oldest"
        candidates = np.nonzero(matching)[0]
        ordinal = tables.ordinal[candidates]
        # Undated documents come last in both directions (after any day ordinal).
        undated = 10_000_000
        primary = np.where(ordinal > 0, -ordinal if newest else ordinal, undated)
        if after is not None:
            cursor_primary = (-after["k"] if newest else after["k"]) if after["k"] else undated
            ids = tables.ids
            later = primary > cursor_primary
            ties = np.nonzero(primary == cursor_primary)[0]
            tie_later = np.array([ids[candidates[t]] > after["i"] for t in ties], dtype=bool)
            keep = later.copy()
            keep[ties[tie_later]] = True
            candidates, primary = candidates[keep], primary[keep]
            offset = 0
        # One sort key: the date (or its negation), then the id's rank among all ids.
        key = primary * tables.size + tables.id_rank[candidates]
        wanted = offset + size
        if wanted < len(key):
            # Only the first `wanted` need ordering: partition, then sort those.
            nearest = np.argpartition(key, wanted - 1)[:wanted]
            order = nearest[np.argsort(key[nearest], kind="stable")]
        else:
            order = np.argsort(key, kind="stable")
        return candidates[order[offset:wanted]]

    def _hits(self, request, parsed, searcher, page) -> list[SearchHit]:  # type: ignore[no-untyped-def]
        terms: set[tuple[str, str]] = set()
        if parsed is not None:
            reader = searcher.reader()
            for leaf in _positive_leaves(parsed):
                # Prefix, wildcard and fuzzy leaves expand to the words they matched.
                for fieldname, text in leaf.expanded_terms(reader, phrases=True):
                    if fieldname in ("body", "title", "body_exact", "title_exact"):
                        text = text.decode("utf-8") if isinstance(text, bytes) else text
                        terms.add(("exact" if fieldname.endswith("_exact") else "folded", text))
        stored = [searcher.stored_fields(docnum) for docnum, _ in page]
        records = self.with_entities(self.archive().get_many([s["id"] for s in stored]))
        hits = []
        for (_, score), fields in zip(page, stored, strict=True):
            record = records.get(fields["id"])
            body = record.body if record else ""
            snippet, more = self._snippet(body, terms)
            published = fields.get("date")
            hits.append(SearchHit(
                id=fields["id"],
                url=fields["url"],
                title=fields["title"],
                published=published.date() if published else None,
                source_id=fields["source"],
                ministry_country=fields["ministry_country"],
                language=fields["language"],
                doc_type=doc_type_label(fields["type"]),
                # The archive's stored entities: what the document, exports and feeds show.
                officials=record.officials if record else _split(fields.get("official_facet")),
                countries=record.countries if record else _split(fields.get("country_facet")),
                snippet_html=snippet,
                more_matches=more,
                score=score,
                updated=record.fetched_at if record else None,
            ))
        return hits

    def _snippet(self, body: str, terms: set[tuple[str, str]]) -> tuple[str, int]:
        """Escaped snippet around the best passages, and how many matches it leaves out."""
        if not body:
            return "", 0
        for kind, term_of in (("folded", folded_term), ("exact", exact_term)):
            words = {text for k, text in terms if k == kind}
            matches = find_matches(body, words, term_of) if words else []
            if matches:
                snippet, shown = snippet_html(body, matches, SNIPPET_CHARS)
                return snippet, len(matches) - shown
        lead = body if len(body) <= SNIPPET_CHARS else \
            body[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
        return html.escape(lead), 0

    def _facets(self, request, tables, base, selections, matching) -> list[Facet]:  # type: ignore[no-untyped-def]
        facets = []
        for spec in FACETS:
            if spec.name == "month" and "year" not in request.filters \
                    and "month" not in request.filters:
                continue  # months drill down from a chosen year
            # Counts as if this facet's own selection were not applied (OR: what ticking
            # another value adds); with AND, among the documents that have them all (what
            # ticking another value would leave).
            docs = matching
            if spec.name in selections and spec.name not in request.all_of:
                docs = base.copy()
                for name, selected in selections.items():
                    if name != spec.name:
                        docs &= selected
            counts = tables.count(spec.name, docs)
            if spec.name == "month" and "year" in request.filters:
                years = set(request.filters["year"])
                counts = {k: v for k, v in counts.items() if k[:4] in years}
            chosen = {tables.normalise(spec.name, v)
                      for v in self._canonical(spec.name, request.filters.get(spec.name, ()))}
            for value in chosen:
                if value not in counts and spec.name == "language":
                    # "sr" stands for all its scripts.
                    counts[value] = sum(n for k, n in counts.items()
                                        if k.startswith(value + "-"))
            if spec.name in ("year", "month"):
                ranked = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
            else:
                ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            top = ranked[:request.facet_size]
            values = [FacetValue(v, counts.get(v, 0), True) for v in sorted(chosen)]
            values += [FacetValue(v, n, False) for v, n in top
                       if v not in chosen and not any(v.startswith(c + "-") for c in chosen
                                                      if spec.name == "language")]
            facets.append(Facet(spec.name, spec.label, values, more=len(ranked) > len(top)))
        return facets

    def _histogram(self, tables, mask, request) -> tuple[list[HistogramBar], str]:  # type: ignore[no-untyped-def]
        dated = mask & tables.dated
        if not dated.any():
            return [], "year"
        ordinals = tables.ordinal[dated]
        first = date.fromordinal(int(ordinals.min()))
        last = date.fromordinal(int(ordinals.max()))
        if request.date_from:
            first = min(first, request.date_from)
        if request.date_to:
            last = max(last, request.date_to)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        if months <= MONTHLY_HISTOGRAM_MAX_MONTHS:
            base = (first.year - 1970) * 12 + first.month  # tables.month numbering
            counts = np.bincount(tables.month[dated] - base, minlength=months)
            bars = []
            year, month = first.year, first.month
            for index in range(months):
                start = date(year, month, 1)
                end = date(year, month, calendar.monthrange(year, month)[1])
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
                bars.append(HistogramBar(f"{start.year}-{start.month:02d}", start, end,
                                         int(counts[index])))
            return bars, "month"
        # A wide range (from=0001&to=9999) is drawn in coarser buckets, never in 9,999 bars.
        years = last.year - first.year + 1
        interval, width = next(((name, width) for name, width in HISTOGRAM_YEAR_BUCKETS
                                if math.ceil(years / width) <= MAX_HISTOGRAM_BARS),
                               HISTOGRAM_YEAR_BUCKETS[-1])
        origin = first.year - first.year % width
        buckets = (last.year - origin) // width + 1
        counts = np.bincount((tables.year[dated] - origin) // width, minlength=buckets)
        bars = []
        for index in range(buckets):
            low = max(1, origin + index * width)
            high = min(date.max.year, origin + (index + 1) * width - 1)
            key = str(low) if width == 1 else f"{low}–{high}"
            bars.append(HistogramBar(key, date(low, 1, 1), date(high, 12, 31),
                                     int(counts[index])))
        return bars, interval

    def iter_hits(self, request: SearchRequest, batch_size: int = 500) -> Iterator[Communique]:
        """Every result of a search, in order, as records: for complete exports.

        The query is read (and a QueryError raised) now, before the first record
        is asked for, so a streamed response never fails half-way on bad input.
        """
        request = replace(request.validated(), cursor=None, page=1)
        current = self._current()
        if current is None:
            return iter(())
        generation, searcher = current
        tables = generation.tables
        parsed, ranking, base, selections = self._document_sets(request, searcher, generation)
        matching = base.copy()
        for mask in selections.values():
            matching &= mask
        total = int(matching.sum())
        if ranking is not None:
            docnums = self._ranked(ranking, matching)[0].tolist()
        else:
            docnums = self._date_order(request, tables, matching, None, 0, total).tolist()
        ids = [tables.ids[d] for d in docnums]

        def records() -> Iterator[Communique]:
            archive = self.archive()
            for offset in range(0, len(ids), batch_size):
                batch = ids[offset:offset + batch_size]
                found = self.with_entities(archive.get_many(batch))
                for record_id in batch:
                    if record_id in found:
                        yield found[record_id]

        return records()

    def document(self, communique_id: str, version: int | None = None) -> Document:
        """A communiqué (its current or a given archived version) and its history."""
        archive = self.archive()
        record = archive.get(communique_id, version)
        if record is None:
            raise NotFound(communique_id)
        record = self.with_entities({communique_id: record}, version)[communique_id]
        return Document(record, archive.versions(communique_id))

    def with_entities(self, records: dict[str, Communique],
                      version: int | None = None) -> dict[str, Communique]:
        """Records whose officials and countries are the ones stored for their version
        at indexing time (the registry's spellings), so every surface shows the same.

        A version never indexed (crawled since, or an old version) gets the same
        extraction run now, which is what indexing it would store.
        """
        stored = self.archive().entities_of(list(records), version)
        extractor = None
        result = {}
        for record_id, record in records.items():
            if record_id in stored:
                officials, countries = stored[record_id]
            else:
                extractor = extractor or extractor_for(str(self.data_dir))
                entities = extractor.extract(record)
                officials, countries = entities.officials, entities.countries
            result[record_id] = replace(record, officials=officials, countries=countries)
        return result

    def document_count(self) -> int:
        current = self._current()
        return int(current[0].tables.live.sum()) if current else 0

    def generation_tag(self) -> str:
        """Changes whenever the index does: for ETags and caches."""
        current = self._current()
        if current is None:
            return "empty"
        directory, number = current[0].key
        return f"{Path(directory).name}.{number}"
