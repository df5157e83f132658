"""Option lists for selects, taken from the API's own schema types."""

from __future__ import annotations

import uuid
from typing import get_args

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission, Role
from clientbase.customers import custom_fields
from clientbase.customers.custom_fields import FieldType
from clientbase.customers.models import CustomFieldDefinition
from clientbase.customers.related_schemas import AddressType, NotePriority, NoteType
from clientbase.customers.schemas import CompanySize, CustomerStatus, CustomerType, Gender

CHOICES: dict[str, tuple[str, ...]] = {
    "type": get_args(CustomerType),
    "status": get_args(CustomerStatus),
    "company_size": get_args(CompanySize),
    "gender": get_args(Gender),
    "address_type": get_args(AddressType),
    "note_type": get_args(NoteType),
    "note_priority": get_args(NotePriority),
    "role": tuple(r.value for r in Role),
    "field_type": get_args(FieldType),
}
LEAD_SOURCES = ("website", "referral", "cold_call", "exhibition", "social_media", "import", "api")


async def assignees(
    session: AsyncSession, actor: Actor, also: list[uuid.UUID | None] | None = None
) -> list[tuple[str, str]]:
    """Who a customer can be assigned to, as (user id, label). Admins see every active user;
    others (who may not list users) see themselves plus whoever is already assigned."""
    if actor.can(Permission.USERS_MANAGE):
        rows, _ = await users.list_users(session, actor, limit=100, offset=0, is_active=True)
        options = [(str(u.id), u.full_name or u.email) for u in rows]
    else:
        options = [(str(actor.user_id), f"Me ({actor.label})")]
    known = {value for value, _ in options}
    extra = [i for i in also or [] if i is not None and str(i) not in known]
    for user_id, label in (await users.user_labels(session, actor, extra)).items():
        options.append((str(user_id), label))
    return options


async def active_definitions(session: AsyncSession, actor: Actor) -> list[CustomFieldDefinition]:
    return [d for d in await custom_fields.list_definitions(session, actor) if d.is_active]
