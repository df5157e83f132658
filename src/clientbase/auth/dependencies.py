"""FastAPI dependencies: the request's session, settings and acting principal."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import structlog
from fastapi import Depends, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth import repository, service
from clientbase.auth.actor import Actor
from clientbase.auth.service import RequestContext
from clientbase.config import Settings
from clientbase.core.errors import Unauthorized
from clientbase.core.middleware import after_response
from clientbase.db.session import get_session

log = structlog.get_logger(__name__)

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_app_settings(request: Request) -> Settings:
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

    async def mark_used(key_id: uuid.UUID, at: datetime) -> None:
        # After the response, when the request's own connection is back in the pool: a
        # request never holds two, so a worker's requests cannot all wait on a full pool.
        async def record() -> None:
            try:
                async with request.app.state.side_transaction() as own:
                    await repository.mark_api_key_used(own, key_id, at)
            except SQLAlchemyError as exc:  # bookkeeping (SQLite busy, pool full): retried
                log.warning(
                    "api_key.last_used_not_recorded", api_key_id=str(key_id), error=str(exc)
                )

        after_response(request, record)

    return await service.resolve_bearer(
        session, settings, token.strip(), request_context(request), on_key_used=mark_used
    )


ActorDep = Annotated[Actor, Depends(current_actor)]
