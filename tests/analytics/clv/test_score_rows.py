"""The recalculation's score rows, read off the prediction arrays in bulk, carry exactly
what CLVPredictions.customer(i) gives for each customer (fitted model and fallback)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from clientbase.analytics.clv import fit_business, predict
from clientbase.analytics.recalculate import engagement, score_rows

from .simulated import simulate_business

UNTIL = datetime(2026, 1, 1, tzinfo=UTC)


def expected_rows(scored, activity):  # type: ignore[no-untyped-def]
    rows = []
    for i in range(len(scored)):
        c = scored.customer(i)
        rows.append(
            {
                "cid": c.customer,
                "p_alive": c.p_alive,
                "expected": c.expected_purchases,
                "predicted": c.predicted_clv,
                "churn": None if c.p_alive is None else round(1 - c.p_alive, 4),
                "engagement": engagement(activity.get(c.customer, 0), c.expected_purchases),
                "as_of": UNTIL,
            }
        )
    return rows


def test_rows_match_the_per_customer_predictions() -> None:
    business = simulate_business(2_000, seed=3)
    model = fit_business(business.records, business.as_of, business.holdout_end)
    scored = predict(model, horizon_weeks=52.0)
    activity = {c: n for n, c in enumerate(scored.customers[:50])}
    rows = score_rows(scored, activity, UNTIL)
    assert model.model == "bg_nbd" and len(rows) == len(scored) > 100
    assert rows == expected_rows(scored, activity)
    assert all(type(r["predicted"]) is Decimal and r["p_alive"] is not None for r in rows)


def test_fallback_rows_have_no_p_alive() -> None:
    customer = uuid.uuid4()
    records = [(customer, datetime(2025, 3, d, tzinfo=UTC), Decimal("10.00")) for d in (1, 9)]
    model = fit_business(records, UNTIL.date(), None)
    scored = predict(model, horizon_weeks=52.0)
    rows = score_rows(scored, {}, UNTIL)
    assert model.model != "bg_nbd"
    assert rows == expected_rows(scored, {}) and rows[0]["p_alive"] is None
