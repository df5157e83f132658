"""Job status for clients polling a 202."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter

from clientbase.auth.dependencies import ActorDep, SessionDep
from clientbase.core.pagination import DEFAULT_LIMIT, Limit
from clientbase.core.schemas import OutputModel
from clientbase.jobs import service

router = APIRouter(prefix="/jobs", tags=["jobs"])


class JobRead(OutputModel):
    id: uuid.UUID
    kind: str
    status: str
    progress: float
    payload: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@router.get("", response_model=list[JobRead])
async def list_jobs(
    session: SessionDep, actor: ActorDep, limit: Limit = DEFAULT_LIMIT, kind: str | None = None
) -> list[JobRead]:
    return [
        JobRead.model_validate(j)
        for j in await service.recent_jobs(session, actor, limit=limit, kind=kind)
    ]


@router.get("/{job_id}", response_model=JobRead)
async def get_job(job_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> JobRead:
    return JobRead.model_validate(await service.get_job(session, actor, job_id))
