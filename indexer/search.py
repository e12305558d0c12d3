"""The one search service: the CLI and every web view call this and nothing else."""

from __future__ import annotations

import html
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from whoosh import highlight
from whoosh import query as wq
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    MultifieldParser,
    PlusMinusPlugin,
)
from whoosh.qparser.plugins import BoostPlugin, SingleQuotePlugin
from whoosh.searching import Hit as WhooshHit

from indexer.archive import Archive, VersionInfo
from indexer.build import IndexHome
from indexer.errors import NotFound, QueryError
from scrapers.record import Communique

# Named limits (Datasette style): each has a default and a reason.
MAX_QUERY_LENGTH = 500  # longer queries are pasted documents, not searches
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
MAX_PAGE = 1000  # deep pages are for the API's cursor (and exports), not for paging
MIN_PREFIX_CHARS = 3  # "te*" would expand to thousands of terms
SNIPPET_CHARS = 280

SORTS = ("relevance", "newest", "oldest")
# Fields a user may name in a query ("title:kosovo"); the rest are internal.
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
}
FILTER_FIELDS = ("source", "lang", "type", "official", "country", "ministry_country")


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

    def validated(self) -> SearchRequest:
        """This request, or a QueryError saying what is wrong with it."""
        if len(self.q) > MAX_QUERY_LENGTH:
            raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}")
        if not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be between 1 and {MAX_PAGE}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise QueryError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("the 'from' date is after the 'to' date")
        for name in self.filters:
            if name not in FILTER_FIELDS:
                raise QueryError(f"unknown filter '{name}'")
        return self


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
    score: float | None


@dataclass(frozen=True)
class SearchResults:
    request: SearchRequest
    total: int
    hits: list[SearchHit]

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


def check_syntax(q: str) -> None:
    """Reject unbalanced quotes and parentheses, saying where.

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
                raise QueryError(
                    f"unmatched ')' at position {position + 1}", position=position
                )
    if quote_at is not None:
        raise QueryError(f"unclosed quote opened at position {quote_at + 1}", position=quote_at)
    if depth > 0:
        position = q.rfind("(")
        raise QueryError(f"unclosed '(' at position {position + 1}", position=position)
    for match in _FIELD_PREFIX.finditer(_without_phrases(q)):
        name = match.group(1).lower()
        if name not in QUERY_FIELDS:
            raise QueryError(
                f"unknown field '{match.group(1)}' at position {match.start(1) + 1};"
                f" fields are {', '.join(sorted(QUERY_FIELDS))}",
                position=match.start(1),
            )


# "name:" directly followed by a value; "Kosovo: statement" (with a space) is text.
_FIELD_PREFIX = re.compile(r"(?<![\w])([^\W\d_][\w-]*):(?=\S)")


def _without_phrases(q: str) -> str:
    """The query with quoted text blanked out (same length, so positions hold)."""
    return re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), q)


class _Escaped(highlight.HtmlFormatter):
    """Whoosh's HtmlFormatter already escapes; <mark> is the semantic tag for hits."""

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=" … ")


class SearchService:
    """Read side of the index. Opens it read-only and follows new commits and rebuilds."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self.home = IndexHome(self.data_dir)
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._index = None
        self._local = threading.local()
        self._parser = None

    # -- plumbing -----------------------------------------------------------

    def archive(self) -> Archive:
        """A read-only archive connection for this thread."""
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = Archive(self.data_dir, readonly=True)
            self._local.archive = archive
        return archive

    def _current_index(self):  # type: ignore[no-untyped-def]
        generation = self.home.current_dir()
        with self._lock:
            if generation != self._generation:
                self._index = IndexHome.open(generation) if generation else None
                self._generation = generation
                self._parser = None
            return self._index

    def _query_parser(self, schema):  # type: ignore[no-untyped-def]
        if self._parser is None:
            parser = MultifieldParser(
                ["title", "body"], schema, group=AndGroup,
            )
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
            self._parser = parser
        return self._parser

    def parse(self, q: str, schema) -> wq.Query:  # type: ignore[no-untyped-def]
        check_syntax(q)
        parsed = self._query_parser(schema).parse(q)
        self._check_parsed(parsed)
        return parsed

    @staticmethod
    def _check_parsed(parsed: wq.Query) -> None:
        allowed = set(QUERY_FIELDS.values())
        for node in parsed.leaves():
            error = getattr(node, "error", None)
            if error:
                raise QueryError(f"could not read the query: {error}")
            fieldname = getattr(node, "fieldname", None)
            if fieldname and fieldname not in allowed:
                raise QueryError(f"unknown field '{fieldname}'")
            if isinstance(node, wq.Every):
                raise QueryError("'*' alone matches everything; leave the query empty instead")
            if isinstance(node, wq.Prefix | wq.Wildcard):
                stem = node.text.split("*")[0].split("?")[0]
                if len(stem) < MIN_PREFIX_CHARS:
                    raise QueryError(
                        f"'{node.text}': a wildcard needs at least {MIN_PREFIX_CHARS} letters"
                        " before it"
                    )

    def _filter(self, request: SearchRequest, schema) -> wq.Query | None:  # type: ignore[no-untyped-def]
        clauses: list[wq.Query] = []
        if request.date_from or request.date_to:
            start = datetime.combine(request.date_from, time.min) if request.date_from else None
            end = datetime.combine(request.date_to, time.max) if request.date_to else None
            clauses.append(wq.DateRange("date", start, end))
        for name, values in request.filters.items():
            terms = [wq.Term(name, v.lower()) for v in values if v]
            if terms:
                clauses.append(wq.Or(terms))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else wq.And(clauses)

    # -- the service --------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a search; raises QueryError for anything the user must fix."""
        request = request.validated()
        ix = self._current_index()
        if ix is None:
            return SearchResults(request, 0, [])
        q_text = request.q.strip()
        sort = request.sort
        if not q_text and sort == "relevance":
            sort = "newest"  # with no words there is no relevance: browse newest first
        with ix.searcher() as searcher:
            parsed = self.parse(q_text, ix.schema) if q_text else wq.Every()
            sortedby = None if sort == "relevance" else "date"
            results = searcher.search_page(
                parsed,
                request.page,
                pagelen=request.page_size,
                filter=self._filter(request, ix.schema),
                sortedby=sortedby,
                reverse=sort == "newest",
                terms=True,
            )
            results.results.formatter = _Escaped()
            results.results.fragmenter = highlight.ContextFragmenter(
                maxchars=SNIPPET_CHARS, surround=90
            )
            total = results.total
            found = list(results)
            texts = self.archive().get_many([hit["id"] for hit in found])
            hits = [self._hit(hit, texts.get(hit["id"]), sortedby is None) for hit in found]
        return SearchResults(request, total, hits)

    @staticmethod
    def _hit(hit: WhooshHit, record: Communique | None, scored: bool) -> SearchHit:
        body = record.body if record else ""
        snippet = hit.highlights("body", text=body, top=2) if body else ""
        if not snippet:
            snippet = html.escape(_lead(body))
        published = hit.get("date")
        return SearchHit(
            id=hit["id"],
            url=hit["url"],
            title=hit["title"],
            published=published.date() if published else None,
            source_id=hit["source"],
            ministry_country=hit["ministry_country"],
            language=hit["language"],
            doc_type=hit["type"],
            officials=record.officials if record else (),
            countries=record.countries if record else (),
            snippet_html=snippet,
            score=hit.score if scored else None,
        )

    def document(self, communique_id: str, version: int | None = None) -> Document:
        """A communiqué (its current or a given archived version) and its history."""
        archive = self.archive()
        record = archive.get(communique_id, version)
        if record is None:
            raise NotFound(communique_id)
        return Document(record, archive.versions(communique_id))

    def document_count(self) -> int:
        ix = self._current_index()
        return ix.doc_count() if ix is not None else 0


def _lead(body: str) -> str:
    if len(body) <= SNIPPET_CHARS:
        return body
    cut = body[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut + " …"
