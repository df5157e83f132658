"""Role x operation: what each role may do (auth/permissions.py), what sales reps see,
and who sees national ids and birth dates in full."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient, Response

from clientbase.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from tests.assertions import problem
from tests.fixtures import BIN_HEAD_OFFICE, IIN_MALE_1990, Org, api_create

API = "/api/v1"
ROLES = ["admin", "manager", "sales", "support", "viewer"]


@dataclass
class Target:
    """An unassigned lead every role can see (sales reps included)."""

    id: str
    deleted_id: str


Operation = Callable[[AsyncClient, Org, str, Target], Awaitable[Response]]


async def _patch(client, org, role, t):
    return await client.patch(
        f"{API}/customers/{t.id}",
        json={"industry": "Retail", "version": 1},
        headers=org.headers(role),
    )


async def _bulk_update(client, org, role, t):
    return await client.post(
        f"{API}/customers/bulk-update",
        json={"ids": [t.id], "add_tags": ["x"]},
        headers=org.headers(role),
    )


OPERATIONS: dict[str, tuple[Permission, Operation]] = {
    "list customers": (
        Permission.CUSTOMERS_READ,
        lambda c, o, r, t: c.get(f"{API}/customers", headers=o.headers(r)),
    ),
    "get customer": (
        Permission.CUSTOMERS_READ,
        lambda c, o, r, t: c.get(f"{API}/customers/{t.id}", headers=o.headers(r)),
    ),
    "customer history": (
        Permission.CUSTOMERS_READ,
        lambda c, o, r, t: c.get(f"{API}/customers/{t.id}/history", headers=o.headers(r)),
    ),
    "list custom fields": (
        Permission.CUSTOMERS_READ,
        lambda c, o, r, t: c.get(f"{API}/custom-fields", headers=o.headers(r)),
    ),
    "create customer": (
        Permission.CUSTOMERS_WRITE,
        lambda c, o, r, t: c.post(
            f"{API}/customers", json={"first_name": "New"}, headers=o.headers(r)
        ),
    ),
    "patch customer": (Permission.CUSTOMERS_WRITE, _patch),
    "replace customer": (
        Permission.CUSTOMERS_WRITE,
        lambda c, o, r, t: c.put(
            f"{API}/customers/{t.id}",
            json={"first_name": "Lead", "last_name": "Replaced", "version": 1},
            headers=o.headers(r),
        ),
    ),
    "delete customer": (
        Permission.CUSTOMERS_DELETE,
        lambda c, o, r, t: c.delete(f"{API}/customers/{t.id}", headers=o.headers(r)),
    ),
    "restore customer": (
        Permission.CUSTOMERS_DELETE,
        lambda c, o, r, t: c.post(f"{API}/customers/{t.deleted_id}/restore", headers=o.headers(r)),
    ),
    "bulk create": (
        Permission.CUSTOMERS_WRITE,
        lambda c, o, r, t: c.post(
            f"{API}/customers/bulk", json={"items": [{"first_name": "B"}]}, headers=o.headers(r)
        ),
    ),
    "bulk update": (Permission.CUSTOMERS_WRITE, _bulk_update),
    "bulk delete": (
        Permission.CUSTOMERS_DELETE,
        lambda c, o, r, t: c.post(
            f"{API}/customers/bulk-delete", json={"ids": [t.id]}, headers=o.headers(r)
        ),
    ),
    "add note": (
        Permission.NOTES_WRITE,
        lambda c, o, r, t: c.post(
            f"{API}/customers/{t.id}/notes", json={"content": "called"}, headers=o.headers(r)
        ),
    ),
    "add contact": (
        Permission.CUSTOMERS_WRITE,
        lambda c, o, r, t: c.post(
            f"{API}/customers/{t.id}/contacts", json={"first_name": "C"}, headers=o.headers(r)
        ),
    ),
    "add address": (
        Permission.CUSTOMERS_WRITE,
        lambda c, o, r, t: c.post(
            f"{API}/customers/{t.id}/addresses",
            json={"type": "home", "country": "KZ"},
            headers=o.headers(r),
        ),
    ),
    "list users": (
        Permission.USERS_MANAGE,
        lambda c, o, r, t: c.get(f"{API}/users", headers=o.headers(r)),
    ),
    "create user": (
        Permission.USERS_MANAGE,
        lambda c, o, r, t: c.post(
            f"{API}/users",
            json={"email": f"new-{r}@example.com", "password": "long-enough-pw"},
            headers=o.headers(r),
        ),
    ),
    "change a role": (
        Permission.USERS_MANAGE,
        lambda c, o, r, t: c.patch(
            f"{API}/users/{o.users['viewer'].id}",
            json={"role": "support", "version": 1},
            headers=o.headers(r),
        ),
    ),
    "list api keys": (
        Permission.USERS_MANAGE,
        lambda c, o, r, t: c.get(f"{API}/api-keys", headers=o.headers(r)),
    ),
    "create api key": (
        Permission.USERS_MANAGE,
        lambda c, o, r, t: c.post(f"{API}/api-keys", json={"name": "k"}, headers=o.headers(r)),
    ),
    "audit log": (
        Permission.AUDIT_READ,
        lambda c, o, r, t: c.get(f"{API}/audit", headers=o.headers(r)),
    ),
    "events feed": (
        Permission.EVENTS_READ,
        lambda c, o, r, t: c.get(f"{API}/events", headers=o.headers(r)),
    ),
    "create custom field": (
        Permission.SETTINGS_MANAGE,
        lambda c, o, r, t: c.post(
            f"{API}/custom-fields",
            json={"key": "tier", "label": "Tier", "type": "text"},
            headers=o.headers(r),
        ),
    ),
    "org settings": (
        Permission.SETTINGS_MANAGE,
        lambda c, o, r, t: c.patch(
            f"{API}/organization/settings",
            json={"default_phone_region": "KZ"},
            headers=o.headers(r),
        ),
    ),
    "create business": (
        Permission.SETTINGS_MANAGE,
        lambda c, o, r, t: c.post(f"{API}/businesses", json={"name": "Shop"}, headers=o.headers(r)),
    ),
}


def allowed(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]


def test_the_grid_matches_the_roles_in_the_spec():
    """The permission table itself, as S1 describes the roles."""
    can = {r: {p for p in Permission if allowed(r, p)} for r in ROLES}
    assert can["admin"] == set(Permission)
    assert Permission.USERS_MANAGE not in can["manager"] | can["sales"] | can["support"]
    assert (
        Permission.CUSTOMERS_DELETE in can["manager"]
        and Permission.CUSTOMERS_DELETE not in can["sales"]
    )
    assert can["support"] == {Permission.CUSTOMERS_READ, Permission.NOTES_WRITE}
    assert can["viewer"] == {Permission.CUSTOMERS_READ}
    assert {r for r in ROLES if Permission.PII_READ in can[r]} == {"admin", "manager", "sales"}


async def audit_head(client, org: Org) -> int:
    page = (await client.get(f"{API}/audit?limit=1", headers=org.headers())).json()
    return page["items"][0]["seq"]


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("role", ROLES)
async def test_role_may_or_may_not(client, org, role, operation):
    permission, call = OPERATIONS[operation]
    lead = await api_create(client, org, first_name="Lead", last_name="Open")
    gone = await api_create(client, org, first_name="Gone", last_name="Lead")
    assert (
        await client.delete(f"{API}/customers/{gone['id']}", headers=org.headers())
    ).status_code == 204
    target = Target(lead["id"], gone["id"])
    seq = await audit_head(client, org)

    response = await call(client, org, role, target)

    if allowed(role, permission):
        assert response.status_code < 400, (role, operation, response.text)
    else:
        body = problem(response, 403)
        assert permission.value in body["detail"]
        assert await audit_head(client, org) == seq, "a refused request changed something"


# Sales reps see their own customers and unassigned leads ----------------------------------


@pytest.fixture
async def book(client, org) -> dict[str, Any]:
    """Customers of every kind of ownership, created by the admin."""
    sales, manager = str(org.users["sales"].id), str(org.users["manager"].id)
    made = {
        "mine": await api_create(
            client, org, first_name="Mine", assigned_to=sales, status="active"
        ),
        "open lead": await api_create(client, org, first_name="Open", status="lead"),
        "open prospect": await api_create(client, org, first_name="Prospect", status="prospect"),
        "colleague's": await api_create(client, org, first_name="Theirs", assigned_to=manager),
        "open active": await api_create(client, org, first_name="Active", status="active"),
        "open churned": await api_create(client, org, first_name="Churned", status="churned"),
    }
    return {name: c["id"] for name, c in made.items()}


VISIBLE_TO_SALES = {"mine", "open lead", "open prospect"}


async def test_sales_lists_only_their_customers_and_unassigned_leads(client, org, book):
    listing = await client.get(f"{API}/customers?limit=100", headers=org.headers("sales"))
    assert listing.status_code == 200
    assert {c["id"] for c in listing.json()["items"]} == {book[k] for k in VISIBLE_TO_SALES}
    assert listing.json()["total"] == len(VISIBLE_TO_SALES)
    everyone = await client.get(f"{API}/customers?limit=100", headers=org.headers("viewer"))
    assert everyone.json()["total"] == len(book)


async def test_customers_sales_may_not_see_are_404_everywhere(client, org, book):
    h = org.headers("sales")
    for name in set(book) - VISIBLE_TO_SALES:
        cid = book[name]
        for method, url, body in [
            ("GET", f"{API}/customers/{cid}", None),
            ("GET", f"{API}/customers/{cid}/history", None),
            ("GET", f"{API}/customers/{cid}/notes", None),
            ("GET", f"{API}/customers/{cid}/contacts", None),
            ("POST", f"{API}/customers/{cid}/notes", {"content": "x"}),
            ("PATCH", f"{API}/customers/{cid}", {"industry": "x", "version": 1}),
        ]:
            response = await client.request(method, url, json=body, headers=h)
            problem(response, 404)
        result = await client.post(
            f"{API}/customers/bulk-update", json={"ids": [cid], "status": "lead"}, headers=h
        )
        assert result.json()["updated"] == [] and len(result.json()["errors"]) == 1
    for name in VISIBLE_TO_SALES:
        assert (await client.get(f"{API}/customers/{book[name]}", headers=h)).status_code == 200


async def test_sales_creates_customers_assigned_to_themselves_and_cannot_give_them_away(
    client, org
):
    created = await api_create(client, org, role="sales", first_name="Fresh", status="active")
    assert created["assigned_to"] == str(org.users["sales"].id)
    mine = await client.get(f"{API}/customers/{created['id']}", headers=org.headers("sales"))
    assert mine.status_code == 200
    give_away = await client.patch(
        f"{API}/customers/{created['id']}",
        json={"assigned_to": str(org.users["manager"].id), "version": 1},
        headers=org.headers("sales"),
    )
    problem(give_away, 403)
    to_other = await client.post(
        f"{API}/customers",
        json={"first_name": "X", "assigned_to": str(org.users["manager"].id)},
        headers=org.headers("sales"),
    )
    problem(to_other, 403)


async def test_sales_can_claim_an_unassigned_lead(client, org, book):
    claimed = await client.patch(
        f"{API}/customers/{book['open lead']}",
        json={"assigned_to": str(org.users["sales"].id), "status": "active", "version": 1},
        headers=org.headers("sales"),
    )
    assert claimed.status_code == 200, claimed.text
    again = await client.get(f"{API}/customers/{book['open lead']}", headers=org.headers("sales"))
    assert again.status_code == 200 and again.json()["status"] == "active"


# Masking of national ids and birth dates ---------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
async def test_national_ids_and_birth_dates_are_masked_for_support_and_viewer(client, org, role):
    person = await api_create(
        client, org, first_name="Masked", iin=IIN_MALE_1990, date_of_birth="1990-01-01"
    )
    company = await api_create(client, org, type="company", name="Masked LLP", bin=BIN_HEAD_OFFICE)
    h = org.headers(role)
    detail = (await client.get(f"{API}/customers/{person['id']}", headers=h)).json()
    firm = (await client.get(f"{API}/customers/{company['id']}", headers=h)).json()
    listing = (await client.get(f"{API}/customers?limit=100", headers=h)).json()["items"]
    listed = {c["id"]: c for c in listing}
    if role in ("support", "viewer"):
        assert detail["iin"] == "********0007"
        assert detail["date_of_birth"] == "****-**-**"
        assert firm["bin"] == "********4446"
        assert IIN_MALE_1990 not in str(listing) and BIN_HEAD_OFFICE not in str(listing)
        assert "1990-01-01" not in str(listing)
    else:
        assert detail["iin"] == IIN_MALE_1990 and detail["date_of_birth"] == "1990-01-01"
        assert firm["bin"] == BIN_HEAD_OFFICE
        assert listed[person["id"]]["iin"] == IIN_MALE_1990  # an unassigned lead: sales sees it
    assert detail["email"] == person["email"]  # masking is for national ids and birth dates


async def test_history_never_shows_national_ids_in_full(client, org):
    person = await api_create(client, org, first_name="Hist", iin=IIN_MALE_1990)
    for role in ROLES:
        history = await client.get(
            f"{API}/customers/{person['id']}/history", headers=org.headers(role)
        )
        assert history.status_code == 200
        assert IIN_MALE_1990 not in history.text
        assert history.json()["items"][0]["changes"]["iin"]["new"] == "********0007"
