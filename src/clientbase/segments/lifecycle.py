"""The built-in lifecycle segments: vip, loyal, promising, new, at_risk, dormant, lost.

Seven system segments per business, created on first use, whose criteria are generated
from that business's thresholds (seed 000's rules are the defaults). The seeds' rules
overlap, so every customer gets exactly one segment by testing them in this order and
taking the first that matches:

  1. lost      status is churned, or no order for more than 365 days
  2. vip       spent more than 10,000,000 and ordered within the last 30 days
  3. loyal     more than 10 orders and ordered within the last 60 days
  4. new       exactly 1 order, within the last 30 days
  5. promising fewer than 5 orders and ordered within the last 45 days
  6. at_risk   more than 5 orders and no order for more than 90 days
  7. dormant   no order for more than 180 days
  otherwise    promising (seed 000's fallback)

Only active accounts (is_active) with at least one completed order in the business get a
lifecycle segment. Seed 000 tested dormant before lost, which made "no order for a year"
unreachable; here lost comes first, so an explicit churned status always wins.

Each segment's stored criteria are "its rule AND NOT any earlier rule" (negations written
with the complementary operators), so the ordinary engine recalculates, previews and
explains them. The default business's result is copied to customer_metrics.segment."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.metrics.models import CustomerMetrics
from clientbase.segments.models import Segment, SegmentMembership
from clientbase.segments.repository import SegmentRepository

ORDER = ("lost", "vip", "loyal", "new", "promising", "at_risk", "dormant")
LABELS = {
    "vip": "VIP",
    "loyal": "Loyal",
    "promising": "Promising",
    "new": "New",
    "at_risk": "At risk",
    "dormant": "Dormant",
    "lost": "Lost",
}
COLORS = {
    "vip": "#7C3AED",
    "loyal": "#2563EB",
    "promising": "#0D9488",
    "new": "#16A34A",
    "at_risk": "#F59E0B",
    "dormant": "#6B7280",
    "lost": "#DC2626",
}
DEFAULTS: dict[str, int] = {
    "lost_days_over": 365,
    "vip_spent_over": 10_000_000,
    "vip_days_under": 30,
    "loyal_orders_over": 10,
    "loyal_days_under": 60,
    "new_days_under": 30,
    "promising_orders_under": 5,
    "promising_days_under": 45,
    "at_risk_orders_over": 5,
    "at_risk_days_over": 90,
    "dormant_days_over": 180,
}
COMPLEMENT = {
    "equals": "not_equals",
    "not_equals": "equals",
    "greater_than": "less_or_equal",
    "less_or_equal": "greater_than",
    "less_than": "greater_or_equal",
    "greater_or_equal": "less_than",
}


def _atom(field: str, operator: str, value: Any) -> dict[str, Any]:
    rule = {"field": field, "operator": operator, "value": value}
    if field in ("total_spent", "order_count", "days_since_last_order"):
        rule["timeframe"] = "lifetime"
    return rule


def rules(t: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Each lifecycle rule on its own, as a criteria group."""
    days = "days_since_last_order"
    return {
        "lost": {
            "operator": "OR",
            "rules": [
                _atom("status", "equals", "churned"),
                _atom(days, "greater_than", t["lost_days_over"]),
            ],
        },
        "vip": _and(
            _atom("total_spent", "greater_than", t["vip_spent_over"]),
            _atom(days, "less_than", t["vip_days_under"]),
        ),
        "loyal": _and(
            _atom("order_count", "greater_than", t["loyal_orders_over"]),
            _atom(days, "less_than", t["loyal_days_under"]),
        ),
        "new": _and(
            _atom("order_count", "equals", 1), _atom(days, "less_than", t["new_days_under"])
        ),
        "promising": _and(
            _atom("order_count", "less_than", t["promising_orders_under"]),
            _atom(days, "less_than", t["promising_days_under"]),
        ),
        "at_risk": _and(
            _atom("order_count", "greater_than", t["at_risk_orders_over"]),
            _atom(days, "greater_than", t["at_risk_days_over"]),
        ),
        "dormant": _and(_atom(days, "greater_than", t["dormant_days_over"])),
    }


def _and(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"operator": "AND", "rules": list(parts)}


def negate(group: dict[str, Any]) -> dict[str, Any]:
    """NOT of a group of atoms, by De Morgan with complementary operators (exact here:
    every lifecycle customer has an order, so none of the values is missing)."""
    flipped = [
        negate(r) if "rules" in r else {**r, "operator": COMPLEMENT[r["operator"]]}
        for r in group["rules"]
    ]
    return {"operator": "OR" if group["operator"] == "AND" else "AND", "rules": flipped}


def criteria(thresholds: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Per lifecycle key, the criteria that hold for exactly the customers it gets."""
    by_key = rules(thresholds)
    base = [_atom("is_active", "equals", True), _atom("order_count", "greater_or_equal", 1)]
    out = {}
    for i, key in enumerate(ORDER):
        earlier = [negate(by_key[k]) for k in ORDER[:i]]
        if key == "promising":  # its own rule, or the fallback when nothing later matches
            fallback = _and(negate(by_key["at_risk"]), negate(by_key["dormant"]))
            own = {"operator": "OR", "rules": [by_key["promising"], fallback]}
        else:
            own = by_key[key]
        out[key] = _and(*base, *earlier, own)
    return out


def thresholds_of(stored: dict[str, Any] | None) -> dict[str, int]:
    return {**DEFAULTS, **{k: v for k, v in (stored or {}).items() if k in DEFAULTS}}


async def ensure_segments(
    session: AsyncSession,
    actor: Actor,
    business_id: uuid.UUID,
    business_name: str | None,
    thresholds: dict[str, int],
) -> dict[str, Segment]:
    """The business's seven system segments, created or brought up to its thresholds."""
    repo = SegmentRepository(session, actor.organization_id)
    existing = await repo.lifecycle(business_id)
    wanted = criteria(thresholds)
    for key in ORDER:
        segment = existing.get(key)
        if segment is None:
            name = f"Lifecycle: {LABELS[key]}" + (f" ({business_name})" if business_name else "")
            if await repo.name_taken(name):
                name = f"{name} [system]"
            segment = repo.add(
                Segment(
                    name=name,
                    description=f"Built-in lifecycle segment `{key}`; see docs/segments.md.",
                    color_code=COLORS[key],
                    business_id=business_id,
                    type="dynamic",
                    criteria=wanted[key],
                    is_system=True,
                    lifecycle=key,
                )
            )
            existing[key] = segment
        elif segment.criteria != wanted[key]:
            segment.criteria = wanted[key]
    await session.flush()
    return existing


async def write_metric_segments(
    session: AsyncSession,
    organization_id: uuid.UUID,
    default_business_id: uuid.UUID,
    customer_ids: list[uuid.UUID] | None = None,
) -> int:
    """customer_metrics.segment := the default business's lifecycle segment (set-based,
    only rows whose value changes)."""
    m, s = SegmentMembership, Segment
    key = (
        select(s.lifecycle)
        .join(m, m.segment_id == s.id)
        .where(
            s.organization_id == organization_id,
            s.business_id == default_business_id,
            s.lifecycle.is_not(None),
            m.organization_id == organization_id,
            m.customer_id == CustomerMetrics.customer_id,
        )
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        update(CustomerMetrics)
        .where(
            CustomerMetrics.organization_id == organization_id,
            CustomerMetrics.segment.is_distinct_from(key),
        )
        .values(segment=key)
        .execution_options(synchronize_session=False)
    )
    if customer_ids is not None:
        stmt = stmt.where(CustomerMetrics.customer_id.in_(customer_ids))
    result = await session.execute(stmt)
    return int(result.rowcount or 0)


async def recalculate_lifecycle(
    session: AsyncSession, actor: Actor, *, now: Any = None
) -> dict[str, Any]:
    """Every business's lifecycle segments (created if missing), then the metric copy."""
    from clientbase.segments.recalculate import recalculate_segment
    from clientbase.tenancy import service as tenancy

    repo = SegmentRepository(session, actor.organization_id)
    businesses = await tenancy.list_businesses(session, actor)
    entered = left = 0
    default_id = None
    for business in businesses:
        if business.is_default:
            default_id = business.id
        stored = await repo.settings(business.id)
        segments = await ensure_segments(
            session,
            actor,
            business.id,
            None if business.is_default else business.name,
            thresholds_of(stored.thresholds if stored else None),
        )
        await repo.lock_all([segments[key].id for key in ORDER])
        for key in ORDER:
            result = await recalculate_segment(
                session, actor, segments[key].id, now=now, reason="lifecycle"
            )
            entered, left = entered + result["entered"], left + result["left"]
    written = 0
    if default_id is not None:
        written = await write_metric_segments(session, actor.organization_id, default_id)
    return {"businesses": len(businesses), "entered": entered, "left": left, "metrics": written}
