"""Analytics SQL: purchase histories for model fits, set-based RFM and engagement, and
writing predictions into the narrow metrics table."""

from __future__ import annotations

import uuid
from array import array
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.analytics.clv import DailyPurchases
from clientbase.analytics.models import ClvModelFit
from clientbase.db.session import dialect_name
from clientbase.metrics.models import CustomerMetrics
from clientbase.transactions.models import (
    COUNTED_STATUS,
    ActivityEvent,
    Transaction,
)


def _completed(organization_id: uuid.UUID, business_id: uuid.UUID | None) -> list[Any]:
    where = [Transaction.organization_id == organization_id, Transaction.status == COUNTED_STATUS]
    if business_id is not None:
        where.append(Transaction.business_id == business_id)
    return where


async def purchases(
    session: AsyncSession,
    organization_id: uuid.UUID,
    business_id: uuid.UUID | None,
    *,
    until: datetime | None = None,
) -> AsyncIterator[tuple[uuid.UUID, datetime, Decimal]]:
    stmt = select(Transaction.customer_id, Transaction.occurred_at, Transaction.amount).where(
        *_completed(organization_id, business_id)
    )
    if until is not None:
        stmt = stmt.where(Transaction.occurred_at <= until)
    result = await session.stream(stmt.execution_options(yield_per=20_000))
    async for row in result:
        yield row[0], row[1], row[2]


def _utc_day_ordinal(session: AsyncSession) -> Any:
    """date.toordinal() of each purchase's UTC calendar day, computed by the database."""
    if dialect_name(session) == "postgresql":
        day = cast(func.timezone("UTC", Transaction.occurred_at), Date)
        return day - literal_column("DATE '0001-01-01'") + 1
    return cast(func.julianday(func.date(Transaction.occurred_at)) - 1721424.5, Integer)


async def purchase_days(
    session: AsyncSession,
    organization_id: uuid.UUID,
    business_id: uuid.UUID | None,
    until: datetime,
) -> DailyPurchases:
    """One row per customer and purchase day (amounts summed in cents by the database), so
    ten million transactions arrive as arrays rather than Python records."""
    if dialect_name(session) == "postgresql":
        return await _purchase_days_postgres(session, organization_id, business_id, until)
    day = _utc_day_ordinal(session)
    cents = cast(func.round(func.sum(Transaction.amount) * 100), BigInteger)
    stmt = (
        select(Transaction.customer_id, day, cents)
        .where(*_completed(organization_id, business_id), Transaction.occurred_at <= until)
        .group_by(Transaction.customer_id, day)
    )
    codes: dict[uuid.UUID, int] = {}
    code_col, day_col, cents_col = array("q"), array("q"), array("q")
    result = await session.stream(stmt.execution_options(yield_per=50_000))
    async for partition in result.partitions():
        for customer_id, ordinal, amount in partition:
            code_col.append(codes.setdefault(customer_id, len(codes)))
            day_col.append(int(ordinal))
            cents_col.append(int(amount))
    return DailyPurchases.from_arrays(tuple(codes), code_col, day_col, cents_col)


# One row per customer with its days and their totals as arrays: asyncpg decodes an int8[]
# in C, so Python handles a row per customer, not one per customer-day (8x fewer at 10M).
PURCHASE_DAYS_SQL = """
SELECT customer_id, array_agg(day ORDER BY day), array_agg(cents ORDER BY day)
  FROM (SELECT customer_id,
               (timezone('UTC', occurred_at))::date - DATE '0001-01-01' + 1 AS day,
               round(sum(amount) * 100)::bigint AS cents
          FROM transactions
         WHERE organization_id = $1 AND status = $2 AND occurred_at <= $3 {business}
         GROUP BY customer_id, day) AS days
 GROUP BY customer_id
"""
PURCHASE_DAYS_WORK_MEM = "256MB"  # the aggregate's hash table, this statement only


async def _purchase_days_postgres(
    session: AsyncSession,
    organization_id: uuid.UUID,
    business_id: uuid.UUID | None,
    until: datetime,
) -> DailyPurchases:
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    args: list[Any] = [organization_id, COUNTED_STATUS, until]
    business = ""
    if business_id is not None:
        business, args = "AND business_id = $4", [*args, business_id]
    customers: list[uuid.UUID] = []
    lengths, day_col, cents_col = array("q"), array("q"), array("q")
    previous = await driver.fetchval("SELECT current_setting('work_mem')")
    await driver.execute(f"SET LOCAL work_mem = '{PURCHASE_DAYS_WORK_MEM}'")
    try:
        sql = PURCHASE_DAYS_SQL.format(business=business)
        async for customer_id, days, cents in driver.cursor(sql, *args, prefetch=20_000):
            customers.append(customer_id)  # asyncpg's UUID is a uuid.UUID
            lengths.append(len(days))
            day_col.extend(days)
            cents_col.extend(cents)
    finally:
        await driver.fetchval("SELECT set_config('work_mem', $1, true)", previous)
    code = np.repeat(np.arange(len(customers), dtype=np.int64), np.frombuffer(lengths, np.int64))
    return DailyPurchases.from_arrays(tuple(customers), code, day_col, cents_col)


async def write_rfm(
    session: AsyncSession,
    organization_id: uuid.UUID,
    business_id: uuid.UUID | None,
    until: datetime,
) -> int:
    """Quintile scores 1-5 for recency, frequency and money among the business's buyers,
    written as '545' in one UPDATE ... FROM (rows whose score is unchanged are skipped)."""
    agg = (
        select(
            Transaction.customer_id.label("customer_id"),
            func.max(Transaction.occurred_at).label("last_at"),
            func.count().label("orders"),
            func.sum(Transaction.amount).label("spent"),
        )
        .where(*_completed(organization_id, business_id), Transaction.occurred_at <= until)
        .group_by(Transaction.customer_id)
        .subquery()
    )
    scores = select(
        agg.c.customer_id,
        (
            cast(func.ntile(5).over(order_by=(agg.c.last_at, agg.c.customer_id)), String)
            + cast(func.ntile(5).over(order_by=(agg.c.orders, agg.c.customer_id)), String)
            + cast(func.ntile(5).over(order_by=(agg.c.spent, agg.c.customer_id)), String)
        ).label("score"),
    ).subquery()
    stmt = (
        update(CustomerMetrics)
        .where(
            CustomerMetrics.organization_id == organization_id,
            CustomerMetrics.customer_id == scores.c.customer_id,
            CustomerMetrics.rfm_score.is_distinct_from(scores.c.score),  # only what changed
        )
        .values(rfm_score=scores.c.score)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).rowcount or 0


async def activity_counts(
    session: AsyncSession, organization_id: uuid.UUID, since: datetime, until: datetime
) -> dict[uuid.UUID, int]:
    stmt = (
        select(ActivityEvent.customer_id, func.count())
        .where(
            ActivityEvent.organization_id == organization_id,
            ActivityEvent.occurred_at > since,
            ActivityEvent.occurred_at <= until,
        )
        .group_by(ActivityEvent.customer_id)
    )
    return {row[0]: row[1] for row in await session.execute(stmt)}


async def write_scores(
    session: AsyncSession, organization_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    """Per-customer predictions: on PostgreSQL one UPDATE ... FROM unnest(arrays) per
    50,000 rows (a million single-row updates took minutes), elsewhere executemany."""
    if dialect_name(session) == "postgresql":
        await _write_scores_postgres(session, organization_id, rows)
        return
    stmt = (
        update(CustomerMetrics)
        .where(
            and_(
                CustomerMetrics.organization_id == organization_id,
                CustomerMetrics.customer_id == bindparam("cid"),
            )
        )
        .values(
            p_alive=bindparam("p_alive"),
            expected_purchases_12m=bindparam("expected"),
            predicted_ltv=bindparam("predicted"),
            churn_risk=bindparam("churn"),
            engagement_score=bindparam("engagement"),
            analytics_as_of=bindparam("as_of"),
        )
        .execution_options(synchronize_session=False)
    )
    connection = await session.connection()
    for start in range(0, len(rows), 5000):
        await connection.execute(stmt, list(rows[start : start + 5000]))


WRITE_SCORES_SQL = """
UPDATE customer_metrics AS m
   SET p_alive = v.p_alive, expected_purchases_12m = v.expected, predicted_ltv = v.predicted,
       churn_risk = v.churn, engagement_score = v.engagement, analytics_as_of = $2
  FROM unnest($3::uuid[], $4::float8[], $5::float8[], $6::numeric[], $7::float8[],
              $8::float8[]) AS v(customer_id, p_alive, expected, predicted, churn, engagement)
 WHERE m.organization_id = $1 AND m.customer_id = v.customer_id
   AND (m.analytics_as_of IS DISTINCT FROM $2
        OR (m.p_alive, m.expected_purchases_12m, m.predicted_ltv, m.churn_risk,
            m.engagement_score)
           IS DISTINCT FROM (v.p_alive, v.expected, v.predicted, v.churn, v.engagement))
"""
SCORES_PER_STATEMENT = 50_000


async def _write_scores_postgres(
    session: AsyncSession, organization_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    for start in range(0, len(rows), SCORES_PER_STATEMENT):
        chunk = rows[start : start + SCORES_PER_STATEMENT]
        as_of = {r["as_of"] for r in chunk}
        if len(as_of) != 1:
            raise ValueError("scores written together share one as_of")
        await driver.execute(
            WRITE_SCORES_SQL,
            organization_id,
            as_of.pop(),
            [r["cid"] for r in chunk],
            [r["p_alive"] for r in chunk],
            [r["expected"] for r in chunk],
            [r["predicted"] for r in chunk],
            [r["churn"] for r in chunk],
            [r["engagement"] for r in chunk],
        )


async def save_fit(session: AsyncSession, fit: ClvModelFit) -> None:
    session.add(fit)
    await session.flush()


async def latest_fit(
    session: AsyncSession, organization_id: uuid.UUID, business_id: uuid.UUID
) -> ClvModelFit | None:
    stmt = (
        select(ClvModelFit)
        .where(
            ClvModelFit.organization_id == organization_id, ClvModelFit.business_id == business_id
        )
        .order_by(ClvModelFit.created_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
