"""A customer's segments: current memberships, manual (static) assignment, history, the
incremental refresh, insights and the lifecycle thresholds."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.audit import service as audit
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.concurrency import check_version
from clientbase.core.errors import Conflict, FieldError, ValidationFailed
from clientbase.core.pagination import Page, decode_cursor, encode_cursor
from clientbase.customers import service as customers
from clientbase.segments import insights as insight_queries
from clientbase.segments import lifecycle
from clientbase.segments import recalculate as recalc
from clientbase.segments.models import LifecycleSettings
from clientbase.segments.repository import SegmentRepository
from clientbase.segments.service import get_segment
from clientbase.tenancy import service as tenancy


def _repo(session: AsyncSession, actor: Actor) -> SegmentRepository:
    return SegmentRepository(session, actor.organization_id)


async def customer_segments(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> list[tuple[Any, Any]]:
    await customers.get_customer(session, actor, customer_id)
    return await _repo(session, actor).memberships_of(customer_id)


async def assign_static(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, segment_ids: list[uuid.UUID]
) -> list[tuple[Any, Any]]:
    """PUT semantics: the customer's static segments become exactly `segment_ids`
    (dynamic memberships follow their rules and are left alone)."""
    actor.require(Permission.SEGMENTS_WRITE)
    await customers.get_customer(session, actor, customer_id)
    repo = _repo(session, actor)
    wanted = list(dict.fromkeys(segment_ids))
    found = await repo.many(wanted)
    errors = []
    for i, segment_id in enumerate(wanted):
        segment = found.get(segment_id)
        if segment is None:
            errors.append(FieldError(f"segment_ids[{i}]", "is not a segment of this organization"))
        elif segment.type != "static":
            errors.append(
                FieldError(f"segment_ids[{i}]", "is a dynamic segment: its rules decide members")
            )
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    current = {s.id: s for s, _ in await repo.memberships_of(customer_id) if s.type == "static"}
    add = {(s, customer_id) for s in wanted if s not in current}
    remove = {(s, customer_id) for s in current if s not in found}
    segments = {**current, **found}
    applied = await recalc.apply_changes(
        session, actor, entered=add, left=remove, reason="manual", source="manual"
    )
    for pairs, action in (
        (applied.entered, "segment.member_added"),
        (applied.left, "segment.member_removed"),
    ):
        for segment_id, _ in sorted(pairs):
            audit.record(
                session,
                actor,
                action=action,
                entity_type="segment",
                entity_id=segment_id,
                customer_id=customer_id,
                changes={"segment": {"old": None, "new": segments[segment_id].name}}
                if action.endswith("added")
                else {"segment": {"old": segments[segment_id].name, "new": None}},
            )
    return await repo.memberships_of(customer_id)


async def set_static_member(
    session: AsyncSession,
    actor: Actor,
    segment_id: uuid.UUID,
    customer_id: uuid.UUID,
    *,
    member: bool,
) -> None:
    """Adds one customer to one static segment (or removes them), leaving the customer's
    other static segments as they are."""
    actor.require(Permission.SEGMENTS_WRITE)
    segment = await get_segment(session, actor, segment_id)
    if segment.type != "static":
        raise Conflict(f"{segment.name} is a dynamic segment: its rules decide its members.")
    current = await customer_segments(session, actor, customer_id)
    wanted = [s.id for s, _ in current if s.type == "static" and s.id != segment_id]
    await assign_static(session, actor, customer_id, [*wanted, segment_id] if member else wanted)


async def history(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    cursor: str | None,
    segment_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
) -> Page[Any]:
    """Entered/left entries, newest first, for a segment or a customer."""
    if segment_id is not None:
        await get_segment(session, actor, segment_id)
    if customer_id is not None:
        await customers.get_customer(session, actor, customer_id)
    before = None
    if cursor:
        before = decode_cursor(cursor)[0]
        if type(before) is not int or before < 1:
            raise ValidationFailed.on("cursor", "is not a cursor this service issued")
    rows = await _repo(session, actor).history_page(
        segment_id=segment_id, customer_id=customer_id, before=before, limit=limit + 1
    )
    next_cursor = encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


async def insights(session: AsyncSession, actor: Actor, segment_id: uuid.UUID) -> dict[str, Any]:
    await get_segment(session, actor, segment_id)
    return await insight_queries.insights(session, actor, segment_id)


async def refresh_for_customers(
    session: AsyncSession,
    actor: Actor,
    customer_ids: Iterable[uuid.UUID],
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Incremental upkeep after a change to these customers (profile edit, transaction,
    merge): every dynamic segment re-evaluated for them only; lifecycle copied to metrics."""
    ids = sorted(set(customer_ids))
    result = await recalc.refresh_for_customers(session, actor, ids, now=now)
    if result["entered"] or result["left"]:
        default = await _default_business(session, actor)
        if default is not None:
            await lifecycle.write_metric_segments(session, actor.organization_id, default, ids)
    return result


async def _default_business(session: AsyncSession, actor: Actor) -> uuid.UUID | None:
    for business in await tenancy.list_businesses(session, actor):
        if business.is_default:
            return business.id
    return None


async def lifecycle_settings(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    actor.require(Permission.CUSTOMERS_READ)
    repo = _repo(session, actor)
    out = []
    for business in await tenancy.list_businesses(session, actor):
        stored = await repo.settings(business.id)
        out.append(
            {
                "business_id": str(business.id),
                "business_name": business.name,
                "thresholds": lifecycle.thresholds_of(stored.thresholds if stored else None),
                "version": stored.version if stored else None,
            }
        )
    return {"order": list(lifecycle.ORDER), "defaults": lifecycle.DEFAULTS, "businesses": out}


async def update_lifecycle_settings(
    session: AsyncSession,
    actor: Actor,
    business_id: uuid.UUID,
    thresholds: dict[str, int],
    *,
    version: int | None,
) -> dict[str, Any]:
    """New thresholds for one business; its lifecycle segments follow at the next
    recalculation (nightly or POST /segments/{id}/recalculate)."""
    actor.require(Permission.SEGMENTS_WRITE)
    if business_id not in await tenancy.business_ids(session, actor):
        raise ValidationFailed.on("business_id", "is not a business of this organization")
    unknown = sorted(set(thresholds) - set(lifecycle.DEFAULTS))
    if unknown:
        raise ValidationFailed.on(f"thresholds.{unknown[0]}", "is not a lifecycle threshold")
    repo = _repo(session, actor)
    stored = await repo.settings(business_id)
    before = lifecycle.thresholds_of(stored.thresholds if stored else None)
    if stored is None:
        stored = LifecycleSettings(
            organization_id=actor.organization_id, business_id=business_id, thresholds={}
        )
        session.add(stored)
    elif version is not None:
        check_version(stored.version, version, None)
    stored.thresholds = {**stored.thresholds, **thresholds}
    await session.flush()
    after = lifecycle.thresholds_of(stored.thresholds)
    audit.record(
        session,
        actor,
        action="segment.lifecycle_updated",
        entity_type="business",
        entity_id=business_id,
        changes=audit.diff(before, after),
    )
    return {"business_id": str(business_id), "thresholds": after, "version": stored.version}
