"""The benchmark corpus on tantivy (tantivy-py 0.27), so that every Whoosh figure has its
ratio to a compiled engine doing the same work.

One search is what the search page needs: the text query with the date range and facet
selections (OR within a facet, AND across facets), the total count, the top 10 by score
(or newest first), a snippet for each, and facet counts over the matching set, each facet
counted as if its own selection were not applied (as indexer.search does).

Index: title and body with the `bench_fold` analyzer (tantivy's simple tokenizer, tokens of
40 bytes or more dropped, lower case, ASCII folding: tantivy's "default" plus folding, no
stemming); date as a fast, indexed date field; source, ministry_country, language,
doc_type, officials and countries as raw-tokenized fast text fields (multi-valued for
officials and countries), counted with terms aggregations (`Searcher.aggregate`, in
Elasticsearch's JSON form). Language, source, ministry country and type are stored lower
case and the type with "-" for " ", as the Whoosh index holds them.

Folding across scripts: tantivy has no Cyrillic-to-Latin filter, so a query word matches
its Latin form or its Cyrillic form (the corpus's own transliteration), which is what the
project's folding analyzer does for this corpus. ASCII folding makes "đ" a "d" (Whoosh
folds it to "dj"), so a word with "dj" also matches its "d" spelling.
"""

from __future__ import annotations

import html
import importlib.metadata
import itertools
import os
import re
import statistics
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import tantivy
from tantivy import Document, FieldType, Index, Occur, Order, Query, SnippetGenerator

from benchmarks.corpus import to_cyrillic
from benchmarks.measure import summary_ms
from scrapers.record import Communique

TOKENIZER = "bench_fold"
TITLE_BOOST = 3.0  # as indexer.schema.TITLE_BOOST
PAGE_SIZE = 10
FACET_SIZE = 10
SNIPPET_CHARS = 280
# Per segment, a terms aggregation keeps this many values before merging: more than any
# facet has (2,000 officials, about 260 countries), so the counts are exact.
SEGMENT_TERMS = 100_000
HEAP_BYTES = 512_000_000
BUILD_BATCH = 100_000  # records held in memory at once while building
# Facet name (as in indexer.facets.FACETS and SearchRequest.filters) -> tantivy field.
FACET_FIELDS: dict[str, str] = {
    "source": "source",
    "ministry_country": "ministry_country",
    "language": "language",
    "type": "doc_type",
    "official": "officials",
    "country": "countries",
}
_LOWERCASE_FACETS = frozenset({"source", "ministry_country", "language", "type"})
# Query fields of the benchmark's query language -> tantivy field (exact values).
_QUERY_FIELDS = {"official": "officials", "country": "countries"}
_CLAUSE = re.compile(r'(?P<field>\w+):"(?P<value>[^"]*)"|"(?P<phrase>[^"]*)"|(?P<word>\S+)')
_YEARS = range(2000, 2027)
_YEAR_KEYS = frozenset(str(year) for year in _YEARS)


def analyzer() -> tantivy.TextAnalyzer:
    """The title and body analyzer: tantivy's default tokenizer plus ASCII folding."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .build())


_ANALYZER = analyzer()


def schema() -> tantivy.Schema:
    """The index schema (see the module docstring)."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name=TOKENIZER)
    builder.add_text_field("body", stored=True, tokenizer_name=TOKENIZER)
    builder.add_date_field("date", stored=True, indexed=True, fast=True)
    for field in FACET_FIELDS.values():
        builder.add_text_field(field, stored=True, fast=True, tokenizer_name="raw")
    return builder.build()


def open_index(path: Path | str) -> Index:
    """An index built by `build`, with its analyzer registered (needed after every open)."""
    index = Index.open(str(path))
    index.register_tokenizer(TOKENIZER, _ANALYZER)
    return index


def _document(record: Communique) -> Document:
    doc = Document()
    doc.add_text("id", record.id)
    doc.add_text("title", record.title)
    doc.add_text("body", record.body)
    if record.published is not None:
        doc.add_date("date", datetime(record.published.year, record.published.month,
                                      record.published.day, tzinfo=UTC))
    doc.add_text("source", record.source_id.lower())
    doc.add_text("ministry_country", record.ministry_country.lower())
    doc.add_text("language", record.language.lower())
    doc.add_text("doc_type", record.doc_type.replace(" ", "-"))
    for official in record.officials:
        doc.add_text("officials", official)
    for country in record.countries:
        doc.add_text("countries", country)
    return doc


def _bytes_on_disk(path: Path) -> int:
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _dirs, files in os.walk(path) for name in files)


def build(records: Iterable[Communique], path: Path, *, heap_bytes: int = HEAP_BYTES,
          threads: int = 0, batch: int = BUILD_BATCH) -> dict:
    """Index `records` at `path` (creating the index, or adding to the one there).

    Uses tantivy's multithreaded writer (`threads=0`: tantivy's choice, one per core up to
    8) with `heap_bytes` of indexing memory shared by its threads. Records are taken
    `batch` at a time into a list, then added and committed, so that producing them (a
    generator, say) never runs while tantivy indexes: "seconds" is tantivy's time alone
    (adding, the commits and the final merges, Python's Document building included),
    "source_seconds" the time spent producing the records, "wall_seconds" both. A commit
    per batch costs a little against one at the end (more segments to merge), and keeps
    memory bounded. "documents" are those added by this call, "total_documents" the
    index's after it.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    wall_start = time.perf_counter()
    index = Index(schema(), path=str(path), reuse=True)
    index.register_tokenizer(TOKENIZER, _ANALYZER)
    writer = index.writer(heap_size=heap_bytes, num_threads=threads)
    iterator: Iterator[Communique] = iter(records)
    source_seconds = 0.0
    added = 0
    while True:
        before = time.perf_counter()
        chunk = list(itertools.islice(iterator, batch))
        source_seconds += time.perf_counter() - before
        if not chunk:
            break
        for record in chunk:
            writer.add_document(_document(record))
        writer.commit()
        added += len(chunk)
    writer.wait_merging_threads()
    wall_seconds = time.perf_counter() - wall_start
    seconds = wall_seconds - source_seconds
    index.reload()
    searcher = index.searcher()
    return {
        "documents": added,
        "seconds": round(seconds, 3),
        "docs_per_second": round(added / seconds, 1) if seconds > 0 else None,
        "bytes_on_disk": _bytes_on_disk(path),
        "source_seconds": round(source_seconds, 3),
        "wall_seconds": round(wall_seconds, 3),
        "total_documents": searcher.num_docs,
        "segments": searcher.num_segments,
    }


# -- queries -------------------------------------------------------------------------------

def _variants(text: str) -> list[list[str]]:
    """The token sequences a query word or phrase matches: its Latin form, its Cyrillic
    form, and with "dj" read as "đ" (which ASCII folding makes "d")."""
    spellings = [text, to_cyrillic(text.lower())]
    if "dj" in text.lower():
        spellings.append(text.lower().replace("dj", "d"))
    sequences: list[list[str]] = []
    for spelling in spellings:
        tokens = _ANALYZER.analyze(spelling)
        if tokens and tokens not in sequences:
            sequences.append(tokens)
    return sequences


def _text_clause(schema_: tantivy.Schema, text: str) -> Query | None:
    """Title (boosted) or body, any spelling: a term query per word, a phrase for more."""
    alternatives: list[tuple[Occur, Query]] = []
    for tokens in _variants(text):
        for field, boost in (("title", TITLE_BOOST), ("body", 1.0)):
            if len(tokens) == 1:
                clause = Query.term_query(schema_, field, tokens[0])
            else:
                clause = Query.phrase_query(schema_, field, tokens)
            if boost != 1.0:
                clause = Query.boost_query(clause, boost)
            alternatives.append((Occur.Should, clause))
    return Query.boolean_query(alternatives) if alternatives else None


def parse(schema_: tantivy.Schema, q: str) -> tuple[list[Query], list[Query]]:
    """The benchmark's query language: words (all must match), "phrases", and
    official:"Name" / country:"Name" (exact values). Returns (text clauses, field clauses)."""
    text: list[Query] = []
    fields: list[Query] = []
    for match in _CLAUSE.finditer(q):
        if match.group("field"):
            name = match.group("field").lower()
            if name not in _QUERY_FIELDS:
                raise ValueError(f"unsupported field {name!r} in {q!r}")
            fields.append(Query.term_query(schema_, _QUERY_FIELDS[name], match.group("value")))
            continue
        clause = _text_clause(schema_, match.group("phrase") or match.group("word"))
        if clause is not None:
            text.append(clause)
    return text, fields


def _as_date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _date_range(schema_: tantivy.Schema, first: date | None, last: date | None) -> Query:
    lower = datetime(first.year, first.month, first.day, tzinfo=UTC) if first else None
    upper = (datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
             if last else None)
    return Query.range_query(schema_, "date", FieldType.Date, lower_bound=lower,
                             upper_bound=upper, include_lower=True, include_upper=False)


def _all_of(clauses: list[Query]) -> Query:
    if not clauses:
        return Query.all_query()
    if len(clauses) == 1:
        return clauses[0]
    return Query.boolean_query([(Occur.Must, clause) for clause in clauses])


def _year_ranges() -> list[dict]:
    """Year buckets for a range aggregation; date fast-field values are in nanoseconds."""
    def nanos(year: int) -> float:
        return datetime(year, 1, 1, tzinfo=UTC).timestamp() * 1e9
    return [{"key": str(year), "from": nanos(year), "to": nanos(year + 1)} for year in _YEARS]


_YEAR_RANGES = _year_ranges()


def _counts(field: str, size: int) -> dict:
    return {"terms": {"field": field, "size": size, "segment_size": SEGMENT_TERMS}}


def _buckets(result: dict) -> list[tuple[str, int]]:
    return [(bucket["key"], bucket["doc_count"]) for bucket in result["buckets"]]


def run_query(index: Index, spec: dict, *, searcher: tantivy.Searcher | None = None,
              page_size: int = PAGE_SIZE, facet_size: int = FACET_SIZE) -> dict:
    """Run one QUERY_MIX entry as the search page needs it (see the module docstring).

    Returns {"kind", "q", "total", "hits": [{"id", "title", "published", "source",
    "language", "doc_type", "officials", "countries", "score", "snippet_html"}],
    "facets": {facet: [(value, count), ...]}, "facet_more": {facet: bool},
    "histogram": [(year, count), ...]}. One aggregation call counts every facet without a
    selection (and the year histogram) over the matching set; each facet with a selection
    takes one more call over the matching set without that selection.
    """
    searcher = searcher or index.searcher()
    schema_ = index.schema
    text, fields = parse(schema_, spec.get("q", ""))
    base = text + fields
    date_from, date_to = _as_date(spec.get("date_from")), _as_date(spec.get("date_to"))
    if date_from or date_to:
        base.append(_date_range(schema_, date_from, date_to))
    selections: dict[str, Query] = {}
    for facet, values in (spec.get("filters") or {}).items():
        if not values:
            continue
        if facet not in FACET_FIELDS:
            raise ValueError(f"unsupported filter {facet!r}")
        values = [v.lower() for v in values] if facet in _LOWERCASE_FACETS else list(values)
        selections[facet] = Query.term_set_query(schema_, FACET_FIELDS[facet], values)
    query = _all_of(base + list(selections.values()))

    newest = spec.get("sort") == "newest"
    if newest:
        found = searcher.search(query, page_size, count=True, order_by_field="date",
                                order=Order.Desc)
    else:
        found = searcher.search(query, page_size, count=True)
    snippets = None
    if text:
        snippets = SnippetGenerator.create(searcher, _all_of(text), schema_, "body")
        snippets.set_max_num_chars(SNIPPET_CHARS)
    hits = []
    for score, address in found.hits:
        doc = searcher.doc(address)
        body = doc.get_first("body") or ""
        snippet = snippets.snippet_from_doc(doc).to_html() if snippets else ""
        published = doc.get_first("date")
        hits.append({
            "id": doc.get_first("id"),
            "title": doc.get_first("title"),
            "published": published.date().isoformat() if published else None,
            "source": doc.get_first("source"),
            "language": doc.get_first("language"),
            "doc_type": doc.get_first("doc_type"),
            "officials": doc.get_all("officials"),
            "countries": doc.get_all("countries"),
            "score": None if newest else score,
            "snippet_html": snippet or html.escape(body[:SNIPPET_CHARS]),
        })

    # Facets: unselected ones over the matching set, selected ones without their selection.
    size = facet_size + 1  # one more than shown tells whether there are more
    aggs: dict[str, dict] = {facet: _counts(field, size) for facet, field in FACET_FIELDS.items()
                             if facet not in selections}
    aggs["year"] = {"range": {"field": "date", "ranges": _YEAR_RANGES}}
    results = searcher.aggregate(query, aggs)
    for facet in selections:
        others = [q for name, q in selections.items() if name != facet]
        results.update(searcher.aggregate(_all_of(base + others),
                                          {facet: _counts(FACET_FIELDS[facet], size)}))
    facets = {facet: _buckets(results[facet])[:facet_size] for facet in FACET_FIELDS}
    more = {facet: len(results[facet]["buckets"]) > facet_size
            or results[facet]["sum_other_doc_count"] > 0 for facet in FACET_FIELDS}
    histogram = [(bucket["key"], bucket["doc_count"]) for bucket in results["year"]["buckets"]
                 if bucket["doc_count"] and bucket["key"] in _YEAR_KEYS]
    return {"kind": spec.get("kind"), "q": spec.get("q", ""), "total": found.count,
            "hits": hits, "facets": facets, "facet_more": more, "histogram": histogram}


def measure(index: Index, mix: list[dict], repeat: int = 5, *, warmup: bool = True) -> dict:
    """Latency of each query in `mix` (the median of `repeat` runs, time.perf_counter,
    one searcher for all), summarised per kind and overall with benchmarks.measure's
    summary_ms (p50 = median, p95/p99 nearest rank) over those medians; "overall_runs"
    summarises every single run. A warm-up pass over the mix runs first, untimed."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    searcher = index.searcher()
    if warmup:
        for spec in mix:
            run_query(index, spec, searcher=searcher)
    per_query: list[dict] = []
    runs: list[float] = []
    for spec in mix:
        times: list[float] = []
        total = 0
        for _ in range(repeat):
            start = time.perf_counter()
            total = run_query(index, spec, searcher=searcher)["total"]
            times.append(time.perf_counter() - start)
        runs.extend(times)
        per_query.append({"kind": spec.get("kind"), "q": spec.get("q"), "total": total,
                          "median_ms": round(statistics.median(times) * 1000, 3)})
    kinds: dict[str, dict] = {}
    for kind in dict.fromkeys(entry["kind"] for entry in per_query):
        medians = [e["median_ms"] / 1000 for e in per_query if e["kind"] == kind]
        kinds[kind] = summary_ms(medians)
    return {
        "engine": f"tantivy-py {importlib.metadata.version('tantivy')}",
        "documents": searcher.num_docs,
        "repeat": repeat,
        "kinds": kinds,
        "overall": summary_ms([e["median_ms"] / 1000 for e in per_query]),
        "overall_runs": summary_ms(runs),
        "queries": per_query,
    }
