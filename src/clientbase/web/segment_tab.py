"""The profile's Segments tab: the customer's segments, their static memberships, and why
the customer is (or is not) in a chosen segment (the explain trace)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.segments import membership_service as memberships
from clientbase.segments import service

SEGMENT_CHOICES = 200


async def segments_tab(
    request: Request, session: AsyncSession, actor: Actor, customer: Any
) -> dict[str, Any]:
    """A deleted customer is outside every segment: the tab says so and reads nothing."""
    if customer.deleted_at is not None:
        return {"memberships": [], "segment_choices": [], "static_segments": [], "explained": None}
    customer_id = customer.id
    current = await memberships.customer_segments(session, actor, customer_id)
    choices = (await service.list_segments(session, actor, limit=SEGMENT_CHOICES)).items
    chosen, explained = _segment_param(request), None
    if chosen is not None:
        explained = {
            "segment": await service.get_segment(session, actor, chosen),
            "result": await service.explain(session, actor, chosen, customer_id),
        }
    return {
        "memberships": current,
        "segment_choices": choices,
        "static_segments": [s for s in choices if s.type == "static"],
        "static_member_ids": {s.id for s, _ in current if s.type == "static"},
        "explained": explained,
        "fields": {f["field"]: f for f in await service.field_catalogue(session, actor)},
    }


def _segment_param(request: Request) -> uuid.UUID | None:
    raw = request.query_params.get("segment") or ""
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None
