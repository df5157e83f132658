"""Record changes in the audit log; entries join the hash chain when the transaction commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clientbase.audit import repository
from clientbase.audit.chain import GENESIS, entry_hash
from clientbase.audit.models import AuditEntry
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import ValidationFailed
from clientbase.core.jsonable import jsonable
from clientbase.core.masking import mask_field
from clientbase.core.pagination import Page, decode_cursor, encode_cursor
from clientbase.db.base import utcnow

PENDING_KEY = "audit_pending"


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Changed fields as {field: {"old", "new"}} with personal data masked."""
    out = {}
    for field in sorted(set(old) | set(new)):
        before, after = jsonable(old.get(field)), jsonable(new.get(field))
        if before != after:
            out[field] = {"old": mask_field(field, before), "new": mask_field(field, after)}
    return out


def record(
    session: AsyncSession,
    actor: Actor,
    *,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    customer_id: uuid.UUID | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    session.info.setdefault(PENDING_KEY, []).append(
        {
            "organization_id": actor.organization_id,
            "occurred_at": utcnow(),
            "actor_type": actor.kind,
            "actor_id": actor.id,
            "actor_label": actor.label,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "customer_id": customer_id,
            "changes": jsonable(changes or {}),
            "request_id": actor.request_id,
            "ip": actor.ip,
        }
    )


def seal_pending(session: Session) -> None:
    """Commit hook: lock each organization's chain head, link and insert the pending entries."""
    pending: list[dict[str, Any]] = session.info.pop(PENDING_KEY, [])
    by_org: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for entry in pending:
        by_org.setdefault(entry["organization_id"], []).append(entry)
    for org_id in sorted(by_org):
        head = repository.lock_head(session, org_id)
        for entry in by_org[org_id]:
            head.seq += 1
            entry["seq"] = head.seq
            entry["prev_hash"] = head.hash
            entry["hash"] = head.hash = entry_hash(head.hash, entry)
        repository.insert_entries(session, by_org[org_id])


@dataclass
class ChainReport:
    organization_id: uuid.UUID
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    reason: str | None = None


async def verify_chain(session: AsyncSession, organization_id: uuid.UUID) -> ChainReport:
    prev, count, expected_seq = GENESIS, 0, 1
    async for entry in repository.stream_chain(session, organization_id):
        count += 1
        row = {name: getattr(entry, name) for name in AuditEntry.__table__.columns.keys()}  # noqa: SIM118
        if entry.seq != expected_seq:
            return ChainReport(organization_id, count, False, entry.seq, "sequence gap")
        if entry.prev_hash != prev or entry_hash(prev, row) != entry.hash:
            return ChainReport(organization_id, count, False, entry.seq, "hash mismatch")
        prev, expected_seq = entry.hash, expected_seq + 1
    head = await repository.get_head(session, organization_id)
    if head is not None and (head.seq != count or (count and head.hash != prev)):
        return ChainReport(organization_id, count, False, head.seq, "entries missing at the end")
    return ChainReport(organization_id, count, True)


async def list_entries(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    cursor: str | None = None,
    customer_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    require_audit: bool = False,
) -> Page[AuditEntry]:
    """The organization-wide log needs AUDIT_READ; a customer's history is checked by the
    customers service (visibility of that customer) before it calls here."""
    if require_audit or customer_id is None:
        actor.require(Permission.AUDIT_READ)
    before_seq = decode_cursor(cursor)[0] if cursor else None
    if cursor and (type(before_seq) is not int or before_seq < 1):
        raise ValidationFailed.on("cursor", "is not a cursor this service issued")
    rows = await repository.list_entries(
        session,
        actor.organization_id,
        limit=limit + 1,
        before_seq=before_seq,
        customer_id=customer_id,
        entity_type=entity_type,
        action=action,
        actor_id=actor_id,
    )
    next_cursor = encode_cursor([rows[limit - 1].seq]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)
