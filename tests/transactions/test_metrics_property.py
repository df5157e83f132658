"""Incremental metric upkeep equals a full recompute and an independent evaluation, on
random purchase histories with refunds and cancellations (S4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientbase.metrics import service as metrics
from clientbase.transactions import service as transactions
from clientbase.transactions.schemas import BulkTransactions, TransactionCreate
from tests.fixtures import create_customer, make_org

pytestmark = pytest.mark.asyncio
START = datetime(2025, 1, 1, tzinfo=UTC)

purchase = st.tuples(
    st.integers(0, 2),  # which customer
    st.integers(0, 10_000_00),  # amount in cents
    st.integers(0, 400),  # day offset
    st.sampled_from(["completed", "completed", "pending", "cancelled"]),
    st.sampled_from([None, "refunded", "completed", "cancelled"]),  # a later change
)


def expected(history):
    """Independent evaluation: completed transactions only."""
    out = {}
    for customer, cents, day, status in history:
        if status != "completed":
            continue
        total, count, first, last = out.get(customer, (Decimal(0), 0, None, None))
        at = START + timedelta(days=day)
        out[customer] = (
            total + Decimal(cents) / 100,
            count + 1,
            min(first or at, at),
            max(last or at, at),
        )
    return out


def assert_as_expected(stored, ids, history):
    truth = expected(history)
    for who, customer_id in enumerate(ids):
        m = stored.get(customer_id)
        got = (
            (m.total_spent, m.order_count, m.first_order_at, m.last_order_at)
            if m
            else (Decimal(0), 0, None, None)
        )
        assert got == truth.get(who, (Decimal(0), 0, None, None))


@pytest.fixture
async def world(session, settings_):
    org = await make_org(session, settings_, "Metrics Property")
    people = [await create_customer(session, org, first_name=f"P{i}") for i in range(3)]
    return org, [p.id for p in people]


@pytest.fixture
def settings_(settings):
    return settings


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(purchase, max_size=12))
async def test_incremental_equals_full_and_independent(session, world, plan):
    org, ids = world
    actor = org.actor()
    savepoint = await session.begin_nested()
    try:
        history = []
        for n, (who, cents, day, status, later) in enumerate(plan):
            recorded = await transactions.record_transaction(
                session,
                actor,
                TransactionCreate(
                    external_id=f"t{n}",
                    customer_id=ids[who],
                    amount=Decimal(cents) / 100,
                    occurred_at=START + timedelta(days=day),
                    status=status,
                ),
            )
            final = status
            if later and later in transactions.TRANSITIONS[status]:
                await transactions.change_status(
                    session, actor, recorded.transaction.id, later, if_match="*"
                )
                final = later
            history.append((who, cents, day, final))
        incremental = await metrics.for_customers(session, actor, ids)
        snapshot = {i: metrics.read_fields(m) for i, m in incremental.items()}
        assert await metrics.recompute_organization(session, org.id) == 0
        full = await metrics.for_customers(session, actor, ids)
        assert {i: metrics.read_fields(m) for i, m in full.items()} == snapshot
        assert_as_expected(full, ids, history)
    finally:
        await savepoint.rollback()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(purchase, min_size=1, max_size=6), max_size=4))
async def test_bulk_batches_add_up_to_the_full_recompute(session, world, batches):
    """Bulk ingest adds each batch's completed purchases to the stored numbers; a later
    status change recomputes. Both must leave what a full recompute computes."""
    org, ids = world
    actor = org.actor()
    savepoint = await session.begin_nested()
    try:
        history, n = [], 0
        for batch in batches:
            rows = []
            for who, cents, day, status, _ in batch:
                rows.append(
                    {
                        "external_id": f"b{n}",
                        "customer_id": str(ids[who]),
                        "amount": str(Decimal(cents) / 100),
                        "occurred_at": (START + timedelta(days=day)).isoformat(),
                        "status": status,
                    }
                )
                n += 1
            result = await transactions.bulk_record(session, actor, BulkTransactions(items=rows))
            assert not result.errors
            for (who, cents, day, status, later), row in zip(batch, result.created, strict=True):
                final = status
                if later and later in transactions.TRANSITIONS[status]:
                    await transactions.change_status(session, actor, row.id, later, if_match="*")
                    final = later
                history.append((who, cents, day, final))
        assert await metrics.recompute_organization(session, org.id) == 0
        full = await metrics.for_customers(session, actor, ids)
        assert_as_expected(full, ids, history)
    finally:
        await savepoint.rollback()
