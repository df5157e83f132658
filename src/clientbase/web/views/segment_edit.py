"""/segments/new and /segments/{id}/edit: the segment form with the visual rule builder,
and the live preview it asks for as the rules change."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import (
    ClientbaseError,
    PreconditionFailed,
    ValidationFailed,
    VersionConflict,
    validation_errors,
)
from clientbase.segments import service
from clientbase.segments.api_schemas import PreviewRequest
from clientbase.segments.models import Segment
from clientbase.tenancy import service as tenancy
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.security import set_flash
from clientbase.web.segment_form import FormInvalid, SegmentForm
from clientbase.web.templating import render

router = web_router()
STALE = (VersionConflict, PreconditionFailed)
STALE_MESSAGE = (
    "Someone else saved this segment while you were editing. Your changes are still here; "
    "save again to overwrite theirs."
)


async def _page(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    form: SegmentForm,
    *,
    segment: Segment | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    businesses = await tenancy.list_businesses(session, actor)
    context: dict[str, Any] = {
        "form": form,
        "errors": form.errors,
        "segment": segment,
        "business_options": [(str(b.id), b.name) for b in businesses],
        "fields": await service.field_catalogue(session, actor),
        "criteria_errors": form.criteria_errors(),
        "message": message,
        "action": f"/segments/{segment.id}/edit" if segment else "/segments/new",
    }
    return render(request, "segments/form.html", context, status=status)


@router.get("/segments/new")
async def new_segment(request: Request, session: WebSession, actor: WebActor) -> Response:
    actor.require(Permission.SEGMENTS_WRITE)
    return await _page(request, session, actor, SegmentForm.blank())


@router.post("/segments/new")
async def create_segment(request: Request, session: WebSession, actor: WebActor) -> Response:
    actor.require(Permission.SEGMENTS_WRITE)
    form = SegmentForm.parse(await request.form())
    try:
        body = form.create_body()
        async with session.begin_nested():
            segment, job = await service.create_segment(session, actor, body)
    except FormInvalid:
        return await _page(request, session, actor, form, message=form.summary(), status=422)
    except ClientbaseError as exc:
        form.add_errors(exc.errors)
        message = form.summary() or f"Nothing was saved. {exc.detail}"
        return await _page(request, session, actor, form, message=message, status=exc.status)
    response = RedirectResponse(f"/segments/{segment.id}", status_code=303)
    started = " Its members are being calculated." if job is not None else ""
    set_flash(request, response, f"Segment {segment.name} created.{started}")
    return response


@router.get("/segments/{segment_id}/edit")
async def edit_segment(
    request: Request, segment_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    segment = await service.get_segment(session, actor, segment_id)
    actor.require(Permission.SEGMENTS_WRITE)
    return await _page(request, session, actor, SegmentForm.of(segment), segment=segment)


@router.post("/segments/{segment_id}/edit")
async def update_segment(
    request: Request, segment_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    segment = await service.get_segment(session, actor, segment_id)
    actor.require(Permission.SEGMENTS_WRITE)
    form = SegmentForm.parse(await request.form())
    # Type and business are fixed once created; the page shows them as text.
    form.values.update(type=segment.type, business_id=str(segment.business_id or ""))
    try:
        body = form.update_body(with_criteria=segment.type == "dynamic" and not segment.is_system)
        async with session.begin_nested():
            segment, job = await service.update_segment(session, actor, segment_id, body)
    except FormInvalid:
        message = form.summary()
        return await _page(
            request, session, actor, form, segment=segment, message=message, status=422
        )
    except STALE as exc:
        segment = await service.get_segment(session, actor, segment_id)
        form.version = segment.version
        return await _page(
            request, session, actor, form, segment=segment, message=STALE_MESSAGE, status=exc.status
        )
    except ClientbaseError as exc:
        form.add_errors(exc.errors)
        message = form.summary() or f"Nothing was saved. {exc.detail}"
        return await _page(
            request, session, actor, form, segment=segment, message=message, status=exc.status
        )
    response = RedirectResponse(f"/segments/{segment_id}", status_code=303)
    started = " Its members are being recalculated." if job is not None else ""
    set_flash(request, response, f"Changes saved.{started}")
    return response


@router.post("/segments/preview")
async def preview(request: Request, session: WebSession, actor: WebActor) -> Response:
    """How many customers the builder's criteria select now: a small fragment with the
    count and a sample, or the validation messages by rule path (422)."""
    raw = await request.form()
    errors: dict[str, list[str]] = {}
    result = None
    try:
        body = PreviewRequest.model_validate(
            {
                "criteria": json.loads(str(raw.get("criteria") or "")),
                "business_id": str(raw.get("business_id") or "") or None,
            }
        )
        result = await service.preview(session, actor, body)
    except ValueError as exc:  # bad JSON or a body the schema refuses
        problems = validation_errors(exc.errors()) if isinstance(exc, ValidationError) else []
        for problem in problems or [{"field": "criteria", "message": "is not valid JSON"}]:
            errors.setdefault(problem["field"], []).append(problem["message"])
    except ValidationFailed as exc:
        for error in exc.errors or []:
            errors.setdefault(error.field, []).append(error.message)
        if not errors:
            errors["criteria"] = [exc.detail]
    context = {"result": result, "preview_errors": errors}
    status = 422 if errors else 200
    return render(request, "segments/_preview.html", context, status=status, partial=True)
