"""Every query on the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clientbase.events.models import EventHead, OutboxEvent


def lock_head(session: Session, organization_id: uuid.UUID) -> EventHead:
    stmt = select(EventHead).where(EventHead.organization_id == organization_id).with_for_update()
    head = session.execute(stmt).scalar_one_or_none()
    if head is None:
        head = EventHead(organization_id=organization_id, seq=0)
        session.add(head)
        session.flush()
    return head


def insert_events(session: Session, events: list[dict[str, Any]]) -> None:
    session.execute(insert(OutboxEvent), events)


async def list_after(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    after_seq: int,
    limit: int,
    event_type: str | None = None,
    aggregate_id: uuid.UUID | None = None,
) -> list[OutboxEvent]:
    stmt = select(OutboxEvent).where(
        OutboxEvent.organization_id == organization_id, OutboxEvent.seq > after_seq
    )
    if event_type:
        stmt = stmt.where(OutboxEvent.event_type == event_type)
    if aggregate_id is not None:
        stmt = stmt.where(OutboxEvent.aggregate_id == aggregate_id)
    stmt = stmt.order_by(OutboxEvent.seq).limit(limit)
    return list((await session.execute(stmt)).scalars())
