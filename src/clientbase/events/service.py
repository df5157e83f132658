"""Emit domain events into the outbox and let consumers pull them in order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, insert, literal, select
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


@dataclass(frozen=True)
class RowEvents:
    """One event per row of a query, written set-based (INSERT ... SELECT) at commit."""

    organization_id: uuid.UUID
    event_type: str
    aggregate_type: str
    rows: Select[Any]  # columns: aggregate_id, payload (a JSON expression), sort_key
    occurred_at: Any
    request_id: str | None


def emit_rows(
    session: AsyncSession,
    actor: Actor,
    event_type: str,
    *,
    aggregate_type: str,
    rows: Select[Any],
) -> None:
    """Like `emit`, once per row of `rows`, without loading the rows into Python: for
    changes made by set-based statements (segment recalculation). The query runs when the
    transaction commits, so it must select rows that stay as they are until then."""
    session.info.setdefault(PENDING_KEY, []).append(
        RowEvents(
            actor.organization_id, event_type, aggregate_type, rows, utcnow(), actor.request_id
        )
    )


def seal_pending(session: Session) -> None:
    """Commit hook: number pending events under the organization's head lock, then insert."""
    pending: list[dict[str, Any] | RowEvents] = session.info.pop(PENDING_KEY, [])
    by_org: dict[uuid.UUID, list[dict[str, Any] | RowEvents]] = {}
    for event in pending:
        org = event.organization_id if isinstance(event, RowEvents) else event["organization_id"]
        by_org.setdefault(org, []).append(event)
    for org_id in sorted(by_org):
        head = repository.lock_head(session, org_id)
        plain: list[dict[str, Any]] = []
        for event in by_org[org_id]:
            if isinstance(event, RowEvents):
                if plain:
                    repository.insert_events(session, plain)
                    plain = []
                head.seq += _insert_rows(session, event, head.seq)
                continue
            head.seq += 1
            event["seq"] = head.seq
            plain.append(event)
        if plain:
            repository.insert_events(session, plain)


def _insert_rows(session: Session, batch: RowEvents, after_seq: int) -> int:
    rows = batch.rows.subquery()
    numbered = select(
        literal(batch.organization_id).label("organization_id"),
        (literal(after_seq) + func.row_number().over(order_by=rows.c.sort_key)).label("seq"),
        literal(batch.event_type).label("event_type"),
        literal(batch.aggregate_type).label("aggregate_type"),
        rows.c.aggregate_id,
        rows.c.payload,
        literal(batch.occurred_at, OutboxEvent.__table__.c.occurred_at.type).label("occurred_at"),
        literal(batch.request_id, OutboxEvent.__table__.c.request_id.type).label("request_id"),
    )
    columns = [
        "organization_id",
        "seq",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "payload",
        "occurred_at",
        "request_id",
    ]
    result = session.execute(insert(OutboxEvent).from_select(columns, numbered))
    return int(result.rowcount or 0)


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
