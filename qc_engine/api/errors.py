"""Every error is JSON of one shape: {"error": {"code", "message", "field"?, "line"?}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from qc_engine.errors import Code, QCError
from qc_engine.service.errors import ServiceError
from qc_engine.service.storage import storage_fault

log = logging.getLogger("qc.api")


class ErrorDetail(BaseModel):
    code: str = Field(description="a stable error code, e.g. E422")
    message: str
    field: str | None = None
    line: int | None = None
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    """Every error answer: {"error": {"code", "message", "field"?, "line"?, "details"?}}."""

    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# The error answers every authenticated route may give.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("the client went away before the whole body arrived"),
    401: _error("no API key or session, or one that is not valid"),
    403: _error("the caller's role may not do this, or a cookie write without this host's Origin"),
    404: _error("no such thing (or not the caller's to see)"),
    409: _error("a conflict: a stale version, a claim held by someone else"),
    413: _error("the body or a batch is over the limit"),
    415: _error("a body of a media type the route does not take"),
    422: _error("the request is not valid: the field at fault is named"),
    429: _error("too many failed authentications from this address (Retry-After)"),
    503: _error("the database is unavailable (Retry-After)"),
}


# The code of each status Starlette and FastAPI raise an HTTPException with.
HTTP_CODES: dict[int, Code] = {
    400: Code.E400,
    401: Code.E401,
    403: Code.E403,
    404: Code.E404,
    405: Code.E405,
    413: Code.E413,
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: Code,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status, self.code, self.message = status, code, message
        self.field, self.line, self.headers = field, line, headers


def error_body(
    code: Code,
    message: str,
    *,
    field: str | None = None,
    line: int | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    if line is not None:
        body["line"] = line
    if details:
        body["details"] = details
    return {"error": body}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, field=exc.field, line=exc.line),
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(QCError)
    async def _qc_error(_: Request, exc: QCError) -> JSONResponse:
        status = exc.status if isinstance(exc, ServiceError) else 422
        return JSONResponse(
            error_body(
                exc.code,
                exc.message,
                field=exc.field,
                line=exc.line,
                details=[d.to_dict() for d in exc.details],
            ),
            status_code=status,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return JSONResponse(
            error_body(Code.E422, str(first.get("msg")), field=field or None), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, Code.E500 if exc.status_code >= 500 else Code.E400)
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        return JSONResponse(
            error_body(code, message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    app.add_middleware(AnswerEveryFailure)


class AnswerEveryFailure:
    """ASGI middleware: an exception no handler took is answered here (`unexpected`), not
    by Starlette's outermost handler, which answers and then re-raises it to the server,
    which then drops the client's keep-alive connection. (A plain ASGI wrapper: Starlette's
    BaseHTTPMiddleware would get in the way of streamed request bodies.)"""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # too late to answer: the server must close the connection
                raise
            await unexpected(exc)(scope, receive, send)


def unexpected(exc: BaseException) -> JSONResponse:
    """The answer to an exception no handler took: 503 with Retry-After when the database
    failed (down, dropped, read-only, full, locked: a fault of the day, not a bug), else
    500. The log line names the fault without the statement or its values."""
    fault = storage_fault(exc)
    if fault is not None:
        log.warning("storage fault: %s", fault)
        return JSONResponse(
            error_body(Code.E503, "the database is unavailable; try again shortly"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.exception("unexpected error")
    return JSONResponse(
        error_body(Code.E500, "internal error: the request was not completed; it has been logged"),
        status_code=500,
    )


RETRY_AFTER_SECONDS = 5
