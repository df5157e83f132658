"""Job kinds of the analytics domain."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.analytics.recalculate import recalculate
from clientbase.db.base import utcnow
from clientbase.jobs.models import Job
from clientbase.jobs.registry import Progress, job


@job("analytics.recalculate")
async def recalculate_job(
    session: AsyncSession, job_row: Job, progress: Progress
) -> dict[str, Any]:
    payload = job_row.payload
    as_of = date.fromisoformat(payload["as_of"]) if payload.get("as_of") else utcnow().date()
    holdout = date.fromisoformat(payload["holdout_end"]) if payload.get("holdout_end") else None
    business = uuid.UUID(payload["business_id"]) if payload.get("business_id") else None
    return await recalculate(
        session,
        job_row.organization_id,
        as_of=as_of,
        business_id=business,
        holdout_end=holdout,
        progress=progress,
    )
