"""The dashboard: counts by status and type, and the latest customers."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from clientbase.core.sorting import parse_sort
from clientbase.customers import service
from clientbase.customers.query import SORTABLE, build_filter
from clientbase.web.choices import CHOICES
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.templating import render

router = web_router()
LATEST = 10


@router.get("/")
async def dashboard(request: Request, session: WebSession, actor: WebActor) -> Response:
    by_status = await service.counts(session, actor, "status")
    by_type = await service.counts(session, actor, "type")
    everyone = await build_filter(
        session, actor, search=None, assigned_to=None, tags=None, status=None
    )
    latest = await service.list_customers(
        session,
        actor,
        everyone,
        sort=parse_sort("-created_at", SORTABLE, "-created_at"),
        limit=LATEST,
        include_total=False,
    )
    context = {
        "total": sum(by_status.values()),
        "by_status": [(s, by_status.get(s, 0)) for s in CHOICES["status"]],
        "by_type": [(t, by_type.get(t, 0)) for t in CHOICES["type"]],
        "latest": latest.items,
    }
    return render(request, "dashboard.html", context)
