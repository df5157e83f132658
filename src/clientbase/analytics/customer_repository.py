"""One customer's analytics inputs on the lean read path, in one statement: the customer
with its metrics, the business's latest CLV fit and the customer's completed purchases with
their items (GET /customers/{id}/analytics is a hot read)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.analytics.models import ClvModelFit
from clientbase.auth.actor import Actor
from clientbase.customers.models import Customer
from clientbase.customers.read_repository import CustomerReadRepository
from clientbase.db.json_rows import JsonRows
from clientbase.tenancy.models import Business
from clientbase.transactions.models import COUNTED_STATUS, Transaction, TransactionItem

_customers = Customer.__table__
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
        _fits.c.organization_id == _customers.c.organization_id,
        _businesses.c.is_default.is_(True),
    )
    .order_by(_fits.c.created_at.desc())
    .limit(1)
    .scalar_subquery()
)

# Each completed purchase up to a moment, once per item (once, with no item, without).
_PURCHASE_ROWS = JsonRows(
    [
        _transactions.c.id,
        _transactions.c.occurred_at,
        _transactions.c.amount,
        _items.c.id,
        _items.c.sku,
        _items.c.name,
        _items.c.category,
        _items.c.brand,
        _items.c.quantity,
        _items.c.unit_price,
    ],
    names=(
        "id",
        "occurred_at",
        "amount",
        "item_id",
        "sku",
        "name",
        "category",
        "brand",
        "quantity",
        "unit_price",
    ),
)
_TRANSACTIONS_WITH_ITEMS = _transactions.outerjoin(
    _items,
    (_items.c.transaction_id == _transactions.c.id)
    & (_items.c.organization_id == _transactions.c.organization_id),
)


def _analytics_columns(dialect: str) -> tuple[ColumnElement[Any], ...]:
    purchases = _PURCHASE_ROWS.rows_of(
        dialect,
        _transactions.c.organization_id == _customers.c.organization_id,
        _transactions.c.customer_id == _customers.c.id,
        _transactions.c.status == COUNTED_STATUS,
        _transactions.c.occurred_at <= bindparam("until", type_=_transactions.c.occurred_at.type),
        source=_TRANSACTIONS_WITH_ITEMS,
    )
    return _LATEST_FIT.label("fit_body"), purchases.label("purchases_json")


@dataclass(frozen=True)
class AnalyticsInputs:
    customer: Row[Any]
    fit_body: dict[str, Any]
    purchases: list[dict[str, Any]]  # by time, then transaction id, then item


async def analytics_inputs(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, until: datetime
) -> AnalyticsInputs | None:
    """None when `actor` does not see the customer (deleted ones included)."""
    reader = CustomerReadRepository(session, actor.organization_id)
    row = await reader.visible_with_metrics(
        actor, customer_id, include_deleted=True, extra=_analytics_columns, until=until
    )
    if row is None:
        return None
    purchases = _PURCHASE_ROWS.decode(row.purchases_json)
    purchases.sort(key=lambda p: (p["occurred_at"], p["id"], p["item_id"] or 0))
    return AnalyticsInputs(row, row.fit_body or {}, purchases)
