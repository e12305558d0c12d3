"""HTML pages for people: the search page, the document page and the query help.

Every state of the search page lives in its URL, and the page works without
JavaScript: facets are checkboxes in the search form, histogram bars are links.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for

from indexer.errors import QueryError
from indexer.search import ALL_OF_FACETS, SORTS, SearchRequest
from webapp.labels import country_name, facet_value_label, language_name, source_name
from webapp.outputs import OutputKind, of_kind
from webapp.params import search_args, search_request_from_args, whole_number
from webapp.services import search_backend

service = search_backend  # the views' one way to search
bp = Blueprint("pages", __name__)



@bp.app_context_processor
def helpers() -> dict:
    return {"language_name": language_name, "source_name": source_name,
            "country_name": country_name, "facet_value_label": facet_value_label}


def share_links(json_url: str, atom_url: str, rss_url: str, embed_url: str,
                widget: list[tuple[str, str]], page_url: str | None = None) -> dict:
    """The feed, JSON, embed and oEmbed links of the page being shown (`page_url`: its
    address with only the parameters we know; by default the path alone)."""
    page_url = page_url or request.base_url
    return {"json": json_url, "atom": atom_url, "rss": rss_url, "embed": embed_url,
            "widget": widget, "oembed": url_for("embed.oembed", url=page_url, format="json",
                                                _external=True)}


def search_share_links() -> dict:
    """Subscribe, embed and JSON links of exactly the search on the page."""
    args = {k: v for k, v in search_args(request.args).items() if k not in ("page", "cursor")}
    feed_args = {k: v for k, v in args.items() if k not in ("sort", "facet_size")}
    widget = [(name.replace("_", "-"), ";".join(values)) for name, values in args.items()
              if name not in ("size", "facet_size", "exact") and any(values)]
    return share_links(
        url_for("api.search", **args, _external=True),
        url_for("feeds.search_feed", format="atom", **feed_args, _external=True),
        url_for("feeds.search_feed", format="rss", **feed_args, _external=True),
        url_for("embed.results", **{k: v for k, v in args.items() if k != "facet_size"},
                _external=True),
        widget, url_for("pages.search", **args, _external=True))


@bp.app_template_global()
def pair_share_links(codes: tuple[str, str], names: tuple[str, str]) -> dict:
    """Subscribe, embed and JSON links of a country pair's communiqués."""
    first, second = codes
    embed_args = {"country": list(names), "country_op": "and", "sort": "newest"}
    return share_links(
        url_for("api.search", **embed_args, _external=True),
        url_for("feeds.pair_feed", first=first, second=second, format="atom", _external=True),
        url_for("feeds.pair_feed", first=first, second=second, format="rss", _external=True),
        url_for("embed.results", **embed_args, _external=True),
        [("country", ";".join(names)), ("country-op", "and")])


@bp.app_template_global()
def official_share_links(official_id: str, name: str) -> dict:
    """Subscribe, embed and JSON links of the communiqués naming one official."""
    embed_args = {"official": name, "sort": "newest"}
    return share_links(
        url_for("api.search", **embed_args, _external=True),
        url_for("feeds.official_feed", official_id=official_id, format="atom", _external=True),
        url_for("feeds.official_feed", official_id=official_id, format="rss", _external=True),
        url_for("embed.results", **embed_args, _external=True),
        [("official", name)])


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
        exports=of_kind(OutputKind.EXPORT),
        all_of_facets=ALL_OF_FACETS,
        share_links=search_share_links() if status == 200 else None,
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
