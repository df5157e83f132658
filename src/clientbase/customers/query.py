"""Turns list query parameters into a CustomerFilter: search terms, user ids, custom fields."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.core.errors import ValidationFailed
from clientbase.customers import custom_fields
from clientbase.customers.identifiers import check_bin, check_iin
from clientbase.customers.listing_repository import (
    SORTABLE,
    CustomerFilter,
    CustomFieldFilter,
    SearchTerms,
)
from clientbase.customers.validation import normalize_email, normalize_phone
from clientbase.search.text import normalize, words
from clientbase.tenancy import service as tenancy

CUSTOM_FIELD_PREFIX = "cf."
PHONE_LIKE = re.compile(r"^[\d\s()+\-./]+$")


async def search_terms(session: AsyncSession, actor: Actor, raw: str) -> SearchTerms | None:
    text = normalize(raw)
    if not text:
        return None
    terms = SearchTerms(text=text, words=words(raw))
    stripped = raw.strip()
    if "@" in stripped:
        try:
            terms.email = normalize_email(stripped)
        except ValueError:
            terms.email = None
    digits = "".join(ch for ch in stripped if ch.isdigit())
    if len(digits) == 12 and (check_iin(digits).valid or check_bin(digits).valid):
        terms.national_id = digits
    if len(digits) >= 6 and PHONE_LIKE.match(stripped):
        region = await tenancy.phone_region(session, actor.organization_id)
        try:
            terms.phone = normalize_phone(stripped, region)
        except ValueError:
            terms.phone = None
        # Phone digits in any format: match the digits as stored (E.164 without '+').
        national = terms.phone.lstrip("+") if terms.phone else digits
        terms.words = [national[-10:] if len(national) > 10 else national]
        terms.text = terms.words[0]
    return terms


async def custom_field_filters(
    session: AsyncSession, actor: Actor, params: dict[str, str]
) -> list[CustomFieldFilter]:
    if not params:
        return []
    definitions = {d.key: d for d in await custom_fields.list_definitions(session, actor)}
    out = []
    for name, value in params.items():
        key = name[len(CUSTOM_FIELD_PREFIX) :]
        defn = definitions.get(key)
        if defn is None:
            raise ValidationFailed.on(name, "is not a custom field of this organization")
        out.append(CustomFieldFilter(key=key, type=defn.type, value=_typed(name, defn.type, value)))
    return out


def _typed(name: str, kind: str, value: str) -> Any:
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise ValidationFailed.on(name, "must be true or false")
        return value.lower() == "true"
    if kind == "number":
        try:
            return str(Decimal(value))
        except InvalidOperation as exc:
            raise ValidationFailed.on(name, "must be a number") from exc
    return value


async def build_filter(
    session: AsyncSession,
    actor: Actor,
    *,
    search: str | None,
    assigned_to: str | None,
    tags: list[str] | None,
    status: list[str] | None,
    custom: dict[str, str] | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    **plain: Any,
) -> CustomerFilter:
    flt = CustomerFilter(**plain)
    if search and search.strip():
        flt.search = await search_terms(session, actor, search)
    if assigned_to == "none":
        flt.unassigned = True
    elif assigned_to:
        try:
            flt.assigned_to = uuid.UUID(assigned_to)
        except ValueError as exc:
            raise ValidationFailed.on("assigned_to", "must be a user id or `none`") from exc
    for name, value in (("created_from", created_from), ("created_to", created_to)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed.on(name, "must include a timezone, e.g. 2026-01-01T00:00:00Z")
    flt.created_from, flt.created_to = created_from, created_to
    flt.tags = [t.strip().lower() for t in tags or [] if t.strip()]
    flt.status = list(status or [])
    flt.custom = await custom_field_filters(session, actor, custom or {})
    return flt


__all__ = ["SORTABLE", "CustomerFilter", "build_filter", "custom_field_filters", "search_terms"]
