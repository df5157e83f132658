"""Segment insights: a few aggregate queries over the current members."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, desc, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.customers.models import Address, Customer
from clientbase.metrics.models import CustomerMetrics
from clientbase.segments.models import SegmentMembership
from clientbase.segments.repository import visible_condition
from clientbase.transactions.models import COUNTED_STATUS, Transaction, TransactionItem

TOP = 10
CENTS = Decimal("0.01")


def _members(actor: Actor, segment_id: uuid.UUID) -> Any:
    org, m = actor.organization_id, SegmentMembership
    where = [
        m.organization_id == org,
        m.segment_id == segment_id,
        Customer.organization_id == org,
        Customer.deleted_at.is_(None),
    ]
    visible = visible_condition(actor)
    if visible is not None:
        where.append(visible)
    return (
        select(Customer.id.label("customer_id"))
        .join(m, m.customer_id == Customer.id)
        .where(*where)
        .subquery("members")
    )


def _money(value: Any) -> str:
    return str(Decimal(str(value or 0)).quantize(CENTS))


async def insights(session: AsyncSession, actor: Actor, segment_id: uuid.UUID) -> dict[str, Any]:
    org = actor.organization_id
    members = _members(actor, segment_id)
    met = CustomerMetrics
    summary = (
        await session.execute(
            select(
                func.count(),
                func.avg(func.coalesce(met.lifetime_value, 0)),
                func.avg(met.predicted_ltv),
                func.sum(func.coalesce(met.total_spent, 0)),
                func.sum(func.coalesce(met.order_count, 0)),
                func.avg(met.churn_risk),
                func.sum(case((Customer.status == "churned", 1), else_=0)),
            )
            .select_from(members)
            .join(Customer, Customer.id == members.c.customer_id)
            .outerjoin(
                met, and_(met.customer_id == members.c.customer_id, met.organization_id == org)
            )
        )
    ).one()
    count, avg_clv, avg_pltv, revenue, orders, churn_risk, churned = summary
    return {
        "segment_id": str(segment_id),
        "count": count,
        "average_clv": _money(avg_clv),
        "average_predicted_clv": _money(avg_pltv) if avg_pltv is not None else None,
        "revenue": _money(revenue),
        "orders": int(orders or 0),
        "average_order_value": _money(Decimal(str(revenue)) / int(orders)) if orders else None,
        "churn_rate": round(churned / count, 4) if count else None,
        "average_churn_risk": round(float(churn_risk), 4) if churn_risk is not None else None,
        "top_categories": await _categories(session, org, members),
        "geography": await _geography(session, org, members),
        "lifecycle": await _lifecycle(session, org, members),
    }


async def _categories(session: AsyncSession, org: uuid.UUID, members: Any) -> list[dict[str, Any]]:
    t, i = Transaction, TransactionItem
    revenue = func.sum(i.quantity * i.unit_price)
    rows = await session.execute(
        select(i.category, func.count(func.distinct(t.customer_id)), revenue)
        .select_from(members)
        .join(t, and_(t.customer_id == members.c.customer_id, t.organization_id == org))
        .join(i, and_(i.transaction_id == t.id, i.organization_id == org))
        .where(t.status == COUNTED_STATUS, i.category.is_not(None))
        .group_by(i.category)
        .order_by(desc(revenue), i.category)
        .limit(TOP)
    )
    return [
        {"category": category, "customers": buyers, "revenue": _money(total)}
        for category, buyers, total in rows
    ]


async def _geography(session: AsyncSession, org: uuid.UUID, members: Any) -> list[dict[str, Any]]:
    customers = func.count(func.distinct(Address.customer_id))
    rows = await session.execute(
        select(Address.country, Address.city, customers)
        .select_from(members)
        .join(
            Address,
            and_(Address.customer_id == members.c.customer_id, Address.organization_id == org),
        )
        .group_by(Address.country, Address.city)
        .order_by(desc(customers), Address.country, Address.city)
        .limit(TOP)
    )
    return [{"country": country, "city": city, "customers": n} for country, city, n in rows]


async def _lifecycle(session: AsyncSession, org: uuid.UUID, members: Any) -> dict[str, int]:
    met = CustomerMetrics
    rows = await session.execute(
        select(met.segment, func.count())
        .select_from(members)
        .join(met, and_(met.customer_id == members.c.customer_id, met.organization_id == org))
        .where(met.segment.is_not(None))
        .group_by(met.segment)
    )
    return {segment: n for segment, n in rows}
