"""Every query on transactions, their items, activity and inbound event ids."""

from __future__ import annotations

import uuid
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from clientbase.db.base import utcnow
from clientbase.db.repository import TenantRepository, one_of
from clientbase.db.session import dialect_name
from clientbase.transactions.models import (
    COUNTED_STATUS,
    OPEN_STATUSES,
    ActivityEvent,
    IngestedEvent,
    Transaction,
    TransactionItem,
)

TRANSACTION_COPY_COLUMNS = (
    "id", "organization_id", "external_id", "customer_id", "business_id", "occurred_at",
    "status", "amount", "currency", "channel", "version",
)  # fmt: skip
ITEM_COPY_COLUMNS = (
    "organization_id", "transaction_id", "sku", "name", "category", "brand", "quantity",
    "unit_price", "customer_id", "occurred_at", "counted",
)  # fmt: skip


class TransactionRepository(TenantRepository[Transaction]):
    model = Transaction

    async def by_external_ids(self, external_ids: list[str]) -> dict[str, Transaction]:
        found: dict[str, Transaction] = {}
        for condition in one_of(Transaction.external_id, external_ids, dialect_name(self.session)):
            stmt = self.scoped().where(condition)
            found.update({t.external_id: t for t in (await self.session.execute(stmt)).scalars()})
        return found

    async def items_for(
        self, transaction_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[TransactionItem]]:
        if not transaction_ids:
            return {}
        stmt = (
            select(TransactionItem)
            .where(
                TransactionItem.organization_id == self.organization_id,
                TransactionItem.transaction_id.in_(transaction_ids),
            )
            .order_by(TransactionItem.id)
        )
        grouped: dict[uuid.UUID, list[TransactionItem]] = {t: [] for t in transaction_ids}
        for item in (await self.session.execute(stmt)).scalars():
            grouped[item.transaction_id].append(item)
        return grouped

    async def for_customer(
        self,
        customer_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
        status: str | None = None,
    ) -> list[Transaction]:
        stmt = self.scoped().where(Transaction.customer_id == customer_id)
        if status:
            stmt = stmt.where(Transaction.status == status)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(
                    Transaction.occurred_at < at,
                    and_(Transaction.occurred_at == at, Transaction.id < last_id),
                )
            )
        stmt = stmt.order_by(Transaction.occurred_at.desc(), Transaction.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def has_open(self, customer_id: uuid.UUID) -> bool:
        stmt = (
            self.scoped(Transaction.id)
            .where(Transaction.customer_id == customer_id, Transaction.status.in_(OPEN_STATUSES))
            .limit(1)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def insert_many(self, rows: list[dict[str, Any]], items: list[dict[str, Any]]) -> None:
        """One statement per table: COPY on PostgreSQL (a bulk request's 10,000 rows and
        their items in ~0.2 s instead of ~2 s of multi-row INSERTs), else executemany.
        Items take their transaction's customer, time and counted flag here."""
        items = _with_purchase(rows, items)
        if dialect_name(self.session) == "postgresql":
            await self._copy_many(rows, items)
            return
        if rows:
            await self.session.execute(insert(Transaction), rows)
        if items:
            await self.session.execute(insert(TransactionItem), items)

    async def _copy_many(self, rows: list[dict[str, Any]], items: list[dict[str, Any]]) -> None:
        await self.session.flush()  # anything pending goes first, as with session.execute
        conn = await self.session.connection()
        driver = (await conn.get_raw_connection()).driver_connection
        now = utcnow()
        if rows:
            values = itemgetter(*TRANSACTION_COPY_COLUMNS)
            records = [(*values(row), now, now) for row in rows]
            columns = [*TRANSACTION_COPY_COLUMNS, "created_at", "updated_at"]
            await driver.copy_records_to_table("transactions", records=records, columns=columns)
        if items:
            records = list(map(itemgetter(*ITEM_COPY_COLUMNS), items))
            await driver.copy_records_to_table(
                "transaction_items", records=records, columns=list(ITEM_COPY_COLUMNS)
            )

    async def set_counted(self, transaction_id: uuid.UUID, counted: bool) -> None:
        """After a status change: the items follow whether their transaction counts."""
        await self.session.execute(
            update(TransactionItem)
            .where(
                TransactionItem.organization_id == self.organization_id,
                TransactionItem.transaction_id == transaction_id,
            )
            .values(counted=counted)
            .execution_options(synchronize_session=False)
        )

    async def add_activity(self, row: dict[str, Any]) -> None:
        await self.session.execute(insert(ActivityEvent), [row])

    async def activity_counts(self, customer_id: uuid.UUID) -> dict[str, int]:
        stmt = (
            select(ActivityEvent.type, func.count())
            .where(
                ActivityEvent.organization_id == self.organization_id,
                ActivityEvent.customer_id == customer_id,
            )
            .group_by(ActivityEvent.type)
        )
        return {row[0]: row[1] for row in await self.session.execute(stmt)}


def _with_purchase(rows: list[dict[str, Any]], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {row["id"]: row for row in rows}
    out = []
    for item in items:
        row = by_id[item["transaction_id"]]
        out.append(
            {
                **item,
                "customer_id": row["customer_id"],
                "occurred_at": row["occurred_at"],
                "counted": row["status"] == COUNTED_STATUS,
            }
        )
    return out


class IngestedEventRepository(TenantRepository[IngestedEvent]):
    model = IngestedEvent

    async def find(self, event_id: str) -> IngestedEvent | None:
        stmt = self.scoped().where(IngestedEvent.event_id == event_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()
