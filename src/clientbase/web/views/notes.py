"""Notes on the profile: add, edit, pin and delete inline (htmx), or as plain forms."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from clientbase.auth.actor import Actor
from clientbase.core.errors import (
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
    VersionConflict,
    validation_errors,
)
from clientbase.customers import related_service as related
from clientbase.customers.related_schemas import NoteCreate, NoteUpdate
from clientbase.web.choices import CHOICES
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.security import set_flash
from clientbase.web.templating import is_htmx, render
from clientbase.web.views.profile import notes_context, profile_page

router = web_router()
NOTE_INPUTS = ("title", "content", "type", "priority")


async def _respond(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    *,
    message: str,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    """htmx gets the refreshed notes panel; a plain form post gets the page (or a redirect)."""
    if not is_htmx(request) and not errors:
        response = RedirectResponse(f"/customers/{customer_id}?tab=notes", status_code=303)
        set_flash(request, response, message)
        return response
    extra = {"note_message": message, "note_form": form or {}, "errors": errors or {}}
    if is_htmx(request):
        context = {**await notes_context(session, actor, customer_id), **extra}
        context.update(c={"id": customer_id, "deleted_at": None}, choices=CHOICES)
        return render(request, "customers/_notes.html", context, status=status, partial=True)
    return await profile_page(request, session, actor, customer_id, "notes", extra, status)


async def _form(request: Request, names: tuple[str, ...]) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {n: str(form.get(n) or "").strip() for n in names if n in form}
    if "title" in values and not values["title"]:
        values["title"] = None
    return values


def _validate(model: type[BaseModel], values: dict[str, Any]) -> tuple[Any, dict[str, list[str]]]:
    try:
        return model.model_validate(values), {}
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in validation_errors(exc.errors()):
            errors.setdefault(error["field"], []).append(error["message"])
        return None, errors


@router.post("/customers/{customer_id}/notes")
async def add_note(
    request: Request, customer_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    values = await _form(request, NOTE_INPUTS)
    values["pinned"] = (await request.form()).get("pinned") == "true"
    data, errors = _validate(NoteCreate, values)
    if errors:
        return await _respond(
            request, session, actor, customer_id, message="The note was not added.",
            form=values, errors=errors, status=422,
        )  # fmt: skip
    await related.create_note(session, actor, customer_id, data)
    return await _respond(request, session, actor, customer_id, message="Note added.")


async def _change(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    note_id: uuid.UUID,
    values: dict[str, Any],
    done: str,
) -> Response:
    data, errors = _validate(NoteUpdate, values)
    if errors:
        message = "The note was not saved: " + "; ".join(
            f"{k}: {', '.join(v)}" for k, v in errors.items()
        )
        return await _respond(request, session, actor, customer_id, message=message, status=422)
    try:
        async with session.begin_nested():
            await related.update_note(session, actor, customer_id, note_id, data)
    except (VersionConflict, PreconditionFailed):
        message = "Someone else changed this note meanwhile; here is the current version."
        return await _respond(request, session, actor, customer_id, message=message, status=409)
    except (PermissionDenied, ValidationFailed) as exc:
        return await _respond(
            request, session, actor, customer_id, message=exc.detail, status=exc.status
        )
    return await _respond(request, session, actor, customer_id, message=done)


@router.post("/customers/{customer_id}/notes/{note_id}")
async def edit_note(
    request: Request,
    customer_id: uuid.UUID,
    note_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
) -> Response:
    values = await _form(request, (*NOTE_INPUTS, "version"))
    return await _change(request, session, actor, customer_id, note_id, values, "Note saved.")


@router.post("/customers/{customer_id}/notes/{note_id}/pin")
async def pin_note(
    request: Request,
    customer_id: uuid.UUID,
    note_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
) -> Response:
    values = await _form(request, ("pinned", "version"))
    done = "Note pinned." if values.get("pinned") == "true" else "Note unpinned."
    return await _change(request, session, actor, customer_id, note_id, values, done)


@router.post("/customers/{customer_id}/notes/{note_id}/delete")
async def delete_note(
    request: Request,
    customer_id: uuid.UUID,
    note_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
) -> Response:
    await related.delete_note(session, actor, customer_id, note_id)
    return await _respond(request, session, actor, customer_id, message="Note deleted.")
