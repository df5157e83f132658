"""User and API key management (admins), and the first admin of a new installation."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.audit import service as audit
from clientbase.auth import repository
from clientbase.auth.actor import Actor
from clientbase.auth.models import ApiKey, User
from clientbase.auth.passwords import hash_password
from clientbase.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from clientbase.auth.repository import ApiKeyRepository, UserRepository
from clientbase.auth.schemas import ApiKeyCreate, UserCreate, UserUpdate
from clientbase.auth.tokens import new_api_key
from clientbase.core.concurrency import check_version
from clientbase.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from clientbase.db.base import utcnow
from clientbase.tenancy import service as tenancy

USER_AUDITED = ("email", "full_name", "role", "is_active")


def _snapshot(user: User) -> dict[str, object]:
    return {name: getattr(user, name) for name in USER_AUDITED}


async def create_user(session: AsyncSession, actor: Actor, data: UserCreate) -> User:
    actor.require(Permission.USERS_MANAGE)
    if await repository.email_taken(session, data.email):
        raise Conflict(
            "A user with this email already exists.",
            errors=[FieldError("email", "is already used by another user")],
        )
    repo = UserRepository(session, actor.organization_id)
    user = repo.add(
        User(
            email=data.email,
            full_name=data.full_name,
            role=data.role.value,
            password_hash=hash_password(data.password),
            is_active=True,
        )
    )
    await repo.flush()
    audit.record(
        session,
        actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id,
        changes=audit.diff({}, _snapshot(user)),
    )
    return user


async def list_users(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    role: Role | None = None,
    is_active: bool | None = None,
) -> tuple[list[User], int]:
    actor.require(Permission.USERS_MANAGE)
    return await UserRepository(session, actor.organization_id).list(
        limit=limit, offset=offset, role=role.value if role else None, is_active=is_active
    )


async def get_user(session: AsyncSession, actor: Actor, user_id: uuid.UUID) -> User:
    if user_id != actor.user_id:
        actor.require(Permission.USERS_MANAGE)
    user = await UserRepository(session, actor.organization_id).get(user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


async def get_me(session: AsyncSession, actor: Actor) -> User:
    if actor.user_id is None:
        raise NotFound("API keys have no user profile.")
    return await get_user(session, actor, actor.user_id)


async def update_user(
    session: AsyncSession,
    actor: Actor,
    user_id: uuid.UUID,
    data: UserUpdate,
    *,
    if_match: str | None = None,
) -> User:
    actor.require(Permission.USERS_MANAGE)
    repo = UserRepository(session, actor.organization_id)
    user = await repo.get(user_id)
    if user is None:
        raise NotFound("User not found.")
    check_version(user.version, data.version, if_match)
    changes = data.model_dump(exclude_unset=True, exclude={"version", "password"})
    demotes_admin = user.role == Role.ADMIN and (
        changes.get("role", Role.ADMIN) != Role.ADMIN or changes.get("is_active") is False
    )
    if demotes_admin and user.is_active and await repo.count_active_admins() <= 1:
        raise ValidationFailed.on("role", "the organization must keep at least one active admin")
    before = _snapshot(user)
    for name, value in changes.items():
        if value is not None:
            setattr(user, name, value.value if isinstance(value, Role) else value)
    if data.password:
        user.password_hash = hash_password(data.password)
    await repo.flush()
    delta = audit.diff(before, _snapshot(user))
    if data.password:
        delta["password"] = {"old": "***", "new": "***"}
    audit.record(
        session, actor, action="user.updated", entity_type="user", entity_id=user.id, changes=delta
    )
    return user


async def user_labels(
    session: AsyncSession, actor: Actor, ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    return await UserRepository(session, actor.organization_id).labels(ids)


async def assignable_user_ids(
    session: AsyncSession, actor: Actor, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    return await UserRepository(session, actor.organization_id).active_ids(ids)


async def create_api_key(
    session: AsyncSession, actor: Actor, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    actor.require(Permission.USERS_MANAGE)
    if data.scopes is not None:
        outside = [s for s in data.scopes if s not in ROLE_PERMISSIONS[data.role]]
        if outside:
            raise ValidationFailed.on("scopes", f"{outside[0]} is beyond role {data.role}")
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise ValidationFailed.on("expires_at", "must be in the future")
    secret, prefix, key_hash = new_api_key()
    repo = ApiKeyRepository(session, actor.organization_id)
    key = repo.add(
        ApiKey(
            name=data.name,
            prefix=prefix,
            key_hash=key_hash,
            role=data.role.value,
            scopes=[s.value for s in data.scopes] if data.scopes is not None else [],
            created_by=actor.user_id,
            expires_at=data.expires_at,
        )
    )
    await repo.flush()
    audit.record(
        session,
        actor,
        action="api_key.created",
        entity_type="api_key",
        entity_id=key.id,
        changes={"name": {"old": None, "new": key.name}, "role": {"old": None, "new": key.role}},
    )
    return key, secret


async def list_api_keys(session: AsyncSession, actor: Actor) -> list[ApiKey]:
    actor.require(Permission.USERS_MANAGE)
    return await ApiKeyRepository(session, actor.organization_id).list()


async def revoke_api_key(session: AsyncSession, actor: Actor, key_id: uuid.UUID) -> ApiKey:
    actor.require(Permission.USERS_MANAGE)
    key = await ApiKeyRepository(session, actor.organization_id).get(key_id)
    if key is None:
        raise NotFound("API key not found.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(
            session, actor, action="api_key.revoked", entity_type="api_key", entity_id=key.id
        )
    await session.flush()
    return key


async def create_admin(
    session: AsyncSession, *, email: str, password: str, organization: str
) -> User:
    """CLI and first start: the organization is created when it does not exist."""
    org = await tenancy.get_or_create_organization(session, name=organization)
    data = UserCreate(email=email, password=password, full_name="Administrator", role=Role.ADMIN)
    return await create_user(session, Actor.system(org.id, label="create-admin"), data)
