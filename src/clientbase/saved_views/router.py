"""Saved views of the customer list: /views."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response

from clientbase.auth.dependencies import ActorDep, SessionDep
from clientbase.saved_views import service
from clientbase.saved_views.schemas import SavedViewCreate, SavedViewRead, SavedViewUpdate

router = APIRouter(prefix="/views", tags=["saved views"])


@router.get("", response_model=list[SavedViewRead])
async def list_views(session: SessionDep, actor: ActorDep) -> list[SavedViewRead]:
    return [SavedViewRead.model_validate(v) for v in await service.list_views(session, actor)]


@router.post("", status_code=201, response_model=SavedViewRead)
async def create_view(body: SavedViewCreate, session: SessionDep, actor: ActorDep) -> SavedViewRead:
    return SavedViewRead.model_validate(await service.create_view(session, actor, body))


@router.get("/{view_id}", response_model=SavedViewRead)
async def get_view(view_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> SavedViewRead:
    return SavedViewRead.model_validate(await service.get_view(session, actor, view_id))


@router.patch("/{view_id}", response_model=SavedViewRead)
async def update_view(
    view_id: uuid.UUID,
    body: SavedViewUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> SavedViewRead:
    return SavedViewRead.model_validate(
        await service.update_view(session, actor, view_id, body, if_match=if_match)
    )


@router.delete("/{view_id}", status_code=204)
async def delete_view(view_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    await service.delete_view(session, actor, view_id)
    return Response(status_code=204)
