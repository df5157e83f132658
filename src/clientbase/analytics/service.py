"""Per-customer analytics, insights, the CLV model, and starting a recalculation."""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.analytics import customer_repository, repository
from clientbase.analytics.clv import fit_business, predict
from clientbase.analytics.clv.bgnbd import BGNBDParams
from clientbase.analytics.clv.gamma_gamma import GammaGammaParams
from clientbase.analytics.insights import insights_for
from clientbase.analytics.recalculate import end_of
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import NotFound, ValidationFailed
from clientbase.db.base import utcnow
from clientbase.jobs import service as jobs
from clientbase.jobs.models import Job
from clientbase.tenancy import service as tenancy

CENT = Decimal("0.01")
# An item as _top and _price_range read it: (sku, name, category, brand, quantity, price).
_ITEM_FIELDS = itemgetter("sku", "name", "category", "brand", "quantity", "unit_price")


async def start_recalculation(
    session: AsyncSession,
    actor: Actor,
    *,
    as_of: date | None,
    business_id: uuid.UUID | None,
    holdout_end: date | None = None,
) -> Job:
    actor.require(Permission.ANALYTICS_RUN)
    if business_id is not None:
        await tenancy.resolve_business_ids(session, actor, [business_id], field="business_id")
    if as_of is not None and as_of > utcnow().date():
        raise ValidationFailed.on("as_of", "must not be in the future")
    payload = {
        "as_of": as_of.isoformat() if as_of else None,
        "business_id": str(business_id) if business_id else None,
        "holdout_end": holdout_end.isoformat() if holdout_end else None,
    }
    return await jobs.enqueue(session, actor.organization_id, "analytics.recalculate", payload)


async def clv_model(
    session: AsyncSession, actor: Actor, business_id: uuid.UUID | None
) -> dict[str, Any]:
    actor.require(Permission.CUSTOMERS_READ)
    business = (
        await tenancy.resolve_business_ids(
            session, actor, [business_id] if business_id else None, field="business_id"
        )
    )[0]
    fit = await repository.latest_fit(session, actor.organization_id, business)
    if fit is None:
        raise NotFound("No CLV model has been fitted yet; POST /api/v1/analytics/recalculate.")
    return {**fit.body, "business_id": str(business), "fitted_at": fit.created_at.isoformat()}


async def customer_analytics(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, as_of: date | None = None
) -> dict[str, Any]:
    """Everything S5 lists for one customer, recomputed from transactions up to `as_of`
    (today by default) and scored with the default business's latest fitted model."""
    actor.require(Permission.CUSTOMERS_READ)
    day = as_of or utcnow().date()
    inputs = await customer_repository.analytics_inputs(session, actor, customer_id, end_of(day))
    if inputs is None:
        raise NotFound("Customer not found.")
    customer, fit = inputs.customer, inputs.fit_body
    purchases = inputs.purchases
    records = list(
        {p["id"]: (customer_id, p["occurred_at"], p["amount"]) for p in purchases}.values()
    )
    items = [_ITEM_FIELDS(p) for p in purchases if p["sku"] is not None]
    analytics = {
        "customer_id": str(customer_id),
        "as_of": day.isoformat(),
        **_totals(records, day),
        **_scores(fit, records, day),
        "top_categories": _top(items, 2),
        "top_brands": _top(items, 3),
        "top_products": _top(items, 0),
        "preferred_price_range": _price_range(items),
        "credit": _credit(customer.credit_limit, customer.current_balance),
        "rfm_score": customer.metrics_rfm_score,
        "engagement_score": customer.metrics_engagement_score,
        "segment": customer.metrics_segment,
    }
    analytics["insights"] = insights_for(analytics)
    return analytics


def _scores(fit: dict[str, Any], records: list[Any], day: date) -> dict[str, Any]:
    empty = {
        "model": None,
        "p_alive": None,
        "churn_risk": None,
        "expected_purchases_12m": 0.0,
        "predicted_clv": "0.00",
        "next_purchase_date": None,
    }
    if not records:
        return empty
    # One customer's summary, never fitted on its own: the heuristic unless the business
    # has a fitted BG/NBD + Gamma-Gamma model, whose parameters then score it.
    model = fit_business(records, day, min_customers=sys.maxsize)
    if fit.get("model") == "bg_nbd":
        model = _with_params(model, fit)
    scored = predict(model, horizon_weeks=52.0).customer(0)
    return {
        "model": model.model,
        "p_alive": scored.p_alive,
        "churn_risk": None if scored.p_alive is None else round(1 - scored.p_alive, 4),
        "expected_purchases_12m": round(scored.expected_purchases, 4),
        "predicted_clv": str(scored.predicted_clv),
        "next_purchase_date": scored.next_purchase_date.isoformat()
        if scored.next_purchase_date
        else None,
    }


def _with_params(model: Any, body: dict[str, Any]) -> Any:
    """The business's fitted parameters applied to this customer's own summary."""
    return replace(
        model,
        model="bg_nbd",
        params=BGNBDParams(**body["params"]),
        gamma_gamma=GammaGammaParams(**body["gamma_gamma"]),
        reason=None,
    )


def _totals(records: list[Any], day: date) -> dict[str, Any]:
    count = len(records)
    total = sum((r[2] for r in records), Decimal(0))
    first = min((r[1] for r in records), default=None)
    last = max((r[1] for r in records), default=None)
    weeks = ((day - first.date()).days / 7) if first else 0
    return {
        "total_spent": str(total.quantize(CENT)),
        "order_count": count,
        "average_order_value": str((total / count).quantize(CENT)) if count else "0.00",
        "historical_clv": str(total.quantize(CENT)),
        "first_purchase_at": first.isoformat() if first else None,
        "last_purchase_at": last.isoformat() if last else None,
        "recency_days": (day - last.date()).days if last else None,
        "purchase_frequency_per_month": round(count / (weeks / 4.345), 4) if weeks >= 1 else None,
    }


def _credit(limit: Decimal | None, balance: Decimal) -> dict[str, Any]:
    if not limit:
        return {"limit": None, "balance": str(balance), "utilization": None}
    return {
        "limit": str(limit),
        "balance": str(balance),
        "utilization": round(float(balance / limit), 4),
    }


def _top(items: list[Any], column: int, n: int = 5) -> list[dict[str, Any]]:
    spend: Counter[str] = Counter()
    for item in items:
        key = item[column]
        if key:
            spend[key] += item[4] * item[5]
    return [{"name": k, "spent": str(Decimal(v).quantize(CENT))} for k, v in spend.most_common(n)]


def _price_range(items: list[Any]) -> dict[str, str] | None:
    prices = sorted(item[5] for item in items)
    if not prices:
        return None
    low, high = prices[len(prices) // 4], prices[(3 * len(prices)) // 4]
    return {"from": str(low), "to": str(high)}
