"""Enqueue background work and show its status; jobs are released after the enqueuing
transaction commits, because the worker only sees committed rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import NotFound, ValidationFailed
from clientbase.db.base import utcnow
from clientbase.jobs.models import Job
from clientbase.jobs.registry import HANDLERS
from clientbase.jobs.repository import JobRepository


async def enqueue(
    session: AsyncSession,
    organization_id: uuid.UUID,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
) -> Job:
    if kind not in HANDLERS:
        raise ValidationFailed.on("kind", f"unknown job kind {kind!r}")
    repo = JobRepository(session, organization_id)
    if dedupe_key is not None:
        existing = await repo.by_dedupe_key(dedupe_key)
        if existing is not None:
            return existing
    job = repo.add(
        Job(kind=kind, payload=payload, dedupe_key=dedupe_key, run_after=run_after or utcnow())
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # another process enqueued the same key first
        found = await repo.by_dedupe_key(dedupe_key or "")
        if found is None:
            raise
        return found
    return job


async def get_job(session: AsyncSession, actor: Actor, job_id: uuid.UUID) -> Job:
    actor.require(Permission.CUSTOMERS_READ)
    job = await JobRepository(session, actor.organization_id).get(job_id)
    if job is None:
        raise NotFound("Job not found.")
    return job


async def recent_jobs(
    session: AsyncSession, actor: Actor, *, limit: int, kind: str | None = None
) -> list[Job]:
    actor.require(Permission.ANALYTICS_RUN)
    return await JobRepository(session, actor.organization_id).recent(limit=limit, kind=kind)
