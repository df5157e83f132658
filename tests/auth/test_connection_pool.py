"""A request holds at most one pooled connection: the use of an API key is recorded after
the response, so concurrent requests fit a pool of one without waiting on each other."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from clientbase.app import create_app
from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.auth.models import ApiKey
from clientbase.auth.schemas import ApiKeyCreate
from clientbase.db.session import Database, session_scope


async def test_requests_whose_key_use_is_recorded_fit_a_pool_of_one(settings, database, dialect):
    """`database` migrated the test database; this test brings its own one-connection pool."""
    if dialect != "postgres":
        pytest.skip("SQLite opens a connection per use; there is no pool to exhaust")
    db = Database(settings.database_url, pool_size=1, max_overflow=0)
    try:
        async with session_scope(db) as session:
            admin = await users.create_admin(
                session,
                email=f"admin-{uuid.uuid4().hex[:8]}@pool.example.com",
                password="correct-horse-battery",
                organization=f"Pool {uuid.uuid4().hex[:8]}",
            )
            actor = Actor.system(admin.organization_id)
            key, secret = await users.create_api_key(session, actor, ApiKeyCreate(name="pool"))
        app = create_app(settings, database=db)
        headers = {"Authorization": f"Bearer {secret}"}
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
            async with asyncio.timeout(20):  # the pool's own wait is 30 s
                answers = await asyncio.gather(
                    *(http.get("/api/v1/customers", headers=headers) for _ in range(5))
                )
        assert [a.status_code for a in answers] == [200] * 5
        async with session_scope(db, writes=False) as session:
            used = await session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key.id))
        assert used is not None
    finally:
        await db.dispose()


async def test_a_request_that_finds_every_connection_busy_is_told_to_retry(
    settings, database, dialect
):
    if dialect != "postgres":
        pytest.skip("SQLite opens a connection per use; there is no pool to exhaust")
    db = Database(settings.database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    app = create_app(settings, database=db)
    try:
        async with db.engine.connect() as held:
            await held.exec_driver_sql("SELECT 1")
            async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
                key = {"Authorization": "Bearer cb_looked-up-in-the-database"}
                response = await http.get("/api/v1/customers", headers=key)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.json()["type"].endswith("/service-busy")
    finally:
        await db.dispose()
