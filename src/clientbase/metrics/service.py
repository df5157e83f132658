"""Customer metrics kept exact: recomputed for the customers a change touched, or for a
whole organization, by the same set-based statement, so both paths agree by construction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.db.base import utcnow
from clientbase.events import service as events
from clientbase.metrics import repository, windows
from clientbase.metrics.models import CustomerMetrics
from clientbase.transactions.models import COUNTED_STATUS


async def refresh(session: AsyncSession, actor: Actor, customer_ids: Iterable[uuid.UUID]) -> int:
    """After a status change: recompute the touched customers' metrics from their
    transactions and emit customer.metrics_updated for each."""
    ids = sorted(set(customer_ids))
    if not ids:
        return 0
    await session.flush()
    written = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        await repository.lock(session, actor.organization_id, chunk)
        written += await repository.recompute(session, actor.organization_id, chunk)
        await windows.mark_stale(session, actor.organization_id, chunk)
    _emit_updated(session, actor, ids)
    return written


async def add_purchases(
    session: AsyncSession, actor: Actor, transactions: Iterable[dict[str, Any]]
) -> int:
    """After new transactions were inserted (rows as written): add the completed ones to
    their customers' metrics without re-reading any history. Returns customers updated."""
    purchases: dict[uuid.UUID, tuple[Decimal, int, datetime, datetime]] = {}
    for row in transactions:
        if row["status"] != COUNTED_STATUS:
            continue
        at, amount = row["occurred_at"], row["amount"]
        total, count, first, last = purchases.get(row["customer_id"], (Decimal(0), 0, at, at))
        purchases[row["customer_id"]] = (total + amount, count + 1, min(first, at), max(last, at))
    await repository.add_purchases(session, actor.organization_id, purchases)
    _emit_updated(session, actor, sorted(purchases))
    return len(purchases)


def _emit_updated(session: AsyncSession, actor: Actor, ids: list[uuid.UUID]) -> None:
    for customer_id in ids:
        events.emit(
            session,
            actor,
            "customer.metrics_updated",
            aggregate_type="customer",
            aggregate_id=customer_id,
            payload={"customer_id": customer_id},
        )


async def recompute_organization(session: AsyncSession, organization_id: uuid.UUID) -> int:
    """The full recompute (`clientbase recalculate metrics`); returns rows changed."""
    return await repository.recompute(session, organization_id, None)


async def windows_as_of(session: AsyncSession, organization_id: uuid.UUID) -> datetime | None:
    """For an evaluation about to read the windows: no refresh commits before it ends."""
    return await windows.as_of(session, organization_id, hold=True)


async def refresh_windows(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    now: datetime | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """Bring the purchase windows up to `now`: every customer's (`full`, or the first
    time), else those flagged by a transaction since the last refresh and those with a
    purchase that has left a window since."""
    now = now or utcnow()
    first = await windows.claim(session, organization_id, now)
    flagged = await windows.clear_flags(session, organization_id)
    if full or first:
        rows = await windows.rebuild(session, organization_id, now, None)
        return {"full": True, "customers": None, "rows": rows}
    ids = sorted(set(flagged) | set(await windows.expired(session, organization_id, now)))
    rows = await windows.rebuild(session, organization_id, now, ids)
    return {"full": False, "customers": len(ids), "rows": rows}


async def for_customers(
    session: AsyncSession, actor: Actor, customer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, CustomerMetrics]:
    return await repository.for_customers(session, actor.organization_id, list(customer_ids))


def read_fields(metrics: CustomerMetrics | None, now: datetime | None = None) -> dict[str, object]:
    """The S2 computed fields a customer response carries (zero/null without history)."""
    if metrics is None:
        return {}
    now = now or utcnow()
    count = metrics.order_count
    aov = (metrics.total_spent / count).quantize(Decimal("0.01")) if count else Decimal("0.00")
    since = (now - metrics.last_order_at).days if metrics.last_order_at else None
    return {
        "total_spent": metrics.total_spent,
        "order_count": count,
        "average_order_value": aov,
        "first_order_at": metrics.first_order_at,
        "last_order_at": metrics.last_order_at,
        "days_since_last_order": since,
        "lifetime_value": metrics.lifetime_value,
        "predicted_ltv": metrics.predicted_ltv,
        "churn_risk": metrics.churn_risk,
        "rfm_score": metrics.rfm_score,
        "engagement_score": metrics.engagement_score,
        "lead_score": metrics.lead_score,
        "segment": metrics.segment,
    }
