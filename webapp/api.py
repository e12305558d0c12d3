"""The JSON API: read-only, CORS-open, same parameters as the search page."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from indexer.search import SearchHit, SearchResults, SearchService
from scrapers.record import Communique
from webapp.params import search_request_from_args

bp = Blueprint("api", __name__, url_prefix="/api")


def service() -> SearchService:
    return current_app.extensions["search"]


@bp.after_request
def allow_cross_origin(response):  # type: ignore[no-untyped-def]
    # Read-only data: any site may call it from the browser.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def hit_json(hit: SearchHit) -> dict:
    return {
        "id": hit.id,
        "title": hit.title,
        "published": hit.published.isoformat() if hit.published else None,
        "source": hit.source_id,
        "ministry_country": hit.ministry_country,
        "language": hit.language,
        "doc_type": hit.doc_type,
        "officials": list(hit.officials),
        "countries": list(hit.countries),
        "snippet_html": hit.snippet_html,
        "score": hit.score,
        "url": hit.url,
        "api_url": url_for("api.communique", communique_id=hit.id, _external=True),
        "html_url": url_for("pages.communique", communique_id=hit.id, _external=True),
    }


def results_json(results: SearchResults) -> dict:
    req = results.request
    args = request.args.to_dict(flat=False)
    next_url = None
    if results.has_next:
        args["page"] = [str(req.page + 1)]
        next_url = url_for("api.search", **args, _external=True)
    return {
        "query": {
            "q": req.q,
            "sort": req.sort,
            "from": req.date_from.isoformat() if req.date_from else None,
            "to": req.date_to.isoformat() if req.date_to else None,
            "filters": {k: list(v) for k, v in req.filters.items()},
            "page": req.page,
            "size": req.page_size,
        },
        "total": results.total,
        "page_count": results.page_count,
        "next_url": next_url,
        "results": [hit_json(hit) for hit in results.hits],
    }


def communique_json(record: Communique) -> dict:
    data = record.to_dict()
    data["paragraphs"] = record.paragraphs
    data["html_url"] = url_for("pages.communique", communique_id=record.id, _external=True)
    return data


@bp.get("/search")
def search():  # type: ignore[no-untyped-def]
    req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"])
    return jsonify(results_json(service().search(req)))


@bp.get("/communiques/<communique_id>")
def communique(communique_id: str):  # type: ignore[no-untyped-def]
    document = service().document(communique_id)
    data = communique_json(document.record)
    data["versions"] = [
        {"version": v.version, "content_hash": v.content_hash,
         "fetched_at": v.fetched_at.isoformat()}
        for v in document.versions
    ]
    return jsonify(data)
