"""The job runner against a real database with real commits (workers see only committed
rows): claims, completion, failure with retry, a worker that died, the nightly schedule."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from clientbase.core.errors import ValidationFailed
from clientbase.db.session import Database, session_scope
from clientbase.jobs import repository, runner
from clientbase.jobs import service as jobs
from clientbase.jobs.models import Job
from clientbase.jobs.registry import HANDLERS, job
from clientbase.jobs.schedule import NightlySchedule
from clientbase.jobs.worker import in_process_jobs
from clientbase.tenancy import service as tenancy
from clientbase.tenancy.models import Organization

pytestmark = pytest.mark.asyncio
CALLS: list[str] = []


@job("test.echo")
async def echo(session, job_row, progress):
    await progress(0.5)
    CALLS.append(job_row.payload["say"])
    if job_row.payload.get("fail"):
        raise RuntimeError("asked to fail")
    return {"said": job_row.payload["say"]}


@pytest.fixture
async def org_id(database):
    async with session_scope(database) as session:
        org = await tenancy.create_organization(session, name=f"Jobs {uuid.uuid4().hex[:6]}")
    yield org.id
    async with session_scope(database) as session:
        await session.execute(delete(Job).where(Job.organization_id == org.id))
        await session.execute(delete(Organization).where(Organization.id == org.id))


async def reload(database, job_id):
    async with session_scope(database) as session:
        return await session.get(Job, job_id)


async def drain(database):
    while await runner.run_one(database, "test-worker"):
        pass


async def test_runs_queued_jobs_and_records_results(database, org_id):
    async with session_scope(database) as session:
        queued = await jobs.enqueue(session, org_id, "test.echo", {"say": "hello"})
    await drain(database)
    done = await reload(database, queued.id)
    assert (done.status, done.result, done.progress, done.attempts) == (
        "completed",
        {"said": "hello"},
        1.0,
        1,
    )


async def test_failure_is_retried_then_recorded(database, org_id):
    async with session_scope(database) as session:
        queued = await jobs.enqueue(session, org_id, "test.echo", {"say": "x", "fail": True})
    for _ in range(runner.MAX_ATTEMPTS):
        async with session_scope(database) as session:
            await repository.set_fields(session, queued.id, run_after=datetime.now(UTC))
        await runner.run_one(database, "test-worker")
    failed = await reload(database, queued.id)
    assert failed.status == "failed" and "asked to fail" in failed.error
    assert failed.attempts == runner.MAX_ATTEMPTS


async def test_a_job_whose_worker_died_runs_again(database, org_id):
    async with session_scope(database) as session:
        queued = await jobs.enqueue(session, org_id, "test.echo", {"say": "again"})
        claimed = await repository.claim_next(session, "dead-worker", datetime.now(UTC))
        assert claimed.id == queued.id
        await repository.set_fields(
            session, queued.id, heartbeat_at=datetime.now(UTC) - timedelta(hours=1)
        )
    await drain(database)
    done = await reload(database, queued.id)
    assert done.status == "completed" and done.attempts == 2


async def test_nightly_schedule_enqueues_once_per_day(database, org_id):
    night = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert "analytics.recalculate" in HANDLERS
    first = NightlySchedule(database)
    second = NightlySchedule(database)  # another worker
    assert await first.tick(night) >= 1
    await second.tick(night + timedelta(minutes=5))
    async with session_scope(database) as session:
        mine = await repository.JobRepository(session, org_id).recent(limit=10)
    assert sorted(j.dedupe_key for j in mine) == [
        "nightly-search:2026-11-24",
        "nightly-segments:2026-11-24",
        "nightly:2026-11-24",
    ]
    assert await first.tick(datetime(2026, 11, 24, 1, 0, tzinfo=UTC)) == 0


async def test_unknown_job_kind_is_refused(database, org_id):
    async with session_scope(database) as session:
        with pytest.raises(ValidationFailed):
            await jobs.enqueue(session, org_id, "no.such.job", {})


async def test_jobs_in_the_server_do_not_draw_on_the_requests_pool(database, org_id, dialect):
    """Requests holding every connection of their pool do not stop an in-process job,
    which needs two (its transaction and its progress)."""
    if dialect != "postgres":
        pytest.skip("SQLite opens a connection per use; there is no pool to exhaust")
    requests = Database(database.url, pool_size=1, max_overflow=0)
    try:
        async with session_scope(database) as session:
            queued = await jobs.enqueue(session, org_id, "test.echo", {"say": "own pool"})
        async with requests.engine.connect() as held:  # the requests' only connection
            await held.exec_driver_sql("SELECT 1")
            async with in_process_jobs(requests, enabled=True):
                for _ in range(400):  # 20 s; the pool's own wait is 30 s
                    done = await reload(database, queued.id)
                    if done.status == "completed":
                        break
                    await asyncio.sleep(0.05)
    finally:
        await requests.dispose()
    assert (done.status, done.progress) == ("completed", 1.0)
