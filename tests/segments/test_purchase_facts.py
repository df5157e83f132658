"""What segments read instead of grouping transactions, kept true by every write:
items carry their buyer, time and whether they count; purchase windows are refreshed for
the customers a transaction touched or whose oldest purchase left a window, and until
then those customers are read from their transactions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from clientbase.db.base import utcnow
from clientbase.metrics import service as metrics
from clientbase.metrics.models import CustomerMetrics, PurchaseWindow
from clientbase.transactions.models import TransactionItem
from tests.fixtures import api_create, make_org

pytestmark = pytest.mark.asyncio
API = "/api/v1"


@pytest.fixture
async def org(session, settings):
    return await make_org(session, settings, "Window Shop")


def order(customer_id, external_id, amount, days_ago, **extra):
    at = utcnow() - timedelta(days=days_ago)
    return {
        "external_id": external_id,
        "customer_id": customer_id,
        "amount": amount,
        "occurred_at": at.isoformat(),
        **extra,
    }


async def preview_count(client, org, rule):
    response = await client.post(
        f"{API}/segments/preview",
        json={"criteria": {"operator": "AND", "rules": [rule]}},
        headers=org.headers(),
    )
    assert response.status_code == 200, response.text
    return response.json()["count"]


async def items_of(session, org):
    stmt = select(TransactionItem).where(TransactionItem.organization_id == org.id)
    return list((await session.execute(stmt.order_by(TransactionItem.id))).scalars())


async def windows_of(session, customer_id):
    session.expire_all()
    stmt = select(PurchaseWindow).where(PurchaseWindow.customer_id == uuid.UUID(customer_id))
    return {w.days: w for w in (await session.execute(stmt)).scalars()}


async def is_flagged(session, customer_id):
    flag = CustomerMetrics.windows_stale
    stmt = select(flag).where(CustomerMetrics.customer_id == uuid.UUID(customer_id))
    return (await session.execute(stmt)).scalar_one()


async def test_items_follow_their_transactions_buyer_time_and_status(client, session, org):
    buyer = await api_create(client, org, first_name="Item")
    line = {"sku": "TV-1", "category": "electronics", "unit_price": "40.00"}
    pending = order(buyer["id"], "p-1", "40.00", 3, status="pending", items=[line])
    made = (await client.post(f"{API}/transactions", json=pending, headers=org.headers())).json()
    bulk = [order(buyer["id"], "b-1", "40.00", 1, items=[line])]
    await client.post(f"{API}/transactions/bulk", json={"items": bulk}, headers=org.headers())
    items = await items_of(session, org)
    assert [str(i.customer_id) for i in items] == [buyer["id"], buyer["id"]]
    assert [i.counted for i in items] == [False, True]
    assert items[0].occurred_at == datetime.fromisoformat(pending["occurred_at"])
    electronics = {"field": "purchased_category", "operator": "contains", "value": "electronics"}
    assert await preview_count(client, org, electronics) == 1

    async def set_status(status, version):
        response = await client.patch(
            f"{API}/transactions/{made['id']}",
            json={"status": status, "version": version},
            headers=org.headers(),
        )
        assert response.status_code == 200, response.text

    other = await api_create(client, org, first_name="Browser")
    unpaid = order(other["id"], "p-2", "40.00", 2, status="pending", items=[line])
    await client.post(f"{API}/transactions", json=unpaid, headers=org.headers())
    assert await preview_count(client, org, electronics) == 1  # a pending item is not bought
    await set_status("completed", 1)
    session.expire_all()
    assert [i.counted for i in await items_of(session, org)] == [True, True, False]
    await set_status("refunded", 2)
    session.expire_all()
    assert [i.counted for i in await items_of(session, org)] == [False, True, False]
    recent = {**electronics, "timeframe": "last_30_days"}
    assert await preview_count(client, org, recent) == 1


async def test_refresh_builds_windows_and_new_purchases_flag_the_customer(client, session, org):
    buyer = await api_create(client, org, first_name="Window")
    idle = await api_create(client, org, first_name="Idle")
    rows = [
        order(buyer["id"], "w-1", "10.00", 10),
        order(buyer["id"], "w-2", "20.00", 60),
        order(buyer["id"], "w-3", "40.00", 200),
        order(buyer["id"], "w-4", "80.00", 500),
    ]
    await client.post(f"{API}/transactions/bulk", json={"items": rows}, headers=org.headers())
    assert await is_flagged(session, buyer["id"]) is True
    first = await metrics.refresh_windows(session, org.id)
    await session.commit()
    assert first["full"] is True
    stored = await windows_of(session, buyer["id"])
    assert {d: (w.total, w.orders) for d, w in stored.items()} == {
        30: (Decimal("10.00"), 1),
        90: (Decimal("30.00"), 2),
        365: (Decimal("70.00"), 3),
    }
    assert await windows_of(session, idle["id"]) == {}
    assert await is_flagged(session, buyer["id"]) is False

    spent = {"field": "total_spent", "operator": "greater_than", "value": 50}
    assert await preview_count(client, org, {**spent, "timeframe": "last_365_days"}) == 1
    assert await preview_count(client, org, {**spent, "timeframe": "last_90_days"}) == 0
    # A purchase after the refresh: the customer is read from transactions until the next.
    late = order(buyer["id"], "w-5", "25.00", 1)
    await client.post(f"{API}/transactions", json=late, headers=org.headers())
    assert await is_flagged(session, buyer["id"]) is True
    assert await preview_count(client, org, {**spent, "timeframe": "last_90_days"}) == 1
    second = await metrics.refresh_windows(session, org.id)
    await session.commit()
    assert second == {"full": False, "customers": 1, "rows": 3}
    assert (await windows_of(session, buyer["id"]))[90].total == Decimal("55.00")
    assert await preview_count(client, org, {**spent, "timeframe": "last_90_days"}) == 1


async def test_windows_whose_oldest_purchase_left_are_read_and_refreshed(client, session, org):
    buyer = await api_create(client, org, first_name="Ageing")
    rows = [order(buyer["id"], "a-1", "10.00", 25), order(buyer["id"], "a-2", "30.00", 5)]
    await client.post(f"{API}/transactions/bulk", json={"items": rows}, headers=org.headers())
    now = utcnow()
    await metrics.refresh_windows(session, org.id, now=now)
    await session.commit()
    assert (await windows_of(session, buyer["id"]))[30].orders == 2
    # Ten days on, the 25-day-old purchase has left the 30-day window: the stored row no
    # longer holds, and the refresh rebuilds exactly that customer.
    later = now + timedelta(days=10)
    refreshed = await metrics.refresh_windows(session, org.id, now=later)
    await session.commit()
    assert refreshed["customers"] == 1
    window = (await windows_of(session, buyer["id"]))[30]
    assert (window.total, window.orders) == (Decimal("30.00"), 1)
    assert window.first_at == datetime.fromisoformat(rows[1]["occurred_at"]).astimezone(UTC)
    quiet = await metrics.refresh_windows(session, org.id, now=later)
    assert quiet == {"full": False, "customers": 0, "rows": 0}


async def test_purchases_and_refunds_after_a_refresh_count_at_once(client, session, org):
    regular = await api_create(client, org, first_name="Regular")
    newcomer = await api_create(client, org, first_name="Newcomer")
    first = order(regular["id"], "r-1", "100.00", 20)
    made = (await client.post(f"{API}/transactions", json=first, headers=org.headers())).json()
    await metrics.refresh_windows(session, org.id)
    await session.commit()
    spent = {"field": "total_spent", "operator": "greater_than", "value": 50}
    recent = {**spent, "timeframe": "last_30_days"}
    assert await preview_count(client, org, recent) == 1
    # A first purchase by a customer without any window row yet.
    late = order(newcomer["id"], "n-1", "75.00", 1)
    await client.post(f"{API}/transactions", json=late, headers=org.headers())
    assert await preview_count(client, org, recent) == 2
    refund = await client.patch(
        f"{API}/transactions/{made['id']}",
        json={"status": "refunded", "version": 1},
        headers=org.headers(),
    )
    assert refund.status_code == 200
    assert await preview_count(client, org, recent) == 1  # the stored 100.00 no longer counts
    await metrics.refresh_windows(session, org.id)
    await session.commit()
    assert await windows_of(session, regular["id"]) == {}
    assert await preview_count(client, org, recent) == 1


async def test_the_windows_time_never_goes_back(session, org):
    now = utcnow()
    await metrics.refresh_windows(session, org.id, now=now)
    await metrics.refresh_windows(session, org.id, now=now - timedelta(days=5))
    assert await metrics.windows_as_of(session, org.id) == now


ZERO_CASES = [
    ({"field": "order_count", "operator": "less_than", "value": 1}, {"Idle"}),
    ({"field": "order_count", "operator": "equals", "value": 0}, {"Idle"}),
    ({"field": "total_spent", "operator": "not_equals", "value": 60}, {"Idle"}),
    ({"field": "total_spent", "operator": "greater_than", "value": 10}, {"Buyer"}),
    ({"field": "order_count", "operator": "between", "value": [0, 0]}, {"Idle"}),
    ({"field": "total_spent", "operator": "not_in", "value": [0]}, {"Buyer"}),
]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        *(
            ({**rule, "timeframe": timeframe}, expected)
            for rule, expected in ZERO_CASES
            for timeframe in (None, "last_30_days", "last_365_days")
        ),
        ({"field": "lifetime_value", "operator": "less_or_equal", "value": 0}, {"Idle"}),
    ],
)
async def test_a_customer_without_purchases_has_zero_of_each_total_and_count(
    client, session, org, rule, expected
):
    """The SQL reads a missing row as no value only where the rule treats 0 the same."""
    buyer = await api_create(client, org, first_name="Buyer")
    idle = await api_create(client, org, first_name="Idle")
    await client.post(
        f"{API}/transactions", json=order(buyer["id"], "b-1", "60.00", 3), headers=org.headers()
    )
    await metrics.refresh_windows(session, org.id)
    await session.commit()
    criteria = {"operator": "OR", "rules": [rule]}
    response = await client.post(
        f"{API}/segments/preview", json={"criteria": criteria}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    names = {buyer["id"]: "Buyer", idle["id"]: "Idle"}
    assert {names[c["id"]] for c in response.json()["sample"]} == expected
