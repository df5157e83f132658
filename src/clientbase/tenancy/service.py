"""Organizations, their default business, settings and customers' business memberships."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.audit import service as audit
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import Conflict, NotFound, ValidationFailed
from clientbase.tenancy import repository
from clientbase.tenancy.models import Business, Organization
from clientbase.tenancy.repository import BusinessRepository, MembershipRepository
from clientbase.tenancy.schemas import BusinessCreate, OrganizationSettingsUpdate

DEFAULT_BUSINESS_NAME = "Main"
DEFAULT_SETTINGS = {"default_phone_region": "KZ", "currency": "KZT"}


async def create_organization(session: AsyncSession, *, name: str) -> Organization:
    if await repository.find_organization_by_name(session, name):
        raise Conflict(f"An organization named {name!r} already exists.")
    org = Organization(name=name, settings=dict(DEFAULT_SETTINGS))
    session.add(org)
    await session.flush()
    business = Business(organization_id=org.id, name=DEFAULT_BUSINESS_NAME, is_default=True)
    session.add(business)
    await session.flush()
    actor = Actor.system(org.id)
    audit.record(
        session,
        actor,
        action="organization.created",
        entity_type="organization",
        entity_id=org.id,
        changes={"name": {"old": None, "new": name}},
    )
    return org


async def get_or_create_organization(session: AsyncSession, *, name: str) -> Organization:
    return await repository.find_organization_by_name(session, name) or await create_organization(
        session, name=name
    )


async def all_organization_ids(session: AsyncSession) -> list[uuid.UUID]:
    """For system schedules only: every tenant."""
    return await repository.organization_ids(session)


async def is_empty(session: AsyncSession) -> bool:
    return await repository.count_organizations(session) == 0


async def get_current(session: AsyncSession, actor: Actor) -> Organization:
    org = await repository.get_organization(session, actor.organization_id)
    if org is None:
        raise NotFound("Organization not found.")
    return org


async def phone_region(session: AsyncSession, organization_id: uuid.UUID) -> str:
    org = await repository.get_organization(session, organization_id)
    settings = org.settings if org else {}
    return str(settings.get("default_phone_region") or DEFAULT_SETTINGS["default_phone_region"])


async def currency(session: AsyncSession, organization_id: uuid.UUID) -> str:
    """The currency the organization reports money in (ISO 4217)."""
    org = await repository.get_organization(session, organization_id)
    settings = org.settings if org else {}
    return str(settings.get("currency") or DEFAULT_SETTINGS["currency"])


async def business_ids(session: AsyncSession, actor: Actor) -> list[uuid.UUID]:
    return await organization_business_ids(session, actor.organization_id)


async def organization_business_ids(
    session: AsyncSession, organization_id: uuid.UUID
) -> list[uuid.UUID]:
    return [b.id for b in await BusinessRepository(session, organization_id).list()]


async def update_settings(
    session: AsyncSession, actor: Actor, data: OrganizationSettingsUpdate
) -> Organization:
    actor.require(Permission.SETTINGS_MANAGE)
    org = await get_current(session, actor)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    new_settings = {**org.settings, **changes}
    audit.record(
        session,
        actor,
        action="organization.settings_updated",
        entity_type="organization",
        entity_id=org.id,
        changes=audit.diff(org.settings, new_settings),
    )
    org.settings = new_settings
    await session.flush()
    return org


async def list_businesses(session: AsyncSession, actor: Actor) -> list[Business]:
    return await BusinessRepository(session, actor.organization_id).list()


async def create_business(session: AsyncSession, actor: Actor, data: BusinessCreate) -> Business:
    actor.require(Permission.SETTINGS_MANAGE)
    repo = BusinessRepository(session, actor.organization_id)
    if await repo.by_name(data.name):
        raise Conflict(f"A business named {data.name!r} already exists.")
    business = repo.add(Business(name=data.name, is_default=False))
    await repo.flush()
    audit.record(
        session,
        actor,
        action="business.created",
        entity_type="business",
        entity_id=business.id,
        changes={"name": {"old": None, "new": data.name}},
    )
    return business


async def resolve_business_ids(
    session: AsyncSession, actor: Actor, business_ids: list[uuid.UUID] | None, *, field: str
) -> list[uuid.UUID]:
    """The businesses a new customer joins: the given ones (all must exist) or the default."""
    repo = BusinessRepository(session, actor.organization_id)
    if not business_ids:
        default = await repo.default()
        return [default.id] if default else []
    wanted = list(dict.fromkeys(business_ids))
    missing = [b for b in wanted if b not in await repo.existing_ids(wanted)]
    if missing:
        raise ValidationFailed.on(field, f"unknown business {missing[0]}")
    return wanted


def join_businesses(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, business_ids: list[uuid.UUID]
) -> None:
    MembershipRepository(session, actor.organization_id).join(customer_id, business_ids)


async def customer_business_ids(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> list[uuid.UUID]:
    return await MembershipRepository(session, actor.organization_id).business_ids(customer_id)
