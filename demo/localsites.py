"""Serve saved copies of ministry sites over loopback HTTP, one server per host.

Tests and ``make demo`` crawl these copies with the real crawler, so the server
behaves like a plain static web server with a few knobs that real sites need
for their traps (wrong charsets, redirects, 503s), and nothing else.

Layout of the tree::

    ROOT/<host>/robots.txt                      -> /robots.txt
    ROOT/<host>/a/b/index.html                  -> /a/b
    ROOT/<host>/a/b/index@lang=lat&start=10.html -> /a/b?start=10&lang=lat
    ROOT/<host>/_headers.json                   -> per-URL status/header overrides

A path that names a regular file is served as that file; any other path is a
directory whose ``index.html`` (no query) or ``index@<query>.html`` (query
parameters decoded, sorted by key, re-joined as ``k=v&k2=v2``) is served.
Names starting with ``_`` are server metadata and are never served.

``_headers.json`` maps a key (the decoded path, plus ``?`` and the sorted query
if there is one) to ``{"status": int, "headers": {...}, "body_file": "rel/path"}``;
every part is optional. Files are read at request time, so a test may edit a
copied tree between two crawls.

Run ``python -m demo.localsites [ROOT]`` to serve a tree (default: the demo's) by hand.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import mimetypes
import socketserver
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, unquote, urlsplit

from demo import SITES

__all__ = ["LocalSites", "map_request", "query_key"]

HEADERS_FILE = "_headers.json"

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/json",
    ".css": "text/css",
    ".js": "text/javascript",
}

_NOT_FOUND_BODY = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
    b"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
    b"</body></html>\n"
)


def query_key(query: str) -> str:
    """Decode a query string, sort it by key and re-join it as ``k=v&k2=v2``.

    Sorting is stable, so repeated keys keep their order. The result names the
    ``index@<q>.html`` file and is the query part of ``_headers.json`` keys.
    """
    pairs = parse_qsl(query, keep_blank_values=True)
    pairs.sort(key=lambda kv: kv[0])
    return "&".join(f"{k}={v}" for k, v in pairs)


def _content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _inside(root: Path, candidate: Path) -> bool:
    """True if ``candidate`` stays under ``root`` once symlinks and '..' are resolved."""
    try:
        candidate.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def map_request(host_root: Path, raw_target: str) -> tuple[str, Path | None]:
    """Map a request target (path and query, as sent) to its override key and file.

    Returns ``(key, file)``: ``key`` is the ``_headers.json`` key for the URL,
    ``file`` the file that would be served, or None if there is none (404).
    """
    parts = urlsplit(raw_target)
    path = unquote(parts.path) or "/"
    query = query_key(parts.query) if parts.query else ""
    key = path + (f"?{query}" if query else "")

    segments = [s for s in path.split("/") if s]
    if any(s.startswith("_") or s in (".", "..") or "\x00" in s for s in segments):
        return key, None
    base = host_root.joinpath(*segments)
    if base.is_file():
        return key, base if _inside(host_root, base) else None
    if "/" in query or "\x00" in query:
        return key, None
    name = f"index@{query}.html" if query else "index.html"
    target = base / name
    if target.is_file() and _inside(host_root, target):
        return key, target
    return key, None


@dataclass(frozen=True)
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    validators: bool = False  # whether ETag/Last-Modified apply (plain 200 file responses)
    mtime: float | None = None


@dataclass(frozen=True)
class _HostConfig:
    host: str
    root: Path


def _load_overrides(root: Path) -> Mapping[str, object]:
    sidecar = root / HEADERS_FILE
    if not sidecar.is_file():
        return {}
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{sidecar}: expected a JSON object")
    return data


def _build_response(config: _HostConfig, raw_target: str) -> _Response:
    """Decide status, headers and body for one request (GET and HEAD alike)."""
    key, file = map_request(config.root, raw_target)
    override = _load_overrides(config.root).get(key)
    if override is not None and not isinstance(override, dict):
        raise ValueError(f"{config.root / HEADERS_FILE}: entry {key!r} must be an object")

    if override is None:
        if file is None:
            return _Response(
                HTTPStatus.NOT_FOUND,
                {"Content-Type": "text/html; charset=utf-8"},
                _NOT_FOUND_BODY,
            )
        return _Response(
            HTTPStatus.OK,
            {"Content-Type": _content_type(file)},
            file.read_bytes(),
            validators=True,
            mtime=file.stat().st_mtime,
        )

    status = int(override.get("status", HTTPStatus.OK))
    body_file = override.get("body_file")
    if body_file is not None:
        chosen = config.root / str(body_file)
        if not (chosen.is_file() and _inside(config.root, chosen)):
            raise FileNotFoundError(f"{config.root / HEADERS_FILE}: no body_file {body_file!r}")
        source: Path | None = chosen
    else:
        source = file
    if source is not None:
        body, mtime = source.read_bytes(), source.stat().st_mtime
        headers = {"Content-Type": _content_type(source)}
    elif status == HTTPStatus.OK:
        # An override cannot make a missing page exist without a body_file.
        return _Response(
            HTTPStatus.NOT_FOUND, {"Content-Type": "text/html; charset=utf-8"}, _NOT_FOUND_BODY
        )
    else:
        phrase = _reason(status)
        body = (
            f"<!DOCTYPE html>\n<html><head><title>{status} {phrase}</title></head>\n"
            f"<body><h1>{phrase}</h1></body></html>\n"
        ).encode()
        mtime = None
        headers = {"Content-Type": "text/html; charset=utf-8"}

    extra = override.get("headers") or {}
    if not isinstance(extra, dict):
        raise ValueError(f"{config.root / HEADERS_FILE}: headers of {key!r} must be an object")
    lowered = {k.lower(): k for k in headers}
    for name, value in extra.items():
        headers.pop(lowered.get(name.lower()) or name, None)
        headers[name] = str(value)
    return _Response(status, headers, body, validators=status == HTTPStatus.OK, mtime=mtime)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest() + '"'


def _not_modified(request_headers: Message, etag: str, mtime: float) -> bool:
    """Apply RFC 9110 precedence: If-None-Match wins over If-Modified-Since."""
    inm = request_headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)
    ims = request_headers.get("If-Modified-Since")
    if ims is not None:
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(mtime) <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    """Serves one host's tree; ``config`` is set on a per-host subclass."""

    config: _HostConfig
    server_version = "LocalSites/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection: clean shutdown, no idle threads

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: test output is no place for access logs."""

    def _respond(self, *, send_body: bool) -> None:
        try:
            response = _build_response(self.config, self.path)
        except (OSError, ValueError) as exc:
            body = f"localsites: {exc}\n".encode()
            self.send_response(HTTPStatus.INTERNAL_SERVER_ERROR)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return

        headers = dict(response.headers)
        status = response.status
        body = response.body
        if response.validators and response.mtime is not None:
            etag = _etag(body)
            headers.setdefault("ETag", etag)
            headers.setdefault("Last-Modified", email.utils.formatdate(response.mtime, usegmt=True))
            if _not_modified(self.headers, etag, response.mtime):
                status, body = HTTPStatus.NOT_MODIFIED, b""
                headers = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}

        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class LocalSites:
    """Serve every host directory under ``root`` on its own loopback port.

    Use as a context manager::

        with LocalSites(demo.SITES) as sites:  # or any tree of the same layout
            base = sites.base_urls["www.mfa.gov.rs"]  # "http://127.0.0.1:PORT"
    """

    def __init__(self, root: Path, ports: Mapping[str, int] | None = None) -> None:
        self.root = Path(root)
        # Ports to serve hosts on where free (a rehearsal reuses its last run's, so the
        # URLs it archived stay the same); any other host gets an ephemeral port.
        self.ports = dict(ports or {})
        self.base_urls: dict[str, str] = {}
        self._servers: list[tuple[_Server, threading.Thread]] = []

    def hosts(self) -> list[str]:
        """Host directories under the root, sorted (hidden and ``_`` names skipped)."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"no such site root: {self.root}")
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
        )

    def start(self) -> dict[str, str]:
        """Start one server per host on 127.0.0.1 (ephemeral ports); return host -> base URL."""
        if self._servers:
            return dict(self.base_urls)
        try:
            for host in self.hosts():
                config = _HostConfig(host=host, root=(self.root / host).resolve())
                handler = type(f"Handler_{len(self._servers)}", (_Handler,), {"config": config})
                try:
                    server = _Server(("127.0.0.1", self.ports.get(host, 0)), handler)
                except OSError:  # the port is taken now: any free one
                    server = _Server(("127.0.0.1", 0), handler)
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"localsites-{host}",
                    daemon=True,
                )
                thread.start()
                self._servers.append((server, thread))
                self.base_urls[host] = f"http://127.0.0.1:{server.server_port}"
        except BaseException:
            self.stop()
            raise
        return dict(self.base_urls)

    def stop(self) -> None:
        """Stop every server and close its socket; safe to call twice."""
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self._servers.clear()
        self.base_urls.clear()

    def __enter__(self) -> LocalSites:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Serve ROOT until interrupted, printing the host -> URL mapping."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.localsites",
        description="Serve saved site copies (one subdirectory per host) over loopback HTTP.",
    )
    parser.add_argument("root", type=Path, nargs="?", default=SITES,
                        help="directory holding one subdirectory per host (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the mapping as JSON")
    args = parser.parse_args(argv)

    with LocalSites(args.root) as sites:
        if args.json:
            print(json.dumps(sites.base_urls, indent=2), flush=True)
        else:
            for host, url in sites.base_urls.items():
                print(f"{host} -> {url}", flush=True)
            print("Serving; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
