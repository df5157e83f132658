"""The application's own SQL for each operation, timed in the database.

One request per operation goes through the app in this process (ASGI, no server) while a
cursor hook records every statement with its parameters; each statement is then run again
on a separate connection, in a transaction that is rolled back: EXPLAIN (ANALYZE) on
PostgreSQL (execution + planning time, and the plan's nodes), timed execution on SQLite
(with EXPLAIN QUERY PLAN)."""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from typing import Any

import asyncpg
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event

from clientbase.app import create_app
from clientbase.config import Settings

RUNS = 7
EXPLAINABLE = ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _head(sql: str) -> str:
    return sql.lstrip().split(None, 1)[0].upper().rstrip(";")


async def capture(
    url: str, secret_key: str, headers: dict[str, str], paths: dict[str, str]
) -> dict[str, Any]:
    """{operation: {"status", "statements": [(sql, params), ...]}} for one request each."""
    settings = Settings(
        database_url=url,
        auto_migrate=False,
        environment="production",
        jobs_in_process=False,
        secret_key=secret_key,
    )
    app = create_app(settings)
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append((sql, params))

    event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", record)
    out: dict[str, Any] = {}
    transport = ASGITransport(app=app)
    try:
        async with AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as http:
            for name, path in paths.items():
                await http.get(path)  # warm: prepared statements, the key's last-used touch
                seen.clear()
                response = await http.get(path)
                statements = [(q, p) for q, p in seen if _head(q) not in TRANSACTION_CONTROL]
                out[name] = {"status": response.status_code, "statements": statements}
    finally:
        await app.state.db.dispose()
    return out


def _plan_nodes(plan: dict[str, Any]) -> list[str]:
    label = plan["Node Type"]
    if "Index Name" in plan:
        label += f" using {plan['Index Name']}"
    elif "Relation Name" in plan:
        label += f" on {plan['Relation Name']}"
    nodes = [label]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


def _entry(sql: str, times: list[float], plan: list[str]) -> dict[str, Any]:
    return {
        "sql": " ".join(sql.split())[:500],
        "ms": round(statistics.median(times), 3),
        "plan": plan,
    }


def _summary(status: int, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "status": status,
        "statements": len(statements),
        "total_ms": round(sum(s["ms"] for s in statements), 3),
        "slowest": max(statements, key=lambda s: s["ms"]) if statements else None,
        "all": statements,
    }


async def explain_postgres(url: str, captured: dict[str, Any]) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    out = {}
    try:
        for name, item in captured.items():
            entries = []
            transaction = conn.transaction()
            await transaction.start()
            try:
                for sql, params in item["statements"]:
                    params = tuple(params or ())
                    if _head(sql) not in EXPLAINABLE:
                        await conn.execute(sql, *params)  # SET LOCAL and the like
                        continue
                    times, plan = [], []
                    for _ in range(RUNS):
                        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *params)
                        result = (json.loads(raw) if isinstance(raw, str) else raw)[0]
                        times.append(result["Execution Time"] + result["Planning Time"])
                        plan = _plan_nodes(result["Plan"])
                    entries.append(_entry(sql, times, plan))
            finally:
                await transaction.rollback()
            out[name] = _summary(item["status"], entries)
    finally:
        await conn.close()
    return out


def explain_sqlite(path: str, captured: dict[str, Any]) -> dict[str, Any]:
    conn = sqlite3.connect(path, isolation_level=None)
    out = {}
    try:
        for name, item in captured.items():
            entries = []
            conn.execute("BEGIN")
            try:
                for sql, params in item["statements"]:
                    params = tuple(params or ())
                    times = []
                    for _ in range(RUNS):
                        started = time.perf_counter()
                        conn.execute(sql, params).fetchall()
                        times.append((time.perf_counter() - started) * 1000)
                    plan = []
                    if _head(sql) in ("SELECT", "WITH"):
                        rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
                        plan = [row[-1] for row in rows]
                    entries.append(_entry(sql, times, plan))
            finally:
                conn.execute("ROLLBACK")
            out[name] = _summary(item["status"], entries)
    finally:
        conn.close()
    return out
