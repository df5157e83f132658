"""The benchmark's database: created fresh (or reused), migrated with `clientbase migrate`,
loaded with the demo generator, vacuumed; an admin API key and sample rows to ask for."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

import clientbase.db.registry  # noqa: F401 - models and commit hooks
from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Role
from clientbase.auth.schemas import ApiKeyCreate
from clientbase.auth.tokens import issue_access_token
from clientbase.cli.bootstrap import prepare_database
from clientbase.config import Settings
from clientbase.db.session import Database, session_scope
from clientbase.demo import service as demo
from clientbase.tenancy import service as tenancy

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
ORGANIZATION = "Default"  # the organization the first-start admin signs in to
ADMIN_EMAIL = "bench-admin@example.com"
SAMPLE = 3000


@dataclass
class Target:
    dialect: str  # postgresql | sqlite
    customers: int
    url: str
    admin_url: str | None = None

    @property
    def label(self) -> str:
        return "postgres" if self.dialect == "postgresql" else "sqlite"

    @property
    def name(self) -> str:
        return f"clientbase_bench_{self.customers}"

    @property
    def sqlite_path(self) -> Path:
        return DATA / f"{self.name}.db"


def target(db: str, customers: int, postgres_url: str) -> Target:
    if db == "postgres":
        admin = make_url(postgres_url)
        url = admin.set(database=f"clientbase_bench_{customers}")
        return Target("postgresql", customers, url.render_as_string(False), postgres_url)
    path = DATA / f"clientbase_bench_{customers}.db"
    return Target("sqlite", customers, f"sqlite:///{path}")


async def loaded_customers(t: Target) -> int:
    """Customers already in the target (0 when it does not exist or is not loaded)."""
    try:
        if t.dialect == "postgresql":
            conn = await asyncpg.connect(t.url)
            try:
                return int(await conn.fetchval("SELECT count(*) FROM customers"))
            finally:
                await conn.close()
        if not t.sqlite_path.exists():
            return 0
        import sqlite3

        with sqlite3.connect(t.sqlite_path) as conn:
            return int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
    except (OSError, asyncpg.PostgresError, Exception):  # noqa: BLE001 - missing or empty
        return 0


async def recreate(t: Target) -> None:
    await drop(t)
    if t.dialect == "postgresql":
        assert t.admin_url is not None
        conn = await asyncpg.connect(t.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{t.name}"')
        finally:
            await conn.close()
    DATA.mkdir(parents=True, exist_ok=True)


async def drop(t: Target) -> None:
    if t.dialect == "postgresql":
        assert t.admin_url is not None
        conn = await asyncpg.connect(t.admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{t.name}" WITH (FORCE)')
        finally:
            await conn.close()
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{t.sqlite_path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240


def migrate(t: Target) -> float:
    started = time.perf_counter()
    command = [str(Path(sys.executable).parent / "clientbase"), "migrate"]
    env = {"CLIENTBASE_DATABASE_URL": t.url, "PATH": str(Path(sys.executable).parent)}
    subprocess.run(command, check=True, env=env, cwd=ROOT, capture_output=True)  # noqa: S603
    return time.perf_counter() - started


async def load(t: Target, seed: int) -> dict[str, Any]:
    settings = Settings(
        database_url=t.url,
        auto_migrate=False,
        admin_email=ADMIN_EMAIL,
        admin_password=secrets.token_urlsafe(16),
        secret_key=secrets.token_urlsafe(48),
    )
    await prepare_database(Database(t.url), settings)
    result = await demo.run(
        Database(t.url), organization=ORGANIZATION, customers=t.customers, seed=seed
    )
    return {
        "seconds": round(result.seconds, 2),
        "customers_per_second": round(result.per_second(result.customers)),
        "rows_per_second": round(result.per_second(result.total_rows)),
        "rows": result.rows,
        "phases": {k: round(v, 2) for k, v in result.phases.items()},
    }


def _facts_file(t: Target) -> Path:
    return DATA / f"{t.name}-{t.label}.load.json"


def save_load_facts(t: Target, facts: dict[str, Any]) -> None:
    """Kept beside the data so a run with --reuse can still report how the load went."""
    _facts_file(t).write_text(json.dumps({**facts, "measured_at": time.time()}))


def load_facts(t: Target) -> dict[str, Any]:
    path = _facts_file(t)
    return json.loads(path.read_text()) if path.exists() else {}


async def vacuum(t: Target) -> float:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would soon after a load. SQLite: a WAL
    checkpoint (no ANALYZE: the application never runs one)."""
    started = time.perf_counter()
    if t.dialect == "postgresql":
        conn = await asyncpg.connect(t.url)
        try:
            await conn.execute("VACUUM (ANALYZE)")
        finally:
            await conn.close()
    else:
        import sqlite3

        with sqlite3.connect(t.sqlite_path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


async def credentials(t: Target, secret_key: str) -> tuple[str, str, str]:
    """(access token of the bench admin, an admin API key, the organization id).

    Timing uses the token: an API key writes its last-used time once a minute, and under
    concurrent requests on SQLite those writes collide ("database is locked")."""
    db = Database(t.url)
    try:
        async with session_scope(db) as session:
            org = await tenancy.get_or_create_organization(session, name=ORGANIZATION)
            actor = Actor.system(org.id)
            admins, _ = await users.list_users(
                session, actor, limit=100, offset=0, role=Role.ADMIN, is_active=True
            )
            admin = next(u for u in admins if u.email == ADMIN_EMAIL)
            data = ApiKeyCreate(name=f"bench-{secrets.token_hex(3)}", role=Role.ADMIN)
            _, api_key = await users.create_api_key(session, actor, data)
    finally:
        await db.dispose()
    token = issue_access_token(
        user_id=admin.id, organization_id=org.id, key=secret_key, issuer="clientbase",
        minutes=24 * 60,
    )  # fmt: skip
    return token, api_key, str(org.id)


SAMPLE_COLUMNS = "id, type, name, first_name, last_name, email, phone"


async def sample(t: Target, organization_id: str) -> list[dict[str, Any]]:
    """About SAMPLE customers spread over the whole table, the same ones every run."""
    if t.dialect == "postgresql":
        percent = min(100.0, SAMPLE * 150 / max(t.customers, 1))
        conn = await asyncpg.connect(t.url)
        try:
            rows = await conn.fetch(
                f"SELECT {SAMPLE_COLUMNS} FROM customers TABLESAMPLE BERNOULLI ({percent}) "  # noqa: S608
                "REPEATABLE (42) WHERE organization_id = $1 LIMIT $2",
                organization_id,
                SAMPLE,
            )
        finally:
            await conn.close()
        return [dict(r) for r in rows]
    import sqlite3

    step = max(1, t.customers // SAMPLE)
    with sqlite3.connect(t.sqlite_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            f"SELECT {SAMPLE_COLUMNS} FROM customers WHERE organization_id = ? "  # noqa: S608
            "AND rowid % ? = 0 LIMIT ?",
            (organization_id.replace("-", ""), step, SAMPLE),
        ).fetchall()
    return [dict(r) for r in rows]
