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
import re
from enum import StrEnum
from pathlib import Path

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestURITooLarge

from webapp.config import SettingError

# 50 filter values of 300 characters each fit; the fuzz's 81 KB query strings do not.
MAX_QUERY_STRING_BYTES = 32 * 1024
CACHE_SECONDS = 60  # an embed or feed may lag the index by a minute: caches absorb the rest
# Scripts and styles come from this origin only; embeds show no remote images.
_PAGE_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


# Preflights (a script sending If-None-Match itself) may send these; answers cached a day.
_PREFLIGHT_HEADERS = "If-None-Match, If-Modified-Since, Accept, Accept-Language"
_PREFLIGHT_SECONDS = 86400
# One CSP source expression: *, 'self', a scheme ("https:") or a host with an optional
# scheme, "*." prefix, port and path. Nothing that could close the directive (";", ",").
_CSP_SOURCE = re.compile(
    r"\*|'self'|[a-z][a-z0-9+.-]*:"
    r"|(?:[a-z][a-z0-9+.-]*://)?(?:\*|(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*)"
    r"(?::(?:[0-9]{1,5}|\*))?(?:/[^\s;,'\"]*)?", re.I)


# Public reads of what is not in the index (the crawl log's health): a new index
# generation does not follow every crawl, so an ETag tied to it would keep a monitor on
# "not modified" while a source breaks. Readable by any origin, never cached.
_LIVE_PATHS = frozenset({"/api/status"})


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


def code_tag() -> str:
    """A digest of the code that draws answers (the web app's modules, templates and
    scripts, and the indexer's search, hits and snippets): a new release changes every
    ETag, so no cache keeps answering 304 with the old pages or embed.js. (About 3 ms.)"""
    import indexer

    digest = hashlib.sha256()
    for root in (Path(__file__).parent, Path(indexer.__file__).parent):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html", ".js", ".css") and "__pycache__" not in path.parts:
                digest.update(f"{root.name}/{path.relative_to(root).as_posix()}".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def etag() -> str:
    """The current request's ETag: the index generation and the full request (with the
    host our links are built from), and the code that answers it."""
    tag = (f"{current_app.extensions['search'].generation_tag()}|{request.url}"
           f"|{current_app.extensions['code_tag']}")
    return hashlib.sha256(tag.encode()).hexdigest()[:24]


def parse_embed_origins(configured: object) -> str:
    """CSP frame-ancestors sources from the EMBED_ORIGINS setting ('*' or origins separated
    by spaces or commas), or ValueError: a value that is no source list (a ";" that would
    start another directive, a quote) must not reach the header: SettingError."""
    sources = str(configured or "*").replace(",", " ").split() or ["*"]
    if sources == ["'none'"]:
        return "'none'"
    bad = [source for source in sources if not _CSP_SOURCE.fullmatch(source)]
    if bad:
        raise SettingError(f"COMMUNIQUES_EMBED_ORIGINS: {bad[0]!r} is not an origin; give '*' or"
                         " origins such as 'https://news.example https://*.news.example'")
    return " ".join(sources)


def embed_origins() -> str:
    """CSP frame-ancestors sources for embeds: '*' or space-separated origins."""
    return str(current_app.extensions["embed_origins"])


def not_modified() -> Response | None:
    """A 304 when a public read's client holds the copy of the current generation."""
    if request.path in _LIVE_PATHS:
        return None
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
        if request.method == "OPTIONS":
            # A preflight: only reads, with the conditional headers a cache-aware client sends.
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = _PREFLIGHT_HEADERS
            response.headers["Access-Control-Max-Age"] = str(_PREFLIGHT_SECONDS)
        response.headers["Vary"] = "Accept-Encoding"
        if request.path in _LIVE_PATHS:
            response.headers["Cache-Control"] = "no-cache"
        elif request.method in ("GET", "HEAD") and response.status_code in (200, 304):
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
    # A bad EMBED_ORIGINS stops the app at start, not at the first embed.
    app.extensions["embed_origins"] = parse_embed_origins(app.config.get("EMBED_ORIGINS"))
    app.extensions["code_tag"] = code_tag()
    # "/countries//JM" is not ours: a 404, not a redirect that repeats the whole URL.
    app.url_map.merge_slashes = False
    app.before_request(refuse_long_urls)
    app.before_request(not_modified)
    app.after_request(apply_headers)
