"""GET /audit for admins."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from clientbase.audit import service
from clientbase.audit.schemas import AuditPage, present_audit_page
from clientbase.auth.dependencies import ActorDep, SessionDep
from clientbase.core.pagination import DEFAULT_LIMIT, Limit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditPage)
async def list_audit(
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    entity_type: str | None = None,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
) -> AuditPage:
    page = await service.list_entries(
        session,
        actor,
        limit=limit,
        cursor=cursor,
        entity_type=entity_type,
        action=action,
        actor_id=actor_id,
        customer_id=customer_id,
        require_audit=True,
    )
    return present_audit_page(page)
