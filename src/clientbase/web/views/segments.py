"""/segments: the list, a segment's page (criteria, members, history), recalculation,
deletion, and the members of static segments added and removed by hand."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from clientbase.auth.actor import Actor
from clientbase.core.errors import ClientbaseError
from clientbase.core.sorting import parse_sort
from clientbase.customers import service as customers
from clientbase.customers.presenters import present_customer, present_customer_row
from clientbase.customers.query import SORTABLE, build_filter
from clientbase.jobs import service as jobs
from clientbase.segments import membership_service as memberships
from clientbase.segments import service
from clientbase.tenancy import service as tenancy
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.security import set_flash
from clientbase.web.templating import htmx_target, is_htmx, render

router = web_router()
PAGE_SIZE = 50
MEMBERS_PAGE = 25
HISTORY_PAGE = 20
CANDIDATES = 8


@router.get("/segments")
async def list_segments(request: Request, session: WebSession, actor: WebActor) -> Response:
    cursor = request.query_params.get("cursor") or None
    page = await service.list_segments(session, actor, limit=PAGE_SIZE, cursor=cursor)
    businesses = {b.id: b.name for b in await tenancy.list_businesses(session, actor)}
    context = {
        "segments": page.items,
        "next_cursor": page.next_cursor,
        "first_page": cursor is None,
        "businesses": businesses,
    }
    return render(request, "segments/list.html", context)


async def catalogue_labels(session: AsyncSession, actor: Actor) -> dict[str, dict[str, Any]]:
    return {f["field"]: f for f in await service.field_catalogue(session, actor)}


@router.get("/segments/{segment_id}")
async def show_segment(
    request: Request, segment_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    segment = await service.get_segment(session, actor, segment_id)
    cursor = request.query_params.get("cursor") or None
    page = await service.members(session, actor, segment_id, limit=MEMBERS_PAGE, cursor=cursor)
    members = [(present_customer(c, actor), at, source) for c, at, source in page.items]
    context: dict[str, Any] = {
        "segment": segment,
        "members": members,
        "members_total": page.total,
        "next_cursor": page.next_cursor,
        "first_page": cursor is None,
    }
    if htmx_target(request) == "members":
        return render(request, "segments/_members.html", context, partial=True)
    history_cursor = request.query_params.get("history") or None
    history = await memberships.history(
        session, actor, limit=HISTORY_PAGE, cursor=history_cursor, segment_id=segment_id
    )
    names = await service.customer_names(
        session, actor, list({h.customer_id for h, _ in history.items})
    )
    businesses = {b.id: b.name for b in await tenancy.list_businesses(session, actor)}
    context.update(
        history=[h for h, _ in history.items],
        history_next=history.next_cursor,
        names=names,
        fields=await catalogue_labels(session, actor),
        business=businesses.get(segment.business_id) if segment.business_id else None,
    )
    return render(request, "segments/detail.html", context)


@router.post("/segments/{segment_id}/delete")
async def delete_segment(
    request: Request, segment_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    segment = await service.get_segment(session, actor, segment_id)
    await service.delete_segment(session, actor, segment_id)
    response = RedirectResponse("/segments", status_code=303)
    set_flash(request, response, f"Segment {segment.name} deleted.")
    return response


@router.post("/segments/{segment_id}/recalculate")
async def recalculate(
    request: Request, segment_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    job = await service.request_recalculation(session, actor, segment_id)
    if is_htmx(request):
        return render(request, "segments/_job.html", {"job": job}, partial=True)
    response = RedirectResponse(f"/segments/{segment_id}", status_code=303)
    set_flash(request, response, "Recalculation started.")
    return response


@router.get("/segments/jobs/{job_id}")
async def job_status(
    request: Request, job_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    job = await jobs.get_job(session, actor, job_id)
    if is_htmx(request):
        return render(request, "segments/_job.html", {"job": job}, partial=True)
    return render(request, "segments/job.html", {"job": job})


@router.get("/segments/{segment_id}/candidates")
async def candidates(
    request: Request, segment_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    """Customers matching a search, to add to a static segment."""
    segment = await service.get_segment(session, actor, segment_id)
    search = (request.query_params.get("search") or "").strip()
    found: list[Any] = []
    if search:
        flt = await build_filter(
            session, actor, search=search, assigned_to=None, tags=None, status=None
        )
        page = await customers.list_customers(
            session,
            actor,
            flt,
            sort=parse_sort("name", SORTABLE, "name"),
            limit=CANDIDATES,
            include_total=False,
        )
        found = [present_customer_row(c, actor) for c in page.items]
    context = {"segment": segment, "candidates": found, "search": search}
    return render(request, "segments/_candidates.html", context, partial=True)


@router.post("/segments/{segment_id}/members")
async def add_member(
    request: Request, segment_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    form = await request.form()
    return await _change_member(
        request, session, actor, segment_id, str(form.get("customer_id") or ""), member=True
    )


@router.post("/segments/{segment_id}/members/{customer_id}/remove")
async def remove_member(
    request: Request,
    segment_id: uuid.UUID,
    customer_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
) -> Response:
    return await _change_member(request, session, actor, segment_id, str(customer_id), member=False)


async def _change_member(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    segment_id: uuid.UUID,
    raw_customer: str,
    *,
    member: bool,
) -> Response:
    segment = await service.get_segment(session, actor, segment_id)
    response = RedirectResponse(f"/segments/{segment_id}", status_code=303)
    try:
        customer_id = uuid.UUID(raw_customer)
    except ValueError:
        set_flash(request, response, "Choose a customer first.")
        return response
    try:
        async with session.begin_nested():
            customer = await customers.get_customer(session, actor, customer_id)
            await memberships.set_static_member(
                session, actor, segment_id, customer_id, member=member
            )
    except ClientbaseError as exc:
        if exc.status in (401, 403, 404):
            raise
        set_flash(request, response, f"Nothing changed: {exc.detail}")
        return response
    done = "added to" if member else "removed from"
    set_flash(request, response, f"{customer.name} {done} {segment.name}.")
    return response


@router.post("/customers/{customer_id}/segments")
async def set_customer_segments(
    request: Request, customer_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    """The profile's Segments tab: the customer's static segments become the ticked ones."""
    await customers.get_customer(session, actor, customer_id)
    form = await request.form()
    wanted = []
    for value in form.getlist("segment_ids"):
        try:
            wanted.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    response = RedirectResponse(f"/customers/{customer_id}?tab=segments", status_code=303)
    try:
        async with session.begin_nested():
            await memberships.assign_static(session, actor, customer_id, wanted)
    except ClientbaseError as exc:
        if exc.status in (401, 403, 404):
            raise
        set_flash(request, response, f"Nothing changed: {exc.detail}")
        return response
    set_flash(request, response, "Static segments saved.")
    return response
