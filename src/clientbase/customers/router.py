"""HTTP routes for customer profiles: thin, the service owns the logic."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from clientbase.audit.schemas import AuditPage, present_audit_page
from clientbase.auth.dependencies import ActorDep, SessionDep, SettingsDep
from clientbase.core.concurrency import etag
from clientbase.core.idempotency import run_idempotent
from clientbase.core.pagination import DEFAULT_LIMIT, Limit
from clientbase.core.schemas import reject_unsafe
from clientbase.core.sorting import parse_sort
from clientbase.customers import bulk, read_service, service
from clientbase.customers.bulk_schemas import (
    BulkCreate,
    BulkCreateResult,
    BulkDelete,
    BulkDeleteResult,
    BulkUpdate,
    BulkUpdateResult,
)
from clientbase.customers.presenters import (
    present_customer_row,
    present_detail,
    present_detail_row,
)
from clientbase.customers.query import CUSTOM_FIELD_PREFIX, SORTABLE, build_filter
from clientbase.customers.schemas import (
    CustomerCreate,
    CustomerDetail,
    CustomerPage,
    CustomerReplace,
    CustomerStatus,
    CustomerType,
    CustomerUpdate,
)

router = APIRouter(prefix="/customers", tags=["customers"])
IfMatch = Annotated[str | None, Header(alias="If-Match")]


@router.get("", response_model=CustomerPage)
async def list_customers(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    search: Annotated[
        str | None, Query(max_length=200, description="Name, company, email, phone, contacts")
    ] = None,
    type: CustomerType | None = None,
    status: Annotated[list[CustomerStatus] | None, Query()] = None,
    is_active: bool | None = None,
    industry: Annotated[str | None, Query(max_length=100)] = None,
    lead_source: Annotated[str | None, Query(max_length=100)] = None,
    city: Annotated[str | None, Query(max_length=150)] = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    business_id: uuid.UUID | None = None,
    segment_id: Annotated[uuid.UUID | None, Query(description="Members of this segment")] = None,
    assigned_to: Annotated[str | None, Query(description="A user id, or `none`")] = None,
    tags: Annotated[list[str] | None, Query()] = None,
    tags_match: Literal["any", "all"] = "any",
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    include_deleted: bool = False,
    only_deleted: bool = False,
    sort: str | None = Query(
        default=None, description=f"One of {', '.join(SORTABLE)}; prefix - to descend"
    ),
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    page: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    include_total: bool = True,
) -> CustomerPage:
    """Filter by any field; custom fields as `cf.<key>=value`."""
    custom = {k: v for k, v in request.query_params.items() if k.startswith(CUSTOM_FIELD_PREFIX)}
    reject_unsafe([search, industry, lead_source, city, *(tags or []), *custom.values()])
    flt = await build_filter(
        session,
        actor,
        search=search,
        type=type,
        status=status,
        is_active=is_active,
        industry=industry,
        lead_source=lead_source,
        city=city,
        country=country,
        business_id=business_id,
        segment_id=segment_id,
        assigned_to=assigned_to,
        tags=tags,
        tags_match=tags_match,
        created_from=created_from,
        created_to=created_to,
        custom=custom,
        include_deleted=include_deleted,
        only_deleted=only_deleted,
    )
    result = await service.list_customers(
        session,
        actor,
        flt,
        sort=parse_sort(sort, SORTABLE, "-created_at"),
        limit=limit,
        cursor=cursor,
        page=page,
        include_total=include_total,
    )
    return CustomerPage(
        items=[present_customer_row(row, actor) for row in result.items],
        next_cursor=result.next_cursor,
        total=result.total,
        total_is_estimate=result.total_is_estimate,
    )


@router.post(
    "",
    status_code=201,
    response_model=CustomerDetail,
    responses={409: {"description": "A unique field is taken; `existing_id` names the customer"}},
)
async def create_customer(
    request: Request,
    body: CustomerCreate,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> JSONResponse:
    async def produce() -> tuple[int, object]:
        customer = await service.create_customer(session, actor, body)
        return 201, await _detail(session, actor, customer.id)

    response = await run_idempotent(
        request, session, actor.organization_id, settings.idempotency_ttl_hours, produce
    )
    if response.status_code == 201:
        response.headers["Location"] = f"/api/v1/customers/{_id_of(response)}"
    return response


def _id_of(response: JSONResponse) -> str:
    return str(json.loads(response.body)["id"])


async def _detail(
    session: SessionDep, actor: ActorDep, customer_id: uuid.UUID, include_deleted: bool = False
) -> CustomerDetail:
    parts = await service.get_customer_detail(
        session, actor, customer_id, include_deleted=include_deleted
    )
    metrics = await service.metrics_for(session, actor, [customer_id])
    return present_detail(parts[0], actor, *parts[1:], metrics=metrics.get(customer_id))


@router.get("/{customer_id}", response_model=CustomerDetail)
async def get_customer(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    include_deleted: bool = False,
) -> CustomerDetail:
    rows = await read_service.customer_detail(
        session, actor, customer_id, include_deleted=include_deleted
    )
    detail = present_detail_row(rows, actor)
    response.headers["ETag"] = etag(detail.version)
    return detail


@router.patch("/{customer_id}", response_model=CustomerDetail)
async def patch_customer(
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> CustomerDetail:
    await service.update_customer(session, actor, customer_id, body, if_match=if_match)
    detail = await _detail(session, actor, customer_id)
    response.headers["ETag"] = etag(detail.version)
    return detail


@router.put("/{customer_id}", response_model=CustomerDetail)
async def put_customer(
    customer_id: uuid.UUID,
    body: CustomerReplace,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> CustomerDetail:
    await service.update_customer(session, actor, customer_id, body, if_match=if_match)
    detail = await _detail(session, actor, customer_id)
    response.headers["ETag"] = etag(detail.version)
    return detail


@router.delete("/{customer_id}", status_code=204)
async def delete_customer(
    customer_id: uuid.UUID, session: SessionDep, actor: ActorDep, if_match: IfMatch = None
) -> Response:
    await service.delete_customer(session, actor, customer_id, if_match=if_match)
    return Response(status_code=204)


@router.post("/{customer_id}/restore", response_model=CustomerDetail)
async def restore_customer(
    customer_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> CustomerDetail:
    await service.restore_customer(session, actor, customer_id)
    return await _detail(session, actor, customer_id)


@router.get("/{customer_id}/history", response_model=AuditPage)
async def customer_history(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> AuditPage:
    page = await service.history(session, actor, customer_id, limit=limit, cursor=cursor)
    return present_audit_page(page)


@router.post("/bulk", response_model=BulkCreateResult)
async def bulk_create(
    request: Request,
    body: BulkCreate,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> JSONResponse:
    async def produce() -> tuple[int, object]:
        return 200, await bulk.bulk_create(session, actor, body)

    return await run_idempotent(
        request, session, actor.organization_id, settings.idempotency_ttl_hours, produce
    )


@router.post("/bulk-update", response_model=BulkUpdateResult)
async def bulk_update(body: BulkUpdate, session: SessionDep, actor: ActorDep) -> BulkUpdateResult:
    return await bulk.bulk_update(session, actor, body)


@router.post("/bulk-delete", response_model=BulkDeleteResult)
async def bulk_delete(body: BulkDelete, session: SessionDep, actor: ActorDep) -> BulkDeleteResult:
    return await bulk.bulk_delete(session, actor, body)
