"""Audit entries and events wait in the session until commit: a rolled-back savepoint
drops only those pended inside it, a rolled-back transaction all of them."""

from __future__ import annotations

import pytest

from clientbase.audit import service as audit
from clientbase.core.errors import Conflict
from clientbase.customers import service as customers
from clientbase.customers.schemas import CustomerCreate
from clientbase.events import service as events


async def add(session, org, name):
    person = CustomerCreate(type="individual", first_name=name, last_name="Pending")
    return await customers.create_customer(session, org.actor(), person)


async def created(session, org):
    page = await events.pull(session, org.actor(), after=None, limit=10)
    entries = await audit.list_entries(
        session, org.actor(), limit=10, cursor=None, action="customer.created"
    )
    return [e.aggregate_id for e in page.items], {e.entity_id for e in entries.items}


async def test_a_rolled_back_savepoint_keeps_what_was_pended_before_it(session, org):
    kept = await add(session, org, "Kept")
    with pytest.raises(Conflict):
        async with session.begin_nested():
            await add(session, org, "Undone")
            raise Conflict("undo this one")
    after = await add(session, org, "After")
    await session.commit()
    assert await created(session, org) == ([kept.id, after.id], {kept.id, after.id})


async def test_a_rolled_back_transaction_drops_everything_pended(session, org):
    await add(session, org, "Gone")
    async with session.begin_nested():
        await add(session, org, "Also gone")
    await session.rollback()
    last = await add(session, org, "Last")
    await session.commit()
    assert await created(session, org) == ([last.id], {last.id})
