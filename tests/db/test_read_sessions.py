"""A safe-method request's session reads and never writes, and sends no BEGIN or COMMIT:
each of its statements is a transaction of its own."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from clientbase.db.session import (
    Database,
    WriteInReadRequest,
    is_read_statement,
    session_scope,
)
from clientbase.tenancy.models import Organization


async def _organizations(db: Database) -> int:
    async with session_scope(db, writes=False) as session:
        return int((await session.execute(select(func.count(Organization.id)))).scalar_one())


@pytest.fixture
def db(database: Database) -> Database:
    return database


async def test_a_read_session_reads(db):
    async with session_scope(db, writes=False) as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        await session.execute(select(Organization.id).limit(1))


@pytest.mark.parametrize(
    "write",
    [
        lambda: insert(Organization).values(id=uuid.uuid4(), name="Never", settings={}),
        lambda: update(Organization).values(name="Renamed"),
        lambda: delete(Organization),
        lambda: text("DELETE FROM organizations"),
        lambda: text("  insert into organizations (id, name) values ('x', 'y')"),
        lambda: select(delete(Organization).returning(Organization.id).cte("gone")),
        lambda: text("WITH gone AS (DELETE FROM organizations RETURNING id) SELECT 1"),
        lambda: text("/* note */ (DELETE FROM organizations)"),
    ],
    ids=["insert", "update", "delete", "text delete", "text insert", "cte", "text cte", "comment"],
)
async def test_a_read_session_refuses_every_write_and_nothing_changes(db, write):
    before = await _organizations(db)
    with pytest.raises(WriteInReadRequest, match="read-only session"):
        async with session_scope(db, writes=False) as session:
            await session.execute(write())
    assert await _organizations(db) == before


@pytest.mark.parametrize(
    ("statement", "reads"),
    [
        ("SELECT updated_at, deleted_at FROM customers", True),
        ("(SELECT 1 LIMIT 1) UNION ALL (SELECT 2 LIMIT 1)", True),
        ("/* a comment */ SELECT 1", True),
        ("-- a comment\nSELECT 1", True),
        ("VALUES (1), (2)", True),
        ("WITH t AS (SELECT 1) SELECT * FROM t", True),
        ("EXPLAIN (FORMAT JSON) SELECT 1", True),
        ("PRAGMA table_info(customers)", True),
        ("SAVEPOINT sa_savepoint_1", True),
        ("ROLLBACK TO SAVEPOINT sa_savepoint_1", True),
        ("WITH d AS (DELETE FROM customers RETURNING id) SELECT * FROM d", False),
        ("EXPLAIN ANALYZE DELETE FROM customers", False),
        ("explain analyze update customers set name = 'x'", False),
        ("PRAGMA user_version = 7", False),
        ("SELECT 1 FROM customers FOR UPDATE", False),
        ("CREATE TABLE t (id int)", False),
        ("DROP TABLE customers", False),
        ("SET search_path TO x", False),
    ],
)
def test_what_a_read_only_session_may_send(statement, reads):
    assert is_read_statement(statement) is reads


async def test_an_orm_flush_in_a_read_session_is_refused(db):
    before = await _organizations(db)
    with pytest.raises(WriteInReadRequest):
        async with session_scope(db, writes=False) as session:
            session.add(Organization(name=f"Flushed {uuid.uuid4().hex[:8]}"))
            await session.flush()
    assert await _organizations(db) == before


def _in_transaction(driver_connection) -> bool:
    if hasattr(driver_connection, "is_in_transaction"):  # asyncpg
        return bool(driver_connection.is_in_transaction())
    return bool(driver_connection.in_transaction)  # aiosqlite


async def _holds_transaction(db: Database, *, writes: bool) -> bool:
    async with session_scope(db, writes=writes) as session:
        await session.execute(text("SELECT 1 FROM organizations LIMIT 1"))
        conn = await session.connection()
        return _in_transaction((await conn.get_raw_connection()).driver_connection)


async def test_a_read_session_runs_its_statements_outside_a_transaction(db):
    assert await _holds_transaction(db, writes=False) is False
    assert await _holds_transaction(db, writes=True) is True


async def test_postgres_read_statements_each_take_their_own_snapshot(db, dialect):
    if dialect != "postgres":
        pytest.skip("transaction_timestamp() is PostgreSQL's")
    async with session_scope(db, writes=False) as session:
        first = (await session.execute(text("SELECT transaction_timestamp()"))).scalar_one()
        await asyncio.sleep(0.01)
        second = (await session.execute(text("SELECT transaction_timestamp()"))).scalar_one()
    assert second > first
