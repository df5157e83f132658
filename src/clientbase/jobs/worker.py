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


@contextlib.asynccontextmanager
async def in_process_jobs(db: Database, *, enabled: bool) -> AsyncIterator[None]:
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(db, stop, on_idle=NightlySchedule(db).tick))
    try:
        yield
    finally:
        stop.set()
        await task


async def work(db: Database, stop: asyncio.Event) -> None:
    await run_forever(db, stop, on_idle=NightlySchedule(db).tick)
