"""/customers/{id}: the profile header and its tabs; soft delete and restore."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from clientbase.analytics import service as analytics
from clientbase.audit.schemas import present_audit_entry
from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.customers import related_service, service
from clientbase.customers.presenters import present_detail
from clientbase.tenancy import service as tenancy
from clientbase.transactions import service as transactions
from clientbase.web.choices import CHOICES, active_definitions
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.history import describe
from clientbase.web.security import set_flash
from clientbase.web.segment_tab import segments_tab
from clientbase.web.templating import htmx_target, render

router = web_router()
TABS = (
    ("overview", "Overview"),
    ("contacts", "Contacts"),
    ("addresses", "Addresses"),
    ("notes", "Notes"),
    ("history", "History"),
    ("analytics", "Analytics"),
    ("transactions", "Transactions"),
    ("segments", "Segments"),
)
NOTES_LIMIT = 50
HISTORY_LIMIT = 30
TRANSACTIONS_LIMIT = 20
# htmx asks for just the next transactions when "Load more" (this row's id) is clicked.
MORE_TRANSACTIONS = "tx-more"


async def notes_context(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> dict[str, Any]:
    page = await related_service.list_notes(session, actor, customer_id, limit=NOTES_LIMIT)
    authors = {n.author_id for n in page.items if n.author_id}
    return {
        "notes": page.items,
        "more_notes": page.next_cursor is not None,
        "authors": await users.user_labels(session, actor, list(authors)),
        "note_form": {},
        "errors": {},
    }


async def _tab_context(
    request: Request, session: AsyncSession, actor: Actor, customer: Any, tab: str
) -> dict[str, Any]:
    if tab == "overview":
        return {"definitions": await active_definitions(session, actor)}
    if tab == "notes" and customer.deleted_at is None:
        return await notes_context(session, actor, customer.id)
    if tab == "history":
        cursor = request.query_params.get("cursor") or None
        page = await service.history(
            session, actor, customer.id, limit=HISTORY_LIMIT, cursor=cursor
        )
        items = [describe(present_audit_entry(e)) for e in page.items]
        return {"history": items, "next_cursor": page.next_cursor}
    if tab == "analytics":
        return {
            "analytics": await analytics.customer_analytics(session, actor, customer.id),
            "currency": await tenancy.currency(session, actor.organization_id),
        }
    if tab == "transactions":
        return await transactions_context(request, session, actor, customer.id)
    if tab == "segments":
        return await segments_tab(request, session, actor, customer)
    return {}


async def transactions_context(
    request: Request, session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> dict[str, Any]:
    """One page of purchases, newest first, with the page's items in one query; the
    history checks the customer is the actor's (404 otherwise) before reading anything."""
    cursor = request.query_params.get("cursor") or None
    page = await transactions.customer_history(
        session, actor, customer_id, limit=TRANSACTIONS_LIMIT, cursor=cursor
    )
    items = await transactions.transaction_items(session, actor, [t.id for t in page.items])
    return {
        "transactions": [(t, items.get(t.id, [])) for t in page.items],
        "next_cursor": page.next_cursor,
        "first_page": cursor is None,
    }


async def profile_page(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    tab: str,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    tab = tab if tab in dict(TABS) else "overview"
    if tab == "transactions" and htmx_target(request) == MORE_TRANSACTIONS:
        more = await transactions_context(request, session, actor, customer_id)
        rows = {"c": {"id": customer_id}, **more}
        return render(request, "customers/_transaction_rows.html", rows, partial=True)
    customer, contacts, addresses, business_ids = await service.get_customer_detail(
        session, actor, customer_id, include_deleted=True
    )
    detail = present_detail(customer, actor, contacts, addresses, business_ids)
    people = [detail.assigned_to, detail.created_by, detail.updated_by]
    context: dict[str, Any] = {
        "c": detail,
        "tab": tab,
        "tabs": TABS,
        "choices": CHOICES,
        "people": await users.user_labels(session, actor, [p for p in people if p]),
        **await _tab_context(request, session, actor, detail, tab),
        **(extra or {}),
    }
    if htmx_target(request) == "tabs":
        return render(request, "customers/_tabs.html", context, status=status, partial=True)
    return render(request, "customers/profile.html", context, status=status)


@router.get("/customers/{customer_id}")
async def show_customer(
    request: Request,
    customer_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    tab: str = "overview",
) -> Response:
    return await profile_page(request, session, actor, customer_id, tab)


@router.post("/customers/{customer_id}/delete")
async def delete_customer(
    request: Request, customer_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    customer = await service.delete_customer(session, actor, customer_id)
    response = RedirectResponse(f"/customers/{customer_id}", status_code=303)
    set_flash(request, response, f"{customer.name} was deleted. You can restore it below.")
    return response


@router.post("/customers/{customer_id}/restore")
async def restore_customer(
    request: Request, customer_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    customer = await service.restore_customer(session, actor, customer_id)
    response = RedirectResponse(f"/customers/{customer_id}", status_code=303)
    set_flash(request, response, f"{customer.name} was restored.")
    return response
