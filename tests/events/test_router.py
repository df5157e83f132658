"""The event feed: every change emits its event with the change, in order, gap-free per
organization, paged with `after`, and scoped to the caller's organization."""

from __future__ import annotations

import pytest

from tests.assertions import problem
from tests.fixtures import IIN_MALE_1990, api_create

API = "/api/v1"


async def feed(client, org, **params) -> list[dict]:
    response = await client.get(
        f"{API}/events", params={"limit": 100, **params}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def types_since(client, org, before: list[dict]) -> list[str]:
    return [e["type"] for e in (await feed(client, org))[len(before) :]]


async def test_each_change_emits_its_event(client, org):
    h = org.headers()
    before = await feed(client, org)
    created = await api_create(client, org, first_name="Eve", last_name="Lead")
    url = f"{API}/customers/{created['id']}"
    assert await types_since(client, org, before) == ["customer.created"]

    before = await feed(client, org)
    await client.patch(url, json={"industry": "Retail", "version": 1}, headers=h)
    assert await types_since(client, org, before) == ["customer.updated"]

    before = await feed(client, org)
    await client.patch(url, json={"status": "active", "version": 2}, headers=h)
    assert await types_since(client, org, before) == ["customer.updated", "customer.status_changed"]

    before = await feed(client, org)
    await client.patch(
        url, json={"assigned_to": str(org.users["sales"].id), "version": 3}, headers=h
    )
    assert await types_since(client, org, before) == ["customer.updated", "customer.assigned"]

    before = await feed(client, org)
    assert (await client.delete(url, headers=h)).status_code == 204
    assert await types_since(client, org, before) == ["customer.deleted"]

    before = await feed(client, org)
    assert (await client.post(f"{url}/restore", headers=h)).status_code == 200
    assert await types_since(client, org, before) == ["customer.restored"]


async def test_event_payloads_carry_the_change(client, org):
    created = await api_create(
        client, org, first_name="Eve", iin=IIN_MALE_1990, date_of_birth="1990-01-01"
    )
    url = f"{API}/customers/{created['id']}"
    await client.patch(
        url,
        json={"status": "prospect", "assigned_to": str(org.users["sales"].id), "version": 1},
        headers={**org.headers(), "X-Request-ID": "req-events-1"},
    )
    events = await feed(client, org, aggregate_id=created["id"])
    by_type = {e["type"]: e for e in events}
    snapshot = by_type["customer.created"]["data"]["customer"]
    assert snapshot["id"] == created["id"] and snapshot["name"] == "Eve"
    assert "iin" not in snapshot and "date_of_birth" not in snapshot
    assert IIN_MALE_1990 not in str(events)
    assert by_type["customer.updated"]["data"]["changed_fields"] == ["assigned_to", "status"]
    assert by_type["customer.status_changed"]["data"] == {
        "customer_id": created["id"],
        "from": "lead",
        "to": "prospect",
    }
    assert by_type["customer.assigned"]["data"]["to"] == str(org.users["sales"].id)
    assert by_type["customer.assigned"]["data"]["from"] is None
    for kind in ("customer.updated", "customer.status_changed", "customer.assigned"):
        assert by_type[kind]["request_id"] == "req-events-1"
        assert by_type[kind]["aggregate_type"] == "customer"


async def test_a_failed_request_emits_nothing(client, org):
    created = await api_create(client, org, first_name="Eve", email="eve@example.com")
    url = f"{API}/customers/{created['id']}"
    before = await feed(client, org)
    h = org.headers()
    await client.patch(url, json={"status": "active", "version": 9}, headers=h)  # stale
    await client.patch(url, json={"status": "active", "version": 1}, headers=org.headers("viewer"))
    await client.post(
        f"{API}/customers", json={"first_name": "X", "email": "EVE@example.com"}, headers=h
    )
    await client.post(f"{API}/customers", json={"first_name": "X", "iin": "123"}, headers=h)
    await client.patch(url, json={"status": "lead", "version": 1}, headers=h)  # no change at all
    assert await feed(client, org) == before


async def test_events_are_written_in_the_same_transaction_as_the_change(client, org, monkeypatch):
    """The change is saved and then the request fails before it commits: neither the
    customer nor its event may survive."""
    from clientbase.customers import router

    async def fail_after_saving(*args, **kwargs):
        raise RuntimeError("crash after the change was flushed")

    monkeypatch.setattr(router, "_detail", fail_after_saving)
    before = await feed(client, org)
    response = await client.post(
        f"{API}/customers", json={"first_name": "Ghost"}, headers=org.headers()
    )
    problem(response, 500)
    monkeypatch.undo()
    assert await feed(client, org) == before
    listing = await client.get(f"{API}/customers?include_deleted=true", headers=org.headers())
    assert listing.json()["total"] == 0


async def test_the_feed_is_ordered_and_gap_free_per_organization(client, org, other_org):
    for i in range(3):
        await api_create(client, org, first_name=f"A{i}")
        await api_create(client, other_org, first_name=f"B{i}")
    for tenant in (org, other_org):
        ids = [int(e["id"]) for e in await feed(client, tenant)]
        assert ids == list(range(1, len(ids) + 1)) and len(ids) == 3
        times = [e["occurred_at"] for e in await feed(client, tenant)]
        assert times == sorted(times)


async def test_after_pages_through_the_feed_once(client, org):
    for i in range(5):
        await api_create(client, org, first_name=f"P{i}")
    everything = [e["id"] for e in await feed(client, org)]
    seen, after = [], None
    for _ in range(10):
        params = {"limit": 2, **({"after": after} if after else {})}
        page = (await client.get(f"{API}/events", params=params, headers=org.headers())).json()
        seen += [e["id"] for e in page["items"]]
        if not page["items"]:
            assert page["next_cursor"] == after  # the consumer keeps its place
            break
        after = page["next_cursor"]
    assert seen == everything and len(everything) == 5
    await api_create(client, org, first_name="Late")
    page = (
        await client.get(f"{API}/events", params={"after": after}, headers=org.headers())
    ).json()
    assert [e["type"] for e in page["items"]] == ["customer.created"]


async def test_the_feed_filters_by_type_and_aggregate(client, org):
    a = await api_create(client, org, first_name="A")
    await api_create(client, org, first_name="B")
    await client.patch(
        f"{API}/customers/{a['id']}", json={"status": "active", "version": 1}, headers=org.headers()
    )
    only = await feed(client, org, type="customer.status_changed")
    assert [e["aggregate_id"] for e in only] == [a["id"]]
    mine = await feed(client, org, aggregate_id=a["id"])
    assert {e["type"] for e in mine} == {
        "customer.created",
        "customer.updated",
        "customer.status_changed",
    }


async def test_the_feed_is_tenant_scoped(client, org, other_org):
    ours = await api_create(client, org, first_name="Ours")
    assert await feed(client, other_org) == []
    assert await feed(client, other_org, aggregate_id=ours["id"]) == []
    assert await feed(client, other_org, after="0") == []
    theirs = await api_create(client, other_org, first_name="Theirs")
    their_feed = await feed(client, other_org)
    assert [e["aggregate_id"] for e in their_feed] == [theirs["id"]]
    assert their_feed[0]["id"] == "1"


@pytest.mark.parametrize("role", ["sales", "support", "viewer"])
async def test_the_feed_needs_events_read(client, org, role):
    problem(await client.get(f"{API}/events", headers=org.headers(role)), 403)
