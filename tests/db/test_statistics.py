"""SQLite plans a search from the full-text matches once planner statistics exist."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from clientbase.customers.models import Customer
from clientbase.db.migrate import upgrade_to_head
from clientbase.db.session import Database, session_scope
from clientbase.search.backend import substring_condition
from tests.fixtures import create_customer, make_org


async def _search_plan(db: Database, organization_id) -> str:  # type: ignore[no-untyped-def]
    stmt = select(Customer.id).where(
        Customer.organization_id == organization_id,
        Customer.deleted_at.is_(None),
        substring_condition("sqlite", Customer.search_text, [["ivanova"]]),
    )
    compiled = stmt.compile(db.engine.sync_engine, compile_kwargs={"literal_binds": True})
    async with db.engine.connect() as conn:
        rows = await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        return " | ".join(str(r[-1]) for r in rows)


async def test_statistics_turn_a_tenant_scan_into_full_text_lookups(dialect, settings, tmp_path):  # type: ignore[no-untyped-def]
    if dialect != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its statistics; this is SQLite's ANALYZE")
    db = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    try:
        await upgrade_to_head(db.engine)
        async with session_scope(db) as session:
            org = await make_org(session, settings.model_copy(update={"database_url": db.url}))
            for n in range(120):
                await create_customer(session, org, last_name=f"Ivanova{n}" if n < 3 else "Kim")
        before = await _search_plan(db, org.id)
        assert "USING INDEX ix_customers_organization_id" in before, before

        await db.refresh_statistics()

        after = await _search_plan(db, org.id)
        assert "USING INTEGER PRIMARY KEY (rowid=?)" in after, after
        async with db.engine.connect() as conn:
            tables = set((await conn.execute(text("SELECT tbl FROM sqlite_stat1"))).scalars())
        assert "customers" in tables
    finally:
        await db.dispose()
