"""Computed customer metrics, in a narrow table of their own: recomputing them never
rewrites the wide, heavily indexed customers table."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import Base, OrganizationScoped, utcnow


class CustomerMetrics(OrganizationScoped, Base):
    __tablename__ = "customer_metrics"
    __table_args__ = (
        # The customer id orders each value's ties, so a list sorted by a metric pages
        # through (value, id) as one index range (customers.metric_order).
        Index(None, "organization_id", "total_spent", "customer_id"),
        Index(None, "organization_id", "order_count", "customer_id"),
        Index(None, "organization_id", "last_order_at", "customer_id"),
        Index(
            "ix_customer_metrics_windows_stale",
            "organization_id",
            "customer_id",
            postgresql_where=text("windows_stale"),
            sqlite_where=text("windows_stale = 1"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    total_spent: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    order_count: Mapped[int] = mapped_column(default=0)
    first_order_at: Mapped[datetime | None]
    last_order_at: Mapped[datetime | None]
    # Always equal to total_spent (the historical CLV) and deliberately not indexed: lists
    # and segments order and filter it by total_spent's index, and every purchase would
    # otherwise write a second index entry with the same value.
    lifetime_value: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    # Written by the analytics recalculation.
    predicted_ltv: Mapped[Decimal | None]
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases_12m: Mapped[float | None] = mapped_column(Float)
    churn_risk: Mapped[float | None] = mapped_column(Float)
    engagement_score: Mapped[float | None] = mapped_column(Float)
    rfm_score: Mapped[str | None] = mapped_column(String(3))
    lead_score: Mapped[int | None]
    segment: Mapped[str | None] = mapped_column(String(20))
    analytics_as_of: Mapped[datetime | None]
    # A transaction was added or changed since the purchase windows were last refreshed.
    windows_stale: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


WINDOW_DAYS = (30, 90, 365)  # the segment timeframes kept as purchase windows


class PurchaseWindow(OrganizationScoped, Base):
    """A customer's completed purchases of the last `days` days, summed when its
    organization's windows were last refreshed (`PurchaseWindowState.as_of`); no row: none.

    A row stays exact as time passes for as long as its oldest purchase is still inside
    the window (first_at >= now - days); after that, or once the customer's metrics are
    flagged `windows_stale` by a new or changed transaction, segments read the customer's
    transactions instead, until the next refresh."""

    __tablename__ = "customer_purchase_windows"
    __table_args__ = (Index(None, "organization_id", "days", "first_at"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    days: Mapped[int] = mapped_column(primary_key=True)
    total: Mapped[Decimal]
    orders: Mapped[int]
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]


class PurchaseWindowState(Base):
    """When an organization's purchase windows were last refreshed: the windows answer for
    any moment from then on (a customer without a row had no purchase in any window)."""

    __tablename__ = "purchase_window_state"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[datetime]
