"""A pooled PostgreSQL connection the server closed is replaced before a request uses it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from clientbase.db.session import Database, session_scope


async def test_a_connection_the_server_closed_is_replaced(dialect, database_url):
    if dialect != "postgres":
        pytest.skip("SQLite opens files, not server connections: nothing can close them")
    db = Database(database_url, pool_size=1)
    try:
        async with session_scope(db, writes=False) as session:
            first = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
        admin = await asyncpg.connect(dsn)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        await asyncio.sleep(0.2)  # the client reads the server's goodbye
        async with session_scope(db, writes=False) as session:
            second = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await db.dispose()


async def test_pre_ping_can_be_turned_on_for_proxied_deployments(dialect, database_url):
    if dialect != "postgres":
        pytest.skip("pre-ping applies to server connections")
    assert Database(database_url).engine.pool._pre_ping is False
    pinged = Database(database_url, pre_ping=True)
    try:
        assert pinged.engine.pool._pre_ping is True
        async with session_scope(pinged, writes=False) as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await pinged.dispose()
