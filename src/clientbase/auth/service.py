"""Sign-in, token and API key resolution: turning credentials into an Actor."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth import repository
from clientbase.auth.actor import Actor
from clientbase.auth.models import LoginThrottle, User
from clientbase.auth.passwords import hash_password, needs_rehash, verify_password
from clientbase.auth.permissions import Permission, Role
from clientbase.auth.repository import API_KEY_TOUCH_INTERVAL
from clientbase.auth.tokens import (
    API_KEY_PREFIX,
    decode_access_token,
    hash_api_key,
    issue_access_token,
)
from clientbase.config import Settings
from clientbase.core.errors import SignInFailed, TooManyRequests, Unauthorized, ValidationFailed
from clientbase.core.schemas import unsafe_text_reason
from clientbase.db.base import utcnow


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    ip: str | None = None


@dataclass(frozen=True)
class SignIn:
    user: User
    access_token: str
    expires_in: int


async def _check_throttle(session: AsyncSession, login: str) -> LoginThrottle | None:
    throttle = await repository.get_throttle(session, login)
    now = utcnow()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        wait = int((throttle.locked_until - now).total_seconds()) + 1
        raise TooManyRequests(
            "Too many failed sign-ins for this account; try again later.",
            headers={"Retry-After": str(wait)},
        )
    return throttle


def _record_failure(
    session: AsyncSession, throttle: LoginThrottle | None, login: str, settings: Settings
) -> None:
    now = utcnow()
    window = timedelta(minutes=settings.login_lockout_minutes)
    if throttle is None:
        throttle = LoginThrottle(login=login, failures=0, window_started_at=now)
        session.add(throttle)
    if throttle.window_started_at < now - window:
        throttle.failures, throttle.window_started_at = 0, now
    throttle.failures += 1
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = now + window
        throttle.failures, throttle.window_started_at = 0, now


async def sign_in(
    session: AsyncSession, settings: Settings, *, login: str, password: str
) -> SignIn:
    for field, value in (("username", login), ("password", password)):
        reason = unsafe_text_reason(value)
        if reason:  # refused before any query: PostgreSQL cannot even compare NUL bytes
            raise ValidationFailed.on(field, reason)
    login = login.strip().lower()
    throttle = await _check_throttle(session, login)
    user = await repository.find_user_for_login(session, login)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        _record_failure(session, throttle, login, settings)
        raise SignInFailed("Incorrect email or password.")
    if throttle is not None:
        await session.delete(throttle)
    # Bookkeeping, not an edit of the user: the version an admin holds stays current.
    await repository.record_sign_in(
        session,
        user,
        password_hash=hash_password(password) if needs_rehash(user.password_hash) else None,
    )
    token = issue_access_token(
        user_id=user.id,
        organization_id=user.organization_id,
        key=settings.signing_key(),
        issuer=settings.jwt_issuer,
        minutes=settings.access_token_minutes,
    )
    await session.flush()
    return SignIn(user, token, settings.access_token_minutes * 60)


async def resolve_user(
    session: AsyncSession, user_id: uuid.UUID, organization_id: uuid.UUID, context: RequestContext
) -> Actor:
    user = await repository.token_principal(session, user_id, organization_id)
    if user is None or not user.is_active:
        raise Unauthorized("The account is not active.")
    return Actor(
        organization_id=organization_id,
        role=Role(user.role),
        kind="user",
        user_id=user_id,
        label=user.email,
        request_id=context.request_id,
        ip=context.ip,
    )


KeyUsed = Callable[[uuid.UUID, datetime], Awaitable[None]]


async def resolve_bearer(
    session: AsyncSession,
    settings: Settings,
    token: str,
    context: RequestContext,
    on_key_used: KeyUsed | None = None,
) -> Actor:
    """`on_key_used` records an API key's use outside the caller's transaction (a read
    request's transaction must not write: on SQLite concurrent readers that all try to
    upgrade collide); without it the mark is written in `session`."""
    if token.startswith(API_KEY_PREFIX):
        return await _resolve_api_key(session, token, context, on_key_used)
    claims = decode_access_token(token, key=settings.signing_key(), issuer=settings.jwt_issuer)
    try:
        user_id, org_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["org"])
    except ValueError as exc:
        raise Unauthorized("The access token is not valid.") from exc
    return await resolve_user(session, user_id, org_id, context)


async def _resolve_api_key(
    session: AsyncSession, token: str, context: RequestContext, on_key_used: KeyUsed | None
) -> Actor:
    key = await repository.find_api_key(session, hash_api_key(token))
    now = utcnow()
    if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
        raise Unauthorized("The API key is not valid.")
    if key.last_used_at is None or key.last_used_at < now - API_KEY_TOUCH_INTERVAL:
        if on_key_used is not None:
            await on_key_used(key.id, now)
        else:
            await repository.mark_api_key_used(session, key.id, now)
    return Actor(
        organization_id=key.organization_id,
        role=Role(key.role),
        kind="api_key",
        api_key_id=key.id,
        label=f"api-key:{key.name}",
        scopes=frozenset(Permission(s) for s in key.scopes) if key.scopes else None,
        request_id=context.request_id,
        ip=context.ip,
    )
