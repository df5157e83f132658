"""The customer list sorted by a purchase metric (SPEC S3): total_spent, order_count,
last_order_at and lifetime_value, both ways, on both databases. Customers without a
metrics row show 0 / no last order and sort as the lowest value, like a null
last_order_at; ties are broken by id; cursors and page numbers walk the same order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from clientbase.core.pagination import decode_cursor, encode_cursor
from clientbase.customers import service
from clientbase.metrics.models import CustomerMetrics
from tests.fixtures import create_customer

pytestmark = pytest.mark.asyncio
API = "/api/v1/customers"
METRICS = ("total_spent", "order_count", "last_order_at", "lifetime_value")
SORTS = [prefix + field for field in METRICS for prefix in ("", "-")]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# (total_spent, order_count, last_order_at) of a metrics row, or None for no row. Ties in
# every metric, rows holding the unset values (a customer whose purchases were refunded),
# and a negative total, which the API cannot record today (amounts are >= 0) but which
# must not upset the order.
PROFILES: list[tuple[str, int, datetime | None] | None] = [
    None,
    ("0.00", 0, None),
    ("10.00", 1, T0),
    ("25.50", 2, T0 + timedelta(days=3)),
    None,
    ("10.00", 2, T0),
    ("1250.00", 9, T0 + timedelta(days=40)),
    ("25.50", 1, T0 + timedelta(days=3)),
    None,
    ("0.00", 0, None),
    ("10.00", 1, T0 - timedelta(days=200)),
    ("-5.00", 1, T0 - timedelta(days=10)),
    None,
    ("99.99", 3, T0 + timedelta(days=40)),
    ("10.00", 1, T0),
    None,
    ("25.50", 2, T0 + timedelta(days=1)),
    None,
    ("7.25", 1, T0 + timedelta(days=2)),
    ("10.00", 2, T0),
]


def shown(profile: tuple[str, int, datetime | None] | None) -> dict[str, object]:
    """What the API shows for these metrics: zeros and no last order without a row."""
    total, orders, last = profile or ("0.00", 0, None)
    return {
        "total_spent": Decimal(total),
        "order_count": orders,
        "last_order_at": last,
        "lifetime_value": Decimal(total),
    }


def add_metrics(session, org_id, customer_id, profile) -> None:
    total, orders, last = profile
    session.add(
        CustomerMetrics(
            organization_id=org_id,
            customer_id=customer_id,
            total_spent=Decimal(total),
            order_count=orders,
            first_order_at=last - timedelta(days=30) if last else None,
            last_order_at=last,
            lifetime_value=Decimal(total),
        )
    )


@pytest.fixture
async def shop(session, org, other_org):
    """The organization's customers by id with the metrics shown; a deleted customer and
    another organization's customers (with the highest and lowest numbers) never appear."""
    customers: dict[uuid.UUID, dict[str, object]] = {}
    for i, profile in enumerate(PROFILES):
        customer = await create_customer(
            session,
            org,
            first_name=f"Buyer{i:02d}",
            status="active" if i % 3 else "lead",
            tags=["vip"] if i % 2 else [],
        )
        customers[customer.id] = {**shown(profile), "status": customer.status, "vip": i % 2 == 1}
        if profile is not None:
            add_metrics(session, org.id, customer.id, profile)
    gone = await create_customer(session, org, first_name="Gone")
    add_metrics(session, org.id, gone.id, ("500.00", 5, T0))
    for profile in (("999999.00", 99, T0 + timedelta(days=400)), ("-99.00", 0, None), None):
        stranger = await create_customer(session, other_org, first_name="Stranger")
        if profile is not None:
            add_metrics(session, other_org.id, stranger.id, profile)
    await session.commit()
    await service.delete_customer(session, org.actor(), gone.id)
    await session.commit()
    return customers


def full_sort(customers, token: str, keep=lambda c: True) -> list[str]:
    """Ids in (value, id) order, the unset value lowest; descending is the exact reverse."""
    field = token.lstrip("-")

    def key(item):
        customer_id, shown_values = item
        value = shown_values[field]
        return (value is not None, value if value is not None else 0, customer_id)

    ordered = sorted((item for item in customers.items() if keep(item[1])), key=key)
    ids = [str(customer_id) for customer_id, _ in ordered]
    return ids[::-1] if token.startswith("-") else ids


async def listing(client, org, **params):
    response = await client.get(API, params=params, headers=org.headers())
    assert response.status_code == 200, response.text
    return response.json()


async def walk(client, org, **params) -> list[str]:
    seen, cursor = [], None
    while True:
        body = await listing(client, org, **params, **({"cursor": cursor} if cursor else {}))
        assert len(body["items"]) <= params["limit"]
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


@pytest.mark.parametrize("token", SORTS)
async def test_a_metric_sort_orders_by_value_then_id(client, org, shop, token):
    body = await listing(client, org, sort=token, limit=100)
    assert [c["id"] for c in body["items"]] == full_sort(shop, token)
    assert body["total"] == len(shop) and body["next_cursor"] is None
    field = token.lstrip("-")
    for item in body["items"]:  # the value sorted by is the one shown
        expected = shop[uuid.UUID(item["id"])][field]
        if isinstance(expected, datetime):
            assert datetime.fromisoformat(item[field]) == expected
        elif isinstance(expected, Decimal):
            assert Decimal(item[field]) == expected
        else:
            assert item[field] == expected


@pytest.mark.parametrize("token", SORTS)
async def test_cursor_pages_visit_everyone_once_in_the_full_order(client, org, shop, token):
    assert await walk(client, org, sort=token, limit=7) == full_sort(shop, token)
    assert await walk(client, org, sort=token, limit=1) == full_sort(shop, token)


@pytest.mark.parametrize("token", SORTS)
async def test_page_numbers_cut_the_same_order(client, org, shop, token):
    expected = full_sort(shop, token)
    pages = []
    for page in range(1, len(expected) // 7 + 2):
        body = await listing(client, org, sort=token, limit=7, page=page)
        pages.append([c["id"] for c in body["items"]])
    assert [i for page in pages for i in page] == expected
    assert [len(page) for page in pages] == [7, 7, len(expected) - 14]
    beyond = await listing(client, org, sort=token, limit=7, page=len(pages) + 1)
    assert beyond["items"] == [] and beyond["next_cursor"] is None


@pytest.mark.parametrize("token", ["-total_spent", "order_count", "-last_order_at"])
async def test_filters_and_visibility_apply_to_a_metric_sort(client, org, shop, token):
    def active_vip(c):
        return c["status"] == "active" and c["vip"]

    expected = full_sort(shop, token, active_vip)
    params = {"sort": token, "limit": 2, "status": "active", "tags": "vip"}
    assert 2 < len(expected) < len(shop)
    assert await walk(client, org, **params) == expected
    numbered = []
    for page in range(1, len(expected) // 2 + 2):  # the filtered rows skipped across parts
        body = await listing(client, org, **params, page=page)
        numbered += [c["id"] for c in body["items"]]
    assert numbered == expected
    sales = await client.get(API, params={"sort": token}, headers=org.headers("sales"))
    assert sales.status_code == 200
    leads = {str(i) for i, c in shop.items() if c["status"] == "lead"}
    assert {c["id"] for c in sales.json()["items"]} == leads  # unassigned leads only


async def test_another_organizations_customers_never_appear(client, org, other_org, shop):
    ours = {str(customer_id) for customer_id in shop}
    for token in SORTS:
        assert set(await walk(client, org, sort=token, limit=7)) == ours
        theirs = await walk(client, other_org, sort=token, limit=2)
        assert len(theirs) == 3 and not set(theirs) & ours


@pytest.mark.parametrize(
    "sort", ["total", "-lifetime", "order_count,name", "rating_desc", "metrics"]
)
async def test_an_unknown_sort_is_a_problem_naming_sort(client, org, sort):
    response = await client.get(API, params={"sort": sort}, headers=org.headers())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["sort"]
    assert "total_spent" in problem["errors"][0]["message"]


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("-total_spent", 12.5),  # a float would not find the row again
        ("-total_spent", "NaN"),
        ("total_spent", "1e999999"),
        ("-lifetime_value", None),
        ("order_count", "3"),
        ("order_count", 2**40),
        ("-last_order_at", "2025-03-01T12:00:00"),  # no timezone
        ("-last_order_at", 5),
        ("-total_spent", "1E-20000"),  # finite and small, but no NUMERIC(14, 2) holds it
        ("total_spent", "0.001"),
        ("-last_order_at", "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        ("created_at", "9999-12-31T23:59:59-01:00"),  # after year 9999 in UTC
    ],
)
async def test_a_forged_metric_cursor_is_a_problem_naming_cursor(client, org, shop, token, value):
    cursor = encode_cursor([token, value, str(uuid.uuid4())])
    response = await client.get(
        API, params={"sort": token, "cursor": cursor}, headers=org.headers()
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


async def test_a_cursor_of_another_metric_is_refused(client, org, shop):
    body = await listing(client, org, sort="-total_spent", limit=3)
    assert decode_cursor(body["next_cursor"])[0] == "-total_spent"
    response = await client.get(
        API,
        params={"sort": "-lifetime_value", "cursor": body["next_cursor"]},
        headers=org.headers(),
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


async def test_a_search_stays_in_relevance_order_whatever_the_sort(client, org, shop, session):
    await create_customer(session, org, first_name="Buyer99", last_name="Prefix")
    unsorted = await listing(client, org, search="buyer")
    for token in ("-total_spent", "order_count", "-last_order_at"):
        assert await listing(client, org, search="buyer", sort=token) == unsorted
