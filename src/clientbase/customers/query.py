"""Turns list query parameters into a CustomerFilter (user ids, phone-shaped searches)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.core.errors import ValidationFailed
from clientbase.customers.repository import SORT_COLUMNS, CustomerFilter
from clientbase.customers.validation import normalize_phone
from clientbase.tenancy import service as tenancy

SORTABLE = tuple(SORT_COLUMNS)


async def build_filter(
    session: AsyncSession,
    actor: Actor,
    *,
    search: str | None,
    assigned_to: str | None,
    tags: list[str] | None,
    status: list[str] | None,
    **plain: object,
) -> CustomerFilter:
    flt = CustomerFilter(**plain)  # type: ignore[arg-type]
    if search and search.strip():
        flt.search = search.strip()
        if sum(ch.isdigit() for ch in flt.search) >= 6:
            region = await tenancy.phone_region(session, actor.organization_id)
            try:
                flt.phone_search = normalize_phone(flt.search, region)
            except ValueError:
                flt.phone_search = None
    if assigned_to == "none":
        flt.unassigned = True
    elif assigned_to:
        try:
            flt.assigned_to = uuid.UUID(assigned_to)
        except ValueError as exc:
            raise ValidationFailed.on("assigned_to", "must be a user id or `none`") from exc
    flt.tags = [t.strip().lower() for t in tags or [] if t.strip()]
    flt.status = list(status or [])
    return flt
