"""One place mapping exceptions to HTTP: one JSON error shape, one HTML error page."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import NotFound, QueryError, SearchTimeout


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, kind: str, message: str):  # type: ignore[no-untyped-def]
    """The error shape every JSON endpoint uses, or the HTML error page."""
    if wants_json():
        body = jsonify({"error": {"status": status, "type": kind, "message": message}})
        return body, status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(QueryError)
    def query_error(exc: QueryError):  # type: ignore[no-untyped-def]
        return error_response(400, "invalid_query", exc.message)

    @app.errorhandler(SearchTimeout)
    def search_timeout(exc: SearchTimeout):  # type: ignore[no-untyped-def]
        return error_response(503, "search_timeout", str(exc))

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):  # type: ignore[no-untyped-def]
        return error_response(404, "not_found", f"no communiqué with id '{exc.args[0]}'")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        kind = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, kind, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        # Logged with its traceback for the operator; the user gets a message.
        app.logger.exception("unhandled error on %s", request.path)
        return error_response(500, "internal_error", "something went wrong on our side")

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # No framing except on embed routes (which set their own policy).
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
