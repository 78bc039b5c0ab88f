"""Every error is JSON of one shape: {"error": {"code", "message", "field"?, "line"?}}."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qc_engine.errors import QCError
from qc_engine.service.errors import ServiceError

log = logging.getLogger("qc.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 line: int | None = None, headers: dict[str, str] | None = None) -> None:
        self.status, self.code, self.message = status, code, message
        self.field, self.line, self.headers = field, line, headers


def error_body(code: str, message: str, *, field: str | None = None, line: int | None = None,
               details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
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
        return JSONResponse(error_body(exc.code, exc.message, field=exc.field, line=exc.line),
                            status_code=exc.status, headers=exc.headers)

    @app.exception_handler(QCError)
    async def _qc_error(_: Request, exc: QCError) -> JSONResponse:
        status = exc.status if isinstance(exc, ServiceError) else 422
        return JSONResponse(
            error_body(exc.code, exc.message, field=exc.field, line=exc.line,
                       details=[d.to_dict() for d in exc.details]),
            status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query",
                                                                            "path"))
        return JSONResponse(error_body("E422", str(first.get("msg")), field=field or None),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "E404", 405: "E405", 401: "E401", 403: "E403"}.get(exc.status_code,
                                                                         f"E{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        return JSONResponse(error_body(code, message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(error_body("E500", "internal error: the request was not "
                                       "completed; it has been logged"), status_code=500)
