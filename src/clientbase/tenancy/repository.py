"""Queries on organizations and businesses. Organizations are the scope itself, so
lookups here are by id or name; business queries are scoped like any tenant table."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.db.repository import TenantRepository
from clientbase.tenancy.models import Business, Membership, Organization


async def get_organization(
    session: AsyncSession, organization_id: uuid.UUID
) -> Organization | None:
    return await session.get(Organization, organization_id)


async def find_organization_by_name(session: AsyncSession, name: str) -> Organization | None:
    stmt = select(Organization).where(Organization.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def organization_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list(
        (await session.execute(select(Organization.id).order_by(Organization.id))).scalars()
    )


async def count_organizations(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(Organization))).scalar_one()


class BusinessRepository(TenantRepository[Business]):
    model = Business

    async def list(self) -> list[Business]:
        stmt = self.scoped().order_by(Business.is_default.desc(), Business.name)
        return list((await self.session.execute(stmt)).scalars())

    async def default(self) -> Business | None:
        stmt = self.scoped().where(Business.is_default.is_(True))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def existing_ids(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        stmt = self.scoped(Business.id).where(Business.id.in_(ids))
        return set((await self.session.execute(stmt)).scalars())

    async def by_name(self, name: str) -> Business | None:
        stmt = self.scoped().where(Business.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()


_memberships = Membership.__table__.c
# Read on every customer GET: prebuilt and run on the connection (no ORM statement cost).
_BUSINESS_IDS = (
    select(_memberships.business_id)
    .where(
        _memberships.organization_id == bindparam("organization_id"),
        _memberships.customer_id == bindparam("customer_id"),
    )
    .order_by(_memberships.joined_at)
)


class MembershipRepository(TenantRepository[Membership]):
    model = Membership

    async def business_ids(self, customer_id: uuid.UUID) -> list[uuid.UUID]:
        conn = await self.session.connection()
        params = {"organization_id": self.organization_id, "customer_id": customer_id}
        return list((await conn.execute(_BUSINESS_IDS, params)).scalars())

    def join(self, customer_id: uuid.UUID, business_ids: list[uuid.UUID]) -> None:
        for business_id in business_ids:
            self.add(Membership(customer_id=customer_id, business_id=business_id))
