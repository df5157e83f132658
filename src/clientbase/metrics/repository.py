"""Set-based metric computation: one INSERT ... SELECT ... ON CONFLICT per call, for the
touched customers or for a whole organization, writing only rows whose numbers changed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, literal, or_, select, text
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
    """Recompute order metrics from completed transactions; returns rows written.

    The transactions are aggregated per customer first and then joined to the customers
    (not joined row by row and grouped after): at 10,000,000 transactions the join input
    shrinks to one row per buyer. On PostgreSQL the full recompute gets a bigger work_mem
    for its hash tables (the 4 MB default spills the aggregate of 10M rows to disk)."""
    where = [
        Transaction.organization_id == organization_id,
        Transaction.status == COUNTED_STATUS,
    ]
    if customer_ids is not None:
        where.append(Transaction.customer_id.in_(list(customer_ids)))
    agg = (
        select(
            Transaction.customer_id.label("customer_id"),
            func.sum(Transaction.amount).label("total"),
            func.count().label("orders"),
            func.min(Transaction.occurred_at).label("first_at"),
            func.max(Transaction.occurred_at).label("last_at"),
        )
        .where(*where)
        .group_by(Transaction.customer_id)
        .subquery()
    )
    total = func.coalesce(agg.c.total, literal(0))
    source = (
        select(
            Customer.id.label("customer_id"),
            literal(organization_id).label("organization_id"),
            total.label("total_spent"),
            func.coalesce(agg.c.orders, literal(0)).label("order_count"),
            agg.c.first_at.label("first_order_at"),
            agg.c.last_at.label("last_order_at"),
            total.label("lifetime_value"),
            literal(utcnow(), UTCDateTime()).label("updated_at"),
        )
        .select_from(Customer)
        .outerjoin(agg, agg.c.customer_id == Customer.id)
        .where(Customer.organization_id == organization_id)
    )
    if customer_ids is not None:
        source = source.where(Customer.id.in_(list(customer_ids)))
    else:  # no purchases and no row yet: the zero state is already what reads return
        has_row = select(CustomerMetrics.customer_id).where(
            CustomerMetrics.customer_id == Customer.id
        )
        source = source.where(or_(agg.c.customer_id.is_not(None), has_row.exists()))
    postgres = dialect_name(session) == "postgresql"
    dialect = postgresql if postgres else sqlite
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
    if postgres and customer_ids is None:
        previous = (await session.execute(text("SELECT current_setting('work_mem')"))).scalar()
        await session.execute(text(f"SET LOCAL work_mem = '{FULL_RECOMPUTE_WORK_MEM}'"))
        try:
            result = await session.execute(stmt)
        finally:
            await session.execute(text("SELECT set_config('work_mem', :v, true)"), {"v": previous})
    else:
        result = await session.execute(stmt)
    return result.rowcount or 0


FULL_RECOMPUTE_WORK_MEM = "256MB"


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
