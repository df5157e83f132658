"""/customers/new and /customers/{id}/edit: one form for people and companies."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
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
    PreconditionRequired,
    VersionConflict,
)
from clientbase.customers import service
from clientbase.customers.models import Customer
from clientbase.customers.schemas import CustomerCreate, CustomerUpdate
from clientbase.web import customer_form as cf
from clientbase.web.choices import CHOICES, LEAD_SOURCES, active_definitions, assignees
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.nested_rows import RowsFailed, save_rows, validate_rows
from clientbase.web.security import set_flash
from clientbase.web.templating import field_label, render

router = web_router()
STALE = (VersionConflict, PreconditionFailed, PreconditionRequired)


async def _page(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    form: cf.CustomerForm,
    *,
    customer: Customer | None = None,
    message: str | None = None,
    conflict: list[str] | None = None,
    existing: Any = None,
    status: int = 200,
) -> Response:
    definitions = await active_definitions(session, actor)
    assigned = form.values.get("assigned_to")
    also = [uuid.UUID(str(assigned))] if _is_uuid(assigned) else []
    context: dict[str, Any] = {
        "form": form,
        "errors": form.errors,
        "customer": customer,
        "definitions": definitions,
        "assignees": await assignees(session, actor, also),
        "choices": CHOICES,
        "lead_sources": LEAD_SOURCES,
        "message": message,
        "conflict": conflict,
        "existing_id": existing,
        "action": f"/customers/{customer.id}/edit" if customer else "/customers/new",
    }
    return render(request, "customers/form.html", context, status=status)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@router.get("/customers/new")
async def new_customer(request: Request, session: WebSession, actor: WebActor) -> Response:
    actor.require(Permission.CUSTOMERS_WRITE)
    return await _page(request, session, actor, cf.blank_form())


@router.post("/customers/new")
async def create_customer(request: Request, session: WebSession, actor: WebActor) -> Response:
    actor.require(Permission.CUSTOMERS_WRITE)
    definitions = await active_definitions(session, actor)
    form = cf.parse(await request.form(), definitions)
    payload = cf.profile_payload(form, definitions, update=False)
    payload["contacts"] = [
        cf.row_payload(r, cf.CONTACT_INPUTS, update=False) for r in form.contacts
    ]
    payload["addresses"] = [
        cf.row_payload(r, cf.ADDRESS_INPUTS, update=False) for r in form.addresses
    ]
    try:
        data = CustomerCreate.model_validate(payload)
    except ValidationError as exc:
        form.add_pydantic(exc)
        return await _page(request, session, actor, form, message=_summary(form), status=422)
    try:
        async with session.begin_nested():
            customer = await service.create_customer(session, actor, data)
    except ClientbaseError as exc:
        form.add_errors(exc.errors)
        return await _page(
            request,
            session,
            actor,
            form,
            message=_failure_message(exc, form),
            existing=exc.extra.get("existing_id"),
            status=exc.status,
        )
    response = RedirectResponse(f"/customers/{customer.id}", status_code=303)
    set_flash(request, response, f"Customer {customer.name} created.")
    return response


@router.get("/customers/{customer_id}/edit")
async def edit_customer(
    request: Request, customer_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    actor.require(Permission.CUSTOMERS_WRITE)
    customer, contacts, addresses, _ = await service.get_customer_detail(
        session, actor, customer_id
    )
    form = cf.from_customer(customer, contacts, addresses)
    return await _page(request, session, actor, form, customer=customer)


@router.post("/customers/{customer_id}/edit")
async def update_customer(
    request: Request, customer_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    customer = await service.get_for_write(session, actor, customer_id)
    definitions = await active_definitions(session, actor)
    form = cf.parse(await request.form(), definitions)
    profile = cf.profile_payload(form, definitions, update=True)
    try:
        patch = CustomerUpdate.model_validate({**profile, "version": form.version})
    except ValidationError as exc:
        form.add_pydantic(exc)
    rows = validate_rows(form)
    if form.errors:
        message = _summary(form)
        return await _page(
            request, session, actor, form, customer=customer, message=message, status=422
        )
    try:
        async with session.begin_nested():
            await service.update_customer(session, actor, customer_id, patch)
            await save_rows(session, actor, customer_id, form, rows)
    except STALE:
        return await _conflict(request, session, actor, form, customer_id)
    except RowsFailed:
        customer = await service.get_customer(session, actor, customer_id)
        message = _summary(form)
        return await _page(
            request, session, actor, form, customer=customer, message=message, status=422
        )
    except ClientbaseError as exc:
        form.add_errors(exc.errors)
        customer = await service.get_customer(session, actor, customer_id)
        return await _page(
            request,
            session,
            actor,
            form,
            customer=customer,
            message=_failure_message(exc, form),
            existing=exc.extra.get("existing_id"),
            status=exc.status,
        )
    response = RedirectResponse(f"/customers/{customer_id}", status_code=303)
    set_flash(request, response, "Changes saved.")
    return response


async def _conflict(
    request: Request, session: AsyncSession, actor: Actor, form: cf.CustomerForm, cid: uuid.UUID
) -> Response:
    """Keep the user's input; show what the saved profile says now; the next Save overwrites."""
    current, contacts, addresses, _ = await service.get_customer_detail(session, actor, cid)
    saved = cf.from_customer(current, contacts, addresses)
    differing = [
        field_label(name)
        for name, value in form.values.items()
        if not _same(value, saved.values.get(name))
    ]
    form.version = current.version
    versions = {row["id"]: row["version"] for row in saved.contacts + saved.addresses}
    for row in form.contacts + form.addresses:
        if row.get("id") in versions:
            row["version"] = versions[row["id"]]
    return await _page(
        request, session, actor, form, customer=current, conflict=differing, status=409
    )


def _same(mine: Any, theirs: Any) -> bool:
    mine, theirs = str(mine or "").strip(), str(theirs or "").strip()
    try:
        return Decimal(mine) == Decimal(theirs)
    except InvalidOperation:
        return mine == theirs


def _summary(form: cf.CustomerForm) -> str | None:
    if not form.errors:
        return None
    count = sum(len(messages) for messages in form.errors.values())
    return f"Nothing was saved. Fix the {count} problem{'s' if count > 1 else ''} marked below."


def _failure_message(exc: ClientbaseError, form: cf.CustomerForm) -> str:
    if exc.extra.get("existing_id") is not None:
        return f"Nothing was saved. {exc.detail}"
    return _summary(form) or f"Nothing was saved. {exc.detail}"
