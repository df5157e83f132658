"""Every GET route, served the way production serves it (no test session: a real read-only
session per request, no BEGIN on either database), answers without a server error: none of
them writes through its session or needs a transaction around its statements."""

from __future__ import annotations

import re
import uuid

import pytest
from httpx import ASGITransport, AsyncClient

from clientbase.app import create_app
from clientbase.db.session import Database, session_scope
from clientbase.web.security import SESSION_COOKIE
from tests.fixtures import make_org

pytestmark = pytest.mark.asyncio
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def get_paths(app, ids: dict[str, str]) -> list[str]:
    """The app's GET paths, API and web, with their parameters filled in (a random UUID
    where no id is given: a 404 is an answer too)."""
    routes = []
    for route in app.routes:
        # FastAPI keeps an included router's routes behind it (effective_route_contexts).
        contexts = getattr(route, "effective_route_contexts", None)
        routes.extend(contexts() if contexts else [route])
    paths = set()
    for route in routes:
        if "GET" in (getattr(route, "methods", None) or ()):
            path = getattr(route, "path_format", None) or route.path
            paths.add(PARAM.sub(lambda m: ids.get(m.group(1), str(uuid.uuid4())), path))
    return sorted(paths)


async def test_every_get_route_serves_from_a_read_only_session(settings, database):
    db = Database(settings.database_url)
    app = create_app(settings, database=db)
    try:
        async with session_scope(db) as session:
            org = await make_org(session, settings, f"Reads {uuid.uuid4().hex[:8]}")
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
            created = await http.post(
                "/api/v1/customers",
                json={"type": "individual", "first_name": "Read", "last_name": "Only"},
                headers=org.headers(),
            )
            assert created.status_code == 201, created.text
            ids = {"customer_id": created.json()["id"]}
            paths = get_paths(app, ids)
            assert len(paths) > 50 and "/customers/{customer_id}" not in paths
            failures = {}
            token = org.headers()["Authorization"].removeprefix("Bearer ")
            http.cookies.set(SESSION_COOKIE, token)  # the web pages' sign-in
            for path in paths:
                response = await http.get(path, headers=org.headers())
                if response.status_code >= 500:
                    failures[path] = (response.status_code, response.text[:200])
        assert failures == {}
    finally:
        await db.dispose()
