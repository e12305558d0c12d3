"""Results in other sites: an embeddable results page, a script widget, and oEmbed.

- `/embed?<any search>&limit=&theme=&compact=&show=`: a minimal results page for an
  iframe (the only pages other origins may frame: see webapp.http);
- `/embed/communiques/<id>`: one communiqué as a card;
- `/embed.js`: one script tag renders `<div data-communiques-q=...>` elements from the
  JSON API, in a shadow root (webapp/static/embed.js);
- `/oembed?url=<a search, official, country-pair or document page of ours>`: the
  iframe for it, as an oEmbed "rich" response.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from indexer.errors import ParameterError
from webapp.params import (
    SEARCH_PARAMS,
    embed_options,
    search_args,
    search_request_from_args,
    whole_number,
)
from webapp.services import search_backend

service = search_backend  # the views' one way to search
bp = Blueprint("embed", __name__)
OEMBED_WIDTH = 600  # default and largest iframe size an oEmbed answer proposes
OEMBED_HEIGHT = 480
OEMBED_CACHE_AGE = 3600



@bp.get("/embed")
def results() -> ResponseReturnValue:
    options = embed_options(request.args)
    req = search_request_from_args(request.args, options.limit, with_facets=False)
    # A live list on another site: newest first unless the embed asks otherwise.
    req = replace(req, page_size=options.limit, page=1, cursor=None,
                  sort=req.sort if request.args.get("sort") else "newest")
    found = service().search(req)
    args = {k: v for k, v in search_args(request.args).items() if k not in ("page", "cursor")}
    return render_template("embed.html", results=found, options=options,
                           more_url=url_for("pages.search", **args, _external=True))


@bp.get("/embed/communiques/<communique_id>")
def communique(communique_id: str) -> ResponseReturnValue:
    options = embed_options(request.args)
    document = service().document(communique_id)
    return render_template("embed_document.html", record=document.record, options=options)


@bp.get("/embed.js")
def script() -> ResponseReturnValue:
    response = send_from_directory(current_app.static_folder or "static", "embed.js",
                                   mimetype="text/javascript", max_age=60)
    return response


def _same_host(scheme: str, hostname: str | None, port: int | None) -> bool:
    """Whether an address names this site: host names compared without case, a scheme's
    default port the same as none (behind a TLS proxy our own scheme may differ)."""
    def explicit(scheme: str, port: int | None) -> int | None:
        return None if port == {"http": 80, "https": 443}.get(scheme) else port

    ours = urlsplit(f"{request.scheme}://{request.host}")
    return (hostname or "").lower() == (ours.hostname or "").lower() \
        and explicit(scheme, port) == explicit(request.scheme, ours.port)


def _embed_url_for(page_url: str) -> tuple[str, str]:
    """(our embed URL, a title) for the URL of one of our pages; 404 for any other URL."""
    try:
        parts = urlsplit(page_url)
        ours = parts.scheme in ("http", "https") and _same_host(parts.scheme, parts.hostname,
                                                                 parts.port)
    except ValueError:  # "http://[::1", a port past 65535: no address of ours
        ours = False
    if not ours:
        abort(404, description="oEmbed covers this site's search, official, country-pair"
                               " and communiqué pages only")
    adapter = current_app.url_map.bind(request.host, url_scheme=parts.scheme)
    try:
        endpoint, values = adapter.match(parts.path, method="GET")
    except HTTPException:
        abort(404, description=f"no page of ours at {parts.path}")
    query = MultiDict(parse_qsl(parts.query, keep_blank_values=False))
    if endpoint == "pages.search":
        # A search the page would refuse (a malformed parameter, a query syntax error) is
        # a 400 here too, not an iframe showing an error.
        req = search_request_from_args(query, 1, with_facets=False)
        service().search(replace(req, page=1, cursor=None))
        args = [(k, v) for k, v in query.items(multi=True) if k in SEARCH_PARAMS
                and k not in ("page", "cursor", "size", "facet_size")]
        q = query.get("q", "").strip()
        return (url_for("embed.results", _external=True) + ("?" + urlencode(args) if args
                                                              else ""),
                f"Communiqués: {q}" if q else "Latest communiqués")
    if endpoint == "entities.official_page":
        from webapp.entities import registry

        official = registry().by_id.get(values["official_id"])
        if official is None:
            abort(404, description=f"no official with id '{values['official_id']}'")
        return (url_for("embed.results", official=official.name, sort="newest", _external=True),
                f"Communiqués naming {official.name}")
    if endpoint == "entities.country_pair":
        from webapp.entities import _country

        names = [_country(values["first"]), _country(values["second"])]
        return (url_for("embed.results", country=names, country_op="and", sort="newest",
                        _external=True), f"Communiqués on {names[0]} and {names[1]}")
    if endpoint == "pages.communique":
        record = service().document(values["communique_id"]).record
        return (url_for("embed.communique", communique_id=record.id, _external=True),
                record.title)
    abort(404, description="oEmbed covers this site's search, official, country-pair and"
                           " communiqué pages only")


@bp.get("/oembed")
def oembed() -> ResponseReturnValue:
    """The oEmbed 1.0 answer for one of our pages: a "rich" iframe of its embed."""
    page_url = request.args.get("url", "").strip()
    if not page_url:
        raise ParameterError("url", "'url' must be the address of a search, official,"
                                    " country-pair or communiqué page of this site")
    if request.args.get("format", "json").lower() != "json":
        abort(501, description="only format=json is served")
    width = whole_number(request.args, "maxwidth", OEMBED_WIDTH, 50, 10_000)
    height = whole_number(request.args, "maxheight", OEMBED_HEIGHT, 50, 10_000)
    width, height = min(width, OEMBED_WIDTH), min(height, OEMBED_HEIGHT)
    src, title = _embed_url_for(page_url)
    html = render_template("oembed_iframe.html", src=src, title=title, width=width,
                           height=height).strip()
    return jsonify({
        "version": "1.0", "type": "rich", "title": title,
        "provider_name": "Communiqué search",
        "provider_url": url_for("pages.search", _external=True),
        "html": html, "width": width, "height": height, "cache_age": OEMBED_CACHE_AGE,
    })
