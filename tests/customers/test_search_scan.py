"""On PostgreSQL a tenant holding most of the customers searches the trigram index by its
words alone and filters the rows found by organization: the answers are the same as with
the organization key, and never another tenant's."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from clientbase.customers import listing_repository
from clientbase.customers.listing_repository import CustomerListRepository
from tests.customers.test_query_plans import fill
from tests.fixtures import create_customer, make_org

pytestmark = pytest.mark.asyncio

PEOPLE = [
    {"first_name": "John", "last_name": "Smith", "phone": "+77012345678"},
    {"first_name": "Johanna", "last_name": "Smithers"},
    {"first_name": "María", "last_name": "García"},
    {"first_name": "Ёлка", "last_name": "Иванова"},
]
QUERIES = ["smith", "Jonh Smiht", "garcia", "Иавнова", "nobody-at-all", "john", "8 701 234 56 78"]


@pytest.fixture
async def tenants(session, settings):
    ours = await make_org(session, settings, "Scan Ours")
    theirs = await make_org(session, settings, "Scan Theirs")
    for org in (ours, theirs):
        for person in PEOPLE:
            await create_customer(session, org, **person)
    return ours, theirs


async def search(client, org, query):
    response = await client.get(
        "/api/v1/customers", params={"search": query}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return [(c["id"], c["name"]) for c in body["items"]], body["total"]


async def answers(client, tenants, monkeypatch, share):
    monkeypatch.setattr(listing_repository, "UNKEYED_SEARCH_SHARE", share)
    ours, theirs = tenants
    return {q: (await search(client, ours, q), await search(client, theirs, q)) for q in QUERIES}


async def test_searches_without_the_organization_key_answer_as_with_it(
    client, tenants, monkeypatch
):
    keyed = await answers(client, tenants, monkeypatch, share=2.0)  # no tenant is that big
    unkeyed = await answers(client, tenants, monkeypatch, share=0.0)  # every tenant is
    assert unkeyed == keyed
    ours_ids = {i for (items, _), _ in keyed.values() for i, _ in items}
    theirs_ids = {i for _, (items, _) in keyed.values() for i, _ in items}
    assert ours_ids and theirs_ids and not ours_ids & theirs_ids
    assert [name for _, name in keyed["smith"][0][0]] == ["Johanna Smithers", "John Smith"]
    assert keyed["Jonh Smiht"][0][0][0][1] == "John Smith"  # the typo pass, too
    assert [name for _, name in keyed["8 701 234 56 78"][0][0]] == ["John Smith"]


async def test_a_tenant_holding_most_customers_searches_unkeyed(session, settings, dialect):
    if dialect != "postgres":
        pytest.skip("SQLite searches its FTS5 table; there is no organization key to drop")
    big = await make_org(session, settings, "Scan Big")
    small = await make_org(session, settings, "Scan Small")
    await create_customer(session, small, first_name="Only", last_name="Few")
    await fill(session, big.id)  # 8,000 rows and ANALYZE, inside this test's transaction
    share = (
        await session.execute(
            text(
                "SELECT count(*) FILTER (WHERE organization_id = :org)::float / count(*)"
                " FROM customers"
            ),
            {"org": big.id},
        )
    ).scalar_one()
    assert share > 0.9  # what the statistics are read against
    big_repo = CustomerListRepository(session, big.id)
    small_repo = CustomerListRepository(session, small.id)
    await big_repo.plan_search()
    await small_repo.plan_search()
    assert big_repo.search_index_key is False
    assert small_repo.search_index_key is True
