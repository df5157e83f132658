"""One customer's values as the evaluator reads them (for explain): the profile, custom
fields, addresses, stored metrics, and completed transactions only when a rule needs them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.customers import related_service
from clientbase.customers import service as customers
from clientbase.customers.models import Customer
from clientbase.metrics import service as metrics
from clientbase.metrics.models import CustomerMetrics
from clientbase.segments.fields import Source
from clientbase.segments.schemas import Group, rules_of
from clientbase.tenancy import service as tenancy
from clientbase.transactions.models import COUNTED_STATUS, Transaction, TransactionItem

PROFILE_COLUMNS = [c.key for c in Customer.__table__.columns]
METRIC_COLUMNS = [c.key for c in CustomerMetrics.__table__.columns]


async def load_facts(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, tree: Group | None
) -> dict[str, Any]:
    """Raises NotFound for a customer the actor cannot see."""
    customer = await customers.get_customer(session, actor, customer_id)
    _, addresses = await related_service.contacts_and_addresses(session, actor, customer.id)
    stored = (await metrics.for_customers(session, actor, [customer.id])).get(customer.id)
    needed = rules_of(tree) if tree is not None else []
    wants_orders = any(r.timeframe or r.field.source == Source.PURCHASE for r in needed)
    wants_items = any(r.field.source == Source.PURCHASE for r in needed)
    return {
        "profile": {name: getattr(customer, name) for name in PROFILE_COLUMNS},
        "custom_fields": dict(customer.custom_fields or {}),
        "addresses": [
            {"city": a.city, "region": a.region, "country": a.country} for a in addresses
        ],
        "metrics": {n: getattr(stored, n) for n in METRIC_COLUMNS} if stored else None,
        "transactions": (
            await _orders(session, actor.organization_id, customer.id, wants_items)
            if wants_orders
            else []
        ),
        "business_ids": await tenancy.customer_business_ids(session, actor, customer.id),
    }


async def _orders(
    session: AsyncSession, organization_id: uuid.UUID, customer_id: uuid.UUID, items: bool
) -> list[dict[str, Any]]:
    t = Transaction
    rows = await session.execute(
        select(t.id, t.occurred_at, t.amount, t.business_id).where(
            t.organization_id == organization_id,
            t.customer_id == customer_id,
            t.status == COUNTED_STATUS,
        )
    )
    orders = {
        row.id: {
            "status": COUNTED_STATUS,
            "occurred_at": row.occurred_at,
            "amount": row.amount,
            "business_id": row.business_id,
            "items": [],
        }
        for row in rows
    }
    if items and orders:
        i = TransactionItem
        found = await session.execute(
            select(i.transaction_id, i.category, i.sku, i.brand)
            .join(t, t.id == i.transaction_id)
            .where(
                i.organization_id == organization_id,
                t.organization_id == organization_id,
                t.customer_id == customer_id,
                t.status == COUNTED_STATUS,
            )
        )
        for row in found:
            orders[row.transaction_id]["items"].append(
                {"category": row.category, "sku": row.sku, "brand": row.brand}
            )
    return list(orders.values())
