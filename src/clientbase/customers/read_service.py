"""The customer profile as GET answers it, on the lean read path: the customer with its
metrics, contacts, addresses and memberships in one statement, as plain values."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import NotFound
from clientbase.customers.read_repository import CustomerDetailRows, CustomerReadRepository


async def customer_detail(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, include_deleted: bool = False
) -> CustomerDetailRows:
    """For presenters.present_detail_row; the same visibility and order as
    service.get_customer_detail, in one statement."""
    actor.require(Permission.CUSTOMERS_READ)
    repo = CustomerReadRepository(session, actor.organization_id)
    detail = await repo.detail(actor, customer_id, include_deleted=include_deleted)
    if detail is None:
        raise NotFound("Customer not found.")
    return detail
