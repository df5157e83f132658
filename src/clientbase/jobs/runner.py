"""Runs queued jobs: in-process by default (a task in the app) or in `clientbase worker`.
Each job runs in its own transaction; progress is written in separate short ones so it
is visible while the job works. A job whose worker died is re-queued and rerun from the
start, which is safe because every handler recomputes rather than accumulates."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import traceback
from collections.abc import Callable
from datetime import timedelta

import structlog

from clientbase.db.base import utcnow
from clientbase.db.session import Database, session_scope
from clientbase.jobs import repository
from clientbase.jobs.models import Job
from clientbase.jobs.registry import HANDLERS

log = structlog.get_logger(__name__)
STALE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 3


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_one(db: Database, worker: str | None = None) -> Job | None:
    """Claim and run the next due job; returns it (finished) or None when idle."""
    worker = worker or worker_name()
    async with session_scope(db) as session:
        await repository.requeue_stale(session, utcnow() - STALE_AFTER)
        job = await repository.claim_next(session, worker, utcnow())
    if job is None:
        return None

    async def progress(fraction: float) -> None:
        if db.dialect == "sqlite":
            # SQLite has one writer: the job's own transaction holds the lock, so a second
            # transaction for progress would wait on it. Progress shows at the end there.
            return
        async with session_scope(db) as session:
            await repository.set_fields(
                session, job.id, progress=max(0.0, min(1.0, fraction)), heartbeat_at=utcnow()
            )

    try:
        async with session_scope(db) as session:
            result = await HANDLERS[job.kind](session, job, progress)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job
        log.warning("job_failed", job_id=str(job.id), kind=job.kind, error=str(exc))
        retry = job.attempts < MAX_ATTEMPTS
        async with session_scope(db) as session:
            await repository.set_fields(
                session,
                job.id,
                status="queued" if retry else "failed",
                error="".join(traceback.format_exception_only(exc)).strip()[:2000],
                finished_at=None if retry else utcnow(),
                run_after=utcnow() + timedelta(seconds=30 * job.attempts),
            )
        return job
    async with session_scope(db) as session:
        await repository.set_fields(
            session,
            job.id,
            status="completed",
            result=result,
            progress=1.0,
            finished_at=utcnow(),
            error=None,
        )
    return job


async def run_forever(
    db: Database,
    stop: asyncio.Event,
    *,
    poll_seconds: float = 1.0,
    on_idle: Callable[[], object] | None = None,
) -> None:
    worker = worker_name()
    while not stop.is_set():
        try:
            ran = await run_one(db, worker)
            if ran is None and on_idle is not None:
                await on_idle()  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - the loop must outlive one bad poll
            log.exception("job_loop_error")
            ran = None
        if ran is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
