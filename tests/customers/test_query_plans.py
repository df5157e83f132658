"""Every list and search query on customers is served by the index meant for it: this fails
when a change makes one walk the table or sort it. The organization gets 8,000 synthetic
rows (plus a neighbour organization) and fresh statistics so the planners choose as they
would at scale; PostgreSQL additionally prices sequential scans out."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text

from clientbase.core.sorting import parse_sort
from clientbase.customers import listing_repository, service
from clientbase.customers.query import SORTABLE, build_filter
from tests.fixtures import create_customer, make_org

pytestmark = pytest.mark.asyncio
ROWS = 8_000

# (filters, sort, what the main page query's plan must mention)
LISTINGS = [
    ({}, "-created_at", "ix_customers_organization_id_created_at_id"),
    ({"status": ["active"]}, "-created_at", "ix_customers_organization_id_"),
    ({}, "name", "ix_customers_organization_id_name_id"),
    ({}, "-updated_at", "ix_customers_organization_id_updated_at_id"),
    ({"search": "smith"}, None, "SEARCH"),
    ({"search": "john.smith@example.com"}, None, "SEARCH"),
    ({"search": "8 701 234 56 78"}, None, "PHONE"),
    ({"search": "Jonh Smiht"}, None, "SEARCH"),
]
SEARCH_INDEX = {"postgresql": "ix_customers_search_trgm", "sqlite": "customers_fts VIRTUAL TABLE"}
# A whole phone number is looked up by its normalised form in the unique index.
PHONE_INDEX = {"postgresql": "uq_customers_organization_id_phone", "sqlite": "phone=?"}


async def fill(session, org_id) -> None:
    """Synthetic customers written with one statement per database."""
    values = {"org": org_id.hex if session.bind.dialect.name == "sqlite" else org_id}
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text(
                "INSERT INTO customers (id, organization_id, type, status, is_active, name, tags, "
                "custom_fields, current_balance, version, created_at, updated_at, search_text) "
                "SELECT gen_random_uuid(), :org, 'individual', "
                "(ARRAY['lead','prospect','active','inactive'])[1 + i % 4], true, "
                "'Person ' || i, '[]', '{}', 0, 1, now() - i * interval '1 minute', now(), "
                "'person ' || i || ' ' || md5(i::text) FROM generate_series(1, :n) AS i"
            ),
            {**values, "n": ROWS},
        )
        await session.execute(
            text(
                "INSERT INTO customer_metrics (customer_id, organization_id, total_spent, "
                "order_count, first_order_at, last_order_at, lifetime_value, windows_stale, "
                "updated_at) SELECT id, organization_id, s.total, s.orders, s.last_at, s.last_at, "
                "s.total, false, now() FROM (SELECT id, organization_id, "
                "row_number() OVER (ORDER BY id) AS i FROM customers WHERE organization_id = :org"
                ") AS c, LATERAL (SELECT (c.i % 997) * 3.5 AS total, 1 + c.i % 7 AS orders, "
                "now() - (c.i % 1009) * interval '1 hour' AS last_at) AS s WHERE c.i % 2 = 0"
            ),
            values,
        )
        await session.execute(text("ANALYZE customers"))
        await session.execute(text("ANALYZE customer_metrics"))
        return
    await session.execute(
        text(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n) "
            "INSERT INTO customers (id, organization_id, type, status, is_active, name, tags, "
            "custom_fields, current_balance, version, created_at, updated_at, search_text) "
            "SELECT lower(hex(randomblob(16))), :org, 'individual', "
            "CASE i % 4 WHEN 0 THEN 'lead' WHEN 1 THEN 'prospect' WHEN 2 THEN 'active' "
            "ELSE 'inactive' END, 1, 'Person ' || i, '[]', '{}', 0, 1, "
            "datetime('now', '-' || i || ' minutes'), datetime('now'), "
            "'person ' || i || ' ' || hex(randomblob(8)) FROM seq"
        ),
        {**values, "n": ROWS},
    )
    await session.execute(
        text(
            "INSERT INTO customer_metrics (customer_id, organization_id, total_spent, "
            "order_count, first_order_at, last_order_at, lifetime_value, windows_stale, "
            "updated_at) SELECT id, organization_id, total, orders, last_at, last_at, total, 0, "
            "datetime('now') FROM (SELECT id, organization_id, (i % 997) * 3.5 AS total, "
            "1 + i % 7 AS orders, datetime('now', '-' || (i % 1009) || ' hours') AS last_at, "
            "i FROM (SELECT id, organization_id, row_number() OVER (ORDER BY id) AS i "
            "FROM customers WHERE organization_id = :org)) WHERE i % 2 = 0"
        ),
        values,
    )
    await session.execute(text("ANALYZE"))


@pytest.fixture
async def org(session, settings):
    org = await make_org(session, settings, "Plans")
    neighbour = await make_org(session, settings, "Plans Neighbour")
    await create_customer(
        session,
        org,
        first_name="John",
        last_name="Smith",
        email="john.smith@example.com",
        phone="+77012345678",
    )
    await fill(session, org.id)
    await fill(session, neighbour.id)
    return org


async def captured_customer_queries(session, org, params, sort, cursor=None):
    conn = await session.connection()
    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if re.search(r"\bFROM customers\b", statement) and statement.lstrip().startswith(
            ("SELECT", "WITH")
        ):
            seen.append((statement, parameters))

    event.listen(conn.sync_connection, "before_cursor_execute", capture)
    try:
        flt = await build_filter(
            session,
            org.actor(),
            assigned_to=None,
            tags=None,
            status=params.get("status"),
            search=params.get("search"),
        )
        await service.list_customers(
            session,
            org.actor(),
            flt,
            sort=parse_sort(sort, SORTABLE, "-created_at"),
            limit=25,
            cursor=cursor,
        )
    finally:
        event.remove(conn.sync_connection, "before_cursor_execute", capture)
    return conn, seen


async def plan(conn, statement, parameters) -> str:
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in rows)
    rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    return "\n".join(row[-1] for row in rows)


def walks_table(dialect: str, text_plan: str) -> bool:
    pattern = r"Seq Scan on customers\b" if dialect == "postgresql" else r"\bSCAN customers(\s|$)"
    return re.search(pattern, text_plan) is not None


def sorts_rows(dialect: str, text_plan: str) -> bool:
    return ("Sort Key" in text_plan) if dialect == "postgresql" else "TEMP B-TREE" in text_plan


# Searches both ways on PostgreSQL: with the organization as a key of the trigram index
# (threshold out of reach) and without it (every tenant counts as big).
SCANS = [
    pytest.param(*listing, share, id=f"{listing[0]}-{scan}")
    for listing in LISTINGS
    for scan, share in (("keyed", 2.0), ("unkeyed", 0.0))
    if "search" in listing[0] or scan == "keyed"
]
UNKEYED_SCOPE = "CAST(customers.organization_id AS TEXT)"


@pytest.mark.parametrize(("params", "sort", "expected", "unkeyed_share"), SCANS)
async def test_customer_listing_uses_indexes(
    session, org, params, sort, expected, unkeyed_share, monkeypatch
):
    monkeypatch.setattr(listing_repository, "UNKEYED_SEARCH_SHARE", unkeyed_share)
    conn, queries = await captured_customer_queries(session, org, params, sort)
    dialect = conn.dialect.name
    unkeyed = dialect == "postgresql" and unkeyed_share == 0.0 and expected == "SEARCH"
    assert unkeyed == any(UNKEYED_SCOPE in statement for statement, _ in queries)
    page_statement, page_parameters = queries[0]
    page_plan = await plan(conn, page_statement, page_parameters)
    if expected == "SEARCH":
        assert SEARCH_INDEX[dialect] in page_plan, page_plan
    elif expected == "PHONE":
        assert PHONE_INDEX[dialect] in page_plan, page_plan
    else:
        assert expected in page_plan and not sorts_rows(dialect, page_plan), page_plan
    for statement, parameters in queries:
        text_plan = await plan(conn, statement, parameters)
        assert not walks_table(dialect, text_plan), f"{statement}\n{text_plan}"


async def cursor_after_400_rows(session, org, sort: str) -> str:
    actor = org.actor()
    flt = await build_filter(session, actor, assigned_to=None, tags=None, status=None, search=None)
    order = parse_sort(sort, SORTABLE, "-created_at")
    cursor = None
    for _ in range(4):
        page = await service.list_customers(
            session, actor, flt, sort=order, limit=100, cursor=cursor, include_total=False
        )
        cursor = page.next_cursor
    return cursor


@pytest.mark.parametrize("sort", ["-created_at", "name"])
async def test_a_deep_keyset_page_starts_in_the_index_at_the_cursor(session, org, sort):
    """The cursor bounds the index range: a filter would read every row before it."""
    cursor = await cursor_after_400_rows(session, org, sort)
    conn, queries = await captured_customer_queries(session, org, {}, sort, cursor=cursor)
    text_plan = await plan(conn, *queries[0])
    if conn.dialect.name == "postgresql":
        assert re.search(r"Index Cond: .*ROW\(", text_plan), text_plan
    else:
        assert re.search(r"USING (COVERING )?INDEX .*\(.*\)[<>]\(\?,\?\)", text_plan), text_plan
    assert not sorts_rows(conn.dialect.name, text_plan), text_plan


# A list sorted by a purchase metric reads its parts one statement each (metric_order):
# customers with a value by the metric's index, those without one (no metrics row: half of
# them here) by the organization's customers in id order, which the page's LIMIT stops.
# (filters, sort, what each part of a first page reads: a metric's index or the ids)
METRIC_LISTINGS = [
    ({}, "-total_spent", ["total_spent"]),
    ({}, "-lifetime_value", ["total_spent"]),  # the same numbers: total_spent's index
    ({}, "-order_count", ["order_count"]),
    ({}, "-last_order_at", ["last_order_at"]),
    ({"status": ["active"]}, "-total_spent", ["total_spent"]),
    ({}, "total_spent", ["total_spent", "id"]),  # values under 0 first (none), then no value
    ({}, "order_count", ["order_count", "id"]),
    ({}, "last_order_at", ["id"]),  # never bought: the lowest, so first
]


def reads(dialect: str, column: str) -> str:
    if column == "id":  # by id within the organization, never every tenant's primary key
        return "ix_customers_organization_id_id"
    return f"ix_customer_metrics_organization_id_{column}_customer_id"


def sorts_more_than_a_page(dialect: str, text_plan: str) -> bool:
    """The page's rows, read by id, are put back in order; any other sort is not expected:
    the metric's index gives (value, customer id) in order, ties included."""
    if dialect == "postgresql":
        sorted_rows = re.findall(
            r"(?:^|->)\s*(?:Incremental )?Sort\s+\(cost=\S+ rows=(\d+)", text_plan, re.M
        )
        return any(int(rows) > 26 for rows in sorted_rows)
    return "USE TEMP B-TREE" in text_plan.split("SCAN metric_page", 1)[0]


async def metric_page_plans(conn, queries) -> list[str]:
    return [await plan(conn, s, p) for s, p in queries if "metric_page" in s]


@pytest.mark.parametrize(("params", "sort", "parts"), METRIC_LISTINGS)
async def test_a_metric_sort_reads_index_ranges(session, org, params, sort, parts):
    conn, queries = await captured_customer_queries(session, org, params, sort)
    dialect = conn.dialect.name
    plans = await metric_page_plans(conn, queries)
    assert len(plans) == len(parts), plans
    for text_plan, column in zip(plans, parts, strict=True):
        assert reads(dialect, column) in text_plan, text_plan
        assert not sorts_more_than_a_page(dialect, text_plan), text_plan
    for statement, parameters in queries:
        text_plan = await plan(conn, statement, parameters)
        assert not walks_table(dialect, text_plan), f"{statement}\n{text_plan}"
        assert not re.search(r"Seq Scan on customer_metrics|SCAN customer_metrics\b", text_plan)


@pytest.mark.parametrize(
    "sort", ["-total_spent", "total_spent", "-order_count", "-last_order_at", "last_order_at"]
)
async def test_a_deep_metric_page_starts_in_an_index_at_the_cursor(session, org, sort):
    """400 rows in: inside the values, from (value, id) on, or among the customers
    without one, from the id on."""
    cursor = await cursor_after_400_rows(session, org, sort)
    conn, queries = await captured_customer_queries(session, org, {}, sort, cursor=cursor)
    column = sort.lstrip("-")
    plans = await metric_page_plans(conn, queries)
    if conn.dialect.name == "postgresql":
        bound = rf"Index Cond: .*(ROW\({column}, customer_id\) [<>] ROW\(|\bid [<>] ')"
    else:
        bound = r"\(organization_id=\? AND (.*\(\w+,customer_id\)[<>]\(\?,\?\)|id[<>]\?)\)"
    assert re.search(bound, plans[0]), plans[0]
    for text_plan in plans:
        assert not sorts_more_than_a_page(conn.dialect.name, text_plan), text_plan
