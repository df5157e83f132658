"""One customer's analytics inputs on the lean read path: prebuilt Core statements for the
business's latest CLV fit and the customer's completed purchases with their items, run on
the session's connection as plain rows (GET /customers/{id}/analytics is a hot read)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.analytics.models import ClvModelFit
from clientbase.tenancy.models import Business
from clientbase.transactions.models import COUNTED_STATUS, Transaction, TransactionItem

_fits = ClvModelFit.__table__
_businesses = Business.__table__
_transactions = Transaction.__table__
_items = TransactionItem.__table__

# The default business's newest fit (a customer's analytics are scored with it).
_LATEST_FIT = (
    select(_fits.c.body)
    .join(
        _businesses,
        (_businesses.c.id == _fits.c.business_id)
        & (_businesses.c.organization_id == _fits.c.organization_id),
    )
    .where(
        _fits.c.organization_id == bindparam("organization_id"),
        _businesses.c.is_default.is_(True),
    )
    .order_by(_fits.c.created_at.desc())
    .limit(1)
)

# Each completed purchase up to a moment, once per item (once, with NULL items, without).
_PURCHASES = (
    select(
        _transactions.c.id,
        _transactions.c.occurred_at,
        _transactions.c.amount,
        _items.c.sku,
        _items.c.name,
        _items.c.category,
        _items.c.brand,
        _items.c.quantity,
        _items.c.unit_price,
    )
    .outerjoin(
        _items,
        (_items.c.transaction_id == _transactions.c.id)
        & (_items.c.organization_id == _transactions.c.organization_id),
    )
    .where(
        _transactions.c.organization_id == bindparam("organization_id"),
        _transactions.c.customer_id == bindparam("customer_id"),
        _transactions.c.status == COUNTED_STATUS,
        _transactions.c.occurred_at <= bindparam("until", type_=_transactions.c.occurred_at.type),
    )
    .order_by(_transactions.c.occurred_at, _transactions.c.id, _items.c.id)
)


async def latest_fit_body(session: AsyncSession, organization_id: uuid.UUID) -> dict[str, Any]:
    connection = await session.connection()
    row = (await connection.execute(_LATEST_FIT, {"organization_id": organization_id})).first()
    return row[0] if row is not None else {}


async def purchases_with_items(
    session: AsyncSession, organization_id: uuid.UUID, customer_id: uuid.UUID, until: datetime
) -> list[Row[Any]]:
    connection = await session.connection()
    params = {"organization_id": organization_id, "customer_id": customer_id, "until": until}
    return list((await connection.execute(_PURCHASES, params)).all())
