"""Jinja2 environment, display filters and the one `render` every page goes through."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from clientbase.auth.permissions import Permission
from clientbase.web.security import csrf_token, pop_flash, read_flash

TEMPLATES_DIR = Path(__file__).parent / "templates"
ACRONYMS = {"iin": "IIN", "bin": "BIN", "id": "ID", "url": "URL"}
LABELS = {
    "is_active": "Active",
    "is_primary": "Primary",
    "is_decision_maker": "Decision maker",
    "is_internal": "Internal",
    "assigned_to": "Assigned to",
    "telegram_chat_id": "Telegram chat ID",
    "next_follow_up_at": "Next follow-up (UTC)",
    "full_name": "Full name",
}


def field_label(name: str) -> str:
    """API field name -> the label people read: `first_name` -> `First name`, `iin` -> `IIN`."""
    leaf = name.rsplit(".", 1)[-1]
    if leaf in LABELS:
        return LABELS[leaf]
    words = [ACRONYMS.get(w, w) for w in leaf.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


ROW_PATH = re.compile(r"^(contacts|addresses)\[(\d+)\]\.(.+)$")


def path_label(path: str) -> str:
    """An error's API path as words: `contacts[0].phone` -> `Contact 1: Phone`."""
    match = ROW_PATH.match(path)
    if match:
        group = "Contact" if match.group(1) == "contacts" else "Address"
        return f"{group} {int(match.group(2)) + 1}: {field_label(match.group(3))}"
    return field_label(path)


def field_id(name: str) -> str:
    return "f-" + "".join(ch if ch.isalnum() or ch in "_-" else "-" for ch in name)


def show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def humanize(value: Any) -> str:
    """A stored code as words: `cold_call` -> `Cold call`."""
    if value is None or value == "":
        return "—"
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def percent(value: Any, digits: int = 0) -> str:
    """A share (0..1) as a percentage: 0.734 -> `73%`."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def money(value: Any) -> str:
    """An amount with thousands separators: `1234.5` -> `1,234.50`."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(str(value)):,.2f}"
    except ArithmeticError:
        return str(value)


def number(value: Any) -> str:
    """A quantity without trailing zeros: `2.000` -> `2`, `1.500` -> `1.5`."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)).normalize():f}"


def day(value: Any) -> str:
    """The date part of a date, datetime or ISO string."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def heat(share: Any) -> str:
    """A CSS class for a share's shade in a heat map: `heat-0` .. `heat-10`, `heat-na`."""
    if share is None:
        return "heat-na"
    return f"heat-{max(0, min(10, round(float(share) * 10)))}"


JOB_TITLES = {"analytics.recalculate": "Analytics recalculation"}


def job_title(kind: str) -> str:
    """A job kind as words: `analytics.recalculate` -> `Analytics recalculation`."""
    return JOB_TITLES.get(kind) or humanize(kind.replace(".", " "))


def query_url(path: str, params: dict[str, Any], **changes: Any) -> str:
    """The current list URL with some parameters changed (None drops one)."""
    merged = {**params, **changes}
    pairs = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return path + ("?" + urlencode(pairs) if pairs else "")


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters.update(
    label=field_label,
    path_label=path_label,
    fid=field_id,
    show=show,
    humanize=humanize,
    percent=percent,
    money=money,
    number=number,
    day=day,
    heat=heat,
    job_title=job_title,
)
templates.env.globals.update(query_url=query_url, Permission=Permission)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_target(request: Request) -> str | None:
    return request.headers.get("HX-Target") if is_htmx(request) else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    partial: bool = False,
) -> Response:
    """Partials leave the flash message alone: it belongs to the next full page."""
    actor = getattr(request.state, "actor", None)
    full = {
        "actor": actor,
        "can": (lambda p: actor is not None and actor.can(p)),
        "csrf_token": csrf_token(request),
        "flash": None if partial else read_flash(request),
        "path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, full, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # pages hold personal data
    if full["flash"]:
        pop_flash(request, response)
    return response
