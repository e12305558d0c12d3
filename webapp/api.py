"""The JSON API: read-only, CORS-open, the same parameters as the search page.

Responses carry an ETag tied to the index generation, so any HTTP cache in front
of replicas can serve repeats until the index changes.
"""

from __future__ import annotations

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
from indexer.search import ALL_OF_FACETS, FEW_RESULTS, SearchHit, SearchResults
from scrapers.record import Communique
from webapp.diffs import withdrawn_on
from webapp.labels import facet_value_label, source_name
from webapp.outputs import OUTPUTS, OutputKind, of_kind
from webapp.params import search_args, search_request_from_args, whole_number
from webapp.services import search_backend

service = search_backend  # the views' one way to search
bp = Blueprint("api", __name__, url_prefix="/api")




def hit_json(hit: SearchHit) -> dict:
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
        "withdrawn": gone.date().isoformat() if (gone := withdrawn_on(hit.id)) else None,
        "api_url": url_for("api.communique", communique_id=hit.id, _external=True),
        "html_url": url_for("pages.communique", communique_id=hit.id, _external=True),
        # Events (issue 11): the event it is a readout of, and its other versions.
        "event": {**hit.event, "html_url": url_for("events.event_page", event_id=hit.event["id"],
                                                   _external=True),
                  "api_url": url_for("events.event_json", event_id=hit.event["id"],
                                     _external=True)} if hit.event else None,
        "versions": [{"id": v["id"], "language": v["language"], "relation": v["relation"],
                      "url": v["url"],
                      "html_url": url_for("pages.communique", communique_id=v["id"],
                                          _external=True)} for v in hit.versions],
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


def results_json(results: SearchResults) -> dict:
    req = results.request
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
        "results": [hit_json(hit) for hit in results.hits],
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


def did_you_mean(results: SearchResults) -> list[str]:
    """Corrected queries, for a search with no or few results (else none: the search
    found what was asked for)."""
    if results.total > FEW_RESULTS:
        return []
    return service().did_you_mean(results.request)


@bp.get("/search")
def search() -> ResponseReturnValue:
    req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"])
    results = service().search(req)
    return jsonify({**results_json(results), "did_you_mean": did_you_mean(results)})


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
