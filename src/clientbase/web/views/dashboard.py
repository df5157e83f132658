"""The dashboard: counts by status and type, the latest customers and, for roles that may
run analytics, the organization overview and its recalculation job."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from clientbase.analytics import overview as analytics_overview
from clientbase.analytics import service as analytics
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import ValidationFailed
from clientbase.core.sorting import parse_sort
from clientbase.customers import service
from clientbase.customers.query import SORTABLE, build_filter
from clientbase.jobs import service as jobs
from clientbase.tenancy import service as tenancy
from clientbase.web.choices import CHOICES
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.security import set_flash
from clientbase.web.templating import humanize, is_htmx, render

router = web_router()
LATEST = 10
RECALCULATE_KIND = "analytics.recalculate"
NOT_SCORED = "Not scored"


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
    context: dict[str, Any] = {
        "total": sum(by_status.values()),
        "by_status": [(s, by_status.get(s, 0)) for s in CHOICES["status"]],
        "by_type": [(t, by_type.get(t, 0)) for t in CHOICES["type"]],
        "latest": latest.items,
        "overview": None,
    }
    if actor.can(Permission.ANALYTICS_RUN):
        context.update(await _analytics_context(request, session, actor))
    return render(request, "dashboard.html", context)


async def _analytics_context(
    request: Request, session: AsyncSession, actor: Actor
) -> dict[str, Any]:
    period = {key: request.query_params.get(key, "").strip() for key in ("from", "to")}
    errors: dict[str, list[str]] = {}
    days = {key: _parse_day(value, key, errors) for key, value in period.items()}
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["from"] = ["must be on or before the “To” date"]
    if errors:
        days = {"from": None, "to": None}
    try:
        data = await analytics_overview.overview(
            session, actor, date_from=days["from"], date_to=days["to"], business_id=None
        )
    except ValidationFailed as exc:
        errors.update({e.field: [e.message] for e in exc.errors})
        data = await analytics_overview.overview(
            session, actor, date_from=None, date_to=None, business_id=None
        )
    if not errors:
        period = dict(data["period"])
    recent = await jobs.recent_jobs(session, actor, limit=1, kind=RECALCULATE_KIND)
    return {
        "overview": data,
        "period": period,
        "errors": errors,
        "currency": await tenancy.currency(session, actor.organization_id),
        "charts": _charts(data),
        "cohort_table": _cohort_table(data["cohorts"], data["period"]["to"]),
        "job": recent[0] if recent else None,
    }


def _parse_day(value: str, field: str, errors: dict[str, list[str]]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = ["enter a date as YYYY-MM-DD"]
        return None


def _amount(edge: float) -> str:
    return f"{edge:,.0f}"


def _share(edge: float) -> str:
    return f"{edge * 100:.0f}%"


def _buckets(
    counts: dict[str, int], edges: Sequence[float], fmt: Callable[[float], str]
) -> list[tuple[str, int]]:
    """`bucketed` counts in order, labelled as ranges: `<100` -> `1–100`."""
    rows = [(f"Under {fmt(edges[0])}", counts.get(f"<{edges[0]:g}", 0))]
    for low, high in zip(edges, edges[1:], strict=False):
        rows.append((f"{fmt(low)}–{fmt(high)}", counts.get(f"<{high:g}", 0)))
    rows.append((f"{fmt(edges[-1])} and over", counts.get(f">={edges[-1]:g}", 0)))
    rows.append((NOT_SCORED, counts.get("unscored", 0)))
    return rows


def _charts(data: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    segments = sorted(data["lifecycle_segments"].items(), key=lambda kv: (kv[0] == "none", kv[0]))
    stages = data["funnel"]["stages"]
    return {
        "segments": [(NOT_SCORED if k == "none" else humanize(k), n) for k, n in segments],
        "clv": _buckets(data["clv_distribution"], analytics_overview.CLV_EDGES, _amount),
        "churn": _buckets(data["churn_risk_distribution"], analytics_overview.CHURN_EDGES, _share),
        "funnel": [(humanize(s), stages.get(s, 0)) for s in analytics_overview.FUNNEL],
    }


def _month_index(month: str) -> int:
    year, number = month[:7].split("-")
    return int(year) * 12 + int(number) - 1


def _cohort_table(cohorts: list[dict[str, Any]], period_end: str) -> dict[str, Any]:
    """Cohorts as a triangle: one row per first-purchase month, one column per month after
    it. A month inside the period that nobody bought in is 0; one after it is blank."""
    last = _month_index(period_end)
    rows = []
    for cohort in cohorts:
        first = _month_index(cohort["cohort"])
        shares = {_month_index(m) - first: s for m, s in cohort["retention"].items()}
        rows.append({**cohort, "first": first, "shares": shares})
    width = max((last - row["first"] for row in rows), default=0)
    offsets = list(range(1, width + 1))
    for row in rows:
        row["cells"] = [
            None if row["first"] + i > last else row["shares"].get(i, 0.0) for i in offsets
        ]
    return {"offsets": offsets, "rows": rows}


@router.post("/analytics/recalculate")
async def recalculate(request: Request, session: WebSession, actor: WebActor) -> Response:
    job = await analytics.start_recalculation(session, actor, as_of=None, business_id=None)
    if is_htmx(request):
        return render(request, "analytics/_job.html", {"job": job}, partial=True)
    response = RedirectResponse("/", status_code=303)
    set_flash(request, response, "Analytics recalculation started.")
    return response


@router.get("/analytics/jobs/{job_id}")
async def job_status(
    request: Request, job_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    job = await jobs.get_job(session, actor, job_id)
    if is_htmx(request):
        return render(request, "analytics/_job.html", {"job": job}, partial=True)
    return render(request, "analytics/job.html", {"job": job})
