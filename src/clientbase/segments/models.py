"""Segments, who is in them now, and when each customer entered and left."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
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

SEGMENT_TYPES = ("dynamic", "static")
SOURCES = ("rule", "manual")
ACTIONS = ("entered", "left")


class Segment(IdMixin, OrganizationScoped, TimestampMixin, Versioned, Base):
    __tablename__ = "segments"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        Index(None, "organization_id", "type"),
        Index(None, "organization_id", "business_id", "lifecycle"),
    )

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    color_code: Mapped[str | None] = mapped_column(String(7))
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(10))
    criteria: Mapped[dict[str, Any] | None]
    is_system: Mapped[bool] = mapped_column(default=False)
    # vip | loyal | promising | new | at_risk | dormant | lost for the built-in segments
    lifecycle: Mapped[str | None] = mapped_column(String(20))
    member_count: Mapped[int] = mapped_column(default=0)
    last_calculated_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None]
    updated_by: Mapped[uuid.UUID | None]


class SegmentMembership(OrganizationScoped, Base):
    __tablename__ = "segment_memberships"
    __table_args__ = (Index(None, "organization_id", "customer_id"),)

    segment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default="rule")


class SegmentMembershipHistory(OrganizationScoped, Base):
    """Append-only: one row per change of membership, with why."""

    __tablename__ = "segment_membership_history"
    __table_args__ = (
        Index(None, "organization_id", "segment_id", "at"),
        Index(None, "organization_id", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    segment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LifecycleSettings(OrganizationScoped, TimestampMixin, Versioned, Base):
    """Per-business thresholds of the lifecycle segments (absent: the seed defaults)."""

    __tablename__ = "segment_lifecycle_settings"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
