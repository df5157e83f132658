"""Web UI tests: browsers as httpx clients on the ASGI app, each with its own cookie jar."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient, Response

from clientbase.web.security import SESSION_COOKIE, csrf_token_for
from tests.fixtures import Org, make_org

CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


class WebClient:
    """A signed-in browser: sends the session cookie, and the CSRF token on every form."""

    def __init__(self, http: AsyncClient, token: str, csrf: str) -> None:
        self.http, self.token, self.csrf = http, token, csrf

    async def get(self, url: str, **kw: Any) -> Response:
        return await self.http.get(url, **kw)

    async def post(
        self, url: str, data: dict[str, Any] | None = None, *, htmx: bool = False, **kw: Any
    ) -> Response:
        headers = {"HX-Request": "true"} if htmx else {}
        form = {"csrf_token": self.csrf, **(data or {})}
        return await self.http.post(url, data=form, headers=headers, **kw)


def page_csrf(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@pytest.fixture
async def web_org(session, settings) -> Org:
    return await make_org(session, settings)


@pytest.fixture
async def foreign_org(session, settings) -> Org:
    return await make_org(session, settings)


@pytest.fixture
async def anonymous(app) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def sign_in(app) -> AsyncIterator[Callable[[Org, str], Awaitable[WebClient]]]:
    """sign_in(org, role) -> a WebClient holding that user's session cookie."""
    opened: list[AsyncClient] = []

    async def open_as(org: Org, role: str = "admin") -> WebClient:
        token = org.headers(role)["Authorization"].removeprefix("Bearer ")
        http = AsyncClient(
            transport=ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://test",
            cookies={SESSION_COOKIE: token},
        )
        opened.append(http)
        return WebClient(http, token, csrf_token_for(org.settings, token))

    yield open_as
    for http in opened:
        await http.aclose()
