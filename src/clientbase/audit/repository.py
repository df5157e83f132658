"""Every query on the audit log and its chain heads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clientbase.audit.models import AuditEntry, AuditHead


def lock_head(session: Session, organization_id: uuid.UUID) -> AuditHead:
    stmt = select(AuditHead).where(AuditHead.organization_id == organization_id).with_for_update()
    head = session.execute(stmt).scalar_one_or_none()
    if head is None:
        head = AuditHead(organization_id=organization_id, seq=0, hash="0" * 64)
        session.add(head)
        session.flush()
    return head


def insert_entries(session: Session, entries: list[dict[str, Any]]) -> None:
    session.execute(insert(AuditEntry), entries)


async def get_head(session: AsyncSession, organization_id: uuid.UUID) -> AuditHead | None:
    return await session.get(AuditHead, organization_id)


async def stream_chain(
    session: AsyncSession, organization_id: uuid.UUID
) -> AsyncIterator[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.organization_id == organization_id)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=1000)
    )
    result = await session.stream_scalars(stmt)
    async for entry in result:
        yield entry


async def list_entries(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    limit: int,
    before_seq: int | None,
    customer_id: uuid.UUID | None,
    entity_type: str | None,
    action: str | None,
    actor_id: uuid.UUID | None,
) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.organization_id == organization_id)
    if customer_id is not None:
        stmt = stmt.where(AuditEntry.customer_id == customer_id)
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    stmt = stmt.order_by(AuditEntry.seq.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def organization_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list((await session.execute(select(AuditHead.organization_id))).scalars())
