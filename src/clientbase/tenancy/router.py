"""The caller's organization, its settings and businesses."""

from __future__ import annotations

from fastapi import APIRouter

from clientbase.auth.dependencies import ActorDep, SessionDep
from clientbase.tenancy import service
from clientbase.tenancy.schemas import (
    BusinessCreate,
    BusinessRead,
    OrganizationRead,
    OrganizationSettingsUpdate,
)

router = APIRouter(tags=["organization"])


@router.get("/organization", response_model=OrganizationRead)
async def get_organization(session: SessionDep, actor: ActorDep) -> OrganizationRead:
    return OrganizationRead.model_validate(await service.get_current(session, actor))


@router.patch("/organization/settings", response_model=OrganizationRead)
async def update_settings(
    body: OrganizationSettingsUpdate, session: SessionDep, actor: ActorDep
) -> OrganizationRead:
    return OrganizationRead.model_validate(await service.update_settings(session, actor, body))


@router.get("/businesses", response_model=list[BusinessRead])
async def list_businesses(session: SessionDep, actor: ActorDep) -> list[BusinessRead]:
    return [BusinessRead.model_validate(b) for b in await service.list_businesses(session, actor)]


@router.post("/businesses", status_code=201, response_model=BusinessRead)
async def create_business(
    body: BusinessCreate, session: SessionDep, actor: ActorDep
) -> BusinessRead:
    return BusinessRead.model_validate(await service.create_business(session, actor, body))
