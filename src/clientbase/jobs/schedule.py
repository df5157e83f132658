"""The nightly schedule: once a day after 02:00 UTC every organization gets one analytics
recalculation, then one segments recalculation (lifecycle and custom segments read the
metrics, so they are queued a few minutes later), and a rebuild of its search dictionary;
the dedupe keys keep each to one however many workers are running. SQLite's planner
statistics are refreshed at the same time."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from clientbase.db.base import utcnow
from clientbase.db.session import Database, session_scope
from clientbase.jobs import service
from clientbase.tenancy import service as tenancy

NIGHTLY_AT = time(2, 0)
NIGHTLY_KIND = "analytics.recalculate"
SEGMENTS_KIND = "segments.recalculate_all"
SEGMENTS_DELAY = timedelta(minutes=5)
SEARCH_KIND = "search.rebuild_dictionary"


class NightlySchedule:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.done_for: str | None = None

    async def tick(self, now: datetime | None = None) -> int:
        now = now or utcnow()
        day = now.date().isoformat()
        if now.time() < NIGHTLY_AT or self.done_for == day:
            return 0
        enqueued = 0
        async with session_scope(self.db) as session:
            for org_id in await tenancy.all_organization_ids(session):
                await service.enqueue(
                    session, org_id, NIGHTLY_KIND, {"scheduled": day}, dedupe_key=f"nightly:{day}"
                )
                await service.enqueue(
                    session,
                    org_id,
                    SEGMENTS_KIND,
                    {"scheduled": day},
                    dedupe_key=f"nightly-segments:{day}",
                    run_after=now + SEGMENTS_DELAY,
                )
                await service.enqueue(
                    session,
                    org_id,
                    SEARCH_KIND,
                    {"scheduled": day},
                    dedupe_key=f"nightly-search:{day}",
                )
                enqueued += 1
        await self.db.refresh_statistics()
        self.done_for = day
        return enqueued
