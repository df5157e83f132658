"""Job kinds of the segments domain: one segment on demand, everything nightly."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.core.errors import NotFound
from clientbase.jobs.models import Job
from clientbase.jobs.registry import Progress, job

RECALCULATE = "segments.recalculate"
RECALCULATE_ALL = "segments.recalculate_all"
REFRESH_CUSTOMERS = "segments.refresh_customers"


@job(RECALCULATE)
async def recalculate_job(
    session: AsyncSession, job_row: Job, progress: Progress
) -> dict[str, Any]:
    from clientbase.segments.recalculate import recalculate_segment

    actor = Actor.system(job_row.organization_id, label="segments")
    try:
        return await recalculate_segment(
            session, actor, uuid.UUID(job_row.payload["segment_id"]), reason="recalculation"
        )
    except NotFound:  # deleted since it was queued: nothing to do
        return {"segment_id": job_row.payload["segment_id"], "skipped": "segment deleted"}


@job(RECALCULATE_ALL)
async def recalculate_all_job(
    session: AsyncSession, job_row: Job, progress: Progress
) -> dict[str, Any]:
    """Nightly: the lifecycle segments of every business (metrics first, by the schedule's
    order) in one transaction, since a customer moves between them; then every custom
    dynamic segment, each committed on its own (a rerun after a crash redoes nothing twice:
    recalculation writes the difference)."""
    from clientbase.segments.lifecycle import recalculate_lifecycle
    from clientbase.segments.recalculate import recalculate_all

    actor = Actor.system(job_row.organization_id, label="segments")
    lifecycle = await recalculate_lifecycle(session, actor)
    await session.commit()  # the lifecycle segments together; then a transaction per segment
    await progress(0.3)

    async def custom_progress(fraction: float) -> None:
        await progress(0.3 + 0.7 * fraction)

    custom = await recalculate_all(session, actor, progress=custom_progress)
    return {"lifecycle": lifecycle, "custom": custom}


@job(REFRESH_CUSTOMERS)
async def refresh_customers_job(
    session: AsyncSession, job_row: Job, progress: Progress
) -> dict[str, Any]:
    """After a bulk change: its customers re-evaluated against every dynamic segment."""
    from clientbase.segments.membership_service import refresh_for_customers

    actor = Actor.system(job_row.organization_id, label="segments")
    ids = [uuid.UUID(i) for i in job_row.payload["customer_ids"]]
    result = await refresh_for_customers(session, actor, ids)
    return {"customers": len(ids), "entered": result["entered"], "left": result["left"]}
