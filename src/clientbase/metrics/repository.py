"""Set-based metric computation: one INSERT ... SELECT ... ON CONFLICT per call, for the
touched customers or for a whole organization, writing only rows whose numbers changed;
and new purchases added to the stored numbers (`add_purchases`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer, Numeric, bindparam, func, literal, or_, select, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid

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
            _cents(func.sum(Transaction.amount)).label("total"),
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


async def add_purchases(
    session: AsyncSession,
    organization_id: uuid.UUID,
    purchases: dict[uuid.UUID, tuple[Decimal, int, datetime, datetime]],
) -> None:
    """New completed purchases per customer (total, count, first, last) added to the stored
    metrics. Reading nothing back makes this cheap, and the addition happens under the
    row's lock, so concurrent ingests for one customer both count (a recompute from each
    request's own snapshot would let the later commit drop the other's purchase)."""
    if not purchases:
        return
    ordered = sorted(purchases.items())  # rows are locked in one order by every writer
    at = utcnow()
    if dialect_name(session) == "postgresql":
        ids, values = zip(*ordered, strict=True)
        totals, counts, firsts, lasts = map(list, zip(*values, strict=True))
        params = {"customer_ids": list(ids), "totals": totals, "counts": counts}
        params |= {"firsts": firsts, "lasts": lasts, "organization_id": organization_id, "at": at}
        await session.execute(_ADD_PURCHASES_PG, params)
        return
    rows = [
        {
            "customer_id": customer_id,
            "organization_id": organization_id,
            "total_spent": total,
            "order_count": count,
            "first_order_at": first,
            "last_order_at": last,
            "lifetime_value": total,
            "windows_stale": True,
            "updated_at": at,
        }
        for customer_id, (total, count, first, last) in ordered
    ]
    for start in range(0, len(rows), 1000):
        await session.execute(
            _adding(sqlite.insert(CustomerMetrics), postgres=False), rows[start : start + 1000]
        )


def _adding(stmt: Any, *, postgres: bool) -> Any:
    """The insert becomes an addition to the stored numbers where the row exists."""
    new, stored = stmt.excluded, CustomerMetrics
    return stmt.on_conflict_do_update(
        index_elements=[CustomerMetrics.customer_id],
        set_={
            "total_spent": _cents(stored.total_spent + new.total_spent),
            "order_count": stored.order_count + new.order_count,
            "lifetime_value": _cents(stored.lifetime_value + new.lifetime_value),
            "first_order_at": _earliest(postgres, stored.first_order_at, new.first_order_at),
            "last_order_at": _latest(postgres, stored.last_order_at, new.last_order_at),
            "windows_stale": True,
            "updated_at": new.updated_at,
        },
    )


def _add_purchases_pg() -> Any:
    """One statement for a whole batch: the purchases travel as five arrays (unnest), so a
    bulk request's 10,000 customers cost one round trip and no per-row Python (executemany
    in batches of 1,000 spent ~1.5 s of a 10,000-row request building parameters)."""
    bought = (
        func.unnest(
            bindparam("customer_ids", type_=postgresql.ARRAY(Uuid())),
            bindparam("totals", type_=postgresql.ARRAY(Numeric(14, 2))),
            bindparam("counts", type_=postgresql.ARRAY(Integer())),
            bindparam("firsts", type_=postgresql.ARRAY(DateTime(timezone=True))),
            bindparam("lasts", type_=postgresql.ARRAY(DateTime(timezone=True))),
        )
        .table_valued("customer_id", "total", "orders", "first_at", "last_at")
        .render_derived("bought")
    )
    source = select(
        bought.c.customer_id,
        bindparam("organization_id", type_=Uuid()),
        bought.c.total,
        bought.c.orders,
        bought.c.first_at,
        bought.c.last_at,
        bought.c.total,
        true(),
        bindparam("at", type_=UTCDateTime()),
    ).order_by(bought.c.customer_id)
    columns = ["customer_id", "organization_id", *COMPUTED, "windows_stale", "updated_at"]
    stmt = postgresql.insert(CustomerMetrics.__table__).from_select(columns, source)
    return _adding(stmt, postgres=True)


def _cents(amount: Any) -> Any:
    """Money rounded to the cent by the database: SQLite keeps NUMERIC as a binary float,
    where a sum and the same numbers added in another order can differ in the last bit."""
    return func.round(amount, 2)


def _earliest(postgres: bool, stored: Any, new: Any) -> Any:
    """LEAST ignores NULLs on PostgreSQL; SQLite's two-argument min() returns NULL."""
    if postgres:
        return func.least(stored, new)
    return func.min(func.coalesce(stored, new), new)


def _latest(postgres: bool, stored: Any, new: Any) -> Any:
    if postgres:
        return func.greatest(stored, new)
    return func.max(func.coalesce(stored, new), new)


_ADD_PURCHASES_PG = _add_purchases_pg()  # here: it uses the helpers above


async def lock(
    session: AsyncSession, organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> None:
    """Make sure the customers' metrics rows exist and hold their locks (PostgreSQL), so a
    recompute that follows reads every purchase committed before it, and a concurrent
    ingest adds its purchases after it rather than being overwritten by it."""
    if dialect_name(session) != "postgresql":
        return  # SQLite writers are serialized by the database lock
    ids = sorted(customer_ids)
    zero = postgresql.insert(CustomerMetrics).values(
        [{"customer_id": i, "organization_id": organization_id} for i in ids]
    )
    await session.execute(zero.on_conflict_do_nothing(index_elements=["customer_id"]))
    await session.execute(
        select(CustomerMetrics.customer_id)
        .where(
            CustomerMetrics.organization_id == organization_id,
            CustomerMetrics.customer_id.in_(ids),
        )
        .order_by(CustomerMetrics.customer_id)
        .with_for_update()
    )


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
