"""The organization overview (S5): totals, distributions, top and at-risk customers,
geography, the lead -> prospect -> active funnel, monthly retention cohorts, health."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.analytics import overview_repository as repo
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import ValidationFailed
from clientbase.customers.models import Customer
from clientbase.metrics.models import CustomerMetrics
from clientbase.tenancy import service as tenancy

FUNNEL = ("lead", "prospect", "active")
CLV_EDGES = [1, 100, 1000, 10000]
CHURN_EDGES = [0.2, 0.4, 0.6, 0.8]


async def overview(
    session: AsyncSession,
    actor: Actor,
    *,
    date_from: date | None,
    date_to: date | None,
    business_id: uuid.UUID | None,
) -> dict[str, Any]:
    actor.require(Permission.ANALYTICS_RUN)
    if business_id is not None:
        await tenancy.resolve_business_ids(session, actor, [business_id], field="business_id")
    end_day = date_to or datetime.now(UTC).date()
    start_day = date_from or end_day - timedelta(days=365)
    if start_day > end_day:
        raise ValidationFailed.on("from", "must not be after `to`")
    start = datetime.combine(start_day, time.min, tzinfo=UTC)
    end = datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=UTC)
    org = actor.organization_id
    by_status = await repo.counts(session, org, business_id, Customer.status)
    churn = await repo.bucketed(session, org, business_id, CustomerMetrics.churn_risk, CHURN_EDGES)
    orders = await repo.bucketed(session, org, business_id, CustomerMetrics.order_count, [1, 2])
    total = sum(by_status.values())
    funnel = await _funnel(session, org, start, end, by_status)
    return {
        "period": {"from": start_day.isoformat(), "to": end_day.isoformat()},
        "totals": {
            "customers": total,
            "new": await repo.new_between(session, org, business_id, start, end),
            "active": by_status.get("active", 0),
            "churned": by_status.get("churned", 0),
            "buyers": total - orders.get("<1", 0) - orders.get("unscored", 0),
        },
        "by_status": by_status,
        "by_type": await repo.counts(session, org, business_id, Customer.type),
        "lifecycle_segments": await repo.counts(session, org, business_id, CustomerMetrics.segment),
        "clv_distribution": await repo.bucketed(
            session, org, business_id, CustomerMetrics.predicted_ltv, CLV_EDGES
        ),
        "churn_risk_distribution": churn,
        "top_customers": _people(
            await repo.ranked(session, org, business_id, CustomerMetrics.total_spent.desc())
        ),
        "at_risk_customers": _people(
            await repo.ranked(
                session,
                org,
                business_id,
                CustomerMetrics.predicted_ltv.desc(),
                CustomerMetrics.churn_risk >= 0.7,
            )
        ),
        "geography": [
            {"country": r[0], "city": r[1], "customers": r[2]}
            for r in await repo.geography(session, org, business_id)
        ],
        "funnel": funnel,
        "cohorts": await _cohorts(session, org, business_id, start, end),
        "health_score": _health(total, by_status, churn, orders),
    }


def _people(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(r[0]),
            "name": r[1],
            "total_spent": str(r[2]),
            "predicted_clv": str(r[3]) if r[3] is not None else None,
            "churn_risk": r[4],
        }
        for r in rows
    ]


async def _funnel(
    session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime, by_status: dict[str, int]
) -> dict[str, Any]:
    moves: dict[tuple[str, str], int] = defaultdict(int)
    became_active: dict[uuid.UUID, datetime] = {}
    for customer_id, payload, at in await repo.status_changes(session, org, start, end):
        moves[(payload.get("from"), payload.get("to"))] += 1
        if payload.get("to") == "active":
            became_active.setdefault(customer_id, at)
    created = await repo.created_at_of(session, org, list(became_active))
    days = [
        (at - created[c]).total_seconds() / 86400 for c, at in became_active.items() if c in created
    ]
    left_lead = sum(n for (a, _), n in moves.items() if a == "lead")
    left_prospect = sum(n for (a, _), n in moves.items() if a == "prospect")
    return {
        "stages": {s: by_status.get(s, 0) for s in FUNNEL},
        "lead_to_prospect": _rate(moves[("lead", "prospect")], left_lead),
        "prospect_to_active": _rate(moves[("prospect", "active")], left_prospect),
        "converted_to_active": len(became_active),
        "median_days_to_convert": round(statistics.median(days), 2) if days else None,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _cohorts(
    session: AsyncSession,
    org: uuid.UUID,
    business_id: uuid.UUID | None,
    start: datetime,
    end: datetime,
) -> list[dict[str, Any]]:
    """Customers grouped by the month of their first purchase in the period; for each
    later month, the share of the cohort that bought again."""
    months: dict[uuid.UUID, set[str]] = defaultdict(set)
    for customer_id, month in await repo.active_months(session, org, business_id, start, end):
        months[customer_id].add(month)
    cohorts: dict[str, list[set[str]]] = defaultdict(list)
    for seen in months.values():
        cohorts[min(seen)].append(seen)
    out = []
    for first in sorted(cohorts):
        members = cohorts[first]
        later = sorted({m for s in members for m in s if m > first})
        retention = {m: round(sum(m in s for s in members) / len(members), 4) for m in later}
        out.append({"cohort": first, "customers": len(members), "retention": retention})
    return out


def _health(
    total: int, by_status: dict[str, int], churn: dict[str, int], orders: dict[str, int]
) -> int | None:
    """0-100: 40 for the active share, 30 for low churn risk, 30 for repeat buyers."""
    if not total:
        return None
    active = by_status.get("active", 0) / total
    scored = sum(v for k, v in churn.items() if k != "unscored")
    low_risk = (churn.get("<0.2", 0) + churn.get("<0.4", 0)) / scored if scored else 0.5
    buyers = total - orders.get("<1", 0) - orders.get("unscored", 0)
    repeat = orders.get(">=2", 0) / buyers if buyers else 0.0
    return round(100 * (0.4 * active + 0.3 * low_risk + 0.3 * repeat))
