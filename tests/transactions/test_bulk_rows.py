"""Bulk ingest row by row: bad text in one row is that row's error, and the rows written in
one statement per table (COPY on PostgreSQL) read back with their items and timestamps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.fixtures import api_create, make_org

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def org(session, settings):
    return await make_org(session, settings, "Bulk Rows")


def row(customer_id, external_id, **extra):
    return {
        "external_id": external_id,
        "customer_id": customer_id,
        "occurred_at": "2026-03-01T10:00:00Z",
        "items": [
            {"sku": "A-1", "name": "Kettle", "category": "home", "brand": "Tefal",
             "quantity": "2", "unit_price": "12.50"},
            {"sku": "B-2", "unit_price": "0.99"},
        ],
        **extra,
    }  # fmt: skip


async def test_bad_text_in_one_row_is_that_rows_error(client, org):
    customer = await api_create(client, org, first_name="Rows")
    bad_item = row(customer["id"], "r-3")
    bad_item["items"][1]["sku"] = "B\x00"
    items = [
        row(customer["id"], "r-1"),
        row(customer["id"], "r-2\x00"),
        bad_item,
        row(customer["id"], "r-4", channel="online"),
    ]
    answer = await client.post(
        "/api/v1/transactions/bulk", json={"items": items}, headers=org.headers()
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert [r["index"] for r in result["created"]] == [0, 3]
    assert [r["index"] for r in result["errors"]] == [1, 2]
    assert "external_id" in str(result["errors"][0]) and "items" in str(result["errors"][1])


async def test_bulk_rows_read_back_with_items_and_times(client, org):
    customer = await api_create(client, org, first_name="Reads")
    items = [row(customer["id"], f"t-{n}") for n in range(3)]
    created = (
        await client.post("/api/v1/transactions/bulk", json={"items": items}, headers=org.headers())
    ).json()["created"]
    assert len(created) == 3
    history = (
        await client.get(f"/api/v1/customers/{customer['id']}/transactions", headers=org.headers())
    ).json()["items"]
    assert {h["id"] for h in history} == {c["id"] for c in created}
    for h in history:
        assert Decimal(h["amount"]) == Decimal("25.99") and h["version"] == 1
        assert h["created_at"] and h["updated_at"] and h["currency"]
        lines = sorted((i["sku"], i["quantity"], i["unit_price"]) for i in h["items"])
        assert [(s, Decimal(q), Decimal(p)) for s, q, p in lines] == [
            ("A-1", Decimal(2), Decimal("12.50")),
            ("B-2", Decimal(1), Decimal("0.99")),
        ]
    view = (await client.get(f"/api/v1/customers/{customer['id']}", headers=org.headers())).json()
    assert view["total_spent"] == "77.97" and view["order_count"] == 3


async def test_bulk_emits_one_metrics_event_per_customer_in_sequence(client, org):
    first = await api_create(client, org, first_name="Feed")
    second = await api_create(client, org, first_name="Feed", last_name="Two")
    before = (await client.get("/api/v1/events?limit=100", headers=org.headers())).json()["items"]
    items = [row(first["id"], "f-1"), row(second["id"], "f-2"), row(first["id"], "f-3")]
    headers = {**org.headers(), "X-Request-ID": "bulk-feed-1"}
    answer = await client.post("/api/v1/transactions/bulk", json={"items": items}, headers=headers)
    assert answer.status_code == 200 and len(answer.json()["created"]) == 3, answer.text
    events = (await client.get("/api/v1/events?limit=100", headers=org.headers())).json()["items"]
    new = [e for e in events[len(before) :] if e["type"] == "customer.metrics_updated"]
    assert sorted(e["data"]["customer_id"] for e in new) == sorted([first["id"], second["id"]])
    assert {e["aggregate_id"] for e in new} == {first["id"], second["id"]}
    assert all(e["request_id"] == "bulk-feed-1" and e["occurred_at"] for e in new)
    seqs = [int(e["id"]) for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
