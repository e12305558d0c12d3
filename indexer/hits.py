"""A page of results as `SearchHit`s: the index's stored fields, the archive's record
(its text for the snippet, its stored entities) and the events each hit belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexer.backend import SearchHit
from indexer.documents import DocumentStore
from indexer.events.service import EventService
from indexer.matching import Matches
from indexer.querylang import matched_terms
from indexer.schema import doc_type_label
from indexer.snippets import snippet_for

if TYPE_CHECKING:
    from whoosh.searching import Searcher


def split_stored(stored: str | None) -> tuple[str, ...]:
    """The values of a comma-separated stored facet field."""
    return tuple(v.strip() for v in stored.split(",") if v.strip()) if stored else ()


def page_hits(page: list[tuple[int, float | None]], matches: Matches, searcher: Searcher,
              documents: DocumentStore, events: EventService) -> list[SearchHit]:
    """The hits of a page of (docnum, score), in its order."""
    # Prefix, wildcard and fuzzy words expand to the words they matched.
    reader = searcher.reader()  # the searcher's stored_fields is its reader's
    terms = matched_terms(matches.parsed, reader)
    stored = [reader.stored_fields(docnum) for docnum, _ in page]
    ids = [s["id"] for s in stored]
    records = documents.records(ids)
    readouts, versions = events.readouts_of(ids), events.versions_of(ids)
    hits = []
    for (_, score), fields in zip(page, stored, strict=True):
        record = records.get(fields["id"])
        snippet, more = snippet_for(record.body if record else "", terms)
        published = fields.get("date")
        hits.append(SearchHit(
            id=fields["id"], url=fields["url"], title=fields["title"],
            published=published.date() if published else None,
            source_id=fields["source"], ministry_country=fields["ministry_country"],
            language=fields["language"], doc_type=doc_type_label(fields["type"]),
            # The archive's stored entities: what the document, exports and feeds show.
            officials=record.officials if record else split_stored(fields.get("official_facet")),
            countries=record.countries if record else split_stored(fields.get("country_facet")),
            snippet_html=snippet, more_matches=more, score=score,
            updated=record.fetched_at if record else None,
            event=readouts.get(fields["id"]), versions=tuple(versions.get(fields["id"], ())),
        ))
    return hits
