"""HTTP routes for a customer's contacts, addresses and notes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import JSONResponse

from clientbase.auth.dependencies import ActorDep, SessionDep, SettingsDep
from clientbase.core.idempotency import run_idempotent
from clientbase.core.pagination import DEFAULT_LIMIT, Limit
from clientbase.customers import related_service as svc
from clientbase.customers.related_schemas import (
    AddressCreate,
    AddressRead,
    AddressUpdate,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    NoteCreate,
    NoteList,
    NoteRead,
    NoteUpdate,
)

router = APIRouter(prefix="/customers/{customer_id}", tags=["customers"])
IfMatch = Annotated[str | None, Header(alias="If-Match")]


async def _idempotent(
    request: Request, session: SessionDep, actor: ActorDep, settings: SettingsDep, produce
) -> JSONResponse:  # type: ignore[no-untyped-def]
    return await run_idempotent(
        request, session, actor.organization_id, settings.idempotency_ttl_hours, produce
    )


@router.get("/contacts", response_model=list[ContactRead])
async def list_contacts(
    customer_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[ContactRead]:
    return [
        ContactRead.model_validate(c) for c in await svc.list_contacts(session, actor, customer_id)
    ]


@router.post("/contacts", status_code=201, response_model=ContactRead)
async def create_contact(
    customer_id: uuid.UUID,
    body: ContactCreate,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> JSONResponse:
    async def produce() -> tuple[int, object]:
        contact = await svc.create_contact(session, actor, customer_id, body)
        return 201, ContactRead.model_validate(contact)

    return await _idempotent(request, session, actor, settings, produce)


@router.patch("/contacts/{contact_id}", response_model=ContactRead)
async def update_contact(
    customer_id: uuid.UUID,
    contact_id: uuid.UUID,
    body: ContactUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> ContactRead:
    contact = await svc.update_contact(
        session, actor, customer_id, contact_id, body, if_match=if_match
    )
    return ContactRead.model_validate(contact)


@router.delete("/contacts/{contact_id}", status_code=204)
async def delete_contact(
    customer_id: uuid.UUID, contact_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> Response:
    await svc.delete_contact(session, actor, customer_id, contact_id)
    return Response(status_code=204)


@router.get("/addresses", response_model=list[AddressRead])
async def list_addresses(
    customer_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[AddressRead]:
    return [
        AddressRead.model_validate(a) for a in await svc.list_addresses(session, actor, customer_id)
    ]


@router.post("/addresses", status_code=201, response_model=AddressRead)
async def create_address(
    customer_id: uuid.UUID,
    body: AddressCreate,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> JSONResponse:
    async def produce() -> tuple[int, object]:
        address = await svc.create_address(session, actor, customer_id, body)
        return 201, AddressRead.model_validate(address)

    return await _idempotent(request, session, actor, settings, produce)


@router.patch("/addresses/{address_id}", response_model=AddressRead)
async def update_address(
    customer_id: uuid.UUID,
    address_id: uuid.UUID,
    body: AddressUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> AddressRead:
    address = await svc.update_address(
        session, actor, customer_id, address_id, body, if_match=if_match
    )
    return AddressRead.model_validate(address)


@router.delete("/addresses/{address_id}", status_code=204)
async def delete_address(
    customer_id: uuid.UUID, address_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> Response:
    await svc.delete_address(session, actor, customer_id, address_id)
    return Response(status_code=204)


@router.get("/notes", response_model=NoteList)
async def list_notes(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> NoteList:
    page = await svc.list_notes(session, actor, customer_id, limit=limit, cursor=cursor)
    return NoteList(
        items=[NoteRead.model_validate(n) for n in page.items], next_cursor=page.next_cursor
    )


@router.post("/notes", status_code=201, response_model=NoteRead)
async def create_note(
    customer_id: uuid.UUID,
    body: NoteCreate,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> JSONResponse:
    async def produce() -> tuple[int, object]:
        note = await svc.create_note(session, actor, customer_id, body)
        return 201, NoteRead.model_validate(note)

    return await _idempotent(request, session, actor, settings, produce)


@router.patch("/notes/{note_id}", response_model=NoteRead)
async def update_note(
    customer_id: uuid.UUID,
    note_id: uuid.UUID,
    body: NoteUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> NoteRead:
    note = await svc.update_note(session, actor, customer_id, note_id, body, if_match=if_match)
    return NoteRead.model_validate(note)


@router.delete("/notes/{note_id}", status_code=204)
async def delete_note(
    customer_id: uuid.UUID, note_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> Response:
    await svc.delete_note(session, actor, customer_id, note_id)
    return Response(status_code=204)
