"""`load_demo` into a real database (both dialects): rows the application reads back as
valid customers, searchable through the API, unique per organization, one audit entry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from clientbase.audit.models import AuditEntry
from clientbase.audit.service import verify_chain
from clientbase.customers import custom_fields
from clientbase.customers.identifiers import check_bin, check_iin
from clientbase.customers.models import Address, Contact, Customer, Note
from clientbase.customers.search_index import apply, contact_name
from clientbase.customers.validation import normalize_email, normalize_phone
from clientbase.demo.service import load_demo
from clientbase.tenancy.models import Membership
from tests.fixtures import make_org

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def demo(session, settings):  # type: ignore[no-untyped-def]
    org = await make_org(session, settings, "Demo Steppe")
    result = await load_demo(session, organization=org.name, customers=200, seed=5, now=NOW)
    await session.commit()
    return org, result


async def customers_of(session, org_id: uuid.UUID) -> list[Customer]:
    stmt = select(Customer).where(Customer.organization_id == org_id).order_by(Customer.name)
    return list((await session.execute(stmt)).scalars())


async def count(session, model, org_id) -> int:  # type: ignore[no-untyped-def]
    stmt = select(func.count()).select_from(model).where(model.organization_id == org_id)
    return int((await session.execute(stmt)).scalar_one())


async def test_rows_validate(session, demo):
    org, result = demo
    rows = await customers_of(session, org.id)
    assert len(rows) == result.customers == 200
    assert result.rows["addresses"] == await count(session, Address, org.id) > 150
    assert result.rows["notes"] == await count(session, Note, org.id) > 50
    assert result.rows["contacts"] == await count(session, Contact, org.id) > 10
    assert await count(session, Membership, org.id) == 200
    users = set(u.id for u in org.users.values())
    for c in rows:
        assert c.version == 1 and c.created_at.tzinfo is not None and c.created_at <= NOW
        assert c.iin is None or check_iin(c.iin, date_of_birth=c.date_of_birth).valid
        assert c.bin is None or check_bin(c.bin).valid
        assert c.phone is None or normalize_phone(c.phone, "KZ") == c.phone
        assert c.email is None or normalize_email(c.email) == c.email
        assert c.assigned_to is None or c.assigned_to in users
        assert isinstance(c.tags, list) and isinstance(c.custom_fields, dict)
    for column in ("email", "phone", "iin", "bin"):
        values = [getattr(c, column) for c in rows if getattr(c, column)]
        assert len(values) == len(set(values)), column


async def test_search_text_matches_the_application(session, demo):
    org, _ = demo
    stmt = select(Contact).where(Contact.organization_id == org.id)
    stmt = stmt.order_by(Contact.is_primary.desc(), Contact.created_at, Contact.id)
    names: dict[uuid.UUID, list[str]] = {}
    for contact in (await session.execute(stmt)).scalars():
        names.setdefault(contact.customer_id, []).append(
            contact_name(contact.first_name, contact.middle_name, contact.last_name)
        )
    for c in await customers_of(session, org.id):
        stored = c.search_text
        apply(c, names.get(c.id, []))
        assert stored == c.search_text
    session.expunge_all()


async def test_custom_fields_pass_their_definitions(session, demo):
    org, _ = demo
    actor = org.actor()
    keys = {d.key for d in await custom_fields.list_definitions(session, actor)}
    assert {"preferred_channel", "newsletter", "annual_budget"} <= keys
    for c in await customers_of(session, org.id):
        if c.custom_fields:
            assert await custom_fields.validate_values(session, actor, c.custom_fields)


async def test_one_audit_entry_and_the_chain_verifies(session, demo):
    org, result = demo
    stmt = select(AuditEntry).where(
        AuditEntry.organization_id == org.id, AuditEntry.action == "demo.loaded"
    )
    entries = list((await session.execute(stmt)).scalars())
    assert len(entries) == 1 and entries[0].changes["customers"] == 200
    assert entries[0].changes["addresses"] == result.rows["addresses"]
    assert (await verify_chain(session, org.id)).ok


def typo(word: str) -> str:
    return word[0] + word[2] + word[1] + word[3:] if len(word) > 4 else word


async def search(client, org, query: str, **params) -> list[str]:  # type: ignore[no-untyped-def]
    params = {"search": query, "limit": 100, **params}
    response = await client.get("/api/v1/customers", params=params, headers=org.headers())
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_generated_rows_are_found_through_the_api(client, session, demo):
    org, _ = demo
    rows = await customers_of(session, org.id)
    person = next(c for c in rows if c.type == "individual" and c.email and c.phone)
    company = next(c for c in rows if c.type != "individual" and c.bin)
    target = str(person.id)
    assert target in await search(client, org, person.last_name[:5])
    assert target in await search(client, org, person.email.split("@")[0][-8:])
    digits = person.phone[2:]
    assert target in await search(client, org, f"8 {digits[:3]} {digits[3:6]} {digits[6:]}")
    assert target in await search(client, org, f"{person.first_name} {typo(person.last_name)}")
    assert str(company.id) in await search(client, org, company.bin)
    detail = await client.get(f"/api/v1/customers/{company.id}", headers=org.headers())
    assert detail.status_code == 200, detail.text


async def test_list_filters_and_sorts_generated_rows(client, demo):
    org, _ = demo
    params = {"status": "active", "sort": "-created_at", "limit": 50}
    response = await client.get("/api/v1/customers", params=params, headers=org.headers())
    items = response.json()["items"]
    assert items and all(i["status"] == "active" for i in items)
    created = [i["created_at"] for i in items]
    assert created == sorted(created, reverse=True)


async def test_a_second_load_adds_without_conflicts(session, demo):
    org, _ = demo
    again = await load_demo(session, organization=org.name, customers=100, seed=5, now=NOW)
    await session.commit()
    rows = await customers_of(session, org.id)
    assert again.customers == 100 and len(rows) == 300
    for column in ("email", "phone", "iin", "bin"):
        values = [getattr(c, column) for c in rows if getattr(c, column)]
        assert len(values) == len(set(values)), column


async def test_a_new_organization_gets_demo_sales_users(session):
    result = await load_demo(session, organization="Fresh Demo Org", customers=20, seed=1)
    await session.commit()
    assert len(result.new_users) == 5 and result.password
    assert all(e.endswith("@freshdemoorg.example.com") for e in result.new_users)


INDEXES = {
    "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename IN ('customers', 'addresses')",
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' "
    "AND tbl_name IN ('customers', 'addresses')",
}


async def index_names(session) -> set[str]:  # type: ignore[no-untyped-def]
    sql = INDEXES[session.get_bind().dialect.name]
    return {row[0] for row in await session.execute(text(sql))}


async def test_a_big_load_rebuilds_the_indexes_it_dropped(session, settings, monkeypatch):
    from clientbase.demo import service

    before = await index_names(session)
    assert "ix_customers_organization_id_created_at_id" in before
    monkeypatch.setattr(service, "REBUILD_INDEXES_FROM", 100)
    org = await make_org(session, settings, "Rebuilt Indexes")
    result = await load_demo(session, organization=org.name, customers=150, seed=2, now=NOW)
    await session.commit()
    assert result.customers == 150 and result.phases["indexes"] >= 0
    assert await index_names(session) == before
    rows = await customers_of(session, org.id)
    phones = [c.phone for c in rows if c.phone]
    assert len(rows) == 150 and len(phones) == len(set(phones))
