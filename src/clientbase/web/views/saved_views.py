"""Saved views on the customer list: keep the current filters under a name, open, delete."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from clientbase.core.errors import ClientbaseError, Conflict, validation_errors
from clientbase.saved_views import service as saved_views
from clientbase.saved_views.schemas import SavedViewCreate
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.list_query import ListQuery
from clientbase.web.security import safe_next, set_flash
from clientbase.web.templating import query_url

router = web_router()


def _list_url(form_value: object) -> str:
    back = safe_next(str(form_value or ""), "/customers")
    return back if urlsplit(back).path == "/customers" else "/customers"


@router.post("/customers/views")
async def save_view(request: Request, session: WebSession, actor: WebActor) -> Response:
    form = await request.form()
    back = _list_url(form.get("return_to"))
    query = ListQuery.parse(QueryParams(urlsplit(back).query))
    response = RedirectResponse(back, status_code=303)
    try:
        data = SavedViewCreate(
            name=str(form.get("name") or "").strip(),
            filters=query.saved_filters(actor),
            sort=query.sort,
            shared=form.get("shared") == "true",
        )
        async with session.begin_nested():
            view = await saved_views.create_view(session, actor, data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{e['field']}: {e['message']}" for e in validation_errors(exc.errors())
        )
        set_flash(request, response, f"The view was not saved: {problems}")
        return response
    except Conflict as exc:
        set_flash(request, response, f"The view was not saved: {exc.detail}")
        return response
    set_flash(request, response, f"Saved view {view.name!r}.")
    return response


@router.get("/customers/views/{view_id}")
async def open_view(view_id: uuid.UUID, session: WebSession, actor: WebActor) -> Response:
    view = await saved_views.get_view(session, actor, view_id)
    params = ListQuery.from_saved(view.filters, view.sort)
    return RedirectResponse(query_url("/customers", params), status_code=303)


@router.post("/customers/views/{view_id}/delete")
async def delete_view(
    request: Request, view_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    response = RedirectResponse("/customers", status_code=303)
    try:
        async with session.begin_nested():
            await saved_views.delete_view(session, actor, view_id)
    except ClientbaseError as exc:
        if exc.status == 404:
            raise
        set_flash(request, response, f"The view was not deleted: {exc.detail}")
        return response
    set_flash(request, response, "Saved view deleted.")
    return response
