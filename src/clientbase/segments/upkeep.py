"""Membership upkeep for the customers a change touched (profile edit, status, payment,
delete/restore, address, purchase, refund). A few customers are re-evaluated inside the change's
own transaction, so what a reader sees is never behind the rules; a bulk change queues one
job for its customers instead of holding its transaction open for the re-evaluation.

Other domains call this module; it imports none of them at load time (segments read
customers, so the evaluation itself is imported when it runs)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.jobs import service as jobs
from clientbase.segments.jobs import REFRESH_CUSTOMERS  # importing it registers the kind

INLINE_LIMIT = 100
BATCH = "segments.upkeep.batch"


async def customers_changed(
    session: AsyncSession, actor: Actor, customer_ids: Iterable[uuid.UUID]
) -> None:
    ids = sorted(set(customer_ids))
    if not ids:
        return
    if BATCH in session.info:
        session.info[BATCH].update(ids)
        return
    if len(ids) > INLINE_LIMIT:
        await jobs.enqueue(
            session,
            actor.organization_id,
            REFRESH_CUSTOMERS,
            {"customer_ids": [str(i) for i in ids]},
        )
        return
    from clientbase.segments import membership_service

    await membership_service.refresh_for_customers(session, actor, ids)


@asynccontextmanager
async def batched(session: AsyncSession, actor: Actor) -> AsyncIterator[None]:
    """For a bulk change: inside, each change only notes its customers; when the block
    succeeds they are upkept together (one job beyond INLINE_LIMIT)."""
    if BATCH in session.info:  # already inside a batch: the outer one upkeeps
        yield
        return
    collected: set[uuid.UUID] = set()
    session.info[BATCH] = collected
    try:
        yield
    finally:
        session.info.pop(BATCH, None)
    await customers_changed(session, actor, collected)
