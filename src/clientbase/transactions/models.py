"""Purchases, refunds and activity: what customers did, in tables built for volume."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import (
    Base,
    BigId,
    IdMixin,
    OrganizationScoped,
    TimestampMixin,
    Versioned,
    utcnow,
)

TRANSACTION_STATUSES = ("pending", "processing", "completed", "cancelled", "refunded")
OPEN_STATUSES = ("pending", "processing")
COUNTED_STATUS = "completed"


class Transaction(IdMixin, OrganizationScoped, TimestampMixin, Versioned, Base):
    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("organization_id", "external_id"),
        Index(None, "organization_id", "customer_id", "occurred_at"),
        Index(None, "organization_id", "business_id", "occurred_at"),
    )

    external_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"))
    occurred_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str | None] = mapped_column(String(50))


COUNTED_ITEM = text("counted")
COUNTED_ITEM_SQLITE = text("counted = 1")  # how SQLAlchemy writes the test there


class TransactionItem(Base):
    """A line of a transaction. `customer_id`, `occurred_at` and `counted` (the
    transaction is completed) repeat the transaction's, so "who bought this category" is
    one index range without a join (segments' `purchased_category` at 10,000,000 items:
    the join to transactions was ~4 s). Written with the transaction, changed with its
    status (`TransactionRepository`). Its organization is its transaction's, which holds
    the key to organizations; a key of its own was checked row by row on every import
    (20,000 checks a 10,000-row bulk request) and guarded nothing the transaction's
    cascade does not."""

    __tablename__ = "transaction_items"
    __table_args__ = (
        Index(None, "organization_id", "transaction_id"),
        Index(
            "ix_transaction_items_counted_category",
            "organization_id",
            "category",
            "occurred_at",
            "customer_id",
            postgresql_where=COUNTED_ITEM,
            sqlite_where=COUNTED_ITEM_SQLITE,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID]
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("transactions.id", ondelete="CASCADE")
    )
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(100))
    brand: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal]
    customer_id: Mapped[uuid.UUID]
    occurred_at: Mapped[datetime]
    counted: Mapped[bool]


class ActivityEvent(OrganizationScoped, Base):
    """Sessions, page and product views, abandoned carts, logins, reviews, tickets."""

    __tablename__ = "activity_events"
    __table_args__ = (
        Index(None, "organization_id", "customer_id", "occurred_at"),
        Index(None, "organization_id", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IngestedEvent(Base):
    """Inbound event ids already handled: a re-delivery is answered, not applied twice."""

    __tablename__ = "ingested_events"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
