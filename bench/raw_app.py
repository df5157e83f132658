"""The floor to compare against: the same list and search SQL served by a bare Starlette
app straight from the driver (asyncpg pool, or sqlite3 for the embedded database), rows
to JSON with json.dumps. No auth, no validation, no ORM.

uvicorn bench.raw_app:app  with BENCH_RAW_URL (postgresql://... or sqlite:///...) and
BENCH_RAW_ORG (the organization id)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clientbase.search.text import normalize

URL = os.environ.get("BENCH_RAW_URL", "")
ORG = os.environ.get("BENCH_RAW_ORG", "")
COLUMNS = (
    "id, type, status, is_active, name, first_name, middle_name, last_name, company_name, "
    "email, phone, iin, bin, industry, lead_source, rating, assigned_to, tags, custom_fields, "
    "current_balance, created_at, updated_at, version"
)
LIMIT = 25
PG_LIST = (
    f"SELECT {COLUMNS} FROM customers WHERE organization_id = $1 AND deleted_at IS NULL "  # noqa: S608
    "AND status = $2 ORDER BY created_at DESC, id DESC LIMIT $3"
)
PG_SEARCH = (
    f"SELECT {COLUMNS} FROM customers WHERE organization_id = $1 AND deleted_at IS NULL "  # noqa: S608
    "AND search_text LIKE $2 ORDER BY name, id LIMIT $3"
)
SQLITE_LIST = PG_LIST.replace("$1", "?").replace("$2", "?").replace("$3", "?")
SQLITE_SEARCH = (
    f"SELECT {COLUMNS} FROM customers WHERE organization_id = ? AND deleted_at IS NULL "  # noqa: S608
    "AND rowid IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?) "
    "ORDER BY name, id LIMIT ?"
)
state: dict[str, Any] = {}


def _json(rows: list[Any]) -> Response:
    body = json.dumps({"items": [dict(r) for r in rows]}, default=str, ensure_ascii=False)
    return Response(body, media_type="application/json")


async def list_customers(request: Request) -> Response:
    status = request.query_params.get("status", "active")
    if "pool" in state:
        return _json(await state["pool"].fetch(PG_LIST, ORG, status, LIMIT))
    return _json(state["sqlite"].execute(SQLITE_LIST, (ORG, status, LIMIT)).fetchall())


async def search_customers(request: Request) -> Response:
    word = normalize(request.query_params.get("q", ""))
    if "pool" in state:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return _json(await state["pool"].fetch(PG_SEARCH, ORG, pattern, LIMIT))
    phrase = '"' + word.replace('"', '""') + '"'
    return _json(state["sqlite"].execute(SQLITE_SEARCH, (ORG, phrase, LIMIT)).fetchall())


async def healthz(request: Request) -> Response:
    return Response('{"status":"ok"}', media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    if URL.startswith("postgresql"):
        state["pool"] = await asyncpg.create_pool(URL, min_size=2, max_size=10)
    else:
        conn = sqlite3.connect(URL.removeprefix("sqlite:///"), check_same_thread=False)
        conn.row_factory = sqlite3.Row
        state["sqlite"] = conn
        global ORG
        ORG = ORG.replace("-", "")
    yield
    if "pool" in state:
        await state["pool"].close()


app = Starlette(
    routes=[
        Route("/list", list_customers),
        Route("/search", search_customers),
        Route("/healthz", healthz),
    ],
    lifespan=lifespan,
)
