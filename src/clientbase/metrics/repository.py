"""Set-based metric computation: one INSERT ... SELECT ... ON CONFLICT per call, for the
touched customers or for a whole organization, writing only rows whose numbers changed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.customers.models import Customer
from clientbase.db.base import UTCDateTime, utcnow
from clientbase.db.session import dialect_name
from clientbase.metrics.models import CustomerMetrics
from clientbase.transactions.models import COUNTED_STATUS, Transaction

COMPUTED = ("total_spent", "order_count", "first_order_at", "last_order_at", "lifetime_value")


async def recompute(
    session: AsyncSession, organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID] | None
) -> int:
    """Recompute order metrics from completed transactions; returns rows written."""
    joined = and_(
        Transaction.organization_id == organization_id,
        Transaction.customer_id == Customer.id,
        Transaction.status == COUNTED_STATUS,
    )
    total = func.coalesce(func.sum(Transaction.amount), literal(0))
    source = (
        select(
            Customer.id.label("customer_id"),
            literal(organization_id).label("organization_id"),
            total.label("total_spent"),
            func.count(Transaction.id).label("order_count"),
            func.min(Transaction.occurred_at).label("first_order_at"),
            func.max(Transaction.occurred_at).label("last_order_at"),
            total.label("lifetime_value"),
            literal(utcnow(), UTCDateTime()).label("updated_at"),
        )
        .select_from(Customer)
        .outerjoin(Transaction, joined)
        .where(Customer.organization_id == organization_id)
        .group_by(Customer.id)
    )
    if customer_ids is not None:
        source = source.where(Customer.id.in_(list(customer_ids)))
    else:  # no purchases and no row yet: the zero state is already what reads return
        has_row = select(CustomerMetrics.customer_id).where(
            CustomerMetrics.customer_id == Customer.id
        )
        source = source.having(or_(func.count(Transaction.id) > 0, has_row.exists()))
    dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
    columns = ["customer_id", "organization_id", *COMPUTED, "updated_at"]
    stmt = dialect.insert(CustomerMetrics).from_select(columns, source)
    excluded = stmt.excluded
    changed = or_(
        *(
            getattr(CustomerMetrics, name).is_distinct_from(getattr(excluded, name))
            for name in COMPUTED
        )
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[CustomerMetrics.customer_id],
        set_={name: getattr(excluded, name) for name in (*COMPUTED, "updated_at")},
        where=changed,
    )
    result = await session.execute(stmt)
    return result.rowcount or 0


async def for_customers(
    session: AsyncSession, organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CustomerMetrics]:
    if not customer_ids:
        return {}
    stmt = select(CustomerMetrics).where(
        CustomerMetrics.organization_id == organization_id,
        CustomerMetrics.customer_id.in_(list(customer_ids)),
    )
    return {m.customer_id: m for m in (await session.execute(stmt)).scalars()}
