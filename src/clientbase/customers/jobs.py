"""Job kinds of the customers domain: the nightly rebuild of the search dictionary."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.customers import search_index
from clientbase.jobs.models import Job
from clientbase.jobs.registry import Progress, job

REBUILD_DICTIONARY = "search.rebuild_dictionary"


@job(REBUILD_DICTIONARY)
async def rebuild_dictionary_job(
    session: AsyncSession, job_row: Job, progress: Progress
) -> dict[str, Any]:
    """Drops the words no customer uses any more (writes only ever add words) and files
    any a race lost. Safe to run again: the result is the same dictionary."""
    filed, dropped = await search_index.rebuild_dictionary(session, job_row.organization_id)
    return {"filed": filed, "dropped": dropped}
