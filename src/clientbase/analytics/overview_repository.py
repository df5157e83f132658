"""Organization-wide aggregates for the analytics overview, each one GROUP BY query."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.customers.models import Address, Customer
from clientbase.db.session import dialect_name
from clientbase.events.models import OutboxEvent
from clientbase.metrics.models import CustomerMetrics
from clientbase.tenancy.models import Membership
from clientbase.transactions.models import COUNTED_STATUS, Transaction


def _customers(org: uuid.UUID, business_id: uuid.UUID | None) -> list[Any]:
    where = [Customer.organization_id == org, Customer.deleted_at.is_(None)]
    if business_id is not None:
        where.append(
            Customer.id.in_(
                select(Membership.customer_id).where(
                    Membership.organization_id == org, Membership.business_id == business_id
                )
            )
        )
    return where


async def counts(
    session: AsyncSession, org: uuid.UUID, business_id: uuid.UUID | None, column: Any
) -> dict[str, int]:
    stmt = select(column, func.count()).where(*_customers(org, business_id)).group_by(column)
    if column.table is CustomerMetrics.__table__:
        stmt = stmt.select_from(Customer).outerjoin(
            CustomerMetrics, CustomerMetrics.customer_id == Customer.id
        )
    return {str(k) if k is not None else "none": v for k, v in await session.execute(stmt)}


async def new_between(
    session: AsyncSession,
    org: uuid.UUID,
    business_id: uuid.UUID | None,
    start: datetime,
    end: datetime,
) -> int:
    stmt = select(func.count()).where(
        *_customers(org, business_id), Customer.created_at >= start, Customer.created_at < end
    )
    return (await session.execute(stmt)).scalar_one()


async def bucketed(
    session: AsyncSession,
    org: uuid.UUID,
    business_id: uuid.UUID | None,
    column: Any,
    edges: list[float],
) -> dict[str, int]:
    whens = [(column < edge, f"<{edge:g}") for edge in edges]
    bucket = case((column.is_(None), "unscored"), *whens, else_=f">={edges[-1]:g}")
    stmt = (
        select(bucket, func.count())
        .select_from(Customer)
        .outerjoin(CustomerMetrics, CustomerMetrics.customer_id == Customer.id)
        .where(*_customers(org, business_id))
        .group_by(bucket)
    )
    return {k: v for k, v in await session.execute(stmt)}


async def ranked(
    session: AsyncSession,
    org: uuid.UUID,
    business_id: uuid.UUID | None,
    order: Any,
    *extra: Any,
    limit: int = 10,
) -> list[Any]:
    stmt = (
        select(
            Customer.id,
            Customer.name,
            CustomerMetrics.total_spent,
            CustomerMetrics.predicted_ltv,
            CustomerMetrics.churn_risk,
        )
        .join(CustomerMetrics, CustomerMetrics.customer_id == Customer.id)
        .where(*_customers(org, business_id), *extra)
        .order_by(order)
        .limit(limit)
    )
    return list(await session.execute(stmt))


async def geography(
    session: AsyncSession, org: uuid.UUID, business_id: uuid.UUID | None, limit: int = 15
) -> list[Any]:
    stmt = (
        select(Address.country, Address.city, func.count(func.distinct(Address.customer_id)))
        .join(Customer, Customer.id == Address.customer_id)
        .where(Address.organization_id == org, *_customers(org, business_id))
        .group_by(Address.country, Address.city)
        .order_by(func.count(func.distinct(Address.customer_id)).desc())
        .limit(limit)
    )
    return list(await session.execute(stmt))


async def status_changes(
    session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime
) -> list[Any]:
    stmt = (
        select(OutboxEvent.aggregate_id, OutboxEvent.payload, OutboxEvent.occurred_at)
        .where(
            OutboxEvent.organization_id == org,
            OutboxEvent.event_type == "customer.status_changed",
            OutboxEvent.occurred_at >= start,
            OutboxEvent.occurred_at < end,
        )
        .order_by(OutboxEvent.seq)
    )
    return list(await session.execute(stmt))


async def created_at_of(
    session: AsyncSession, org: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    if not ids:
        return {}
    stmt = select(Customer.id, Customer.created_at).where(
        Customer.organization_id == org, Customer.id.in_(ids)
    )
    return {k: v for k, v in await session.execute(stmt)}


async def active_months(
    session: AsyncSession,
    org: uuid.UUID,
    business_id: uuid.UUID | None,
    start: datetime,
    end: datetime,
) -> list[tuple[uuid.UUID, str]]:
    """(customer, 'YYYY-MM') for every month with a completed purchase."""
    if dialect_name(session) == "postgresql":
        month = func.to_char(func.timezone("UTC", Transaction.occurred_at), "YYYY-MM")
    else:
        month = func.strftime("%Y-%m", Transaction.occurred_at)
    where = [
        Transaction.organization_id == org,
        Transaction.status == COUNTED_STATUS,
        Transaction.occurred_at >= start,
        Transaction.occurred_at < end,
    ]
    if business_id is not None:
        where.append(Transaction.business_id == business_id)
    stmt = (
        select(Transaction.customer_id, month)
        .where(*where)
        .group_by(Transaction.customer_id, month)
    )
    return [(r[0], r[1]) for r in await session.execute(stmt)]
