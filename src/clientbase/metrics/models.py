"""Computed customer metrics, in a narrow table of their own: recomputing them never
rewrites the wide, heavily indexed customers table."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import Base, OrganizationScoped, utcnow


class CustomerMetrics(OrganizationScoped, Base):
    __tablename__ = "customer_metrics"
    __table_args__ = (
        Index(None, "organization_id", "total_spent"),
        Index(None, "organization_id", "order_count"),
        Index(None, "organization_id", "last_order_at"),
        Index(None, "organization_id", "lifetime_value"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    total_spent: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    order_count: Mapped[int] = mapped_column(default=0)
    first_order_at: Mapped[datetime | None]
    last_order_at: Mapped[datetime | None]
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
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
