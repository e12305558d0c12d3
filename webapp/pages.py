"""HTML pages for people: the search page and the document page."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup

from indexer.errors import QueryError
from indexer.search import SORTS, SearchRequest, SearchService
from scrapers.sources import load_sources
from webapp.params import search_request_from_args

bp = Blueprint("pages", __name__)


def service() -> SearchService:
    return current_app.extensions["search"]


@lru_cache(maxsize=64)
def language_name(tag: str) -> str:
    """'sr-Latn' -> 'Serbian (Latin)'."""
    try:
        return Locale.parse(tag, sep="-").get_display_name("en") or tag
    except (UnknownLocaleError, ValueError):
        return tag


def source_name(source_id: str) -> str:
    source = load_sources().get(source_id)
    return source.short_name if source else source_id


@bp.app_context_processor
def helpers() -> dict:
    return {"language_name": language_name, "source_name": source_name}


def page_url(page: int) -> str:
    """The current search's URL with another page number (every state lives in the URL)."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for("pages.search", **args)


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
    return render_template(
        "search.html",
        req=req,
        results=results,
        error=error,
        sorts=SORTS,
        page_url=page_url,
        literal_query=Markup.escape(req.q),
    ), status


@bp.get("/communiques/<communique_id>")
def communique(communique_id: str):  # type: ignore[no-untyped-def]
    version = request.args.get("version", type=int)
    document = service().document(communique_id, version)
    return render_template("document.html", doc=document, version=version)
