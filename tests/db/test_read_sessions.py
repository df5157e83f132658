"""A safe-method request's session reads and never writes; on PostgreSQL it sends no BEGIN
or COMMIT, so each of its statements is a transaction of its own."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from clientbase.db.session import Database, WriteInReadRequest, session_scope
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
    ],
    ids=["insert", "update", "delete", "text delete", "text insert"],
)
async def test_a_read_session_refuses_every_write_and_nothing_changes(db, write):
    before = await _organizations(db)
    with pytest.raises(WriteInReadRequest, match="read-only session"):
        async with session_scope(db, writes=False) as session:
            await session.execute(write())
    assert await _organizations(db) == before


async def test_an_orm_flush_in_a_read_session_is_refused(db):
    before = await _organizations(db)
    with pytest.raises(WriteInReadRequest):
        async with session_scope(db, writes=False) as session:
            session.add(Organization(name=f"Flushed {uuid.uuid4().hex[:8]}"))
            await session.flush()
    assert await _organizations(db) == before


async def _transaction_times(db: Database, *, writes: bool) -> tuple[object, object]:
    async with session_scope(db, writes=writes) as session:
        first = (await session.execute(text("SELECT transaction_timestamp()"))).scalar_one()
        await asyncio.sleep(0.01)
        second = (await session.execute(text("SELECT transaction_timestamp()"))).scalar_one()
        if writes:
            await session.execute(text("SELECT 1 FROM organizations LIMIT 1"))
    return first, second


async def test_postgres_read_statements_each_run_in_their_own_transaction(db, dialect):
    if dialect != "postgres":
        pytest.skip("SQLite has no transaction_timestamp(); its readers keep their BEGIN")
    first, second = await _transaction_times(db, writes=False)
    assert second > first
    first, second = await _transaction_times(db, writes=True)
    assert second == first
