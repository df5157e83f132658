"""Emit domain events into the outbox and let consumers pull them in order."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import ValidationFailed
from clientbase.core.jsonable import jsonable
from clientbase.core.pagination import Page
from clientbase.db.base import utcnow
from clientbase.events import repository
from clientbase.events.models import OutboxEvent

PENDING_KEY = "events_pending"


def emit(
    session: AsyncSession,
    actor: Actor,
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: uuid.UUID | None,
    payload: dict[str, Any],
) -> None:
    session.info.setdefault(PENDING_KEY, []).append(
        {
            "organization_id": actor.organization_id,
            "event_type": event_type,
            "aggregate_type": aggregate_type,
            "aggregate_id": aggregate_id,
            "payload": jsonable(payload),
            "occurred_at": utcnow(),
            "request_id": actor.request_id,
        }
    )


def seal_pending(session: Session) -> None:
    """Commit hook: number pending events under the organization's head lock, then insert."""
    pending: list[dict[str, Any]] = session.info.pop(PENDING_KEY, [])
    by_org: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for event in pending:
        by_org.setdefault(event["organization_id"], []).append(event)
    for org_id in sorted(by_org):
        head = repository.lock_head(session, org_id)
        for event in by_org[org_id]:
            head.seq += 1
            event["seq"] = head.seq
        repository.insert_events(session, by_org[org_id])


async def pull(
    session: AsyncSession,
    actor: Actor,
    *,
    after: str | None,
    limit: int,
    event_type: str | None = None,
    aggregate_id: uuid.UUID | None = None,
) -> Page[OutboxEvent]:
    actor.require(Permission.EVENTS_READ)
    after_seq = 0
    if after:
        if not (after.isascii() and after.isdigit()):
            raise ValidationFailed.on("after", "must be a cursor returned by this feed")
        after_seq = int(after)
    rows = await repository.list_after(
        session,
        actor.organization_id,
        after_seq=after_seq,
        limit=limit,
        event_type=event_type,
        aggregate_id=aggregate_id,
    )
    next_cursor = str(rows[-1].seq) if rows else (str(after_seq) if after else None)
    return Page(items=rows, next_cursor=next_cursor)
