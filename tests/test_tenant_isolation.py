"""Tenant isolation: another organization's admin gets 404 on every id of ours, on every
route the app has, and changes nothing; their lists show none of our rows.

The routes are enumerated from the app, so a new route with an id parameter is covered
automatically, and the walk fails until this file knows which id and body to send."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from tests.assertions import problem
from tests.fixtures import BIN_HEAD_OFFICE, Org

API = "/api/v1"

# A plausible, valid body for every route that takes one (checked by the sanity walk below).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/customers/{customer_id}"): {"industry": "Hijacked"},
    ("PUT", "/api/v1/customers/{customer_id}"): {"type": "company", "name": "Hijacked"},
    ("POST", "/api/v1/customers/{customer_id}/contacts"): {"first_name": "Mallory"},
    ("PATCH", "/api/v1/customers/{customer_id}/contacts/{contact_id}"): {"first_name": "Mallory"},
    ("POST", "/api/v1/customers/{customer_id}/addresses"): {"type": "home", "country": "KZ"},
    ("PATCH", "/api/v1/customers/{customer_id}/addresses/{address_id}"): {"city": "Hijacked"},
    ("POST", "/api/v1/customers/{customer_id}/notes"): {"content": "hijacked"},
    ("PATCH", "/api/v1/customers/{customer_id}/notes/{note_id}"): {"content": "hijacked"},
    ("PATCH", "/api/v1/users/{user_id}"): {"role": "admin", "full_name": "Hijacked"},
    ("PATCH", "/api/v1/custom-fields/{definition_id}"): {"label": "Hijacked", "required": True},
    ("PATCH", "/api/v1/views/{view_id}"): {"name": "Hijacked", "shared": True},
    ("PATCH", "/api/v1/transactions/{transaction_id}"): {"status": "processing"},
    ("PATCH", "/api/v1/segments/{segment_id}"): {"name": "Hijacked"},
    ("PUT", "/api/v1/customers/{customer_id}/segments"): {"segment_ids": []},
}


@dataclass
class Tenant:
    org: Org
    ids: dict[str, str]  # path parameter name -> id
    deleted_customer: str
    business: str
    api_key: str
    field_key: str


def has_route(app, path: str) -> bool:
    return any(c.path == path for c in iter_route_contexts(app.routes))


async def build_tenant(client, app, org: Org) -> Tenant:
    """A customer with a contact, an address and a note; a deleted customer; a custom field
    definition; an API key; a second business; a saved view. The user walked is the sales
    rep."""
    h = org.headers()
    extra_ids = {}
    if has_route(app, f"{API}/views"):
        view = await client.post(
            f"{API}/views", json={"name": "My leads", "filters": {"status": "lead"}}, headers=h
        )
        assert view.status_code == 201, view.text
        extra_ids["view_id"] = view.json()["id"]
    key = f"tier_{uuid.uuid4().hex[:6]}"
    field = await client.post(
        f"{API}/custom-fields", json={"key": key, "label": "Tier", "type": "text"}, headers=h
    )
    assert field.status_code == 201, field.text
    business = await client.post(f"{API}/businesses", json={"name": "Outlet"}, headers=h)
    assert business.status_code == 201, business.text
    customer = await client.post(
        f"{API}/customers",
        json={
            "type": "company",
            "name": f"Secret {org.name}",
            "email": f"secret@{uuid.uuid4().hex[:8]}.kz",
            "bin": BIN_HEAD_OFFICE,
            "assigned_to": str(org.users["sales"].id),
            "custom_fields": {key: "gold"},
            "contacts": [{"first_name": "Aida", "is_primary": True}],
            "addresses": [{"type": "office", "country": "KZ", "city": "Almaty"}],
        },
        headers=h,
    )
    assert customer.status_code == 201, customer.text
    cid = customer.json()["id"]
    note = await client.post(f"{API}/customers/{cid}/notes", json={"content": "vip"}, headers=h)
    assert note.status_code == 201, note.text
    gone = await client.post(
        f"{API}/customers", json={"first_name": "Deleted", "last_name": org.name}, headers=h
    )
    assert (
        await client.delete(f"{API}/customers/{gone.json()['id']}", headers=h)
    ).status_code == 204
    if has_route(app, f"{API}/transactions"):
        order = await client.post(
            f"{API}/transactions",
            json={
                "external_id": f"order-{uuid.uuid4().hex[:8]}",
                "customer_id": cid,
                "occurred_at": "2026-01-15T10:00:00Z",
                "amount": "150.00",
                "status": "pending",
            },
            headers=h,
        )
        assert order.status_code == 201, order.text
        extra_ids["transaction_id"] = order.json()["id"]
    if has_route(app, f"{API}/jobs/{{job_id}}"):
        job = await client.post(f"{API}/analytics/recalculate", json={}, headers=h)
        assert job.status_code == 202, job.text
        extra_ids["job_id"] = job.json()["job_id"]
    if has_route(app, f"{API}/segments"):
        rule = {"field": "city", "operator": "equals", "value": "Almaty"}
        segment = await client.post(
            f"{API}/segments",
            json={"name": "Almaty", "criteria": {"operator": "AND", "rules": [rule]}},
            headers=h,
        )
        assert segment.status_code == 201, segment.text
        extra_ids["segment_id"] = segment.json()["id"]
    api_key = await client.post(
        f"{API}/api-keys", json={"name": "sync", "role": "viewer"}, headers=h
    )
    assert api_key.status_code == 201, api_key.text
    return Tenant(
        org=org,
        ids={
            "customer_id": cid,
            "contact_id": customer.json()["contacts"][0]["id"],
            "address_id": customer.json()["addresses"][0]["id"],
            "note_id": note.json()["id"],
            "user_id": str(org.users["sales"].id),
            "key_id": api_key.json()["id"],
            "definition_id": field.json()["id"],
            **extra_ids,
        },
        deleted_customer=gone.json()["id"],
        business=business.json()["id"],
        api_key=api_key.json()["key"],
        field_key=key,
    )


@dataclass
class Call:
    method: str
    template: str
    url: str
    body: dict[str, Any] | None


@dataclass
class IdRoute:
    method: str
    path: str
    params: list[str]
    takes_body: bool


def id_routes(app) -> list[IdRoute]:
    """Every (method, route) of the app under /api/v1 with a path parameter, however the
    routers are nested."""
    found = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if not path.startswith(API):
            continue
        route = context.original_route
        if not isinstance(route, APIRoute):
            pytest.fail(f"{path} is not an API route ({type(route).__name__}): walk it too")
        params = re.findall(r"{(\w+)(?::\w+)?}", path)
        if not params:
            continue
        for method in sorted((context.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(IdRoute(method, path, params, route.body_field is not None))
    return found


def plan(app, tenant: Tenant) -> list[Call]:
    calls = []
    for route in id_routes(app):
        unknown = set(route.params) - set(tenant.ids)
        if unknown:
            pytest.fail(
                f"{route.method} {route.path}: no id for {sorted(unknown)}; add to build_tenant"
            )
        key = (route.method, route.path)
        if route.takes_body and key not in BODIES:
            pytest.fail(f"{route.method} {route.path} takes a body: add a valid one to BODIES")
        variants = [tenant.ids]
        if route.params == ["customer_id"]:
            variants.append({**tenant.ids, "customer_id": tenant.deleted_customer})
        for ids in variants:
            url = route.path.format(**{name: ids[name] for name in route.params})
            calls.append(Call(route.method, route.path, url, BODIES.get(key)))
    assert len(calls) >= 20, "the walk found suspiciously few routes"
    return calls


def write_headers(org: Org, method: str) -> dict[str, str]:
    headers = org.headers()
    if method in ("PATCH", "PUT"):
        headers["If-Match"] = "*"
    return headers


async def snapshot(client, tenant: Tenant) -> dict[str, Any]:
    """Everything of the tenant an admin can read."""
    h = tenant.org.headers()
    cid = tenant.ids["customer_id"]
    urls = [
        f"{API}/customers/{cid}",
        f"{API}/customers/{tenant.deleted_customer}?include_deleted=true",
        f"{API}/customers/{cid}/notes",
        f"{API}/customers/{cid}/history?limit=100",
        f"{API}/customers?include_deleted=true&limit=100",
        f"{API}/custom-fields",
        f"{API}/users?limit=100",
        f"{API}/api-keys",
        f"{API}/audit?limit=100",
        f"{API}/events?limit=100",
        f"{API}/organization",
        f"{API}/businesses",
    ]
    if "view_id" in tenant.ids:
        urls += [f"{API}/views", f"{API}/views/{tenant.ids['view_id']}"]
    if "transaction_id" in tenant.ids:
        urls += [f"{API}/transactions/{tenant.ids['transaction_id']}"]
    if "job_id" in tenant.ids:
        urls += [f"{API}/jobs/{tenant.ids['job_id']}"]
    if "segment_id" in tenant.ids:
        urls += [f"{API}/segments", f"{API}/segments/{tenant.ids['segment_id']}"]
    out = {}
    for url in urls:
        response = await client.get(url, headers=h)
        assert response.status_code == 200, (url, response.text)
        out[url] = response.json()
    return out


async def test_foreign_admin_gets_404_on_every_id_route_and_changes_nothing(
    client, app, org, other_org
):
    victim = await build_tenant(client, app, org)
    before = await snapshot(client, victim)
    calls = plan(app, victim)
    for call in calls:
        response = await client.request(
            call.method, call.url, json=call.body, headers=write_headers(other_org, call.method)
        )
        assert response.status_code == 404, (call.method, call.url, response.text)
        problem(response, 404)
    assert await snapshot(client, victim) == before
    still_works = await client.get(
        f"{API}/customers", headers={"Authorization": f"Bearer {victim.api_key}"}
    )
    assert still_works.status_code == 200 and still_works.json()["total"] == 1


async def test_the_walk_bodies_are_valid_for_the_owner(client, app, org):
    """The same walk against the owner's own ids succeeds, so the 404s above mean
    "not yours", not "bad request"."""
    own = await build_tenant(client, app, org)
    calls = plan(app, own)

    def phase(call: Call) -> tuple[int, int]:
        """Reads and edits; deletes aimed at the deleted customer; restores; then the
        other deletes, nested resources before their customer."""
        if call.template.endswith("/restore"):
            return 2, 0
        if call.method == "DELETE":
            return (1, 0) if own.deleted_customer in call.url else (3, -len(call.template))
        return 0, 0

    calls.sort(key=phase)
    for call in calls:
        on_deleted = own.deleted_customer in call.url
        response = await client.request(
            call.method, call.url, json=call.body, headers=write_headers(org, call.method)
        )
        if call.template.endswith("/restore") and not on_deleted:
            problem(response, 409)  # restoring a customer that is not deleted
        elif on_deleted and response.status_code == 404:
            problem(response, 404)  # most routes treat a deleted customer as gone
        else:
            assert response.status_code < 400, (call.method, call.url, response.text)


async def test_a_route_with_an_unknown_id_parameter_fails_the_walk(app, org):
    """The guard itself: a route whose id the walk does not know is reported, not skipped."""
    from fastapi import FastAPI

    extra = FastAPI()

    @extra.get(f"{API}/widgets/{{widget_id}}")
    async def widget(widget_id: str) -> dict[str, str]:
        return {}

    tenant = Tenant(org, {"customer_id": "x"}, "y", "b", "k", "f")
    with pytest.raises(pytest.fail.Exception, match="widget_id"):
        plan(extra, tenant)


async def test_foreign_ids_in_bodies_and_queries_reach_nothing(client, app, org, other_org):
    victim = await build_tenant(client, app, org)
    before = await snapshot(client, victim)
    h = other_org.headers()
    cid = victim.ids["customer_id"]

    for url in (f"{API}/customers/bulk-update", f"{API}/customers/bulk-delete"):
        body = {"ids": [cid, victim.deleted_customer]}
        if url.endswith("update"):
            body["status"] = "churned"
        response = await client.post(url, json=body, headers=h)
        assert response.status_code == 200, response.text
        result = response.json()
        assert result.get("updated", result.get("deleted")) == []
        assert [e["index"] for e in result["errors"]] == [0, 1]

    refused = {
        "referred_by": {"first_name": "B", "referred_by": cid},
        "assigned_to": {"first_name": "B", "assigned_to": victim.ids["user_id"]},
        "business_ids": {"first_name": "B", "business_ids": [victim.business]},
        f"custom_fields.{victim.field_key}": {
            "first_name": "B",
            "custom_fields": {victim.field_key: "gold"},
        },
    }
    for field, body in refused.items():
        problem(await client.post(f"{API}/customers", json=body, headers=h), 422, field)

    for url in (
        f"{API}/audit?customer_id={cid}",
        f"{API}/audit?actor_id={org.users['admin'].id}",
        f"{API}/events?aggregate_id={cid}",
        f"{API}/customers?assigned_to={victim.ids['user_id']}",
    ):
        response = await client.get(url, headers=h)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [], url
    assert await snapshot(client, victim) == before


async def test_foreign_lists_show_none_of_our_rows(client, app, org, other_org):
    victim = await build_tenant(client, app, org)
    ours = await snapshot(client, victim)
    our_ids = {victim.deleted_customer, victim.business, *victim.ids.values()}
    our_ids |= {str(u.id) for u in org.users.values()}
    our_ids |= {str(org.id)}
    h = other_org.headers()
    theirs = await client.post(f"{API}/customers", json={"first_name": "Theirs"}, headers=h)
    assert theirs.status_code == 201
    for url in (
        f"{API}/customers?include_deleted=true&limit=100",
        f"{API}/customers?search=Secret",
        f"{API}/customers?search={ours[f'{API}/customers/' + victim.ids['customer_id']]['email']}",
        f"{API}/users?limit=100",
        f"{API}/audit?limit=100",
        f"{API}/events?limit=100",
        f"{API}/api-keys",
        f"{API}/custom-fields",
        f"{API}/businesses",
        f"{API}/organization",
        *([f"{API}/views"] if "view_id" in victim.ids else []),
        *([f"{API}/segments"] if "segment_id" in victim.ids else []),
    ):
        response = await client.get(url, headers=h)
        assert response.status_code == 200, (url, response.text)
        text = response.text
        leaked = [i for i in our_ids if i in text]
        assert not leaked, (url, leaked)
        assert org.name not in text and victim.field_key not in text, url
    mine = await client.get(f"{API}/customers", headers=h)
    assert [c["id"] for c in mine.json()["items"]] == [theirs.json()["id"]]
    assert mine.json()["total"] == 1
