"""Segments, who is in them now, and when each customer entered and left."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
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


class Unkeyed:
    """Memberships and history have no foreign keys: each key is a per-row trigger, and a
    first materialisation writes ~624,000 rows at 1,000,000 customers (2.4 s without keys,
    9.1 s with them, migration 0011). Their rows come from queries over the organization's
    own customers and segments; `SegmentRepository` locks the segments it writes for and
    deletes a segment's memberships with it. History stays: it is the event feed."""

    organization_id: Mapped[uuid.UUID]
    segment_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]


class SegmentMembership(Unkeyed, Base):
    __tablename__ = "segment_memberships"
    __table_args__ = (Index(None, "organization_id", "customer_id"),)

    segment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default="rule")


class SegmentMembershipHistory(Unkeyed, Base):
    """Append-only: one row per change of membership, with why. Each row is also the
    change's `segment.assigned` / `segment.unassigned` event: `seq` is its place in the
    organization's feed, given at commit, and `segment_name` the name it was sent with
    (both NULL for rows older than migration 0011, whose events are in the outbox). Rows
    outlive their segment, as events outlive what they tell of."""

    __tablename__ = "segment_membership_history"
    __table_args__ = (
        Index(None, "organization_id", "segment_id", "at"),
        Index(None, "organization_id", "customer_id", "at"),
        Index(None, "organization_id", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    segment_name: Mapped[str | None] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(64))


class LifecycleSettings(OrganizationScoped, TimestampMixin, Versioned, Base):
    """Per-business thresholds of the lifecycle segments (absent: the seed defaults)."""

    __tablename__ = "segment_lifecycle_settings"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
