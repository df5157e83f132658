"""Demo purchase histories: generated on their own (deterministic, exact money, skewed,
seasonal, refunds) and loaded into a real database (both dialects) with exact metrics."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from clientbase.auth.actor import Actor
from clientbase.cli.main import app as cli
from clientbase.config import get_settings
from clientbase.demo.generator import Context, Generator
from clientbase.demo.purchases import ITEM_COLUMNS, TRANSACTION_COLUMNS
from clientbase.demo.service import load_demo
from clientbase.metrics.models import CustomerMetrics
from clientbase.metrics.service import recompute_organization
from clientbase.transactions import service as transactions
from clientbase.transactions.models import Transaction, TransactionItem
from tests.fixtures import make_org

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
T = {name: i for i, name in enumerate(TRANSACTION_COLUMNS)}
I = {name: i for i, name in enumerate(ITEM_COLUMNS)}  # noqa: E741


def generate(seed: int = 11, count: int = 3000, per_customer: float = 6, **overrides):  # type: ignore[no-untyped-def]
    values = dict(
        organization_id=uuid.uuid4(),
        business_id=uuid.uuid4(),
        user_ids=[uuid.uuid4()],
        custom_fields={},
        now=NOW,
        transactions_per_customer=per_customer,
    )
    values.update(overrides)
    return Generator(Context(**values), seed).chunk(count)


def without_ids(chunk):  # type: ignore[no-untyped-def]
    """Transactions and items with every id replaced by its position (ids are UUIDv7)."""
    customer = {row[0]: n for n, row in enumerate(chunk.customers)}
    txn = {row[0]: n for n, row in enumerate(chunk.transactions)}
    rows = [
        (txn[r[T["id"]]], customer[r[T["customer_id"]]], *r[T["occurred_at"] :])
        for r in chunk.transactions
    ]
    items = [
        (
            txn[r[I["transaction_id"]]],
            *r[I["sku"] : I["customer_id"]],
            customer[r[I["customer_id"]]],
            *r[I["occurred_at"] :],
        )
        for r in chunk.items
    ]
    return rows, items


def test_items_repeat_their_transactions_buyer_time_and_whether_it_counts():
    chunk = generate(seed=4)
    transactions = {r[T["id"]]: r for r in chunk.transactions}
    counted = 0
    for item in chunk.items:
        row = transactions[item[I["transaction_id"]]]
        assert item[I["customer_id"]] == row[T["customer_id"]]
        assert item[I["occurred_at"]] == row[T["occurred_at"]]
        assert item[I["counted"]] is (row[T["status"]] == "completed")
        counted += item[I["counted"]]
    assert 0 < counted < len(chunk.items)  # refunded, cancelled and open orders exist


def test_same_seed_same_purchases_other_seed_others():
    first, again, other = generate(seed=4), generate(seed=4), generate(seed=5)
    assert len(first.transactions) > 1000
    assert without_ids(first) == without_ids(again)
    assert without_ids(first) != without_ids(other)


def test_customers_do_not_depend_on_purchases():
    same = dict(organization_id=uuid.uuid4(), user_ids=[uuid.uuid4()], count=500)
    with_purchases, without = generate(**same), generate(per_customer=0, **same)
    assert len(with_purchases.transactions) > 500
    assert not without.transactions and not without.items
    strip = [r[1:25] + r[26:] for r in with_purchases.customers]  # ids aside
    assert strip == [r[1:25] + r[26:] for r in without.customers]


def test_amounts_are_the_items_total_to_the_cent():
    chunk = generate()
    totals: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for item in chunk.items:
        quantity, price = item[I["quantity"]], item[I["unit_price"]]
        assert isinstance(price, Decimal) and price.as_tuple().exponent == -2 and price > 0
        assert quantity == int(quantity) >= 1
        totals[item[I["transaction_id"]]] += quantity * price
        assert item[I["sku"]] and item[I["name"]] and item[I["category"]] and item[I["brand"]]
    for row in chunk.transactions:
        amount = row[T["amount"]]
        assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
        assert amount == totals[row[T["id"]]] > 0
        assert row[T["currency"]] == "KZT" and row[T["external_id"]].startswith("demo-")


def test_statuses_times_and_external_ids():
    chunk = generate()
    created = {row[0]: row[31] for row in chunk.customers}
    status = {row[0]: row[3] for row in chunk.customers}
    statuses = Counter(r[T["status"]] for r in chunk.transactions)
    total = sum(statuses.values())
    assert 0.02 < statuses["refunded"] / total < 0.08
    assert 0.01 < statuses["cancelled"] / total < 0.06
    assert 0.85 < statuses["completed"] / total < 0.95
    for r in chunk.transactions:
        occurred, updated = r[T["occurred_at"]], r[T["updated_at"]]
        assert NOW - timedelta(days=731) <= occurred <= NOW and occurred <= updated <= NOW
        assert occurred >= created[r[T["customer_id"]]]
        assert status[r[T["customer_id"]]] not in ("lead", "prospect")
        if r[T["status"]] in ("pending", "processing"):
            assert occurred > NOW - timedelta(days=3)
            assert status[r[T["customer_id"]]] == "active"
        if r[T["status"]] == "refunded":
            assert updated > occurred
    external = [r[T["external_id"]] for r in chunk.transactions]
    assert len(external) == len(set(external))


def test_mean_is_k_and_the_distribution_is_skewed():
    chunk = generate(count=6000, per_customer=8)
    per_customer = Counter(r[T["customer_id"]] for r in chunk.transactions)
    counts = sorted((per_customer.get(row[0], 0) for row in chunk.customers), reverse=True)
    assert 7.2 < sum(counts) / len(counts) < 8.8
    top_fifth = sum(counts[: len(counts) // 5])
    assert top_fifth / sum(counts) > 0.5  # top 20% of customers: most of the orders
    assert counts[len(counts) // 2] < 8 / 2 and counts[0] > 5 * 8  # most few, tail many


def test_more_orders_in_november_december_and_at_weekends():
    chunk = generate(count=6000)
    days = Counter(r[T["occurred_at"]].date() for r in chunk.transactions)
    holiday = [n for d, n in days.items() if d.month in (11, 12)]
    other = [n for d, n in days.items() if d.month in (2, 3, 9, 10)]
    assert sum(holiday) / len(holiday) > 1.4 * sum(other) / len(other)
    weekend = [n for d, n in days.items() if d.weekday() >= 5]
    weekday = [n for d, n in days.items() if d.weekday() < 4]
    assert sum(weekend) / len(weekend) > 1.15 * sum(weekday) / len(weekday)


def test_prices_follow_the_currency():
    kzt = generate(count=800, currency="KZT")
    usd = generate(count=800, currency="USD")
    median = lambda c: sorted(r[T["amount"]] for r in c.transactions)[len(c.transactions) // 2]  # noqa: E731
    assert 200 < median(kzt) / median(usd) < 1000
    assert all(r[T["currency"]] == "USD" for r in usd.transactions)


def test_purchases_need_a_business():
    with pytest.raises(ValueError, match="business"):
        generate(count=10, business_id=None)


# --- into the database ---------------------------------------------------------------


@pytest.fixture
async def loaded(session, settings):  # type: ignore[no-untyped-def]
    org = await make_org(session, settings, "Demo Bazaar")
    result = await load_demo(
        session, organization=org.name, customers=300, seed=9, now=NOW,
        transactions_per_customer=5,
    )  # fmt: skip
    await session.commit()
    return org, result


async def metric_rows(session, org_id):  # type: ignore[no-untyped-def]
    stmt = select(
        CustomerMetrics.customer_id,
        CustomerMetrics.total_spent,
        CustomerMetrics.order_count,
        CustomerMetrics.first_order_at,
        CustomerMetrics.last_order_at,
        CustomerMetrics.lifetime_value,
    ).where(CustomerMetrics.organization_id == org_id)
    return {row[0]: tuple(row[1:]) for row in await session.execute(stmt)}


@pytest.mark.asyncio
async def test_loaded_purchases_match_their_items_and_counts(session, loaded):
    org, result = loaded
    count = select(func.count()).select_from(Transaction)
    stored = (await session.execute(count.where(Transaction.organization_id == org.id))).scalar()
    items = select(func.count()).select_from(TransactionItem)
    items = items.where(TransactionItem.organization_id == org.id)
    assert stored == result.rows["transactions"] > 600
    assert (await session.execute(items)).scalar() == result.rows["transaction_items"] > stored
    mismatched = text(
        "SELECT count(*) FROM transactions t WHERE t.organization_id = :org AND t.amount <> "
        "(SELECT sum(i.quantity * i.unit_price) FROM transaction_items i "
        " WHERE i.transaction_id = t.id)"
    )
    org_param = org.id if session.get_bind().dialect.name == "postgresql" else org.id.hex
    assert (await session.execute(mismatched, {"org": org_param})).scalar() == 0
    statuses = select(Transaction.status, func.count()).where(Transaction.organization_id == org.id)
    found = dict((await session.execute(statuses.group_by(Transaction.status))).all())
    assert found["refunded"] > 0 and found["cancelled"] > 0 and found["completed"] > 0


@pytest.mark.asyncio
async def test_metrics_after_the_demo_equal_a_full_recompute(session, loaded):
    org, _ = loaded
    before = await metric_rows(session, org.id)
    assert len(before) > 100
    assert await recompute_organization(session, org.id) == 0  # nothing left to change
    assert await metric_rows(session, org.id) == before
    expected: dict[uuid.UUID, list] = {}
    stmt = select(Transaction.customer_id, Transaction.amount, Transaction.occurred_at).where(
        Transaction.organization_id == org.id, Transaction.status == "completed"
    )
    for customer_id, amount, occurred in await session.execute(stmt):
        e = expected.setdefault(customer_id, [Decimal("0.00"), 0, occurred, occurred])
        e[0] += amount
        e[1] += 1
        e[2], e[3] = min(e[2], occurred), max(e[3], occurred)
    for customer_id, (spent, orders, first, last) in expected.items():
        assert before[customer_id] == (spent, orders, first, last, spent)


@pytest.mark.asyncio
async def test_purchase_history_reads_back_through_the_service(session, loaded):
    org, _ = loaded
    stmt = select(Transaction.customer_id).where(Transaction.organization_id == org.id).limit(1)
    customer_id = (await session.execute(stmt)).scalar_one()
    actor = Actor.system(org.id)
    page = await transactions.customer_history(session, actor, customer_id, limit=50)
    assert page.items and all(t.customer_id == customer_id for t in page.items)
    items = await transactions.transaction_items(session, actor, [t.id for t in page.items])
    for t in page.items:
        lines = items[t.id]
        assert lines and t.amount == sum(i.quantity * i.unit_price for i in lines)


@pytest.mark.asyncio
async def test_a_big_load_rebuilds_the_purchase_indexes(session, settings, monkeypatch):
    from clientbase.demo import service

    monkeypatch.setattr(service, "REBUILD_INDEXES_FROM", 100)
    org = await make_org(session, settings, "Rebuilt Purchases")
    result = await load_demo(
        session, organization=org.name, customers=120, seed=3, now=NOW,
        transactions_per_customer=4,
    )  # fmt: skip
    await session.commit()
    assert result.rows["transactions"] > 200 and "metrics" in result.phases
    names = "SELECT indexname FROM pg_indexes WHERE tablename = 'transactions'"
    if session.get_bind().dialect.name == "sqlite":
        names = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transactions'"
    found = {row[0] for row in await session.execute(text(names))}
    assert "ix_transactions_organization_id_customer_id_occurred_at" in found
    assert len(await metric_rows(session, org.id)) > 30


@pytest.mark.asyncio
async def test_the_option_is_validated(session, settings):
    org = await make_org(session, settings, "Bad Option")
    for bad in (-1, 1001):
        with pytest.raises(ValueError, match="transactions per customer"):
            await load_demo(session, organization=org.name, customers=5, seed=1,
                            transactions_per_customer=bad)  # fmt: skip


def test_demo_command_with_purchases(tmp_path, monkeypatch):
    db = tmp_path / "demo.db"
    monkeypatch.setenv("CLIENTBASE_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("CLIENTBASE_SECRET_KEY", "cli-test-key-that-is-long-enough-0123456789")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        for bad in ("-1", "5000", "many"):
            refused = runner.invoke(
                cli, ["demo", "--customers", "10", "--transactions-per-customer", bad]
            )
            assert refused.exit_code == 2, refused.output
        result = runner.invoke(
            cli, ["demo", "--customers", "200", "--transactions-per-customer", "3"]
        )
        assert result.exit_code == 0, result.output
        assert "Loaded 200 customers" in result.output and "transactions" in result.output
    finally:
        get_settings.cache_clear()
    import sqlite3

    with sqlite3.connect(db) as conn:
        (orders,) = conn.execute("SELECT count(*) FROM transactions").fetchone()
        (metrics,) = conn.execute("SELECT count(*) FROM customer_metrics").fetchone()
    assert orders > 200 and metrics > 50
