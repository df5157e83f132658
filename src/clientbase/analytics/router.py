"""HTTP routes for analytics: per customer, the CLV model, the overview, recalculation."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from clientbase.analytics import overview as overview_service
from clientbase.analytics import service
from clientbase.auth.dependencies import ActorDep, SessionDep
from clientbase.core.schemas import InputModel

router = APIRouter(tags=["analytics"])


class RecalculateRequest(InputModel):
    as_of: date | None = None
    business_id: uuid.UUID | None = None
    holdout_end: date | None = None


@router.get("/customers/{customer_id}/analytics")
async def customer_analytics(
    customer_id: uuid.UUID, session: SessionDep, actor: ActorDep, as_of: date | None = None
) -> dict[str, Any]:
    return await service.customer_analytics(session, actor, customer_id, as_of=as_of)


@router.get("/customers/{customer_id}/insights")
async def customer_insights(
    customer_id: uuid.UUID, session: SessionDep, actor: ActorDep, as_of: date | None = None
) -> dict[str, Any]:
    analytics = await service.customer_analytics(session, actor, customer_id, as_of=as_of)
    return {
        "customer_id": str(customer_id),
        "as_of": analytics["as_of"],
        "insights": analytics["insights"],
    }


@router.get("/analytics/clv/model")
async def clv_model(
    session: SessionDep, actor: ActorDep, business_id: uuid.UUID | None = None
) -> dict[str, Any]:
    return await service.clv_model(session, actor, business_id)


@router.get("/analytics/overview")
async def analytics_overview(
    session: SessionDep,
    actor: ActorDep,
    date_from: date | None = Query(default=None, alias="from"),
    date_to: date | None = Query(default=None, alias="to"),
    business_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return await overview_service.overview(
        session, actor, date_from=date_from, date_to=date_to, business_id=business_id
    )


@router.post("/analytics/recalculate", status_code=202)
async def recalculate(
    session: SessionDep, actor: ActorDep, body: RecalculateRequest | None = None
) -> JSONResponse:
    body = body or RecalculateRequest()
    job = await service.start_recalculation(
        session, actor, as_of=body.as_of, business_id=body.business_id, holdout_end=body.holdout_end
    )
    return JSONResponse(
        {"job_id": str(job.id), "status": job.status},
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )
