"""The jobs table: queue and user-visible status of background work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import Base, IdMixin, OrganizationScoped, utcnow

JOB_STATUSES = ("queued", "running", "completed", "failed")


class Job(IdMixin, OrganizationScoped, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index(None, "status", "run_after"),
        Index(None, "organization_id", "kind", "created_at"),
        # One scheduled run per key (e.g. "nightly:2026-11-24"), however many workers ask.
        UniqueConstraint("organization_id", "dedupe_key"),
    )

    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(100))
