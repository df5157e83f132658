"""/settings/custom-fields: the organization's custom field definitions."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import ClientbaseError, validation_errors
from clientbase.customers import custom_fields
from clientbase.customers.custom_fields import CustomFieldCreate, CustomFieldUpdate
from clientbase.web.choices import CHOICES
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.security import set_flash
from clientbase.web.templating import render

router = web_router()
PATH = "/settings/custom-fields"


def _options(raw: Any) -> list[str]:
    return [o.strip() for o in str(raw or "").split(",") if o.strip()]


async def _page(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "definitions": await custom_fields.list_definitions(session, actor),
        "field_types": CHOICES["field_type"],
        "form": form or {"type": "text"},
        "errors": errors or {},
    }
    return render(request, "settings/custom_fields.html", context, status=status)


@router.get(PATH)
async def list_definitions(request: Request, session: WebSession, actor: WebActor) -> Response:
    actor.require(Permission.SETTINGS_MANAGE)
    return await _page(request, session, actor)


@router.post(PATH)
async def create_definition(request: Request, session: WebSession, actor: WebActor) -> Response:
    actor.require(Permission.SETTINGS_MANAGE)
    raw = await request.form()
    form = {n: str(raw.get(n) or "").strip() for n in ("key", "label", "type", "options")}
    form["required"] = raw.get("required") == "true"
    errors: dict[str, list[str]] = {}
    try:
        data = CustomFieldCreate.model_validate({**form, "options": _options(form["options"])})
        async with session.begin_nested():
            defn = await custom_fields.create_definition(session, actor, data)
    except ValidationError as exc:
        for error in validation_errors(exc.errors()):
            errors.setdefault(error["field"].split("[")[0], []).append(error["message"])
    except ClientbaseError as exc:
        for field_error in exc.errors:
            errors.setdefault(field_error.field, []).append(field_error.message)
        if not exc.errors:
            errors.setdefault("key", []).append(exc.detail)
    if errors:
        return await _page(request, session, actor, form=form, errors=errors, status=422)
    response = RedirectResponse(PATH, status_code=303)
    set_flash(request, response, f"Custom field {defn.label} ({defn.key}) created.")
    return response


@router.post(PATH + "/{definition_id}")
async def update_definition(
    request: Request, definition_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    actor.require(Permission.SETTINGS_MANAGE)
    raw = await request.form()
    values: dict[str, Any] = {
        "label": str(raw.get("label") or "").strip() or None,
        "required": raw.get("required") == "true",
        "is_active": raw.get("is_active") == "true",
        "version": raw.get("version") or None,
    }
    if "options" in raw:
        values["options"] = _options(raw.get("options"))
    response = RedirectResponse(PATH, status_code=303)
    try:
        data = CustomFieldUpdate.model_validate(values)
        async with session.begin_nested():
            defn = await custom_fields.update_definition(session, actor, definition_id, data)
    except ValidationError as exc:
        problems = validation_errors(exc.errors())
        set_flash(request, response, "Not saved: " + "; ".join(e["message"] for e in problems))
        return response
    except ClientbaseError as exc:
        if exc.status == 404:
            raise
        set_flash(request, response, f"Not saved: {exc.detail}")
        return response
    set_flash(request, response, f"Custom field {defn.label} saved.")
    return response
