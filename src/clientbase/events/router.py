"""GET /events?after=<cursor>: consumers pull the outbox in commit order."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from clientbase.auth.dependencies import ActorDep, SessionDep
from clientbase.core.pagination import Limit
from clientbase.core.schemas import OutputModel
from clientbase.events import service

router = APIRouter(prefix="/events", tags=["events"])


class EventRead(OutputModel):
    id: str
    type: str
    aggregate_type: str
    aggregate_id: uuid.UUID | None
    occurred_at: datetime
    request_id: str | None
    data: dict[str, Any]


class EventPage(OutputModel):
    items: list[EventRead]
    next_cursor: str | None


@router.get("", response_model=EventPage)
async def pull_events(
    session: SessionDep,
    actor: ActorDep,
    after: Annotated[
        str | None, Query(description="The `next_cursor` of the previous page")
    ] = None,
    limit: Limit = 100,
    type: str | None = None,
    aggregate_id: uuid.UUID | None = None,
) -> EventPage:
    page = await service.pull(
        session, actor, after=after, limit=limit, event_type=type, aggregate_id=aggregate_id
    )
    items = [
        EventRead(
            id=str(e.seq),
            type=e.event_type,
            aggregate_type=e.aggregate_type,
            aggregate_id=e.aggregate_id,
            occurred_at=e.occurred_at,
            request_id=e.request_id,
            data=e.payload,
        )
        for e in page.items
    ]
    return EventPage(items=items, next_cursor=page.next_cursor)
