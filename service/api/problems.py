"""One mapping from errors to RFC 9457 problem+json. Bodies never echo input or library text."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from service.errors import BusyError, UnauthorizedError, VeilError

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger("veil.api")


def problem(status: int, slug: str, title: str, detail: str, headers: dict | None = None) -> JSONResponse:
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE,
                        headers={"Cache-Control": "no-store", **(headers or {})})


async def _veil_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VeilError)
    headers = {"Retry-After": str(exc.retry_after if isinstance(exc, BusyError) else 1)} \
        if exc.status == 503 else None
    if isinstance(exc, UnauthorizedError):
        headers = {"WWW-Authenticate": 'Bearer realm="veil"'}
    return problem(exc.status, exc.type_slug, exc.title, exc.detail, headers)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()})
    return problem(422, "invalid-options", "Invalid options", f"Invalid fields: {', '.join(fields)}")


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    return problem(exc.status_code, slug, slug.replace("-", " ").capitalize(), "See the API documentation.")


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error of type %s", type(exc).__name__)
    return problem(500, "internal", "Internal error", VeilError.public_detail)


def install(app: FastAPI) -> None:
    app.add_exception_handler(VeilError, _veil_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unhandled)
