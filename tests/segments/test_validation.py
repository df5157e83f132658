"""Invalid criteria answer 422 naming the rule's path; limits on depth and size; CRUD
rules (names, versions, permissions); tenant isolation of segment and customer ids."""

from __future__ import annotations

import pytest

from tests.assertions import problem
from tests.fixtures import api_create

pytestmark = pytest.mark.asyncio
API = "/api/v1"


def rule(**kw):
    return {"field": "rating", "operator": "equals", "value": 1, **kw}


def group(*rules, op="AND"):
    return {"operator": op, "rules": list(rules)}


async def errors_for(client, org, criteria):
    response = await client.post(
        f"{API}/segments/preview", json={"criteria": criteria}, headers=org.headers()
    )
    body = problem(response, 422)
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.mark.parametrize(
    "criteria,field,words",
    [
        (group(rule(field="nope")), "criteria.rules[0].field", "unknown field"),
        (group(rule(field="total_spnt")), "criteria.rules[0].field", "did you mean total_spent"),
        (group(rule(field="points_balance")), "criteria.rules[0].field", "loyalty"),
        (group(rule(field="email_consent")), "criteria.rules[0].field", "preferences"),
        (group(rule(field="custom_fields.zzz")), "criteria.rules[0].field", "not a custom field"),
        (group(rule(operator="contains")), "criteria.rules[0].operator", "does not fit rating"),
        (group(rule(operator="resembles")), "criteria.rules[0].operator", "must be one of"),
        (group(rule(value="high")), "criteria.rules[0].value", "number"),
        (group(rule(value=1.5)), "criteria.rules[0].value", "whole number"),
        (group(rule(value=True)), "criteria.rules[0].value", "number"),
        (group(rule(operator="between", value=[5, 1])), "criteria.rules[0].value", "from <= to"),
        (group(rule(operator="in", value=[])), "criteria.rules[0].value", "non-empty list"),
        (group(rule(operator="is_set")), "criteria.rules[0].value", "takes no value"),
        (group(rule(timeframe="lifetime")), "criteria.rules[0].timeframe", "takes no timeframe"),
        (
            group(rule(field="order_count", timeframe="last_week")),
            "criteria.rules[0].timeframe",
            "must be one of",
        ),
        (group(rule(field="status", value="vip")), "criteria.rules[0].value", "one of"),
        (group(rule(field="created_at", value="2026-13-01")), "criteria.rules[0].value", "date"),
        (
            group(rule(field="created_at", value="2026-01-01T10:00:00")),
            "criteria.rules[0].value",
            "timezone",
        ),
        (
            group(rule(field="last_order_at", operator="within_last_days", value=-1)),
            "criteria.rules[0].value",
            "days",
        ),
        (group(rule(field="assigned_to", value="me")), "criteria.rules[0].value", "id"),
        (group(rule(color="red")), "criteria.rules[0].color", "not a key"),
        (
            group(rule(), group(rule(), rule(operator="like"))),
            "criteria.rules[1].rules[1].operator",
            "",
        ),
        (group(rule(), op="XOR"), "criteria.operator", "AND or OR"),
        (group(), "criteria.rules", "non-empty"),
        ([rule()], "criteria", "dictionary"),
        (group(*[rule() for _ in range(101)]), "criteria", "at most 100"),
    ],
)
async def test_invalid_criteria_name_the_path(client, org, criteria, field, words):
    errors = await errors_for(client, org, criteria)
    assert field in errors, errors
    assert words in errors[field], errors[field]


async def test_nesting_is_limited(client, org):
    deep = rule()
    for _ in range(7):
        deep = group(deep)
    errors = await errors_for(client, org, deep)
    assert any("nest" in message for message in errors.values()), errors


async def test_custom_fields_are_typed_by_their_definitions(client, org):
    h = org.headers()
    for body in (
        {"key": "score", "label": "Score", "type": "number"},
        {"key": "plan", "label": "Plan", "type": "select", "options": ["free", "pro"]},
    ):
        assert (await client.post(f"{API}/custom-fields", json=body, headers=h)).status_code == 201
    errors = await errors_for(
        client,
        org,
        group(
            {"field": "custom_fields.score", "operator": "contains", "value": "1"},
            {"field": "custom_fields.plan", "operator": "equals", "value": "gold"},
        ),
    )
    assert "number" in errors["criteria.rules[0].operator"]
    assert "free, pro" in errors["criteria.rules[1].value"]
    ok = await client.post(
        f"{API}/segments/preview",
        json={
            "criteria": group(
                {"field": "custom_fields.score", "operator": "greater_than", "value": 3}
            )
        },
        headers=h,
    )
    assert ok.status_code == 200, ok.text
    fields = (await client.get(f"{API}/segments/fields", headers=h)).json()["fields"]
    by_name = {f["field"]: f for f in fields}
    assert by_name["custom_fields.plan"]["options"] == ["free", "pro"]
    assert by_name["total_spent"]["timeframes"] == [
        "last_30_days",
        "last_90_days",
        "last_365_days",
        "lifetime",
    ]
    assert "within_last_days" in by_name["created_at"]["operators"]


async def test_crud_names_versions_and_permissions(client, org):
    h = org.headers()
    body = {
        "name": "Big spenders",
        "criteria": group(rule(field="total_spent", operator="greater_than", value=100)),
    }
    created = await client.post(f"{API}/segments", json=body, headers=h)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    problem(await client.post(f"{API}/segments", json=body, headers=h), 409)
    problem(
        await client.post(
            f"{API}/segments",
            json={"name": "S", "type": "static", "criteria": body["criteria"]},
            headers=h,
        ),
        422,
        "criteria",
    )
    problem(await client.post(f"{API}/segments", json={"name": "D"}, headers=h), 422, "criteria")
    problem(
        await client.post(
            f"{API}/segments", json={**body, "name": "V"}, headers=org.headers("sales")
        ),
        403,
    )
    problem(await client.patch(f"{API}/segments/{sid}", json={"name": "Whales"}, headers=h), 428)
    stale = await client.patch(
        f"{API}/segments/{sid}", json={"name": "Whales"}, headers={**h, "If-Match": 'W/"9"'}
    )
    problem(stale, 412)
    renamed = await client.patch(
        f"{API}/segments/{sid}", json={"name": "Whales", "version": 1}, headers=h
    )
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    assert renamed.json()["recalculation_job_id"] is None
    rules = await client.patch(
        f"{API}/segments/{sid}",
        json={"criteria": group(rule(field="order_count", operator="greater_than", value=3))},
        headers={**h, "If-Match": renamed.headers["ETag"]},
    )
    assert rules.status_code == 200 and rules.json()["recalculation_job_id"]
    listed = await client.get(f"{API}/segments?type=dynamic", headers=org.headers("viewer"))
    assert [s["name"] for s in listed.json()["items"]] == ["Whales"]
    audit = await client.get(f"{API}/audit?entity_type=segment", headers=h)
    assert {e["action"] for e in audit.json()["items"]} >= {"segment.created", "segment.updated"}
    events = await client.get(f"{API}/events?type=segment.updated", headers=h)
    assert len(events.json()["items"]) == 2
    assert (await client.delete(f"{API}/segments/{sid}", headers=h)).status_code == 204
    problem(await client.get(f"{API}/segments/{sid}", headers=h), 404)


async def test_foreign_ids_answer_404(client, org, other_org):
    mine = await api_create(client, org, first_name="Mine")
    theirs = await api_create(client, other_org, first_name="Theirs")
    seg = await client.post(
        f"{API}/segments",
        json={"name": "All", "criteria": group({"field": "rating", "operator": "is_not_set"})},
        headers=org.headers(),
    )
    sid = seg.json()["id"]
    h = other_org.headers()
    for url in (
        f"{API}/segments/{sid}",
        f"{API}/segments/{sid}/members",
        f"{API}/segments/{sid}/insights",
        f"{API}/segments/{sid}/history",
        f"{API}/segments/{sid}/explain/{theirs['id']}",
        f"{API}/customers/{mine['id']}/segments",
        f"{API}/customers/{mine['id']}/segment-history",
    ):
        problem(await client.get(url, headers=h), 404)
    problem(
        await client.get(f"{API}/segments/{sid}/explain/{theirs['id']}", headers=org.headers()), 404
    )
    theirs_static = await client.post(
        f"{API}/segments", json={"name": "Theirs", "type": "static"}, headers=h
    )
    refused = await client.put(
        f"{API}/customers/{mine['id']}/segments",
        json={"segment_ids": [theirs_static.json()["id"]]},
        headers=org.headers(),
    )
    problem(refused, 422, "segment_ids[0]")
    listed = await client.get(
        f"{API}/customers?segment_id={theirs_static.json()['id']}", headers=org.headers()
    )
    assert listed.json()["items"] == []
    bad_business = await client.post(
        f"{API}/segments/preview",
        json={"criteria": group(rule()), "business_id": theirs["id"]},
        headers=org.headers(),
    )
    problem(bad_business, 422, "business_id")
