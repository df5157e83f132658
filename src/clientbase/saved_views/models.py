"""Saved views: a user's named set of customer-list filters."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import Base, IdMixin, OrganizationScoped, TimestampMixin, Versioned


class SavedView(IdMixin, OrganizationScoped, TimestampMixin, Versioned, Base):
    __tablename__ = "saved_views"
    __table_args__ = (
        UniqueConstraint("organization_id", "owner_id", "name"),
        Index(None, "organization_id", "shared"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sort: Mapped[str | None] = mapped_column(String(40))
    shared: Mapped[bool] = mapped_column(default=False)
