"""Sign-in, the current user, user administration and API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Header, Query

from clientbase.auth import service, users
from clientbase.auth.dependencies import ActorDep, SessionDep, SettingsDep
from clientbase.auth.permissions import Role
from clientbase.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    TokenRead,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from clientbase.core.pagination import DEFAULT_LIMIT, Limit

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenRead)
async def issue_token(
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=256)],
) -> TokenRead:
    """OAuth2 password grant: `username` is the email."""
    result = await service.sign_in(session, settings, login=username, password=password)
    return TokenRead(access_token=result.access_token, expires_in=result.expires_in)


@router.get("/users/me", response_model=UserRead)
async def me(session: SessionDep, actor: ActorDep) -> UserRead:
    return UserRead.model_validate(await users.get_me(session, actor))


@router.get("/users", response_model=UserPage)
async def list_users(
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    page: Annotated[int, Query(ge=1)] = 1,
    role: Role | None = None,
    is_active: bool | None = None,
) -> UserPage:
    rows, total = await users.list_users(
        session, actor, limit=limit, offset=(page - 1) * limit, role=role, is_active=is_active
    )
    return UserPage(items=[UserRead.model_validate(u) for u in rows], total=total)


@router.post("/users", status_code=201, response_model=UserRead)
async def create_user(body: UserCreate, session: SessionDep, actor: ActorDep) -> UserRead:
    return UserRead.model_validate(await users.create_user(session, actor, body))


@router.get("/users/{user_id}", response_model=UserRead)
async def get_user(user_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> UserRead:
    return UserRead.model_validate(await users.get_user(session, actor, user_id))


@router.patch("/users/{user_id}", response_model=UserRead)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> UserRead:
    return UserRead.model_validate(
        await users.update_user(session, actor, user_id, body, if_match=if_match)
    )


@router.get("/api-keys", response_model=list[ApiKeyRead])
async def list_api_keys(session: SessionDep, actor: ActorDep) -> list[ApiKeyRead]:
    return [ApiKeyRead.model_validate(k) for k in await users.list_api_keys(session, actor)]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(body: ApiKeyCreate, session: SessionDep, actor: ActorDep) -> ApiKeyCreated:
    key, secret = await users.create_api_key(session, actor, body)
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(key).model_dump(), "key": secret}
    )


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead)
async def revoke_api_key(key_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ApiKeyRead:
    return ApiKeyRead.model_validate(await users.revoke_api_key(session, actor, key_id))
