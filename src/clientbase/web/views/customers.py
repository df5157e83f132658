"""/customers: live search, filters, sorting, pages, counts and bulk actions."""

from __future__ import annotations

import math
import uuid
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.core.errors import ClientbaseError, validation_errors
from clientbase.core.sorting import parse_sort
from clientbase.customers import bulk, service
from clientbase.customers.bulk_schemas import BulkDelete, BulkUpdate
from clientbase.customers.presenters import present_customer_row
from clientbase.customers.query import SORTABLE, build_filter
from clientbase.saved_views import service as saved_views
from clientbase.web.choices import CHOICES, LEAD_SOURCES, assignees
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.list_query import DEFAULT_SORT, ListQuery
from clientbase.web.security import safe_next, set_flash
from clientbase.web.templating import htmx_target, render

router = web_router()
PAGE_SIZE = 25
# The table's sortable columns, in its order (status to assignee follow the name). The
# table has no room for more: the API's other sorts (order_count, last_order_at, rating,
# lifetime_value, which is total_spent) work from a link but have no column.
SORT_COLUMNS = (
    ("name", "Name"),
    ("total_spent", "Total spent"),
    ("created_at", "Created"),
    ("updated_at", "Updated"),
)


@router.get("/customers")
async def list_customers(request: Request, session: WebSession, actor: WebActor) -> Response:
    query = ListQuery.parse(request.query_params)
    flt = await build_filter(session, actor, **query.filter_args(actor))
    sort = parse_sort(query.sort, SORTABLE, DEFAULT_SORT)
    page = await service.list_customers(
        session, actor, flt, sort=sort, limit=PAGE_SIZE, page=query.page
    )
    rows = [present_customer_row(c, actor) for c in page.items]
    labels = await users.user_labels(
        session, actor, list({c.assigned_to for c in rows if c.assigned_to})
    )
    total = page.total or 0
    context: dict[str, Any] = {
        "query": query,
        "params": query.params(),
        "rows": rows,
        "labels": labels,
        "total": total,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "first_index": (query.page - 1) * PAGE_SIZE + 1,
        "sort_columns": SORT_COLUMNS,
        "choices": CHOICES,
        "assignees": await assignees(session, actor),
        "return_to": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    if htmx_target(request) == "results":
        return render(request, "customers/_results.html", context, partial=True)
    context["status_counts"] = await service.counts(session, actor, "status")
    context["views"] = await saved_views.list_views(session, actor)
    context["lead_sources"] = LEAD_SOURCES
    return render(request, "customers/list.html", context)


@router.post("/customers/bulk")
async def bulk_action(request: Request, session: WebSession, actor: WebActor) -> Response:
    form = await request.form()
    back = safe_next(str(form.get("return_to") or ""), "/customers")
    if not back.startswith("/customers"):
        back = "/customers"
    response = RedirectResponse(back, status_code=303)
    set_flash(request, response, await _apply(session, actor, form))
    return response


async def _apply(session: WebSession, actor: Actor, form: FormData) -> str:
    ids = [i for i in (_uuid(v) for v in form.getlist("ids")) if i]
    if not ids:
        return "Select at least one customer first."
    action = str(form.get("action") or "")
    values: dict[str, Any] = {"ids": ids}
    if action == "status":
        if not form.get("status"):
            return "Choose the status to set."
        values["status"] = form.get("status")
    elif action in ("add_tags", "remove_tags"):
        raw = str(form.get("tags") or "")
        values[action] = [t.strip() for t in raw.split(",") if t.strip()]
    elif action == "assign":
        values["assigned_to"] = _uuid(form.get("assigned_to"))
    elif action != "delete":
        return "Choose what to do with the selected customers."
    try:
        if action == "delete":
            result = await bulk.bulk_delete(session, actor, BulkDelete.model_validate(values))
            done, verb = result.deleted, "Deleted"
        else:
            result = await bulk.bulk_update(session, actor, BulkUpdate.model_validate(values))
            done, verb = result.updated, "Updated"
    except ValidationError as exc:
        return "Nothing changed: " + "; ".join(
            f"{e['field']}: {e['message']}" for e in validation_errors(exc.errors())
        )
    except ClientbaseError as exc:
        return f"Nothing changed: {exc.detail}"
    message = f"{verb} {len(done)} customer{'s' if len(done) != 1 else ''}."
    if result.errors:
        reasons = {e["message"] for item in result.errors for e in item.errors}
        message += f" {len(result.errors)} not changed: {'; '.join(sorted(reasons))}"
    return message[:600]


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
