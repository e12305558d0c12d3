"""Every response's headers, decided in one place from what the route is.

Three kinds of route:
- **pages** for people: never framed (CSP ``frame-ancestors 'none'`` and
  X-Frame-Options), no CORS;
- **public reads** (the JSON API, feeds, oEmbed, ``embed.js``): any origin may GET
  them (CORS, no cookies involved), and they carry an ETag tied to the index
  generation and the request, with ``Cache-Control``, so any HTTP cache or CDN in
  front absorbs repeats until the index changes (``If-None-Match`` gets a 304);
- **embeds** (``/embed...``): public reads that other sites may also frame, from
  the origins in ``COMMUNIQUES_EMBED_ORIGINS`` (default: any).
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestURITooLarge

# 50 filter values of 300 characters each fit; the fuzz's 81 KB query strings do not.
MAX_QUERY_STRING_BYTES = 32 * 1024
CACHE_SECONDS = 60  # an embed or feed may lag the index by a minute: caches absorb the rest
# Scripts and styles come from this origin only; embeds show no remote images.
_PAGE_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


class RouteKind(StrEnum):
    PAGE = "page"
    PUBLIC_READ = "public_read"
    EMBED = "embed"
    STATIC = "static"


def route_kind() -> RouteKind:
    """What the current request's route is, from its path."""
    path = request.path
    if request.endpoint == "static":
        return RouteKind.STATIC
    if path == "/embed" or path.startswith("/embed/"):
        return RouteKind.EMBED
    if path.startswith("/api/") or path in ("/oembed", "/embed.js") \
            or path.endswith(("/feed.atom", "/feed.rss")) or path in ("/feed.atom", "/feed.rss"):
        return RouteKind.PUBLIC_READ
    return RouteKind.PAGE


def etag() -> str:
    """The current request's ETag: the index generation and the full request."""
    tag = f"{current_app.extensions['search'].generation_tag()}|{request.full_path}"
    return hashlib.sha256(tag.encode()).hexdigest()[:24]


def embed_origins() -> str:
    """CSP frame-ancestors sources for embeds: '*' or space-separated origins."""
    configured = str(current_app.config.get("EMBED_ORIGINS") or "*").replace(",", " ")
    return " ".join(configured.split()) or "*"


def not_modified() -> Response | None:
    """A 304 when a public read's client holds the copy of the current generation."""
    if route_kind() in (RouteKind.PUBLIC_READ, RouteKind.EMBED) and request.method in (
            "GET", "HEAD") and request.if_none_match and request.if_none_match.contains(etag()):
        response = Response(status=304)
        response.set_etag(etag())
        return response
    return None


def apply_headers(response: Response) -> Response:
    """The headers of every response, by route kind."""
    kind = route_kind()
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if kind is RouteKind.EMBED:
        # Framable by the configured origins; links open outside the frame.
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; img-src 'self' data:; frame-ancestors {embed_origins()}")
        response.headers.pop("X-Frame-Options", None)
    else:
        response.headers.setdefault("Content-Security-Policy", _PAGE_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
    if kind in (RouteKind.PUBLIC_READ, RouteKind.EMBED):
        # Read-only and cookie-free: any site may read it from the browser.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        response.headers["Vary"] = "Accept-Encoding"
        if request.method in ("GET", "HEAD") and response.status_code in (200, 304):
            response.set_etag(etag())
            response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def refuse_long_urls() -> None:
    """A 414 for a query string longer than any search needs, before routing answers it:
    a redirect would echo it into a Location header too long for clients and proxies."""
    if len(request.query_string) > MAX_QUERY_STRING_BYTES:
        raise RequestURITooLarge(
            f"the address is longer than {MAX_QUERY_STRING_BYTES // 1024} KB; shorten the search")


def init_app(app: Flask) -> None:
    # "/countries//JM" is not ours: a 404, not a redirect that repeats the whole URL.
    app.url_map.merge_slashes = False
    app.before_request(refuse_long_urls)
    app.before_request(not_modified)
    app.after_request(apply_headers)
