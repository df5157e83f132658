"""HTTP routes for segments: thin, the services own the logic."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from clientbase.auth.dependencies import ActorDep, SessionDep
from clientbase.core.concurrency import etag
from clientbase.core.jsonable import jsonable
from clientbase.core.pagination import DEFAULT_LIMIT, Limit
from clientbase.segments import membership_service as memberships
from clientbase.segments import service
from clientbase.segments.api_schemas import (
    AssignRequest,
    CustomerBrief,
    CustomerSegmentRead,
    HistoryPage,
    HistoryRead,
    JobAccepted,
    LifecycleUpdate,
    MemberPage,
    MemberRead,
    PreviewRead,
    PreviewRequest,
    SegmentCreate,
    SegmentPage,
    SegmentRead,
    SegmentUpdate,
)

router = APIRouter(tags=["segments"])
IfMatch = Annotated[str | None, Header(alias="If-Match")]


def _read(segment: Any, job: Any = None) -> SegmentRead:
    read = SegmentRead.model_validate(segment)
    read.recalculation_job_id = job.id if job is not None else None
    return read


def _with_etag(read: SegmentRead, status: int = 200) -> JSONResponse:
    return JSONResponse(
        jsonable(read.model_dump(mode="json")),
        status_code=status,
        headers={"ETag": etag(read.version)},
    )


@router.get("/segments", response_model=SegmentPage)
async def list_segments(
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    type: Literal["dynamic", "static"] | None = None,
    is_system: bool | None = None,
    business_id: uuid.UUID | None = None,
) -> SegmentPage:
    page = await service.list_segments(
        session,
        actor,
        limit=limit,
        cursor=cursor,
        type_=type,
        is_system=is_system,
        business_id=business_id,
    )
    return SegmentPage(items=[_read(s) for s in page.items], next_cursor=page.next_cursor)


@router.post("/segments", status_code=201, response_model=SegmentRead)
async def create_segment(body: SegmentCreate, session: SessionDep, actor: ActorDep) -> JSONResponse:
    segment, job = await service.create_segment(session, actor, body)
    response = _with_etag(_read(segment, job), 201)
    response.headers["Location"] = f"/api/v1/segments/{segment.id}"
    return response


@router.get("/segments/fields")
async def segment_fields(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """What the rule builder offers: every field with its type, operators, options and
    timeframes (custom fields included)."""
    return {"fields": await service.field_catalogue(session, actor)}


@router.post("/segments/preview", response_model=PreviewRead)
async def preview(body: PreviewRequest, session: SessionDep, actor: ActorDep) -> PreviewRead:
    result = await service.preview(session, actor, body)
    return PreviewRead(
        count=result["count"],
        sample=[CustomerBrief.model_validate(c) for c in result["sample"]],
        evaluated_at=result["evaluated_at"],
    )


@router.get("/segments/lifecycle")
async def lifecycle_settings(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Evaluation order, defaults and each business's thresholds (see docs/segments.md)."""
    return jsonable(await memberships.lifecycle_settings(session, actor))


@router.put("/segments/lifecycle")
async def update_lifecycle(
    body: LifecycleUpdate, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    return await memberships.update_lifecycle_settings(
        session, actor, body.business_id, body.thresholds, version=body.version
    )


@router.get("/segments/{segment_id}", response_model=SegmentRead)
async def get_segment(segment_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> JSONResponse:
    return _with_etag(_read(await service.get_segment(session, actor, segment_id)))


@router.patch("/segments/{segment_id}", response_model=SegmentRead)
async def update_segment(
    segment_id: uuid.UUID,
    body: SegmentUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    segment, job = await service.update_segment(session, actor, segment_id, body, if_match=if_match)
    return _with_etag(_read(segment, job))


@router.delete("/segments/{segment_id}", status_code=204)
async def delete_segment(segment_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    await service.delete_segment(session, actor, segment_id)
    return Response(status_code=204)


@router.get("/segments/{segment_id}/members", response_model=MemberPage)
async def segment_members(
    segment_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> MemberPage:
    """Current members in a stable keyset order; for the customer list's filters and sorts
    use GET /api/v1/customers?segment_id=."""
    page = await service.members(session, actor, segment_id, limit=limit, cursor=cursor)
    items = [
        MemberRead(**CustomerBrief.model_validate(c).model_dump(), added_at=at, source=source)
        for c, at, source in page.items
    ]
    return MemberPage(items=items, next_cursor=page.next_cursor, total=page.total)


@router.post("/segments/{segment_id}/recalculate", status_code=202, response_model=JobAccepted)
async def recalculate(segment_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> JSONResponse:
    job = await service.request_recalculation(session, actor, segment_id)
    return JSONResponse(
        {"job_id": str(job.id), "status": job.status},
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )


@router.get("/segments/{segment_id}/explain/{customer_id}")
async def explain(
    segment_id: uuid.UUID, customer_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    return await service.explain(session, actor, segment_id, customer_id)


@router.get("/segments/{segment_id}/history", response_model=HistoryPage)
async def segment_history(
    segment_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> HistoryPage:
    page = await memberships.history(
        session, actor, limit=limit, cursor=cursor, segment_id=segment_id
    )
    return _history(page)


@router.get("/segments/{segment_id}/insights")
async def segment_insights(
    segment_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    return await memberships.insights(session, actor, segment_id)


@router.get("/customers/{customer_id}/segments", response_model=list[CustomerSegmentRead])
async def customer_segments(
    customer_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[CustomerSegmentRead]:
    return _memberships(await memberships.customer_segments(session, actor, customer_id))


@router.put("/customers/{customer_id}/segments", response_model=list[CustomerSegmentRead])
async def assign_segments(
    customer_id: uuid.UUID, body: AssignRequest, session: SessionDep, actor: ActorDep
) -> list[CustomerSegmentRead]:
    """Set the customer's static segments to exactly `segment_ids`."""
    return _memberships(
        await memberships.assign_static(session, actor, customer_id, body.segment_ids)
    )


@router.get("/customers/{customer_id}/segment-history", response_model=HistoryPage)
async def customer_segment_history(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> HistoryPage:
    page = await memberships.history(
        session, actor, limit=limit, cursor=cursor, customer_id=customer_id
    )
    return _history(page)


def _memberships(rows: list[tuple[Any, Any]]) -> list[CustomerSegmentRead]:
    return [
        CustomerSegmentRead(
            segment_id=s.id,
            name=s.name,
            type=s.type,
            color_code=s.color_code,
            is_system=s.is_system,
            lifecycle=s.lifecycle,
            source=m.source,
            added_at=m.added_at,
        )
        for s, m in rows
    ]


def _history(page: Any) -> HistoryPage:
    items = [
        HistoryRead(
            id=h.id,
            segment_id=h.segment_id,
            segment_name=name,
            customer_id=h.customer_id,
            action=h.action,
            reason=h.reason,
            at=h.at,
        )
        for h, name in page.items
    ]
    return HistoryPage(items=items, next_cursor=page.next_cursor)
