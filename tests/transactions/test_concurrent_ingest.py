"""Two requests ingesting purchases for the same customer at the same time both count
(PostgreSQL, real commits: the second request waits on the first one's metrics row)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from clientbase.auth.actor import Actor
from clientbase.customers import service as customers
from clientbase.customers.schemas import CustomerCreate
from clientbase.db.session import session_scope
from clientbase.metrics import service as metrics
from clientbase.tenancy import service as tenancy
from clientbase.transactions import service as transactions
from clientbase.transactions.schemas import TransactionCreate

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def buyer(database, dialect):
    if dialect != "postgres":
        pytest.skip("SQLite runs one writer at a time: there is no interleaving to test")
    async with session_scope(database) as session:
        org = await tenancy.create_organization(session, name=f"Concurrent {uuid.uuid4().hex}")
        actor = Actor.system(org.id)
        customer = await customers.create_customer(
            session, actor, CustomerCreate(type="individual", first_name="Both", last_name="Count")
        )
    return actor, customer.id


def order(customer_id: uuid.UUID, external_id: str, amount: str) -> TransactionCreate:
    return TransactionCreate(
        external_id=external_id,
        customer_id=customer_id,
        amount=Decimal(amount),
        occurred_at=datetime(2026, 5, 1, 12, tzinfo=UTC),
    )


async def test_two_concurrent_ingests_for_one_customer_both_count(database, buyer):
    actor, customer_id = buyer
    async with database.sessionmaker() as first:
        await transactions.record_transaction(first, actor, order(customer_id, "a", "10.00"))

        async def second() -> None:
            async with session_scope(database) as session:
                await transactions.record_transaction(
                    session, actor, order(customer_id, "b", "2.50")
                )

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.5)
        assert not waiting.done()  # its statements started before the first commit
        await first.commit()
    await asyncio.wait_for(waiting, timeout=10)
    async with session_scope(database) as session:
        stored = (await metrics.for_customers(session, actor, [customer_id]))[customer_id]
        assert (stored.total_spent, stored.order_count) == (Decimal("12.50"), 2)
        assert await metrics.recompute_organization(session, actor.organization_id) == 0
