"""engine.errors -> HTTP status and one JSON error shape, in one place.

Body of every error: ``{"error": {"status", "code", "message", "parameter"}}``. A request the
server cannot serve is always a 4xx: 400 malformed or out of range, 404 unknown stop / no route,
409 a capability the bundle lacks (``no_timetable``, ``no_streets``, ``no_geocoder``; checked
by the routes, see deps.require), 413/414/431 request too large, 422 date outside the service
period or a value over this server's limits (``limit_exceeded``); 503 when a query exceeds its
time budget. 5xx are server faults (a damaged bundle, a bug): logged in full, answered with a
generic message. No error body carries a traceback or a file system path (``scrub``).
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine import errors as E

log = logging.getLogger("brique.server")

#: (engine exception, HTTP status, code) — most specific first.
ENGINE_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (E.UnknownStopError, 404, "unknown_stop"),
    (E.OutOfPeriodError, 422, "out_of_period"),
    (E.QueryTimeoutError, 503, "time_budget_exceeded"),      # the engine stopped at the server's budget
    (E.InvalidQueryError, 400, "invalid_parameter"),
    (E.NoRouteError, 404, "no_route"),
    (E.BundleError, 500, "bundle_error"),     # damaged bundle (missing components: deps.require)
    (E.EngineError, 400, "invalid_request"),
)


class ApiError(Exception):
    """An HTTP error raised by the server itself (limits, unsupported options, time budget)."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status, self.code, self.parameter = status, code, parameter


#: an absolute file system path (2+ components), not one of the API's own URL paths
_PATH = re.compile(r"(?<![\w.:/])(?:[A-Za-z]:)?[/\\](?!v1/|search|reverse|health|meta|static|docs|openapi)"
                   r"[^\s/\\'\"(),;:]+(?:[/\\][^\s/\\'\"(),;:]+)+[/\\]?")


def scrub(message: str) -> str:
    """An error message fit for a client: file paths reduced to their last name, no traceback."""
    if "Traceback (most recent call last)" in message or 'File "' in message:
        return "internal error (logged on the server)"
    return _PATH.sub(lambda m: re.split(r"[/\\]", m.group(0).rstrip("/\\"))[-1], message)


def error_body(status: int, code: str, message: str, parameter: str | None = None,
               details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "code": code, "message": scrub(str(message)), "parameter": parameter}
    if details:
        body["details"] = details
    return {"error": body}


def error_response(status: int, code: str, message: str, parameter: str | None = None,
                   details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(error_body(status, code, message, parameter, details), ensure_ascii=False,
                         default=str)
    return Response(payload, status_code=status, media_type="application/json", headers=headers)


def engine_status(exc: Exception) -> tuple[int, str]:
    for cls, status, code in ENGINE_STATUS:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal_error"


def _validation_details(exc: RequestValidationError) -> tuple[str | None, str, list[dict[str, Any]]]:
    details = []
    for err in exc.errors()[:10]:
        loc = [str(p) for p in err.get("loc", ())]
        param = loc[-1] if len(loc) > 1 else (loc[0] if loc else None)
        details.append({"parameter": param, "in": loc[0] if loc else None, "message": err.get("msg", "")})
    first = details[0] if details else {"parameter": None, "message": "invalid request"}
    message = f"{first['parameter']}: {first['message']}" if first["parameter"] else first["message"]
    return first["parameter"], message, details


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the JSON error shape."""

    @app.exception_handler(E.EngineError)
    async def _engine(request: Request, exc: E.EngineError) -> Response:
        status, code = engine_status(exc)
        if status >= 500 and not isinstance(exc, E.QueryTimeoutError):     # (a time budget is no fault)
            log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
            return error_response(status, code, "the bundle cannot answer this request (logged on the server)")
        return error_response(status, code, str(exc), getattr(exc, "parameter", None))

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, str(exc), exc.parameter)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        param, message, details = _validation_details(exc)
        return error_response(400, "invalid_parameter", message, param, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if exc.status_code >= 500:
            log.error("HTTP %s on %s: %s", exc.status_code, request.url.path, exc.detail)
        return error_response(exc.status_code, code, str(exc.detail), None,
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, "internal_error", "internal error (logged on the server)")
