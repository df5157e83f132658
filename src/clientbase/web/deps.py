"""What every web page depends on: the request transaction, the signed-in actor, CSRF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth import service as auth_service
from clientbase.auth.actor import Actor
from clientbase.auth.dependencies import request_context
from clientbase.auth.tokens import API_KEY_PREFIX
from clientbase.core.errors import PermissionDenied, Unauthorized
from clientbase.db.session import get_session
from clientbase.web.security import SAFE_METHODS, SESSION_COOKIE, csrf_valid, settings_of


class WebRoute(APIRoute):
    """Marks web routes so errors raised in them render as pages, not problem+json."""


class LoginRequired(Unauthorized):
    pass


class CsrfRejected(PermissionDenied):
    title = "Form expired"


async def check_csrf(request: Request) -> None:
    if request.method not in SAFE_METHODS and not await csrf_valid(request):
        raise CsrfRejected(
            "This form has expired or did not come from Clientbase. Reload the page and try again."
        )


def web_router() -> APIRouter:
    return APIRouter(
        route_class=WebRoute, include_in_schema=False, dependencies=[Depends(check_csrf)]
    )


WebSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def current_actor(request: Request, session: WebSession) -> Actor:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or token.startswith(API_KEY_PREFIX):
        raise LoginRequired("Sign in to continue.")
    actor = await auth_service.resolve_bearer(
        session, settings_of(request), token, request_context(request)
    )
    if actor.user_id is None:
        raise LoginRequired("Sign in to continue.")
    request.state.actor = actor
    return actor


WebActor = Annotated[Actor, Depends(current_actor)]
