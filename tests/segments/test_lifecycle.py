"""Lifecycle segments: every active buyer gets exactly the first matching segment in the
documented order, the result reaches customer_metrics.segment, thresholds are per business."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from clientbase.db.session import dialect_name
from clientbase.metrics.models import CustomerMetrics
from clientbase.segments import lifecycle
from clientbase.segments.compiler import Compiler, Scope
from clientbase.segments.evaluator import Evaluator
from clientbase.segments.fields import Catalogue
from clientbase.segments.schemas import parse_criteria
from tests.segments import world
from tests.segments.test_fields import person

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
CATALOGUE = Catalogue(list(world.CUSTOM))
SMALL = {**lifecycle.DEFAULTS, "vip_spent_over": 1000}


def expected_key(p, t):
    """Seed 000's rules in the documented order, written the plain way."""
    done = [o for o in p["orders"] if o["status"] == "completed"]
    if not p["is_active"] or not done:
        return None
    count = len(done)
    spent = sum(o["amount"] for o in done)
    days = (NOW - max(o["occurred_at"] for o in done)).days
    if p["status"] == "churned" or days > t["lost_days_over"]:
        return "lost"
    if spent > t["vip_spent_over"] and days < t["vip_days_under"]:
        return "vip"
    if count > t["loyal_orders_over"] and days < t["loyal_days_under"]:
        return "loyal"
    if count == 1 and days < t["new_days_under"]:
        return "new"
    if count < t["promising_orders_under"] and days < t["promising_days_under"]:
        return "promising"
    if count > t["at_risk_orders_over"] and days > t["at_risk_days_over"]:
        return "at_risk"
    if days > t["dormant_days_over"]:
        return "dormant"
    return "promising"


buyer = st.builds(
    lambda active, status, orders: person(is_active=active, status=status, orders=orders),
    st.booleans(),
    st.sampled_from(["active", "churned"]),
    st.lists(
        st.builds(
            lambda amount, days, status: {
                "status": status,
                "occurred_at": NOW - timedelta(days=days),
                "amount": Decimal(amount),
                "business": 0,
                "items": [],
            },
            st.sampled_from([10, 400, 900]),
            st.sampled_from([0, 10, 29, 30, 44, 45, 59, 60, 90, 91, 180, 181, 365, 366, 500]),
            st.sampled_from(["completed", "completed", "pending"]),
        ),
        max_size=13,
    ),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(buyer, min_size=1, max_size=8))
async def test_each_buyer_gets_the_first_matching_segment(session, org, people):
    w = await world.prepare_once(session, org)
    savepoint = await session.begin_nested()
    try:
        facts = await world.load(session, w, people)
        trees = {k: parse_criteria(c, CATALOGUE) for k, c in lifecycle.criteria(SMALL).items()}
        got: dict = {cid: [] for cid in facts}
        scope = Scope(w.organization_id, NOW, dialect_name(session))
        for key, tree in trees.items():
            for cid in (await session.execute(Compiler(scope).select_ids(tree))).scalars():
                got[cid].append(key)
            evaluator = Evaluator(now=NOW)
            for cid, f in facts.items():
                assert evaluator.matches(tree, f) == (key in got[cid])
        for cid, p in zip(facts, people, strict=True):
            want = expected_key(p, SMALL)
            assert got[cid] == ([want] if want else []), (p, got[cid])
    finally:
        await savepoint.rollback()


async def test_recalculation_creates_segments_and_writes_metrics(client, session, org):
    w = await world.prepare_once(session, org)
    orders = [
        {
            "status": "completed",
            "occurred_at": datetime.now(UTC),
            "amount": Decimal(5),
            "business": b,
            "items": [],
        }
        for b in (0, 1)
    ]
    new_buyer = person(orders=orders, businesses=(0, 1))
    facts = await world.load(session, w, [new_buyer, person()])
    buyer_id, idle_id = list(facts)
    result = await lifecycle.recalculate_lifecycle(session, org.actor())
    assert result["businesses"] == 2 and result["entered"] == 2  # one per business
    listed = await client.get("/api/v1/segments?is_system=true&limit=100", headers=org.headers())
    assert len(listed.json()["items"]) == 14
    stored = await session.get(CustomerMetrics, buyer_id)
    default = next(
        s for s in listed.json()["items"] if s["lifecycle"] == "new" and "(" not in s["name"]
    )
    assert default["member_count"] == 1
    assert stored is not None and stored.segment == "new"
    row = (
        await session.execute(select(CustomerMetrics).where(CustomerMetrics.customer_id == idle_id))
    ).scalar_one_or_none()
    assert row is None or row.segment is None
    deleted = await client.delete(f"/api/v1/segments/{default['id']}", headers=org.headers())
    assert deleted.status_code == 409
    explained = await client.get(
        f"/api/v1/segments/{default['id']}/explain/{buyer_id}", headers=org.headers()
    )
    assert explained.json()["matches"] and explained.json()["member"]


async def test_thresholds_are_per_business(client, session, org):
    h = org.headers()
    settings_ = (await client.get("/api/v1/segments/lifecycle", headers=h)).json()
    assert settings_["order"] == list(lifecycle.ORDER)
    business = settings_["businesses"][0]["business_id"]
    bad = await client.put(
        "/api/v1/segments/lifecycle",
        json={"business_id": business, "thresholds": {"nonsense": 1}},
        headers=h,
    )
    assert bad.status_code == 422
    ok = await client.put(
        "/api/v1/segments/lifecycle",
        json={"business_id": business, "thresholds": {"vip_spent_over": 5000}},
        headers=h,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["thresholds"]["vip_spent_over"] == 5000
    again = (await client.get("/api/v1/segments/lifecycle", headers=h)).json()
    assert again["businesses"][0]["thresholds"]["vip_spent_over"] == 5000
    viewer = await client.put(
        "/api/v1/segments/lifecycle",
        json={"business_id": business, "thresholds": {"vip_spent_over": 1}},
        headers=org.headers("viewer"),
    )
    assert viewer.status_code == 403
