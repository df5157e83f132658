"""How audit entries are shown."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from clientbase.audit.models import AuditEntry
from clientbase.core.pagination import Page
from clientbase.core.schemas import OutputModel


class AuditActor(OutputModel):
    type: str
    id: uuid.UUID | None
    label: str


class AuditEntryRead(OutputModel):
    seq: int
    occurred_at: datetime
    actor: AuditActor
    action: str
    entity_type: str
    entity_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    changes: dict[str, Any]
    request_id: str | None
    ip: str | None
    hash: str


class AuditPage(OutputModel):
    items: list[AuditEntryRead]
    next_cursor: str | None


def present_audit_entry(entry: AuditEntry) -> AuditEntryRead:
    return AuditEntryRead(
        seq=entry.seq,
        occurred_at=entry.occurred_at,
        actor=AuditActor(type=entry.actor_type, id=entry.actor_id, label=entry.actor_label),
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        customer_id=entry.customer_id,
        changes=entry.changes,
        request_id=entry.request_id,
        ip=entry.ip,
        hash=entry.hash,
    )


def present_audit_page(page: Page[AuditEntry]) -> AuditPage:
    return AuditPage(
        items=[present_audit_entry(e) for e in page.items], next_cursor=page.next_cursor
    )
