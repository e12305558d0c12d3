"""One place mapping exceptions to HTTP: one JSON error shape, one HTML error page."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from indexer.errors import NotFound, ParameterError, QueryError, SearchTimeout


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/oembed"


def error_response(status: int, kind: str, message: str, **extra: object
                   ) -> tuple[Response | str, int]:
    """The error shape every JSON endpoint uses, or the HTML error page."""
    if wants_json():
        body = jsonify({"error": {"status": status, "type": kind, "message": message, **extra}})
        return body, status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(ParameterError)
    def parameter_error(exc: ParameterError) -> ResponseReturnValue:
        return error_response(400, "invalid_parameter", exc.message, parameter=exc.parameter)

    @app.errorhandler(QueryError)
    def query_error(exc: QueryError) -> ResponseReturnValue:
        return error_response(400, "invalid_query", exc.message)

    @app.errorhandler(SearchTimeout)
    def search_timeout(exc: SearchTimeout) -> ResponseReturnValue:
        return error_response(503, "search_timeout", str(exc))

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> ResponseReturnValue:
        return error_response(404, "not_found", f"no communiqué with id '{exc.args[0]}'")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        kind = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if isinstance(exc, RateLimitExceeded):
            message = f"too many requests from your address (at most {message}); try again shortly"
        response = error_response(exc.code or 500, kind, message)
        retry_after = getattr(exc, "retry_after", None)
        if exc.code == 429 and retry_after is not None:
            return (*response, {"Retry-After": str(retry_after)})
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        # Logged with its traceback for the operator; the user gets a message.
        app.logger.exception("unhandled error on %s", request.path)
        return error_response(500, "internal_error", "something went wrong on our side")
