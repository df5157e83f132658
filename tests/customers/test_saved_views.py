"""Saved views: per user, optionally shared, validated filters."""

from __future__ import annotations

import pytest

from tests.fixtures import make_org

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def org(session, settings):
    return await make_org(session, settings, "Views Inc")


async def test_views_belong_to_their_owner_unless_shared(client, org):
    body = {
        "name": "Hot leads",
        "filters": {"status": ["lead"], "tags": ["vip"]},
        "sort": "-updated_at",
    }
    created = await client.post("/api/v1/views", json=body, headers=org.headers("sales"))
    assert created.status_code == 201
    view = created.json()
    assert view["filters"] == {"status": ["lead"], "tags": ["vip"]}
    assert (await client.get("/api/v1/views", headers=org.headers("manager"))).json() == []
    other = await client.get(f"/api/v1/views/{view['id']}", headers=org.headers("manager"))
    assert other.status_code == 404
    shared = await client.patch(
        f"/api/v1/views/{view['id']}",
        json={"shared": True, "version": 1},
        headers=org.headers("sales"),
    )
    assert shared.status_code == 200
    listed = (await client.get("/api/v1/views", headers=org.headers("manager"))).json()
    assert [v["name"] for v in listed] == ["Hot leads"]
    denied = await client.patch(
        f"/api/v1/views/{view['id']}",
        json={"name": "Mine", "version": 2},
        headers=org.headers("manager"),
    )
    assert denied.status_code == 403
    gone = await client.delete(f"/api/v1/views/{view['id']}", headers=org.headers("sales"))
    assert gone.status_code == 204
    assert (await client.get("/api/v1/views", headers=org.headers("sales"))).json() == []


async def test_bad_views_are_refused(client, org):
    bad_filter = await client.post(
        "/api/v1/views", json={"name": "x", "filters": {"drop": "1"}}, headers=org.headers()
    )
    assert bad_filter.status_code == 422
    assert bad_filter.json()["errors"][0]["field"] == "filters.drop"
    bad_sort = await client.post(
        "/api/v1/views", json={"name": "x", "sort": "password"}, headers=org.headers()
    )
    assert bad_sort.status_code == 422 and bad_sort.json()["errors"][0]["field"] == "sort"
    ok = await client.post(
        "/api/v1/views", json={"name": "x", "filters": {"cf.tier": "gold"}}, headers=org.headers()
    )
    assert ok.status_code == 201
    dup = await client.post("/api/v1/views", json={"name": "x"}, headers=org.headers())
    assert dup.status_code == 409


async def test_another_organization_cannot_see_views(client, org, session, settings):
    other = await make_org(session, settings, "Other Views")
    view = (
        await client.post(
            "/api/v1/views", json={"name": "Mine", "shared": True}, headers=org.headers()
        )
    ).json()
    assert (
        await client.get(f"/api/v1/views/{view['id']}", headers=other.headers())
    ).status_code == 404
    assert (await client.get("/api/v1/views", headers=other.headers())).json() == []
