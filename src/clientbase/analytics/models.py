"""Fitted CLV models, one row per fit, so the latest is served and earlier ones are kept."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import Base, IdMixin, OrganizationScoped, utcnow


class ClvModelFit(IdMixin, OrganizationScoped, Base):
    __tablename__ = "clv_model_fits"
    __table_args__ = (Index(None, "organization_id", "business_id", "created_at"),)

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    as_of: Mapped[date]
    model: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
