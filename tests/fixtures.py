"""Builders for test data: organizations with users, tokens, customers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Role
from clientbase.auth.schemas import UserCreate
from clientbase.auth.tokens import issue_access_token
from clientbase.config import Settings
from clientbase.customers import service as customers
from clientbase.customers.models import Customer
from clientbase.customers.schemas import CustomerCreate

PASSWORD = "correct-horse-battery"
# Valid Kazakhstan identifiers (check digits computed by the official algorithm).
IIN_MALE_1990 = "900101300007"
BIN_HEAD_OFFICE = "040340004446"


@dataclass(frozen=True)
class Member:
    """Plain values: ORM objects expire when a request in the test rolls back."""

    id: uuid.UUID
    email: str
    role: str


@dataclass
class Org:
    id: uuid.UUID
    name: str
    settings: Settings
    users: dict[str, Member]

    def actor(self, role: str = "admin") -> Actor:
        user = self.users[role]
        return Actor(
            organization_id=self.id,
            role=Role(user.role),
            user_id=user.id,
            label=user.email,
            request_id="test",
            ip="127.0.0.1",
        )

    def headers(self, role: str = "admin") -> dict[str, str]:
        user = self.users[role]
        token = issue_access_token(
            user_id=user.id,
            organization_id=self.id,
            key=self.settings.signing_key(),
            issuer=self.settings.jwt_issuer,
            minutes=5,
        )
        return {"Authorization": f"Bearer {token}"}


async def make_org(session: AsyncSession, settings: Settings, name: str | None = None) -> Org:
    """An organization with one user per role (emails role@<slug>.example.com)."""
    name = name or f"Org {uuid.uuid4().hex[:8]}"
    slug = name.lower().replace(" ", "-")
    admin = await users.create_admin(
        session, email=f"admin@{slug}.example.com", password=PASSWORD, organization=name
    )
    org_id = admin.organization_id
    created = {"admin": admin}
    system = Actor.system(org_id)
    for role in (Role.MANAGER, Role.SALES, Role.SUPPORT, Role.VIEWER):
        created[role.value] = await users.create_user(
            session,
            system,
            UserCreate(
                email=f"{role.value}@{slug}.example.com",
                password=PASSWORD,
                full_name=role.value.title(),
                role=role,
            ),
        )
    await session.commit()
    members = {role: Member(u.id, u.email, u.role) for role, u in created.items()}
    return Org(id=org_id, name=name, settings=settings, users=members)


async def create_customer(session: AsyncSession, org: Org, **overrides: Any) -> Customer:
    data = {"type": "individual", "first_name": "Test", "last_name": uuid.uuid4().hex[:6]}
    data.update(overrides)
    customer = await customers.create_customer(session, org.actor(), CustomerCreate(**data))
    await session.commit()
    return customer


async def api_create(
    client: AsyncClient, org: Org, role: str = "admin", **body: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/customers", json=body, headers=org.headers(role))
    assert response.status_code == 201, response.text
    return response.json()
