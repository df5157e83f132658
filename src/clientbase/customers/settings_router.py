"""National id checks and custom field definitions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header

from clientbase.auth.dependencies import ActorDep, SessionDep
from clientbase.customers import custom_fields
from clientbase.customers.custom_fields import CustomFieldCreate, CustomFieldRead, CustomFieldUpdate
from clientbase.customers.identifiers import check_bin, check_iin
from clientbase.customers.schemas import IdentifierCheckRead, IdentifierCheckRequest

router = APIRouter(tags=["customers"])


@router.post("/validate/iin", response_model=IdentifierCheckRead)
async def validate_iin(body: IdentifierCheckRequest, actor: ActorDep) -> IdentifierCheckRead:
    result = check_iin(body.value, date_of_birth=body.date_of_birth)
    return IdentifierCheckRead.model_validate(result)


@router.post("/validate/bin", response_model=IdentifierCheckRead)
async def validate_bin(body: IdentifierCheckRequest, actor: ActorDep) -> IdentifierCheckRead:
    return IdentifierCheckRead.model_validate(check_bin(body.value))


@router.get("/custom-fields", response_model=list[CustomFieldRead])
async def list_custom_fields(session: SessionDep, actor: ActorDep) -> list[CustomFieldRead]:
    return [
        CustomFieldRead.model_validate(d)
        for d in await custom_fields.list_definitions(session, actor)
    ]


@router.post("/custom-fields", status_code=201, response_model=CustomFieldRead)
async def create_custom_field(
    body: CustomFieldCreate, session: SessionDep, actor: ActorDep
) -> CustomFieldRead:
    return CustomFieldRead.model_validate(
        await custom_fields.create_definition(session, actor, body)
    )


@router.patch("/custom-fields/{definition_id}", response_model=CustomFieldRead)
async def update_custom_field(
    definition_id: uuid.UUID,
    body: CustomFieldUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> CustomFieldRead:
    return CustomFieldRead.model_validate(
        await custom_fields.update_definition(
            session, actor, definition_id, body, if_match=if_match
        )
    )
