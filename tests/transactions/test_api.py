"""Transactions, purchase history, inbound events and the metrics they keep exact (S4)."""

from __future__ import annotations

import pytest

from tests.fixtures import api_create, make_org

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def org(session, settings):
    return await make_org(session, settings, "Shop")


def order(customer_id, external_id="ord-1", amount="100.10", **extra):
    return {
        "external_id": external_id,
        "customer_id": customer_id,
        "amount": amount,
        "occurred_at": "2026-03-01T10:00:00Z",
        **extra,
    }


async def customer_view(client, org, customer_id):
    return (await client.get(f"/api/v1/customers/{customer_id}", headers=org.headers())).json()


async def test_transaction_updates_metrics_and_resend_is_a_duplicate(client, org):
    customer = await api_create(client, org, first_name="Buyer")
    first = await client.post(
        "/api/v1/transactions", json=order(customer["id"]), headers=org.headers()
    )
    assert first.status_code == 201
    again = await client.post(
        "/api/v1/transactions", json=order(customer["id"]), headers=org.headers()
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    second = order(
        customer["id"],
        "ord-2",
        amount=None,
        items=[
            {"sku": "A", "quantity": "3", "unit_price": "0.10"},
            {"sku": "B", "quantity": "1", "unit_price": "19.99"},
        ],
    )
    second.pop("amount")
    made = await client.post("/api/v1/transactions", json=second, headers=org.headers())
    assert made.status_code == 201 and made.json()["amount"] == "20.29"
    view = await customer_view(client, org, customer["id"])
    assert view["total_spent"] == "120.39"
    assert view["order_count"] == 2
    assert view["average_order_value"] == "60.20"
    history = await client.get(
        f"/api/v1/customers/{customer['id']}/transactions", headers=org.headers()
    )
    assert [t["external_id"] for t in history.json()["items"]] == ["ord-2", "ord-1"]
    assert [i["sku"] for i in history.json()["items"][0]["items"]] == ["A", "B"]


async def test_refund_and_cancel_adjust_metrics(client, org):
    customer = await api_create(client, org, first_name="Refunder")
    made = (
        await client.post("/api/v1/transactions", json=order(customer["id"]), headers=org.headers())
    ).json()
    refunded = await client.patch(
        f"/api/v1/transactions/{made['id']}",
        json={"status": "refunded", "version": 1},
        headers=org.headers(),
    )
    assert refunded.status_code == 200
    view = await customer_view(client, org, customer["id"])
    assert view["total_spent"] == "0.00" and view["order_count"] == 0
    back = await client.patch(
        f"/api/v1/transactions/{made['id']}",
        json={"status": "completed", "version": 2},
        headers=org.headers(),
    )
    assert back.status_code == 409


async def test_transaction_needs_a_customer_of_the_organization(client, org, session, settings):
    other = await make_org(session, settings, "Other Shop")
    foreign = await api_create(client, other, first_name="Foreign")
    response = await client.post(
        "/api/v1/transactions", json=order(foreign["id"]), headers=org.headers()
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "customer_id"
    wrong_currency = await client.post(
        "/api/v1/transactions", headers=other.headers(), json=order(foreign["id"], currency="USD")
    )
    assert wrong_currency.status_code == 422
    mismatch = order(
        foreign["id"], "o-9", amount="5.00", items=[{"sku": "x", "unit_price": "4.00"}]
    )
    bad = await client.post("/api/v1/transactions", json=mismatch, headers=other.headers())
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "amount"


async def test_bulk_reports_created_duplicates_and_errors(client, org):
    customer = await api_create(client, org, first_name="Bulk")
    await client.post(
        "/api/v1/transactions", json=order(customer["id"], "old"), headers=org.headers()
    )
    items = [
        order(customer["id"], "b-1", "10.00"),
        order(customer["id"], "old", "10.00"),
        order(customer["id"], "b-1", "10.00"),
        {"external_id": "bad", "customer_id": customer["id"]},
        order("01234567-89ab-7def-8123-456789abcdef", "b-2"),
        order(customer["id"], "b-3", "0.01"),
    ]
    result = (
        await client.post("/api/v1/transactions/bulk", json={"items": items}, headers=org.headers())
    ).json()
    assert [r["index"] for r in result["created"]] == [0, 5]
    assert [r["index"] for r in result["duplicates"]] == [1, 2]
    assert [r["index"] for r in result["errors"]] == [3, 4]
    view = await customer_view(client, org, customer["id"])
    assert view["total_spent"] == "110.11" and view["order_count"] == 3


async def test_deactivation_refused_while_orders_are_open(client, org):
    customer = await api_create(client, org, first_name="Open")
    pending = order(customer["id"], "p-1", status="pending")
    await client.post("/api/v1/transactions", json=pending, headers=org.headers())
    response = await client.patch(
        f"/api/v1/customers/{customer['id']}",
        json={"is_active": False, "version": 1},
        headers=org.headers(),
    )
    assert response.status_code == 409
    assert (await customer_view(client, org, customer["id"]))["is_active"] is True


async def test_inbound_events_apply_once(client, org):
    customer = await api_create(client, org, first_name="Events", current_balance="500.00")
    base = {"customer_id": customer["id"], "occurred_at": "2026-03-02T09:00:00Z"}
    paid = {**base, "id": "evt-1", "type": "invoice.paid", "data": {"amount": "120.50"}}
    first = await client.post("/api/v1/events/ingest", json=paid, headers=org.headers())
    assert first.json()["status"] == "applied"
    again = await client.post("/api/v1/events/ingest", json=paid, headers=org.headers())
    assert again.json()["status"] == "duplicate"
    assert (await customer_view(client, org, customer["id"]))["current_balance"] == "379.50"
    won = {**base, "id": "evt-2", "type": "deal.won"}
    await client.post("/api/v1/events/ingest", json=won, headers=org.headers())
    assert (await customer_view(client, org, customer["id"]))["status"] == "active"
    completed = {**base, "id": "evt-3", "type": "order.completed", "data": {"amount": "42.00"}}
    await client.post("/api/v1/events/ingest", json=completed, headers=org.headers())
    assert (await customer_view(client, org, customer["id"]))["total_spent"] == "42.00"
    viewed = {**base, "id": "evt-4", "type": "product.viewed", "data": {"sku": "A"}}
    assert (
        await client.post("/api/v1/events/ingest", json=viewed, headers=org.headers())
    ).status_code == 200
    bad = {**base, "id": "evt-5", "type": "invoice.paid", "data": {"amount": "-1"}}
    response = await client.post("/api/v1/events/ingest", json=bad, headers=org.headers())
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "data.amount"


async def test_viewer_cannot_record_transactions(client, org):
    customer = await api_create(client, org, first_name="Viewer")
    response = await client.post(
        "/api/v1/transactions", json=order(customer["id"]), headers=org.headers("viewer")
    )
    assert response.status_code == 403
