"""Purchase windows (`PurchaseWindow`): every query that writes or reads them.

A refresh rebuilds the windows of the customers that need it: flagged `windows_stale` by
a new or changed transaction, or holding a window whose oldest purchase has since left
it. It clears the flags first and aggregates after, so a transaction committed while it
runs is either in the new rows or flags its customer again; never lost. Refreshes of one
organization queue behind each other on its `PurchaseWindowState` row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Uuid,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.db.base import UTCDateTime
from clientbase.db.session import dialect_name
from clientbase.metrics.models import (
    WINDOW_DAYS,
    CustomerMetrics,
    PurchaseWindow,
    PurchaseWindowState,
)
from clientbase.transactions.models import COUNTED_STATUS, Transaction

W, M = PurchaseWindow, CustomerMetrics
IDS_PER_STATEMENT = 5000


async def as_of(
    session: AsyncSession, organization_id: uuid.UUID, *, hold: bool = False
) -> datetime | None:
    """When the organization's windows were last refreshed (None: never). `hold` keeps a
    refresh from committing until this transaction ends (PostgreSQL), so the windows an
    evaluation then reads are the ones this time was read with."""
    stmt = select(PurchaseWindowState.as_of).where(
        PurchaseWindowState.organization_id == organization_id
    )
    if hold and dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(read=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def claim(session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> bool:
    """Record this refresh's time (holding the state row until commit); True when the
    organization had never been refreshed. The time never goes back: every row holds from
    the moment it was built, so the windows answer from the latest of those moments."""
    postgres = dialect_name(session) == "postgresql"
    stmt = (postgresql if postgres else sqlite).insert(PurchaseWindowState)
    stmt = stmt.values(organization_id=organization_id, as_of=now)
    stored, new = PurchaseWindowState.as_of, stmt.excluded.as_of
    latest = func.greatest(stored, new) if postgres else func.max(stored, new)
    stmt = stmt.on_conflict_do_update(
        index_elements=[PurchaseWindowState.organization_id], set_={"as_of": latest}
    )
    first = await as_of(session, organization_id) is None
    await session.execute(stmt)
    return first


async def mark_stale(
    session: AsyncSession, organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> None:
    await session.execute(
        update(M)
        .where(M.organization_id == organization_id, M.customer_id.in_(list(customer_ids)))
        .values(windows_stale=True)
        .execution_options(synchronize_session=False)
    )


async def clear_flags(session: AsyncSession, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """Unflag every flagged customer; returns who was flagged. Their metrics rows are
    locked in id order first (as ingest locks them), then unflagged by id: a customer
    flagged meanwhile stays flagged."""
    stmt = select(M.customer_id).where(M.organization_id == organization_id, M.windows_stale)
    if dialect_name(session) == "postgresql":
        stmt = stmt.order_by(M.customer_id).with_for_update()
    ids = list((await session.execute(stmt)).scalars())
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        await session.execute(
            update(M)
            .where(
                M.organization_id == organization_id,
                M.customer_id.in_(ids[start : start + IDS_PER_STATEMENT]),
            )
            .values(windows_stale=False)
            .execution_options(synchronize_session=False)
        )
    return ids


async def expired(session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> list[Any]:
    """Customers holding a window whose oldest purchase has left it."""
    stmt = union_all(
        *(
            select(W.customer_id).where(
                W.organization_id == organization_id,
                W.days == days,
                W.first_at < literal(now - timedelta(days=days), UTCDateTime()),
            )
            for days in WINDOW_DAYS
        )
    )
    return sorted(set((await session.execute(stmt)).scalars()))


async def rebuild(
    session: AsyncSession,
    organization_id: uuid.UUID,
    now: datetime,
    customer_ids: Sequence[uuid.UUID] | None,
) -> int:
    """The windows of these customers (None: every customer) as of `now`; rows written."""
    if customer_ids is None:
        await session.execute(delete(W).where(W.organization_id == organization_id))
        return await _insert(session, organization_id, now, None)
    written = 0
    ids = sorted(customer_ids)
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        chunk = ids[start : start + IDS_PER_STATEMENT]
        await session.execute(
            delete(W).where(W.organization_id == organization_id, W.customer_id.in_(chunk))
        )
        written += await _insert(session, organization_id, now, chunk)
    return written


async def _insert(
    session: AsyncSession,
    organization_id: uuid.UUID,
    now: datetime,
    customer_ids: Sequence[uuid.UUID] | None,
) -> int:
    """One pass over the longest window's purchases, one row per customer and window."""
    t = Transaction
    widest = max(WINDOW_DAYS)
    where: list[ColumnElement[bool]] = [
        t.organization_id == organization_id,
        t.status == COUNTED_STATUS,
        t.occurred_at >= _start(now, widest),
    ]
    if customer_ids is not None:
        where.append(t.customer_id.in_(list(customer_ids)))
    columns: list[Any] = [t.customer_id.label("customer_id")]
    for days in WINDOW_DAYS:
        inside = t.occurred_at >= _start(now, days)
        columns += [
            func.round(func.sum(case((inside, t.amount))), 2).label(f"total_{days}"),
            func.count(case((inside, 1))).label(f"orders_{days}"),
            func.min(case((inside, t.occurred_at))).label(f"first_{days}"),
            func.max(case((inside, t.occurred_at))).label(f"last_{days}"),
        ]
    # nesting: WITH inside the SELECT, so SQLite still reports the rows inserted
    sums = select(*columns).where(*where).group_by(t.customer_id).cte("sums", nesting=True)
    rows = union_all(
        *(
            select(
                sums.c.customer_id,
                literal(organization_id, Uuid()).label("organization_id"),
                literal(days).label("days"),
                sums.c[f"total_{days}"],
                sums.c[f"orders_{days}"],
                sums.c[f"first_{days}"],
                sums.c[f"last_{days}"],
            ).where(sums.c[f"orders_{days}"] > 0)
            for days in WINDOW_DAYS
        )
    )
    columns_written = [
        "customer_id",
        "organization_id",
        "days",
        "total",
        "orders",
        "first_at",
        "last_at",
    ]
    result = await session.execute(insert(W).from_select(columns_written, rows))
    return int(cast(CursorResult[Any], result).rowcount or 0)


def _start(now: datetime, days: int) -> Any:
    return literal(now - timedelta(days=days), UTCDateTime())


def valid(organization_id: uuid.UUID, days: int, start: Any) -> ColumnElement[bool]:
    """The rows of one window that still hold at `start` (= now - days)."""
    return and_(W.organization_id == organization_id, W.days == days, W.first_at >= start)


def stale_customers(organization_id: uuid.UUID) -> Any:
    return select(M.customer_id).where(M.organization_id == organization_id, M.windows_stale)


def recheck(organization_id: uuid.UUID, days: int, start: Any) -> Any:
    """Customers whose window must come from their transactions: flagged, or whose row
    no longer holds."""
    expired_rows = select(W.customer_id).where(
        W.organization_id == organization_id, W.days == days, W.first_at < start
    )
    return union_all(stale_customers(organization_id), expired_rows)
