"""Request ids, a request body limit and security headers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clientbase.core.errors import ValidationFailed
from clientbase.core.problem import PROBLEM_MEDIA_TYPE
from clientbase.core.schemas import unsafe_text_reason

REQUEST_ID_HEADER = b"x-request-id"
AFTER_RESPONSE = "after_response"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    ),
]
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    b"https://fastapi.tiangolo.com; frame-ancestors 'none'"
)


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID when sane) and adds headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        is_docs = scope["path"] in ("/docs", "/redoc")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                for name, value in SECURITY_HEADERS:
                    if name == b"content-security-policy" and is_docs:
                        value = DOCS_CSP
                    headers.append((name, value))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            for work in scope["state"].pop(AFTER_RESPONSE, ()):
                await work()


def after_response(request: Request, work: Callable[[], Awaitable[None]]) -> None:
    """Runs `work` once the response has been sent, whatever its status (FastAPI's
    background tasks run only after a successful endpoint), and after the request's
    session has given its connection back. `work` handles its own errors."""
    request.scope["state"].setdefault(AFTER_RESPONSE, []).append(work)


class BodyLimitMiddleware:
    """Refuses request bodies over the limit, declared or streamed, with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # FastAPI re-raises HTTPException from body reading; the handler renders it.
                    raise HTTPException(413, f"The request body exceeds {self.max_bytes} bytes.")
            return message

        await self.app(scope, limited_receive, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = (
            b'{"type":"https://clientbase.dev/problems/payload-too-large","title":'
            b'"Payload too large","status":413,"detail":"The request body exceeds '
            + str(self.max_bytes).encode()
            + b' bytes."}'
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def reject_unsafe_query(request: Request) -> None:
    """API dependency: a NUL byte or unpaired surrogate in any query parameter is a 422
    naming it, before it can reach a database (PostgreSQL refuses NUL, SQLite stores it)."""
    for name, value in request.query_params.multi_items():
        reason = unsafe_text_reason(name) or unsafe_text_reason(value)
        if reason:
            raise ValidationFailed.on(name, reason)
