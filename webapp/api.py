"""The JSON API: read-only, CORS-open, the same parameters as the search page.

Responses carry an ETag tied to the index generation, so any HTTP cache in front
of replicas can serve repeats until the index changes.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue

from indexer.archive import Archive
from indexer.search import ALL_OF_FACETS, FEW_RESULTS, SearchHit, SearchRequest, SearchResults
from scrapers.record import Communique
from webapp.diffs import withdrawn_dates, withdrawn_on
from webapp.labels import facet_value_label, source_name
from webapp.outputs import OUTPUTS, OutputKind, of_kind
from webapp.params import search_args, search_request_from_args, whole_number
from webapp.services import search_backend

service = search_backend  # the views' one way to search
bp = Blueprint("api", __name__, url_prefix="/api")
# /api/search responses kept per worker (about 20 KB each at 10k, of the current generation).
RENDERED_SEARCHES = 256




# What URL quoting leaves as it is: an id of only these is put in a URL as it is.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*\Z")
_MARKER = "0idmarker0"


class IdUrls:
    """External URLs of one endpoint per id, as url_for builds them, for the many links
    of a page of hits: each endpoint is built once per request around a marker, and an
    id that quoting leaves unchanged is put in its place (url_for was a third of a
    cached search's time); any other id goes through url_for."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, str], list[str]] = {}

    def __call__(self, endpoint: str, name: str, value: str) -> str:
        if _PLAIN_ID.match(value):
            parts = self._parts.get((endpoint, name))
            if parts is None:
                parts = url_for(endpoint, _external=True, **{name: _MARKER}).split(_MARKER)
                self._parts[(endpoint, name)] = parts
            if len(parts) == 2:
                return value.join(parts)
        return url_for(endpoint, _external=True, **{name: value})


def hit_json(hit: SearchHit, withdrawn: dict[str, datetime] | None = None,
             urls: IdUrls | None = None) -> dict:
    """A hit as the API shows it. `withdrawn`: the withdrawals of the page's hits (read
    in one query; None: this hit's is read now); `urls`: the page's URL builder."""
    urls = urls or IdUrls()
    gone = withdrawn.get(hit.id) if withdrawn is not None else withdrawn_on(hit.id)
    return {
        "id": hit.id,
        "title": hit.title,
        "published": hit.published.isoformat() if hit.published else None,
        "source": hit.source_id,
        "ministry": source_name(hit.source_id),
        "ministry_country": hit.ministry_country,
        "language": hit.language,
        "doc_type": hit.doc_type,
        "officials": list(hit.officials),
        "countries": list(hit.countries),
        "snippet_html": hit.snippet_html,
        "more_matches": hit.more_matches,
        "score": hit.score,
        "url": hit.url,
        # Issue 15: the day it was marked gone from the ministry's site, or null.
        "withdrawn": gone.date().isoformat() if gone else None,
        "api_url": urls("api.communique", "communique_id", hit.id),
        "html_url": urls("pages.communique", "communique_id", hit.id),
        # Events (issue 11): the event it is a readout of, and its other versions.
        "event": {**hit.event, "html_url": urls("events.event_page", "event_id", hit.event["id"]),
                  "api_url": urls("events.event_json", "event_id", hit.event["id"])}
        if hit.event else None,
        "versions": [{"id": v["id"], "language": v["language"], "relation": v["relation"],
                      "url": v["url"],
                      "html_url": urls("pages.communique", "communique_id", v["id"])}
                     for v in hit.versions],
    }


def _url_with(endpoint: str, **changes: object) -> str:
    args = search_args(request.args)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(endpoint, **args, _external=True)


def export_url(fmt: str) -> str:
    """The export of the current search: same filters, no paging."""
    args = {k: v for k, v in search_args(request.args).items()
            if k not in ("page", "cursor", "size", "facet_size")}
    return url_for("api.export", format=fmt, **args, _external=True)


def results_json(results: SearchResults, withdrawn: dict[str, datetime] | None = None) -> dict:
    """A page of results as the API shows it (`withdrawn`: as `hit_json`'s, for all hits;
    None: read here, in one query)."""
    req = results.request
    if withdrawn is None:
        withdrawn = withdrawn_dates([hit.id for hit in results.hits])
    urls = IdUrls()
    return {
        "query": {
            "q": req.q,
            "sort": req.sort,
            "from": req.date_from.isoformat() if req.date_from else None,
            "to": req.date_to.isoformat() if req.date_to else None,
            "filters": {k: list(v) for k, v in req.filters.items()},
            **{f"{name}_op": "and" if name in req.all_of else "or" for name in ALL_OF_FACETS},
            "page": req.page,
            "size": req.page_size,
            "cursor": req.cursor,
            "collapse": req.collapse,  # events (issue 11)
        },
        "total": results.total,
        # Events (issue 11): communiqués left out of the total as versions of a text.
        "collapsed_versions": results.collapsed,
        "page_count": results.page_count,
        "next": results.next_cursor,
        "next_url": _url_with("api.search", cursor=results.next_cursor, page=None)
        if results.next_cursor else None,
        "results": [hit_json(hit, withdrawn, urls) for hit in results.hits],
        "facets": {
            facet.name: {
                "label": facet.label,
                "more": facet.more,
                "values": [{"value": v.value, "label": facet_value_label(facet.name, v.value),
                            "count": v.count, "selected": v.selected} for v in facet.values],
            }
            for facet in results.facets
        },
        "histogram": {
            "interval": results.histogram_interval,
            "buckets": [{"key": bar.key, "from": bar.start.isoformat(),
                         "to": bar.end.isoformat(), "count": bar.count}
                        for bar in results.histogram],
        },
        "export": {output.name: export_url(output.name) for output in of_kind(OutputKind.EXPORT)},
    }


def communique_json(record: Communique) -> dict:
    data = record.to_dict()
    data["paragraphs"] = record.paragraphs
    data["html_url"] = url_for("pages.communique", communique_id=record.id, _external=True)
    return data


@dataclass(frozen=True)
class RenderedSearch:
    """One /api/search response as sent, with what was read for it besides the results
    (which the index generation fixes): the withdrawals of its hits, its suggestions."""

    body: bytes
    request: SearchRequest
    ids: list[str]
    withdrawn: dict[str, datetime]
    suggestions: list[str] | None  # None: not asked (the search found enough)


class RenderedSearches:
    """/api/search responses of the current index generation, by URL (the links in a
    response are built from its host and parameters), least recently used dropped past
    `size`. Only one generation's are kept: a new one empties the cache. A kept response
    is sent again only if its hits' withdrawals and its suggestions are still the same
    (those can change while the generation stays: a crawl marks a withdrawal before the
    index is updated, the "did you mean" lexicon is built after the first searches)."""

    def __init__(self, size: int = RENDERED_SEARCHES) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._tag: str | None = None
        self._entries: OrderedDict[tuple, RenderedSearch] = OrderedDict()

    def get(self, tag: str, key: tuple) -> RenderedSearch | None:
        with self._lock:
            if tag != self._tag:
                return None
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, tag: str, key: tuple, entry: RenderedSearch) -> None:
        with self._lock:
            if tag != self._tag:
                self._entries.clear()
                self._tag = tag
            self._entries[key] = entry
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def rendered_searches(name: str = "rendered_searches",
                      size: int = RENDERED_SEARCHES) -> RenderedSearches:
    """This app's cache of rendered searches of one view (the API's by default), made
    with room for `size` on first use."""
    cache = current_app.extensions.get(name)
    if cache is None:
        cache = current_app.extensions.setdefault(name, RenderedSearches(size))
    return cache


def did_you_mean(results: SearchResults) -> list[str] | None:
    """Corrected queries, for a search with no or few results (else None, not asked: the
    search found what was asked for)."""
    return None if results.total > FEW_RESULTS else service().did_you_mean(results.request)


def kept_search(name: str, mimetype: str, size: int = RENDERED_SEARCHES
                ) -> tuple[str, tuple, Response | None]:
    """The generation tag and key of this request's search in the view's cache `name`,
    and the kept response if it may be sent again (see `RenderedSearches`)."""
    # The generation is read before the search: a commit in between files the response
    # under the older generation, which no later request asks for.
    tag = service().generation_tag()
    key = (request.host_url, request.root_path, request.path, request.query_string)
    kept = rendered_searches(name, size).get(tag, key)
    if kept is not None and withdrawn_dates(kept.ids) == kept.withdrawn and (
            kept.suggestions is None or service().did_you_mean(kept.request) == kept.suggestions):
        return tag, key, Response(kept.body, mimetype=mimetype)
    return tag, key, None


def keep_search(name: str, tag: str, key: tuple, body: bytes, results: SearchResults,
                withdrawn: dict[str, datetime], suggestions: list[str] | None) -> None:
    """Keep a response rendered from `results`, with the withdrawals and suggestions
    read for it (those read before rendering: a change since shows at the next request)."""
    rendered_searches(name).put(tag, key, RenderedSearch(
        body, results.request, [hit.id for hit in results.hits], withdrawn, suggestions))


@bp.get("/search")
def search() -> ResponseReturnValue:
    tag, key, kept = kept_search("rendered_searches", "application/json")
    if kept is not None:
        return kept
    req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"])
    results = service().search(req)
    withdrawn = withdrawn_dates([hit.id for hit in results.hits])
    suggested = did_you_mean(results)
    response = jsonify(
        {**results_json(results, withdrawn), "did_you_mean": suggested or []})
    keep_search("rendered_searches", tag, key, response.get_data(), results, withdrawn,
                suggested)
    return response


@bp.get("/export.<format>")
def export(format: str) -> ResponseReturnValue:  # noqa: A002 - the URL's word
    """The whole result set of a search in any registered export format, streamed."""
    output = OUTPUTS.get(format)
    if output is None or output.kind is not OutputKind.EXPORT:
        names = ", ".join(o.name for o in of_kind(OutputKind.EXPORT))
        abort(404, description=f"no export format '{format}'; formats are {names}")
    req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"],
                                   with_facets=False)
    records = service().iter_hits(req)  # a bad query raises here, before streaming starts
    response = Response(stream_with_context(output.render(records)), mimetype=output.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="communiques.{format}"'
    return response


@bp.get("/communiques/<communique_id>")
def communique(communique_id: str) -> ResponseReturnValue:
    version = whole_number(request.args, "version", 0, 1, 1_000_000) or None
    document = service().document(communique_id, version)
    data = communique_json(document.record)
    data["versions"] = [
        {"version": v.version, "content_hash": v.content_hash,
         "fetched_at": v.fetched_at.isoformat()}
        for v in document.versions
    ]
    # Issue 15: gone from the ministry's site since (null: it is there), and each time
    # it was withdrawn and came back.
    with Archive(current_app.config["DATA_DIR"], readonly=True) as archive:
        data["withdrawn"] = gone.date().isoformat() if (gone := withdrawn_on(communique_id)
                                                         ) else None
        data["withdrawals"] = [
            {"withdrawn": at.isoformat(), "reinstated": back.isoformat() if back else None,
             "reason": reason}
            for at, back, reason in archive.withdrawal_history(communique_id)]
    return jsonify(data)


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    from webapp.openapi import openapi_document

    return jsonify(openapi_document())
