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


async def test_more_rows_than_one_lookup_chunk_find_their_duplicates_and_customers(client, org):
    """1,500 rows look up their external ids and customers in one statement on PostgreSQL
    and in chunks of 1,000 on SQLite: the answer is the same either way."""
    first = await api_create(client, org, first_name="Chunk")
    second = await api_create(client, org, first_name="Chunked")
    unknown = "0191d6a4-0000-7000-8000-000000000000"

    def rows(numbers: range) -> list[dict]:
        out = []
        for n in numbers:
            customer = unknown if n == 1400 else (first, second)[n % 2]["id"]
            out.append({"external_id": f"c-{n}", "customer_id": customer,
                        "occurred_at": "2026-03-01T10:00:00Z", "amount": "1.00"})  # fmt: skip
        return out

    async def post(numbers: range) -> dict:
        answer = await client.post(
            "/api/v1/transactions/bulk", json={"items": rows(numbers)}, headers=org.headers()
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    once = await post(range(1500))
    assert len(once["created"]) == 1499
    assert [e["index"] for e in once["errors"]] == [1400]
    assert once["errors"][0]["errors"][0]["field"] == "customer_id"
    again = await post(range(500, 2000))
    ids = {r["index"] + 500: r["id"] for r in again["duplicates"]}
    assert len(ids) == 999 and 1400 not in ids
    first_ids = {r["index"]: r["id"] for r in once["created"]}
    assert all(first_ids[n] == ids[n] for n in ids)
    assert len(again["created"]) == 500  # c-1500 ... c-1999
    assert [e["index"] for e in again["errors"]] == [900]  # c-1400 is still no one's
    metrics = (await client.get(f"/api/v1/customers/{first['id']}", headers=org.headers())).json()
    # the even rows but c-1400: 749 from the first request, 250 from the second
    assert metrics["order_count"] == 999 and Decimal(metrics["total_spent"]) == Decimal("999.00")
