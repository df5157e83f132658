"""RFC 9457 problem+json responses for every error the service returns."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from clientbase.core.errors import ClientbaseError, validation_errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://clientbase.dev/problems/"
log = structlog.get_logger(__name__)


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    slug: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(
            {
                k: (str(v) if not isinstance(v, int | float | bool | list | dict) else v)
                for k, v in extra.items()
                if v is not None
            }
        )
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ClientbaseError)
    async def _clientbase(request: Request, exc: ClientbaseError) -> JSONResponse:
        return problem_response(
            request,
            status=exc.status,
            title=exc.title,
            slug=exc.slug,
            detail=exc.detail,
            errors=[e.as_dict() for e in exc.errors],
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(
            request,
            status=422,
            title="Validation failed",
            slug="validation-failed",
            detail=detail or "The request is not valid.",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            401: "Not authenticated",
            404: "Not found",
            405: "Method not allowed",
            413: "Payload too large",
        }
        title = titles.get(exc.status_code, "HTTP error")
        return problem_response(
            request,
            status=exc.status_code,
            title=title,
            slug=title.lower().replace(" ", "-"),
            detail=str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: PoolTimeout) -> JSONResponse:
        log.warning("db.pool_exhausted", path=request.url.path)
        return problem_response(
            request,
            status=503,
            title="Service busy",
            slug="service-busy",
            detail="Every database connection of this server stayed busy; retry shortly.",
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(
            request,
            status=500,
            title="Internal server error",
            slug="internal-error",
            detail="An unexpected error occurred; it has been logged.",
        )
