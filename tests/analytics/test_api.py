"""Analytics through the API: recalculation job, fitted CLV model, per-customer analytics,
insights and the overview (S5)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from clientbase.analytics import repository
from clientbase.analytics.clv import DailyPurchases
from clientbase.analytics.jobs import recalculate_job
from clientbase.analytics.recalculate import end_of
from clientbase.jobs import service as jobs
from tests.fixtures import api_create, make_org

pytestmark = pytest.mark.asyncio
AS_OF = date(2026, 6, 30)


@pytest.fixture
async def shop(client, session, settings):
    """120 customers with BG/NBD-like purchase histories over a year."""
    org = await make_org(session, settings, "Analytics Shop")
    rng = np.random.default_rng(7)
    start = datetime(2025, 7, 1, 12, tzinfo=UTC)
    ids, rows = [], []
    for i in range(120):
        ids.append((await api_create(client, org, first_name=f"Buyer{i}", last_name="X"))["id"])
        rate = rng.gamma(0.8, 1 / 8)  # purchases per day
        day, n = int(rng.integers(0, 60)), 0
        while day < 365:
            rows.append(
                {
                    "external_id": f"o{i}-{n}",
                    "customer_id": ids[-1],
                    "amount": f"{rng.gamma(4, 10):.2f}",
                    "occurred_at": (start + timedelta(days=day)).isoformat(),
                }
            )
            if rng.random() < 0.15:
                break
            day += int(rng.exponential(1 / max(rate, 1e-3))) + 1
            n += 1
    result = await client.post(
        "/api/v1/transactions/bulk", json={"items": rows}, headers=org.headers()
    )
    assert result.status_code == 200 and not result.json()["errors"]
    return org, ids


async def run_recalculation(client, session, org, body):
    started = await client.post("/api/v1/analytics/recalculate", json=body, headers=org.headers())
    assert started.status_code == 202
    job = await jobs.get_job(session, org.actor(), uuid.UUID(started.json()["job_id"]))

    async def progress(_fraction: float) -> None:
        return None

    return await recalculate_job(session, job, progress)


async def test_recalculation_fits_the_model_and_scores_customers(client, session, shop):
    org, ids = shop
    result = await run_recalculation(client, session, org, {"as_of": AS_OF.isoformat()})
    assert result["fits"][0]["model"] == "bg_nbd"
    model = (await client.get("/api/v1/analytics/clv/model", headers=org.headers())).json()
    assert model["model"] == "bg_nbd" and set(model["params"]) == {"r", "alpha", "a", "b"}
    assert set(model["gamma_gamma"]) == {"p", "q", "v"} and model["time_unit"] == "week"
    assert model["as_of"] == AS_OF.isoformat() and model["n_customers"] > 100
    customer = (await client.get(f"/api/v1/customers/{ids[0]}", headers=org.headers())).json()
    assert customer["rfm_score"] is not None and len(customer["rfm_score"]) == 3
    assert customer["predicted_ltv"] is not None and 0 <= customer["churn_risk"] <= 1
    analytics = (
        await client.get(
            f"/api/v1/customers/{ids[0]}/analytics",
            params={"as_of": AS_OF.isoformat()},
            headers=org.headers(),
        )
    ).json()
    assert analytics["model"] == "bg_nbd" and 0 <= analytics["p_alive"] <= 1
    assert analytics["order_count"] >= 1 and analytics["historical_clv"] == analytics["total_spent"]
    insights = (
        await client.get(f"/api/v1/customers/{ids[0]}/insights", headers=org.headers())
    ).json()
    assert all("recommended_action" in i for i in insights["insights"])


async def test_holdout_compares_predictions_with_what_happened(client, session, shop):
    org, _ = shop
    await run_recalculation(
        client, session, org, {"as_of": "2026-03-31", "holdout_end": AS_OF.isoformat()}
    )
    model = (await client.get("/api/v1/analytics/clv/model", headers=org.headers())).json()
    assert model["holdout"]["actual_total"] >= 0 and model["holdout"]["mae"] >= 0


async def test_little_data_falls_back_and_says_so(client, session, settings):
    org = await make_org(session, settings, "Tiny Shop")
    customer = await api_create(client, org, first_name="Only")
    await client.post(
        "/api/v1/transactions",
        headers=org.headers(),
        json={
            "external_id": "t1",
            "customer_id": customer["id"],
            "amount": "10.00",
            "occurred_at": "2026-01-01T00:00:00Z",
        },
    )
    await run_recalculation(client, session, org, {"as_of": AS_OF.isoformat()})
    model = (await client.get("/api/v1/analytics/clv/model", headers=org.headers())).json()
    assert model["model"] == "heuristic_fallback" and model["reason"]


async def test_recalculation_needs_a_manager(client, shop):
    org, _ = shop
    response = await client.post(
        "/api/v1/analytics/recalculate", json={}, headers=org.headers("sales")
    )
    assert response.status_code == 403
    future = await client.post(
        "/api/v1/analytics/recalculate", json={"as_of": "2999-01-01"}, headers=org.headers()
    )
    assert future.status_code == 422


async def test_overview(client, session, shop):
    org, ids = shop
    await client.patch(
        f"/api/v1/customers/{ids[1]}",
        json={"status": "prospect", "version": 1},
        headers=org.headers(),
    )
    await client.patch(
        f"/api/v1/customers/{ids[1]}",
        json={"status": "active", "version": 2},
        headers=org.headers(),
    )
    body = (
        await client.get(
            "/api/v1/analytics/overview", params={"from": "2025-01-01"}, headers=org.headers()
        )
    ).json()
    assert body["totals"]["customers"] == 120 and body["totals"]["buyers"] == 120
    assert body["funnel"]["lead_to_prospect"] == 1.0 and body["funnel"]["converted_to_active"] == 1
    assert body["cohorts"] and body["cohorts"][0]["customers"] >= 1
    assert 0 <= body["health_score"] <= 100
    assert body["top_customers"][0]["total_spent"]


async def test_database_day_aggregation_matches_the_python_one(session, shop):
    org, _ = shop
    until = end_of(AS_OF)
    in_sql = await repository.purchase_days(session, org.id, None, until)
    records = [r async for r in repository.purchases(session, org.id, None, until=until)]
    in_python = DailyPurchases.from_records(records)

    def rows(daily):
        summary = daily.summary(AS_OF)
        return sorted(
            (str(c.customer), c.frequency, c.recency, c.T, c.total_spend)
            for c in map(summary.customer, range(len(summary)))
        )

    assert rows(in_sql) == rows(in_python) and len(rows(in_sql)) == 120


async def test_one_customers_analytics_from_its_purchases(client, settings, session):
    """Totals, products, price range and credit come from the completed purchases up to
    as_of: a refunded order and one after as_of count for nothing."""
    org = await make_org(session, settings, "Analytics One")
    customer = await api_create(
        client, org, first_name="Aigerim", credit_limit="1000.00", current_balance="250.00"
    )

    async def order(external_id, at, items, status="completed"):
        body = {"external_id": external_id, "customer_id": customer["id"], "occurred_at": at}
        response = await client.post(
            "/api/v1/transactions",
            json={**body, "status": status, "items": items},
            headers=org.headers(),
        )
        assert response.status_code == 201, response.text

    tea = {"sku": "TEA", "category": "grocery", "brand": "Kazakh Tea", "unit_price": "3.10"}
    pan = {"sku": "PAN", "category": "home", "brand": "Tefal", "unit_price": "40.00"}
    await order("a", "2026-01-10T09:00:00Z", [{**tea, "quantity": "3"}, pan])
    await order("b", "2026-03-05T18:30:00Z", [{**tea, "quantity": "10"}])
    await order("c", "2026-04-01T10:00:00Z", [pan], status="refunded")
    await order("d", "2026-08-01T10:00:00Z", [pan])  # after as_of
    response = await client.get(
        f"/api/v1/customers/{customer['id']}/analytics",
        params={"as_of": "2026-06-30"},
        headers=org.headers("viewer"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == "2026-06-30" and body["model"] == "heuristic_fallback"
    assert (body["order_count"], body["total_spent"], body["average_order_value"]) == (
        2,
        "80.30",
        "40.15",
    )
    assert body["first_purchase_at"].startswith("2026-01-10T09:00:00")
    assert body["last_purchase_at"].startswith("2026-03-05T18:30:00")
    assert body["recency_days"] == 117
    assert body["top_categories"] == [
        {"name": "grocery", "spent": "40.30"},
        {"name": "home", "spent": "40.00"},
    ]
    assert [b["name"] for b in body["top_brands"]] == ["Kazakh Tea", "Tefal"]
    assert body["top_products"][0] == {"name": "TEA", "spent": "40.30"}
    assert body["preferred_price_range"] == {"from": "3.10", "to": "40.00"}
    assert body["credit"] == {"limit": "1000.00", "balance": "250.00", "utilization": 0.25}
    assert body["historical_clv"] == "80.30" and isinstance(body["insights"], list)

    stranger = await make_org(session, settings, "Analytics Stranger")
    foreign = await client.get(
        f"/api/v1/customers/{customer['id']}/analytics", headers=stranger.headers()
    )
    assert foreign.status_code == 404
    missing = await client.get(f"/api/v1/customers/{uuid.uuid4()}/analytics", headers=org.headers())
    assert missing.status_code == 404
