"""Typed error bodies: ``{"error": {"code", "message", "details", "request_id"}}``.

Every failure leaves the API in this shape with a stable ``code``. Interlace errors keep their
own code (``MODEL_NOT_FOUND``, ``CYCLE``…); ``STATUS`` maps each code to an HTTP status, so a
new error class only needs a row here. Anything unexpected is logged with the request id and
answered ``500 INTERNAL_ERROR`` without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from interlace.errors import InterlaceError, ProjectError, StateError
from interlace.server.api.limits import clip

__all__ = ["STATUS", "ApiError", "ErrorBody", "error_response", "install_error_handlers", "responses",
           "status_of"]

log = logging.getLogger("interlace.server")

STATUS: dict[str, int] = {
    "VALIDATION_ERROR": 422,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "RATE_LIMITED": 429,
    "PAYLOAD_TOO_LARGE": 413,
    "UNTRUSTED_HOST": 400,
    "LAST_ADMIN_KEY": 409,
    "MODEL_NOT_FOUND": 404,
    "RUN_NOT_FOUND": 404,
    "KEY_NOT_FOUND": 404,
    "SCHEDULE_NOT_FOUND": 404,
    "STREAM_NOT_FOUND": 404,
    "STREAM_EVENT_INVALID": 422,
    "DEAD_LETTER_NOT_FOUND": 404,
    "NOTEBOOK_ERROR": 409,
    "MODEL_NOT_MATERIALIZED": 409,
    "MODEL_NOT_BUILT": 409,
    "RUN_IN_PROGRESS": 409,
    "PLAN_STALE": 409,
    "READ_ONLY": 409,
    "RUN_NOT_ACTIVE": 409,
    "KEY_EXISTS": 409,
    "PROJECT_ERROR": 409,
    "CONFIG_ERROR": 409,
    "MODEL_DEFINITION_ERROR": 409,
    "MODEL_PARSE_ERROR": 409,
    "DUPLICATE_MODEL": 409,
    "CYCLE": 409,
    "FUNCTION_ERROR": 409,
    "MIGRATION_ERROR": 409,
    "STATE_ERROR": 409,
    "WAREHOUSE_LOCKED": 503,
    "EXECUTION_ERROR": 500,
    "CIRCUIT_OPEN": 503,
    "INTERNAL_ERROR": 500,
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None
    request_id: str | None = None


class ErrorBody(BaseModel):
    """Every error the API returns."""

    error: ErrorDetail


class ApiError(Exception):
    """An error the server itself raises, with its stable code (the HTTP status follows from it)."""

    def __init__(self, code: str, message: str, details: Any = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details, self.headers = code, message, details, headers


def error_response(code: str, message: str, details: Any = None, *, request_id: str | None = None,
                   headers: dict[str, str] | None = None, status: int | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": clip(message), "details": clip(details), "request_id": request_id}}
    return JSONResponse(body, status_code=status or STATUS.get(code, 500), headers=headers)


def status_of(exc: InterlaceError) -> int:
    """The HTTP status of an interlace error: its code's row, else by who must act."""
    if exc.code in STATUS:
        return STATUS[exc.code]
    if isinstance(exc, ProjectError | StateError):
        return 409
    return 500


def responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error codes an endpoint can answer (plus auth and rate limit)."""
    wanted = {"UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED", *codes}
    out: dict[int | str, dict[str, Any]] = {}
    for code in sorted(wanted):
        status = STATUS[code]
        entry = out.setdefault(status, {"model": ErrorBody, "description": ""})
        entry["description"] = ", ".join(filter(None, [entry["description"], code]))
        if code == "RATE_LIMITED":
            entry["headers"] = {"Retry-After": {"description": "seconds until a request will be accepted",
                                                "schema": {"type": "integer"}}}
    return out


def json_errors(documented: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """``responses`` for a route whose success is not JSON (HTML, a file): FastAPI documents a
    ``model`` under the route's media type, so the JSON error body is declared as well."""
    ref = {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
    return {status: {**entry, "content": {"application/json": ref}} for status, entry in documented.items()}


def _request_id(request: Request) -> str | None:
    return request.scope.get("interlace.request_id")


def _allowed_methods(request: Request) -> list[str]:
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.code, exc.message, exc.details, request_id=_request_id(request),
                              headers=exc.headers)

    @app.exception_handler(InterlaceError)
    async def interlace_error(request: Request, exc: InterlaceError) -> JSONResponse:
        fields = exc.to_dict()
        code = fields.pop("code") or "INTERNAL_ERROR"
        message = fields.pop("message") or str(exc)
        status = status_of(exc)
        if status >= 500:
            log.error("request %s failed: %s", _request_id(request), exc, exc_info=exc)
        details = {k: v for k, v in fields.items() if v is not None} or None
        return error_response(code, message, details, request_id=_request_id(request), status=status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"location": [str(p) for p in err.get("loc", ())], "message": err.get("msg", ""),
                     "type": err.get("type", "")} for err in exc.errors()]
        where = "; ".join(f"{'.'.join(p['location'])}: {p['message']}" for p in problems[:3])
        return error_response("VALIDATION_ERROR", f"the request is not valid: {where}", problems,
                              request_id=_request_id(request))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # 404 and 405 keep their status; any other client error (a body that is not JSON, ...) is a
        # VALIDATION_ERROR like every other malformed request, so clients see one status for it
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}.get(exc.status_code)
        if code is None:
            code = "VALIDATION_ERROR" if exc.status_code < 500 else "INTERNAL_ERROR"
        message = {"NOT_FOUND": f"no endpoint at {request.url.path}",
                   "METHOD_NOT_ALLOWED": f"{request.method} is not allowed on {request.url.path}"}.get(
            code, f"the request is not valid: {exc.detail}")
        headers = dict(exc.headers) if exc.headers else {}
        if code == "METHOD_NOT_ALLOWED":  # every method of the path, not just its first route's
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(code, message, request_id=_request_id(request), headers=headers or None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request %s failed unexpectedly", _request_id(request), exc_info=exc)
        return error_response("INTERNAL_ERROR", "the server failed to answer this request; it has been logged "
                              "with the request id", request_id=_request_id(request))
