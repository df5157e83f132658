"""FastAPI dependencies: the request's session, settings and acting principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth import service
from clientbase.auth.actor import Actor
from clientbase.auth.service import RequestContext
from clientbase.config import Settings
from clientbase.core.errors import Unauthorized
from clientbase.db.session import get_session

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def request_context(request: Request) -> RequestContext:
    return RequestContext(
        request_id=getattr(request.state, "request_id", None),
        ip=request.client.host if request.client else None,
    )


async def current_actor(request: Request, session: SessionDep, settings: SettingsDep) -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send `Authorization: Bearer <token or API key>`.")
    return await service.resolve_bearer(session, settings, token.strip(), request_context(request))


ActorDep = Annotated[Actor, Depends(current_actor)]
