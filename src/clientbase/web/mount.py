"""Plugs the web UI into the app: its routes, its static files, and HTML error pages.

Errors raised in web routes propagate like in the API, so the request transaction rolls
back; the handlers below then answer with a page (or an htmx fragment) instead of
problem+json, and hand every other request to the API's handlers unchanged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from clientbase.core.errors import ClientbaseError, Unauthorized
from clientbase.web.deps import WebRoute
from clientbase.web.security import end_session
from clientbase.web.templating import is_htmx, render
from clientbase.web.views import (
    auth,
    custom_fields,
    customer_edit,
    customers,
    dashboard,
    notes,
    profile,
    saved_views,
    segment_edit,
    segments,
    users,
)

STATIC_DIR = Path(__file__).parent / "static"
NOT_WEB_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics")
log = structlog.get_logger(__name__)
Handler = Callable[[Request, Any], Awaitable[Response]]


def mount_web(app: FastAPI) -> None:
    pages = (auth, dashboard, customers, saved_views, customer_edit, profile, notes, users)
    segment_pages = (segment_edit, segments)  # segment_edit first: /segments/new before /{id}
    for module in (*pages, *segment_pages, custom_fields):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_pages(app)


def _is_web(request: Request) -> bool:
    return isinstance(request.scope.get("route"), WebRoute)


def _wants_page(request: Request) -> bool:
    path = request.url.path
    accepts_html = "text/html" in request.headers.get("accept", "")
    return accepts_html and not path.startswith(NOT_WEB_PREFIXES)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    context = {"title": title, "detail": detail, "status": status}
    if is_htmx(request):
        response = render(request, "_alert.html", context, status=status, partial=True)
        response.headers["HX-Retarget"] = "#notice"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "error.html", context, status=status)


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login" if request.method != "GET" else f"/login?next={quote(target)}"
    if is_htmx(request):
        response: Response = Response(status_code=204, headers={"HX-Redirect": location})
    else:
        response = RedirectResponse(location, status_code=303)
    end_session(response)
    return response


def _install_error_pages(app: FastAPI) -> None:
    api: dict[Any, Handler] = dict(app.exception_handlers)  # type: ignore[arg-type]

    async def on_service_error(request: Request, exc: ClientbaseError) -> Response:
        if not _is_web(request):
            return await api[ClientbaseError](request, exc)
        if isinstance(exc, Unauthorized):
            return to_login(request)
        return error_page(request, exc.status, exc.title, exc.detail)

    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if not _is_web(request):
            return await api[RequestValidationError](request, exc)
        if any(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
            return error_page(request, 404, "Not found", "There is nothing at this address.")
        return error_page(request, 400, "Bad request", "The request is not valid.")

    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not (_is_web(request) or _wants_page(request)):
            return await api[StarletteHTTPException](request, exc)
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        title = titles.get(exc.status_code, "Error")
        detail = "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
        return error_page(request, exc.status_code, title, detail)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        if not _is_web(request):
            return await api[Exception](request, exc)
        log.exception("unhandled_web_error", path=request.url.path)
        return error_page(
            request,
            500,
            "Something went wrong",
            "An unexpected error occurred; it has been logged.",
        )

    app.add_exception_handler(ClientbaseError, on_service_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, on_unexpected)
