"""/settings/users: admins create users, change roles, deactivate and reactivate."""

from __future__ import annotations

import math
import uuid
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.auth.schemas import UserCreate, UserUpdate
from clientbase.core.errors import ClientbaseError, validation_errors
from clientbase.web.choices import CHOICES
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.security import set_flash
from clientbase.web.templating import render

router = web_router()
PAGE_SIZE = 50


async def _page(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and int(page_text) > 0 else 1
    rows, total = await users.list_users(
        session, actor, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    context = {
        "users": rows,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "roles": CHOICES["role"],
        "form": form or {"role": "viewer"},
        "errors": errors or {},
    }
    return render(request, "settings/users.html", context, status=status)


@router.get("/settings/users")
async def list_users(request: Request, session: WebSession, actor: WebActor) -> Response:
    actor.require(Permission.USERS_MANAGE)
    return await _page(request, session, actor)


@router.post("/settings/users")
async def create_user(request: Request, session: WebSession, actor: WebActor) -> Response:
    actor.require(Permission.USERS_MANAGE)
    raw = await request.form()
    form = {n: str(raw.get(n) or "").strip() for n in ("email", "full_name", "role")}
    password = str(raw.get("password") or "")
    errors: dict[str, list[str]] = {}
    try:
        data = UserCreate.model_validate({**form, "password": password})
        async with session.begin_nested():
            user = await users.create_user(session, actor, data)
    except ValidationError as exc:
        for error in validation_errors(exc.errors()):
            errors.setdefault(error["field"], []).append(error["message"])
    except ClientbaseError as exc:
        for field_error in exc.errors or []:
            errors.setdefault(field_error.field, []).append(field_error.message)
        errors.setdefault("form", []).append(exc.detail)
    if errors:
        return await _page(request, session, actor, form=form, errors=errors, status=422)
    response = RedirectResponse("/settings/users", status_code=303)
    set_flash(request, response, f"User {user.email} created with role {user.role}.")
    return response


@router.post("/settings/users/{user_id}")
async def update_user(
    request: Request, user_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    actor.require(Permission.USERS_MANAGE)
    raw = await request.form()
    values = {
        "role": raw.get("role") or None,
        "is_active": raw.get("is_active") == "true",
        "version": raw.get("version") or None,
    }
    response = RedirectResponse("/settings/users", status_code=303)
    try:
        data = UserUpdate.model_validate(values)
        async with session.begin_nested():
            user = await users.update_user(session, actor, user_id, data)
    except ValidationError as exc:
        problems = validation_errors(exc.errors())
        set_flash(request, response, "Not saved: " + "; ".join(e["message"] for e in problems))
        return response
    except ClientbaseError as exc:
        if exc.status == 404:
            raise
        set_flash(request, response, f"Not saved: {exc.detail}")
        return response
    state = "active" if user.is_active else "deactivated"
    set_flash(request, response, f"{user.email} is now {user.role}, {state}.")
    return response
