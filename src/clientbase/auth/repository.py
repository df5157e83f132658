"""Queries on users, API keys and login throttles."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from clientbase.auth.models import ApiKey, LoginThrottle, User
from clientbase.db.base import utcnow
from clientbase.db.repository import TenantRepository

API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


async def find_user_for_login(session: AsyncSession, email: str) -> User | None:
    """Sign-in is the one lookup that precedes knowing the organization."""
    stmt = select(User).where(User.email == email)
    return (await session.execute(stmt)).scalar_one_or_none()


_users = User.__table__.c
_TOKEN_PRINCIPAL = select(_users.email, _users.role, _users.is_active).where(
    _users.id == bindparam("user_id"), _users.organization_id == bindparam("organization_id")
)


async def token_principal(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID
) -> Row[Any] | None:
    """The few columns a bearer token needs, as a plain row: this runs on every request,
    so it skips ORM loading and reuses one prebuilt statement."""
    conn = await session.connection()
    result = await conn.execute(
        _TOKEN_PRINCIPAL, {"user_id": user_id, "organization_id": organization_id}
    )
    return result.first()


async def mark_api_key_used(session: AsyncSession, key_id: uuid.UUID, at: datetime) -> None:
    """Versionless bookkeeping; a no-op when another request already marked it."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < at - API_KEY_TOUCH_INTERVAL),
        )
        .values(last_used_at=at)
        .execution_options(synchronize_session=False)
    )


async def record_sign_in(session: AsyncSession, user: User, *, password_hash: str | None) -> None:
    """Versionless UPDATE of sign-in bookkeeping; the loaded object is kept in step."""
    values: dict[str, Any] = {"last_login_at": utcnow()}
    if password_hash is not None:
        values["password_hash"] = password_hash
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    for name, value in values.items():
        set_committed_value(user, name, value)


async def find_api_key(session: AsyncSession, key_hash: str) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.key_hash == key_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def email_taken(session: AsyncSession, email: str) -> User | None:
    return await find_user_for_login(session, email)


async def get_throttle(session: AsyncSession, login: str) -> LoginThrottle | None:
    return await session.get(LoginThrottle, login)


class UserRepository(TenantRepository[User]):
    model = User

    async def list(self, *, limit: int, offset: int, **filters: Any) -> tuple[list[User], int]:
        stmt = self.scoped()
        for name, value in filters.items():
            if value is not None:
                stmt = stmt.where(getattr(User, name) == value)
        total = (
            await self.session.execute(select(func.count()).select_from(stmt.subquery()))
        ).scalar_one()
        rows = await self.session.execute(
            stmt.order_by(User.created_at, User.id).limit(limit).offset(offset)
        )
        return list(rows.scalars()), total

    async def active_ids(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        stmt = self.scoped(User.id).where(User.id.in_(ids), User.is_active.is_(True))
        return set((await self.session.execute(stmt)).scalars())

    async def labels(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        stmt = self.scoped(User.id, User.full_name, User.email).where(User.id.in_(ids))
        return {r.id: r.full_name or r.email for r in await self.session.execute(stmt)}

    async def count_active_admins(self) -> int:
        stmt = self.scoped(func.count()).where(User.role == "admin", User.is_active.is_(True))
        return (await self.session.execute(stmt)).scalar_one()


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey

    async def list(self) -> list[ApiKey]:
        stmt = self.scoped().order_by(ApiKey.created_at.desc())
        return list((await self.session.execute(stmt)).scalars())
