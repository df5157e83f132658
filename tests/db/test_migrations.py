"""Migrations go down and up again on a database of their own: 0009 fills the items'
purchase columns from their transactions, 0011 returns membership events to the outbox,
0012 fills the search dictionary from the stored search texts."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import contextmanager
from decimal import Decimal

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from clientbase.db.migrate import alembic_config, include_object, upgrade_to_head
from clientbase.db.registry import metadata
from clientbase.db.session import Database, session_scope
from clientbase.events import service as events
from clientbase.search.models import SearchWordKey
from clientbase.segments import membership_service as memberships
from clientbase.segments import service as segments
from clientbase.segments.api_schemas import SegmentCreate
from clientbase.transactions import service as transactions
from clientbase.transactions.models import TransactionItem
from clientbase.transactions.schemas import TransactionCreate
from tests.conftest import DEFAULT_POSTGRES
from tests.fixtures import create_customer, make_org

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def scratch(dialect, tmp_path) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    if dialect == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield db
        await db.dispose()
        return
    admin_url = make_url(os.environ.get("CLIENTBASE_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    name = f"clientbase_migrations_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(admin_url.set(database=name).render_as_string(hide_password=False))
    try:
        yield db
    finally:
        await db.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def downgrade(db: Database, revision: str) -> None:
    config = alembic_config()

    def run(connection):  # type: ignore[no-untyped-def]
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


async def test_purchase_facts_migration_goes_down_and_fills_items_on_the_way_up(scratch, settings):  # type: ignore[no-untyped-def]
    await upgrade_to_head(scratch.engine)
    async with session_scope(scratch) as session:
        org = await make_org(session, settings.model_copy(update={"database_url": scratch.url}))
        customer = await create_customer(session, org, first_name="Migrated")
        for external_id, status in (("m-1", "completed"), ("m-2", "pending")):
            await transactions.record_transaction(
                session,
                org.actor(),
                TransactionCreate.model_validate(
                    {
                        "external_id": external_id,
                        "customer_id": customer.id,
                        "occurred_at": "2026-05-01T08:30:00Z",
                        "status": status,
                        "items": [{"sku": "S", "category": "books", "unit_price": "9.50"}],
                    }
                ),
            )
    await downgrade(scratch, "0008")
    async with scratch.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("transaction_items")}
        )
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not {"customer_id", "occurred_at", "counted"} & columns
    assert "customer_purchase_windows" not in tables

    await upgrade_to_head(scratch.engine)
    async with session_scope(scratch) as session:
        items = (
            await session.execute(select(TransactionItem).order_by(TransactionItem.id))
        ).scalars()
        got = [(i.customer_id, i.occurred_at.isoformat(), i.counted, i.unit_price) for i in items]
        kept = (await session.execute(text("SELECT count(*) FROM customer_metrics"))).scalar()
    at = "2026-05-01T08:30:00+00:00"
    assert got == [
        (customer.id, at, True, Decimal("9.50")),
        (customer.id, at, False, Decimal("9.50")),
    ]
    assert kept == 1  # the buyer's metrics survived the round trip


async def feed(db: Database, org):  # type: ignore[no-untyped-def]
    async with session_scope(db) as session:
        page = await events.pull(session, org.actor(), after=None, limit=100)
        return [(e.seq, e.event_type, e.aggregate_id, e.payload) for e in page.items]


async def foreign_keys(db: Database) -> dict[str, list[str]]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda c: {
                short: sorted(k["referred_table"] for k in inspect(c).get_foreign_keys(table))
                for short, table in (
                    ("segment_memberships", "segment_memberships"),
                    ("history", "segment_membership_history"),
                )
            }
        )


async def test_membership_events_return_to_the_outbox_going_down_and_stay_once_going_up(
    scratch, settings
):  # type: ignore[no-untyped-def]
    await upgrade_to_head(scratch.engine)
    async with session_scope(scratch) as session:
        org = await make_org(session, settings.model_copy(update={"database_url": scratch.url}))
        customer = await create_customer(session, org)
        segment, _ = await segments.create_segment(
            session, org.actor(), SegmentCreate(name="Hand-picked", type="static")
        )
        await session.commit()
        await memberships.assign_static(session, org.actor(), customer.id, [segment.id])
    assert await foreign_keys(scratch) == {"segment_memberships": [], "history": []}
    async with session_scope(scratch) as session:  # its history and event outlive it
        await segments.delete_segment(session, org.actor(), segment.id)
    before = await feed(scratch, org)
    assigned = [e for e in before if e[1] == "segment.assigned"]
    assert assigned == [
        (
            assigned[0][0],
            "segment.assigned",
            customer.id,
            {
                "segment_id": str(segment.id),
                "segment_name": "Hand-picked",
                "customer_id": str(customer.id),
                "reason": "manual",
            },
        )
    ]

    await downgrade(scratch, "0010")
    assert await foreign_keys(scratch) == {
        "segment_memberships": ["customers", "organizations", "segments"],
        "history": ["customers", "organizations", "segments"],
    }
    async with scratch.engine.connect() as conn:
        moved = (
            await conn.execute(
                text("SELECT seq FROM outbox_events WHERE event_type = 'segment.assigned'")
            )
        ).scalars()
        assert list(moved) == [assigned[0][0]]

    await upgrade_to_head(scratch.engine)
    assert await feed(scratch, org) == before


async def test_search_dictionary_is_filled_from_the_stored_search_texts(scratch, settings):  # type: ignore[no-untyped-def]
    await upgrade_to_head(scratch.engine)
    async with session_scope(scratch) as session:
        org = await make_org(session, settings.model_copy(update={"database_url": scratch.url}))
        await create_customer(session, org, first_name="Aigerim", last_name="Kassymova")
        await create_customer(
            session,
            org,
            type="company",
            name="Steppe Logistics",
            contacts=[{"first_name": "Berik", "last_name": "Omarov"}],
        )
        before = await dictionary_rows(session, org)
    assert {"aigerim", "kassymova", "steppe", "logistics", "berik", "omarov"} <= {
        word for _, word in before
    }
    assert ("kasymova", "kassymova") in before

    await downgrade(scratch, "0011")
    async with scratch.engine.connect() as conn:
        assert "search_word_keys" not in await conn.run_sync(lambda c: inspect(c).get_table_names())
    await upgrade_to_head(scratch.engine)
    async with session_scope(scratch) as session:
        assert await dictionary_rows(session, org) == before


async def dictionary_rows(session, org) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    stmt = select(SearchWordKey.key, SearchWordKey.word).where(
        SearchWordKey.organization_id == org.id
    )
    return {(key, word) for key, word in await session.execute(stmt)}


@contextmanager
def _reflecting():  # type: ignore[no-untyped-def]
    """SQLite cannot reflect expression indexes, so they are neither read nor compared."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        yield


def _schema_drift(connection):  # type: ignore[no-untyped-def]
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object}
    )
    with _reflecting():
        return compare_metadata(context, metadata)


def _shape(connection):  # type: ignore[no-untyped-def]
    with _reflecting():
        return _tables(inspect(connection))


def _tables(schema):  # type: ignore[no-untyped-def]
    return {
        table: {
            "indexes": {i["name"]: i["column_names"] for i in schema.get_indexes(table)},
            "keys": {k["name"] for k in schema.get_foreign_keys(table)},
        }
        for table in ("transactions", "transaction_items", "customer_metrics", "customers")
    }


async def test_the_migrated_schema_is_the_models_and_0013_to_0015_go_down_and_up(scratch):  # type: ignore[no-untyped-def]
    await upgrade_to_head(scratch.engine)
    async with scratch.engine.connect() as conn:
        assert await conn.run_sync(_schema_drift) == []
    await downgrade(scratch, "0012")
    async with scratch.engine.connect() as conn:
        before = await conn.run_sync(_shape)
    assert before["transactions"]["indexes"]["ix_transactions_organization_id_status_customer_id"]
    metric_indexes = before["customer_metrics"]["indexes"]
    assert metric_indexes["ix_customer_metrics_organization_id_lifetime_value"] == [
        "organization_id",
        "lifetime_value",
    ]
    assert metric_indexes["ix_customer_metrics_organization_id_order_count"] == [
        "organization_id",
        "order_count",
    ]
    assert "ix_customers_organization_id_id" not in before["customers"]["indexes"]
    assert (
        "fk_transaction_items_organization_id_organizations"
        in (before["transaction_items"]["keys"])
    )
    await upgrade_to_head(scratch.engine)
    async with scratch.engine.connect() as conn:
        after = await conn.run_sync(_shape)
        assert await conn.run_sync(_schema_drift) == []
    assert (
        "ix_transactions_organization_id_status_customer_id"
        not in (after["transactions"]["indexes"])
    )
    assert after["customer_metrics"]["indexes"][
        "ix_customer_metrics_organization_id_order_count_customer_id"
    ] == ["organization_id", "order_count", "customer_id"]
    assert after["transaction_items"]["keys"] == {
        "fk_transaction_items_transaction_id_transactions"
    }
