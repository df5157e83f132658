"""Queries on the jobs table: tenant-scoped reads, and the worker's claims."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.db.repository import TenantRepository
from clientbase.db.session import dialect_name
from clientbase.jobs.models import Job


class JobRepository(TenantRepository[Job]):
    model = Job

    async def recent(self, *, limit: int, kind: str | None = None) -> list[Job]:
        stmt = self.scoped().order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
        if kind:
            stmt = stmt.where(Job.kind == kind)
        return list((await self.session.execute(stmt)).scalars())

    async def by_dedupe_key(self, key: str) -> Job | None:
        stmt = self.scoped().where(Job.dedupe_key == key)
        return (await self.session.execute(stmt)).scalar_one_or_none()


async def claim_next(session: AsyncSession, worker: str, now: datetime) -> Job | None:
    """Take the oldest due job. PostgreSQL skips rows other workers hold (SKIP LOCKED);
    the conditional UPDATE makes the claim safe on SQLite too."""
    stmt = (
        select(Job.id)
        .where(Job.status == "queued", Job.run_after <= now)
        .order_by(Job.run_after, Job.created_at)
        .limit(1)
    )
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    job_id = (await session.execute(stmt)).scalar_one_or_none()
    if job_id is None:
        return None
    claimed = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(
            status="running",
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            attempts=Job.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    return await session.get(Job, job_id, populate_existing=True)


async def requeue_stale(session: AsyncSession, older_than: datetime) -> int:
    """Jobs whose worker stopped heartbeating (killed mid-way) run again from the start."""
    result = await session.execute(
        update(Job)
        .where(Job.status == "running", Job.heartbeat_at < older_than)
        .values(status="queued", worker=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def set_fields(session: AsyncSession, job_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def organization_ids_with_jobs_of(session: AsyncSession, kind: str) -> list[uuid.UUID]:
    stmt = select(Job.organization_id).where(Job.kind == kind).distinct()
    return list((await session.execute(stmt)).scalars())
