"""Every query on the outbox, and the feed that merges it with events kept elsewhere."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Row, Select, insert, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clientbase.db.session import dialect_name
from clientbase.events.models import EventHead, OutboxEvent

# (dialect, organization_id, after_seq, event_type, aggregate_id) -> the source's events
# past the cursor with FEED_COLUMNS, or None when the filter excludes all of them.
FeedSource = Callable[[str, uuid.UUID, int, str | None, uuid.UUID | None], Select[Any] | None]
FEED_COLUMNS = (
    "seq",
    "event_type",
    "aggregate_type",
    "aggregate_id",
    "payload",
    "occurred_at",
    "request_id",
)
_SOURCES: list[FeedSource] = []


def register_feed_source(source: FeedSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


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


def _outbox(
    _dialect: str,
    organization_id: uuid.UUID,
    after_seq: int,
    event_type: str | None,
    aggregate_id: Any,
) -> Select[Any]:
    stmt = select(*(getattr(OutboxEvent, c) for c in FEED_COLUMNS)).where(
        OutboxEvent.organization_id == organization_id, OutboxEvent.seq > after_seq
    )
    if event_type:
        stmt = stmt.where(OutboxEvent.event_type == event_type)
    if aggregate_id is not None:
        stmt = stmt.where(OutboxEvent.aggregate_id == aggregate_id)
    return stmt


async def list_after(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    after_seq: int,
    limit: int,
    event_type: str | None = None,
    aggregate_id: uuid.UUID | None = None,
) -> list[Row[Any]]:
    """The next `limit` events in feed order: each source's first `limit` past the cursor
    (an index range each), merged."""
    dialect = dialect_name(session)
    branches = []
    for source in (_outbox, *_SOURCES):
        stmt = source(dialect, organization_id, after_seq, event_type, aggregate_id)
        if stmt is not None:
            first = stmt.order_by(stmt.selected_columns.seq).limit(limit).subquery()
            branches.append(select(*(first.c[c] for c in FEED_COLUMNS)))
    merged = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    stmt = select(*(merged.c[c] for c in FEED_COLUMNS)).order_by(merged.c.seq).limit(limit)
    return list(await session.execute(stmt))
