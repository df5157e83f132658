"""The customer profile as GET answers it, on the lean read path: the customer with its
metrics in one statement, then contacts, addresses and memberships, all plain rows."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import NotFound
from clientbase.customers.read_repository import CustomerReadRepository
from clientbase.tenancy import service as tenancy


async def customer_detail_rows(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, include_deleted: bool = False
) -> tuple[Row[Any], list[Row[Any]], list[Row[Any]], list[uuid.UUID]]:
    """(customer with metrics, contacts, addresses, business ids) for presenters.present_detail;
    the same visibility and order as service.get_customer_detail."""
    actor.require(Permission.CUSTOMERS_READ)
    repo = CustomerReadRepository(session, actor.organization_id)
    customer = await repo.visible_with_metrics(actor, customer_id, include_deleted=include_deleted)
    if customer is None:
        raise NotFound("Customer not found.")
    contacts = await repo.contacts(customer.id)
    addresses = await repo.addresses(customer.id)
    business_ids = await tenancy.customer_business_ids(session, actor, customer.id)
    return customer, contacts, addresses, business_ids
