"""Lean reads for the hottest paths (GET by id, list pages): prebuilt Core statements run on
the session's connection and return plain rows. Each ORM statement costs ~0.5 ms of Python
(statement building, ORM loading), several times the SQL itself."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clientbase.auth.actor import Actor
from clientbase.customers.models import Address, Contact, Customer
from clientbase.customers.repository import visibility_conditions
from clientbase.db.json_rows import JsonRows
from clientbase.db.repository import TenantRepository
from clientbase.metrics.models import CustomerMetrics
from clientbase.tenancy.models import Membership

_customers = Customer.__table__
_metrics = CustomerMetrics.__table__
_contacts = Contact.__table__
_addresses = Address.__table__
_memberships = Membership.__table__

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


def with_metrics(stmt: Select[Any]) -> Select[Any]:
    """A customers statement answering customer rows plus their metrics (if any)."""
    return stmt.with_only_columns(*CUSTOMER_COLUMNS, *METRICS_COLUMNS).select_from(
        CUSTOMER_WITH_METRICS
    )


# Columns a caller adds to the customer statement, built once per dialect (the key of the
# statement cache, so a module-level function, never a lambda made per call).
ExtraColumns = Callable[[str], tuple[ColumnElement[Any], ...]]


@cache
def _customer_statement(
    include_deleted: bool, assigned_only: bool, has_user: bool, dialect: str, extra: ExtraColumns
) -> Select[Any]:
    """One statement per visibility variant, built once: the customer, its metrics and
    `extra(dialect)`. Without a user (an API key) `assigned_to == None` must stay IS NULL,
    as in `visible`."""
    user_id = bindparam("user_id", type_=_customers.c.id.type) if has_user else None
    visible = visibility_conditions(
        include_deleted=include_deleted, assigned_only=assigned_only, user_id=user_id
    )
    stmt = with_metrics(
        select(_customers.c.id).where(
            _customers.c.organization_id == bindparam("organization_id"),
            _customers.c.id == bindparam("customer_id"),
            *visible,
        )
    )
    return stmt.add_columns(*extra(dialect))


def _children(table: FromClause) -> JsonRows:
    return JsonRows([column for column in table.c if column.name != "organization_id"])


_CONTACT_ROWS = _children(_contacts)
_ADDRESS_ROWS = _children(_addresses)
_MEMBERSHIP_ROWS = JsonRows([_memberships.c.business_id, _memberships.c.joined_at])


def _of_customer(table: FromClause) -> tuple[ColumnElement[bool], ...]:
    return (
        table.c.organization_id == _customers.c.organization_id,
        table.c.customer_id == _customers.c.id,
    )


def _detail_columns(dialect: str) -> tuple[ColumnElement[Any], ...]:
    """Contacts, addresses and memberships as JSON columns: a profile in one round trip."""
    return (
        _CONTACT_ROWS.rows_of(dialect, *_of_customer(_contacts)).label("contacts_json"),
        _ADDRESS_ROWS.rows_of(dialect, *_of_customer(_addresses)).label("addresses_json"),
        _MEMBERSHIP_ROWS.rows_of(dialect, *_of_customer(_memberships)).label("memberships_json"),
    )


@dataclass(frozen=True)
class CustomerDetailRows:
    """A profile as GET answers it: the customer row with metrics, its contacts and
    addresses (as mappings, in the order the related endpoints list them) and business ids
    in the order the customer joined them."""

    customer: Row[Any]
    contacts: list[dict[str, Any]]
    addresses: list[dict[str, Any]]
    business_ids: list[uuid.UUID]


class CustomerReadRepository(TenantRepository[Customer]):
    model = Customer

    _connection: AsyncConnection | None = None

    async def _rows(self, stmt: Select[Any], **params: Any) -> list[Row[Any]]:
        if self._connection is None:  # each session.connection() is a greenlet hop
            self._connection = await self.session.connection()
        params["organization_id"] = self.organization_id
        return list((await self._connection.execute(stmt, params)).all())

    async def visible_with_metrics(
        self,
        actor: Actor,
        customer_id: uuid.UUID,
        *,
        include_deleted: bool,
        extra: ExtraColumns,
        **params: Any,
    ) -> Row[Any] | None:
        """The customer and its metrics if `actor` sees it, plus `extra` columns (whose
        bound parameters come in `params`)."""
        assigned_only = actor.sees_assigned_only
        has_user = actor.user_id is not None
        dialect = self.session.get_bind().dialect.name
        stmt = _customer_statement(include_deleted, assigned_only, has_user, dialect, extra)
        params["customer_id"] = customer_id
        if assigned_only and has_user:
            params["user_id"] = actor.user_id
        rows = await self._rows(stmt, **params)
        return rows[0] if rows else None

    async def detail(
        self, actor: Actor, customer_id: uuid.UUID, *, include_deleted: bool
    ) -> CustomerDetailRows | None:
        row = await self.visible_with_metrics(
            actor, customer_id, include_deleted=include_deleted, extra=_detail_columns
        )
        if row is None:
            return None
        contacts = _CONTACT_ROWS.decode(row.contacts_json)
        contacts.sort(key=lambda c: (not c["is_primary"], c["created_at"], c["id"]))
        addresses = _ADDRESS_ROWS.decode(row.addresses_json)
        addresses.sort(key=lambda a: (a["type"], not a["is_primary"], a["created_at"]))
        memberships = _MEMBERSHIP_ROWS.decode(row.memberships_json)
        memberships.sort(key=lambda m: m["joined_at"])
        return CustomerDetailRows(row, contacts, addresses, [m["business_id"] for m in memberships])
