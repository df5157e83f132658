"""Segments over HTTP: CRUD, preview, members, recalculation, explain, static assignment,
history, insights and the customer list filter."""

from __future__ import annotations

import pytest

from clientbase.segments.recalculate import recalculate_segment
from tests.assertions import problem
from tests.fixtures import api_create

pytestmark = pytest.mark.asyncio
API = "/api/v1"

ALMATY_OR_VIP = {
    "operator": "OR",
    "rules": [
        {"field": "city", "operator": "equals", "value": "almaty"},
        {"field": "tags", "operator": "contains", "value": "VIP"},
    ],
}


async def people(client, org):
    a = await api_create(
        client, org, type="individual", first_name="Aida", tags=["vip"], email="aida@x.kz"
    )
    b = await api_create(
        client,
        org,
        type="company",
        name="Beta LLP",
        addresses=[{"type": "office", "country": "KZ", "city": "Almaty"}],
    )
    c = await api_create(client, org, type="individual", first_name="Chingiz")
    return a, b, c


async def test_create_preview_recalculate_members_and_filter(client, session, org):
    a, b, c = await people(client, org)
    h = org.headers()
    preview = await client.post(
        f"{API}/segments/preview", json={"criteria": ALMATY_OR_VIP}, headers=h
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["count"] == 2
    assert {s["id"] for s in preview.json()["sample"]} == {a["id"], b["id"]}

    created = await client.post(
        f"{API}/segments",
        json={"name": "Almaty or VIP", "criteria": ALMATY_OR_VIP, "color_code": "#112233"},
        headers=h,
    )
    assert created.status_code == 201, created.text
    segment = created.json()
    assert segment["recalculation_job_id"] and created.headers["ETag"] == 'W/"1"'
    await recalculate_segment(session, org.actor(), __import__("uuid").UUID(segment["id"]))
    await session.commit()

    got = await client.get(f"{API}/segments/{segment['id']}", headers=h)
    assert got.json()["member_count"] == 2
    members = await client.get(f"{API}/segments/{segment['id']}/members?limit=1", headers=h)
    assert members.status_code == 200, members.text
    first = members.json()
    assert first["total"] == 2 and len(first["items"]) == 1 and first["next_cursor"]
    rest = await client.get(
        f"{API}/segments/{segment['id']}/members?limit=1&cursor={first['next_cursor']}", headers=h
    )
    ids = {first["items"][0]["id"], rest.json()["items"][0]["id"]}
    assert ids == {a["id"], b["id"]} and rest.json()["next_cursor"] is None

    listed = await client.get(f"{API}/customers?segment_id={segment['id']}", headers=h)
    assert {x["id"] for x in listed.json()["items"]} == ids

    explain = await client.get(f"{API}/segments/{segment['id']}/explain/{c['id']}", headers=h)
    assert explain.status_code == 200, explain.text
    body = explain.json()
    assert body["matches"] is False and body["member"] is False
    assert [r["passed"] for r in body["criteria"]["rules"]] == [False, False]
    explain = await client.get(f"{API}/segments/{segment['id']}/explain/{b['id']}", headers=h)
    body = explain.json()
    assert body["matches"] and body["member"]
    assert body["criteria"]["rules"][0]["actual"] == ["Almaty"]

    history = await client.get(f"{API}/customers/{a['id']}/segment-history", headers=h)
    assert [e["action"] for e in history.json()["items"]] == ["entered"]
    insights = await client.get(f"{API}/segments/{segment['id']}/insights", headers=h)
    assert insights.status_code == 200, insights.text
    assert insights.json()["count"] == 2


async def test_validation_names_the_rule_path(client, org):
    bad = {
        "operator": "AND",
        "rules": [
            {"field": "total_spent", "operator": "greater_than", "value": "lots"},
            {"field": "loyalty_tier", "operator": "in", "value": ["GOLD"]},
            {
                "operator": "OR",
                "rules": [
                    {"field": "city", "operator": "equals", "value": "Almaty"},
                    {"field": "tags", "operator": "greater_than", "value": 3},
                    {
                        "field": "total_spent",
                        "operator": "less_than",
                        "value": 1,
                        "timeframe": "week",
                    },
                ],
            },
        ],
    }
    response = await client.post(
        f"{API}/segments", json={"name": "Bad", "criteria": bad}, headers=org.headers()
    )
    body = problem(response, 422)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert "criteria.rules[0].value" in fields
    assert "loyalty" in fields["criteria.rules[1].field"]
    assert "criteria.rules[2].rules[1].operator" in fields
    assert "criteria.rules[2].rules[2].timeframe" in fields


async def test_explain_shows_each_rule_value_and_masks_birth_dates(client, org):
    person = await api_create(
        client,
        org,
        type="individual",
        first_name="Dana",
        date_of_birth="1990-01-01",
        rating=7,
        tags=["vip"],
    )
    criteria = {
        "operator": "AND",
        "rules": [
            {"field": "age", "operator": "greater_or_equal", "value": 18},
            {
                "operator": "OR",
                "rules": [
                    {"field": "rating", "operator": "greater_than", "value": 8},
                    {"field": "tags", "operator": "contains", "value": "vip"},
                ],
            },
            {
                "field": "total_spent",
                "operator": "less_than",
                "value": 10,
                "timeframe": "last_30_days",
            },
        ],
    }
    h = org.headers()
    sid = (
        await client.post(
            f"{API}/segments", json={"name": "Adults", "criteria": criteria}, headers=h
        )
    ).json()["id"]
    body = (await client.get(f"{API}/segments/{sid}/explain/{person['id']}", headers=h)).json()
    tree = body["criteria"]
    assert body["matches"] is True and body["member"] is False and body["in_population"]
    assert tree["operator"] == "AND" and tree["passed"] is True
    age, either, spent = tree["rules"]
    assert age["path"] == "criteria.rules[0]" and age["passed"] and isinstance(age["actual"], int)
    assert either["passed"] and [r["passed"] for r in either["rules"]] == [False, True]
    assert either["rules"][0]["actual"] == 7 and either["rules"][1]["actual"] == ["vip"]
    assert spent["actual"] == "0" and spent["timeframe"] == "last_30_days"
    viewer = (
        await client.get(
            f"{API}/segments/{sid}/explain/{person['id']}", headers=org.headers("viewer")
        )
    ).json()
    assert viewer["criteria"]["rules"][0]["actual"] == "masked"


async def test_sales_reps_see_only_their_customers_in_members_and_preview(client, session, org):
    mine = await api_create(
        client, org, first_name="Mine", assigned_to=str(org.users["sales"].id), status="active"
    )
    await api_create(client, org, first_name="Other", status="active")
    criteria = {
        "operator": "AND",
        "rules": [{"field": "status", "operator": "equals", "value": "active"}],
    }
    sid = (
        await client.post(
            f"{API}/segments", json={"name": "Active", "criteria": criteria}, headers=org.headers()
        )
    ).json()["id"]
    await recalculate_segment(session, org.actor(), __import__("uuid").UUID(sid))
    await session.commit()
    sales = org.headers("sales")
    members = (await client.get(f"{API}/segments/{sid}/members", headers=sales)).json()
    assert [m["id"] for m in members["items"]] == [mine["id"]] and members["total"] == 1
    preview = await client.post(
        f"{API}/segments/preview", json={"criteria": criteria}, headers=sales
    )
    assert preview.json()["count"] == 1
    admin = (await client.get(f"{API}/segments/{sid}/members", headers=org.headers())).json()
    assert admin["total"] == 2
