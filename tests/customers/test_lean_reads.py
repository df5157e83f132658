"""GET /customers/{id} and the list page answer from plain rows (read_repository); this
checks them byte for byte against the ORM presenters, as the API answered before, for every
role (masking, sales' assigned-only visibility) and a variety of customers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import TypeAdapter

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Role
from clientbase.customers import service
from clientbase.customers.models import Customer
from clientbase.customers.presenters import present_customer, present_detail
from clientbase.customers.repository import CustomerRepository
from clientbase.customers.schemas import CustomerDetail, CustomerRead
from clientbase.metrics.models import CustomerMetrics
from tests.fixtures import BIN_HEAD_OFFICE, IIN_MALE_1990, api_create

pytestmark = pytest.mark.asyncio
API = "/api/v1"
ROLES = ("admin", "manager", "sales", "support", "viewer")
DETAIL_JSON = TypeAdapter(CustomerDetail)  # how FastAPI renders response_model=CustomerDetail
READ_JSON = TypeAdapter(CustomerRead)


async def post(client, org, path, body):
    response = await client.post(f"{API}/{path}", json=body, headers=org.headers())
    assert response.status_code == 201, response.text
    return response.json()


async def variety(client, session, org) -> dict[str, uuid.UUID]:
    """Customers of every shape the response can take, by a name saying which."""
    await post(client, org, "custom-fields", {"key": "tier", "label": "Tier", "type": "text"})
    await post(client, org, "custom-fields", {"key": "score", "label": "Score", "type": "number"})
    shop = await post(client, org, "businesses", {"name": "Shop"})
    sales = org.users["sales"].id
    made = {
        "bare": await api_create(client, org, first_name="Bare"),
        "person": await api_create(
            client,
            org,
            first_name="Айгерим",
            last_name="Нұрланова",
            email="aigerim@example.com",
            phone="+77011234567",
            iin=IIN_MALE_1990,
            date_of_birth="1990-01-01",
            status="active",
            tags=["vip", "ключевой"],
            custom_fields={"tier": "gold", "score": "12.50"},
            credit_limit="5",
            rating=7,
            assigned_to=str(sales),
            contacts=[
                {"first_name": "Ann", "email": "ann@example.com", "is_primary": True},
                {"first_name": "Bob", "phone": "+77017654321", "position": "CFO"},
            ],
            addresses=[
                {
                    "type": "home",
                    "country": "KZ",
                    "city": "Almaty",
                    "latitude": "43.238949",
                    "longitude": "76.9",
                },
                {"type": "billing", "country": "KZ", "street": "Abay 1", "is_primary": True},
            ],
            business_ids=[shop["id"]],
        ),
        "company": await api_create(
            client,
            org,
            type="company",
            company_name="Nguyễn Trading LLP",
            bin=BIN_HEAD_OFFICE,
            website="https://example.com",
            status="lead",
            current_balance="-12.30",
            addresses=[{"type": "office", "country": "VN", "city": "Hà Nội"}],
        ),
        "other_reps": await api_create(
            client, org, first_name="Other", status="active", assigned_to=str(org.users["admin"].id)
        ),
        "unassigned_active": await api_create(client, org, first_name="Free", status="active"),
        "deleted": await api_create(client, org, first_name="Gone", tags=["old"]),
    }
    ids = {name: uuid.UUID(c["id"]) for name, c in made.items()}
    now = datetime.now(UTC)
    for name, spent, orders in (("person", "1234.50", 3), ("company", "0.00", 0)):
        session.add(
            CustomerMetrics(
                organization_id=org.id,
                customer_id=ids[name],
                total_spent=Decimal(spent),
                order_count=orders,
                first_order_at=now - timedelta(days=400) if orders else None,
                last_order_at=now - timedelta(days=12) if orders else None,
                lifetime_value=Decimal(spent),
                predicted_ltv=Decimal("2000.10") if orders else None,
                churn_risk=0.125 if orders else None,
                engagement_score=0.7 if orders else None,
                rfm_score="545" if orders else None,
                lead_score=42,
                segment="champions" if orders else None,
            )
        )
    await session.commit()
    response = await client.delete(f"{API}/customers/{ids['deleted']}", headers=org.headers())
    assert response.status_code == 204
    return ids


async def orm_detail(session, actor, customer_id, include_deleted) -> bytes | None:
    """The response as the ORM path built it, from freshly loaded objects."""
    session.expunge_all()  # as in a new request: nothing cached from the writes above
    try:
        parts = await service.get_customer_detail(
            session, actor, customer_id, include_deleted=include_deleted
        )
    except service.NotFound:
        return None
    metrics = await service.metrics_for(session, actor, [customer_id])
    detail = present_detail(parts[0], actor, *parts[1:], metrics=metrics.get(customer_id))
    return DETAIL_JSON.dump_json(detail)


@pytest.mark.parametrize("role", ROLES)
async def test_get_by_id_answers_as_the_orm_presenter_did(client, session, org, role):
    ids = await variety(client, session, org)
    actor = org.actor(role)
    compared = 0
    for name, customer_id in ids.items():
        for include_deleted in (False, True):
            url = f"{API}/customers/{customer_id}?include_deleted={str(include_deleted).lower()}"
            response = await client.get(url, headers=org.headers(role))
            expected = await orm_detail(session, actor, customer_id, include_deleted)
            if expected is None:
                assert response.status_code == 404, (name, response.text)
                continue
            assert response.status_code == 200, (name, response.text)
            assert response.content == expected, name
            assert response.headers["ETag"] == f'W/"{response.json()["version"]}"'
            compared += 1
    # Sales sees its own customer and the unassigned leads (bare, company, deleted), not
    # another rep's or an unassigned active one; the deleted one only when asked for.
    assert compared == (7 if role == "sales" else 11)


async def test_a_sales_api_key_sees_what_the_orm_path_showed_it(client, session, org):
    """A key has no user: its assigned-only rule compares assigned_to with NULL (IS NULL), so
    it sees every unassigned customer, not only leads."""
    ids = await variety(client, session, org)
    key = await post(client, org, "api-keys", {"name": "rep", "role": "sales"})
    actor = Actor(organization_id=org.id, role=Role.SALES, kind="api_key", api_key_id=uuid.uuid4())
    seen = []
    for name, customer_id in ids.items():
        response = await client.get(
            f"{API}/customers/{customer_id}", headers={"Authorization": f"Bearer {key['key']}"}
        )
        expected = await orm_detail(session, actor, customer_id, False)
        assert response.status_code == (404 if expected is None else 200), name
        if expected is not None:
            assert response.content == expected, name
            seen.append(name)
    assert seen == ["bare", "company", "unassigned_active"]


@pytest.mark.parametrize("role", ROLES)
async def test_list_pages_answer_as_the_orm_presenter_did(client, session, org, role):
    ids = await variety(client, session, org)
    actor = org.actor(role)
    for query in ("sort=-created_at", "status=active&sort=-created_at", "include_deleted=true"):
        response = await client.get(f"{API}/customers?{query}&limit=3", headers=org.headers(role))
        assert response.status_code == 200, response.text
        page = response.json()
        session.expunge_all()
        repo = CustomerRepository(session, org.id)
        visible = repo.visible(actor, include_deleted="include_deleted" in query)
        if "status" in query:
            visible = visible.where(Customer.status == "active")
        ordered = visible.order_by(Customer.created_at.desc(), Customer.id.desc())
        expected_rows = list((await session.execute(ordered.limit(3))).scalars())
        metrics = await service.metrics_for(session, actor, [c.id for c in expected_rows])
        expected = [present_customer(c, actor, metrics.get(c.id)) for c in expected_rows]
        assert [item["id"] for item in page["items"]] == [str(c.id) for c in expected_rows]
        got = response.content
        for item in expected:  # each item's JSON appears verbatim, in order
            rendered = READ_JSON.dump_json(item)
            assert rendered in got, (query, item.name)
            got = got[got.index(rendered) + len(rendered) :]
    assert set(ids)  # the variety was made
