"""Where jobs run: a task inside the server (the embedded default) or `clientbase worker`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import clientbase.analytics.jobs  # noqa: F401 - registers the analytics job kinds
import clientbase.customers.jobs  # noqa: F401 - registers the search dictionary's rebuild
import clientbase.segments.jobs  # noqa: F401 - registers the segment job kinds
from clientbase.db.session import Database
from clientbase.jobs.runner import run_forever
from clientbase.jobs.schedule import NightlySchedule

# A job holds its transaction's connection and writes its progress through a second one.
JOB_CONNECTIONS = 2


@contextlib.asynccontextmanager
async def in_process_jobs(db: Database, *, enabled: bool) -> AsyncIterator[None]:
    """Jobs in the server take their connections from a pool of their own: drawn from the
    requests' pool, a job waiting for its progress connection while requests waited on the
    job's row locks would hold each other until the pool's timeout."""
    if not enabled:
        yield
        return
    own = Database(db.url, pool_size=JOB_CONNECTIONS, max_overflow=0, pre_ping=db.pre_ping)
    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(own, stop, on_idle=NightlySchedule(own).tick))
    try:
        yield
    finally:
        stop.set()
        await task
        await own.dispose()


async def work(db: Database, stop: asyncio.Event) -> None:
    await run_forever(db, stop, on_idle=NightlySchedule(db).tick)
