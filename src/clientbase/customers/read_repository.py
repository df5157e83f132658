"""Lean reads for the hottest paths (GET by id, list pages): prebuilt Core statements run on
the session's connection and return plain rows. Each ORM statement costs ~0.5 ms of Python
(statement building, ORM loading), several times the SQL itself."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clientbase.auth.actor import Actor
from clientbase.customers.models import Address, Contact, Customer
from clientbase.customers.repository import visibility_conditions
from clientbase.db.repository import TenantRepository
from clientbase.metrics.models import CustomerMetrics

_customers = Customer.__table__
_metrics = CustomerMetrics.__table__
_contacts = Contact.__table__
_addresses = Address.__table__

# What a customer response carries from customer_metrics, labelled so the names never meet
# the customer's own columns (both tables have updated_at).
METRICS_PREFIX = "metrics_"
METRICS_FIELDS = (
    "customer_id",
    "total_spent",
    "order_count",
    "first_order_at",
    "last_order_at",
    "lifetime_value",
    "predicted_ltv",
    "churn_risk",
    "engagement_score",
    "rfm_score",
    "lead_score",
    "segment",
)
METRICS_COLUMNS = tuple(_metrics.c[name].label(METRICS_PREFIX + name) for name in METRICS_FIELDS)
# A response's customer columns: not the organization (known) nor search_text (typo pass only).
_UNSHOWN = ("organization_id", "search_text")
CUSTOMER_COLUMNS = tuple(column for column in _customers.c if column.name not in _UNSHOWN)
CUSTOMER_WITH_METRICS = _customers.outerjoin(
    _metrics,
    (_metrics.c.customer_id == _customers.c.id)
    & (_metrics.c.organization_id == _customers.c.organization_id),
)


def with_metrics(stmt: Select[Any], *extra: Any) -> Select[Any]:
    """A customers statement answering customer rows plus their metrics (if any)."""
    return stmt.with_only_columns(*CUSTOMER_COLUMNS, *extra, *METRICS_COLUMNS).select_from(
        CUSTOMER_WITH_METRICS
    )


@cache
def _customer_statement(include_deleted: bool, assigned_only: bool, has_user: bool) -> Select[Any]:
    """One statement per visibility variant, built once: the customer and its metrics.
    Without a user (an API key) `assigned_to == None` must stay IS NULL, as in `visible`."""
    user_id = bindparam("user_id", type_=_customers.c.id.type) if has_user else None
    visible = visibility_conditions(
        include_deleted=include_deleted, assigned_only=assigned_only, user_id=user_id
    )
    return with_metrics(
        select(_customers.c.id).where(
            _customers.c.organization_id == bindparam("organization_id"),
            _customers.c.id == bindparam("customer_id"),
            *visible,
        )
    )


_CONTACTS = (
    select(_contacts)
    .where(
        _contacts.c.organization_id == bindparam("organization_id"),
        _contacts.c.customer_id == bindparam("customer_id"),
    )
    .order_by(_contacts.c.is_primary.desc(), _contacts.c.created_at, _contacts.c.id)
)
_ADDRESSES = (
    select(_addresses)
    .where(
        _addresses.c.organization_id == bindparam("organization_id"),
        _addresses.c.customer_id == bindparam("customer_id"),
    )
    .order_by(_addresses.c.type, _addresses.c.is_primary.desc(), _addresses.c.created_at)
)


class CustomerReadRepository(TenantRepository[Customer]):
    model = Customer

    _connection: AsyncConnection | None = None

    async def _rows(self, stmt: Select[Any], **params: Any) -> list[Row[Any]]:
        if self._connection is None:  # each session.connection() is a greenlet hop
            self._connection = await self.session.connection()
        params["organization_id"] = self.organization_id
        return list((await self._connection.execute(stmt, params)).all())

    async def visible_with_metrics(
        self, actor: Actor, customer_id: uuid.UUID, *, include_deleted: bool
    ) -> Row[Any] | None:
        assigned_only = actor.sees_assigned_only
        has_user = actor.user_id is not None
        stmt = _customer_statement(include_deleted, assigned_only, has_user)
        params: dict[str, Any] = {"customer_id": customer_id}
        if assigned_only and has_user:
            params["user_id"] = actor.user_id
        rows = await self._rows(stmt, **params)
        return rows[0] if rows else None

    async def contacts(self, customer_id: uuid.UUID) -> list[Row[Any]]:
        """In ContactRepository.for_customer's order."""
        return await self._rows(_CONTACTS, customer_id=customer_id)

    async def addresses(self, customer_id: uuid.UUID) -> list[Row[Any]]:
        """In AddressRepository.for_customer's order."""
        return await self._rows(_ADDRESSES, customer_id=customer_id)
