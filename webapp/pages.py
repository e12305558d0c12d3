"""HTML pages for people: the search page, the document page and the query help.

Every state of the search page lives in its URL, and the page works without
JavaScript: facets are checkboxes in the search form, histogram bars are links.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for

from indexer.errors import QueryError
from indexer.search import ALL_OF_FACETS, SORTS, SearchRequest, SearchService
from webapp.labels import country_name, facet_value_label, language_name, source_name
from webapp.params import search_args, search_request_from_args, whole_number

bp = Blueprint("pages", __name__)


def service() -> SearchService:
    return current_app.extensions["search"]


@bp.app_context_processor
def helpers() -> dict:
    return {"language_name": language_name, "source_name": source_name,
            "country_name": country_name, "facet_value_label": facet_value_label}


@bp.app_template_filter("http_url")
def http_url(url: str | None) -> str | None:
    """The URL if it may be a link (http or https), else None: a stored `javascript:`
    or `data:` URL is shown as text, never as an href."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # an unparsable URL ("http://[::1") is no link either
        return None
    return url if scheme in ("http", "https") else None


def search_url(**changes: object) -> str:
    """The current search's URL with some parameters replaced (None removes one)."""
    args = search_args(request.args)
    args.pop("cursor", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for("pages.search", **args)


def url_without(name: str, value: str) -> str:
    """The current search with one selected facet value removed."""
    args = search_args(request.args)
    args[name] = [v for v in args.get(name, []) if v != value]
    args.pop("page", None)
    return url_for("pages.search", **args)


def page_url(page: int) -> str:
    return search_url(page=page)


@bp.get("/")
def search():  # type: ignore[no-untyped-def]
    error = None
    results = None
    try:
        req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"])
        results = service().search(req)
        status = 200
    except QueryError as exc:
        error = exc.message
        req = SearchRequest(q=request.args.get("q", "")[:1000])
        status = 400
    literal = '"' + req.q.replace('"', " ").strip() + '"' if req.q.strip() else ""
    histogram_args = {k: v for k, v in search_args(request.args).items()
                      if k not in ("from", "to", "page", "cursor")}
    return render_template(
        "search.html",
        req=req,
        results=results,
        error=error,
        sorts=SORTS,
        page_url=page_url,
        search_url=search_url,
        url_without=url_without,
        literal_query=literal,
        histogram_args=histogram_args,
        export_url=export_url,
        all_of_facets=ALL_OF_FACETS,
    ), status


def export_url(fmt: str) -> str:
    """The export of the current search (same filters, no paging), relative."""
    args = {k: v for k, v in search_args(request.args).items()
            if k not in ("page", "cursor", "size", "facet_size")}
    return url_for("api.export", format=fmt, **args)


@bp.get("/help")
def help_page():  # type: ignore[no-untyped-def]
    return render_template("help.html")


@bp.get("/communiques/<communique_id>")
def communique(communique_id: str):  # type: ignore[no-untyped-def]
    from webapp.entities import official_url

    version = whole_number(request.args, "version", 0, 1, 1_000_000) or None
    document = service().document(communique_id, version)
    # The record's officials and countries are the stored ones every surface shows.
    return render_template("document.html", doc=document, version=version,
                           entities=document.record, official_url=official_url)
