"""Emit domain events into the outbox and let consumers pull them in order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import ValidationFailed
from clientbase.core.jsonable import jsonable
from clientbase.core.pagination import Page
from clientbase.db.base import utcnow
from clientbase.events import repository

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


@dataclass(frozen=True)
class Sequenced:
    """Events another domain stores itself, numbered at commit: `write(session, after_seq)`
    inserts them with seq after_seq + 1, after_seq + 2, ... and returns how many."""

    organization_id: uuid.UUID
    write: Callable[[Session, int], int]


def emit_sequenced(
    session: AsyncSession, organization_id: uuid.UUID, write: Callable[[Session, int], int]
) -> None:
    """For events kept in their domain's own rows (a segment's membership history): they
    take their numbers in the feed at commit, in emission order with the outbox's events,
    and `GET /events` reads them through the domain's registered `FeedSource`."""
    session.info.setdefault(PENDING_KEY, []).append(Sequenced(organization_id, write))


def seal_pending(session: Session) -> None:
    """Commit hook: number pending events under the organization's head lock, then insert."""
    pending: list[dict[str, Any] | Sequenced] = session.info.pop(PENDING_KEY, [])
    by_org: dict[uuid.UUID, list[dict[str, Any] | Sequenced]] = {}
    for event in pending:
        org = event.organization_id if isinstance(event, Sequenced) else event["organization_id"]
        by_org.setdefault(org, []).append(event)
    for org_id in sorted(by_org):
        head = repository.lock_head(session, org_id)
        plain: list[dict[str, Any]] = []
        for event in by_org[org_id]:
            if isinstance(event, Sequenced):
                if plain:
                    repository.insert_events(session, plain)
                    plain = []
                head.seq += event.write(session, head.seq)
                continue
            head.seq += 1
            event["seq"] = head.seq
            plain.append(event)
        if plain:
            repository.insert_events(session, plain)


async def pull(
    session: AsyncSession,
    actor: Actor,
    *,
    after: str | None,
    limit: int,
    event_type: str | None = None,
    aggregate_id: uuid.UUID | None = None,
) -> Page[Row[Any]]:
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
